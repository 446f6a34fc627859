"""Integrated Gradients (Sundararajan et al., 2017), with its completeness delta.

IG_i = (x_i - x'_i) * sum_k w_k dF(x' + a_k (x - x'))/dx_i, where F is the
explained pre-softmax score. With the paper's Riemann sum a_k = k/m and
w_k = 1/m; `method` also offers the trapezoid rule and Gauss-Legendre, which
reach a given accuracy with fewer steps (see `python -m xai.bench`).
Interpolated images go through the model `batch_size` at a time, so memory
stays bounded at any number of steps (Captum's internal_batch_size).
"""
from __future__ import annotations

import numpy as np

from xai.base import Explanation, ModelCall, check_images, check_targets
from xai.baselines import make_baseline
from xai.quadrature import nodes
from xai.render import ig_heatmap


class IntegratedGradients:
    method_name = "integrated_gradients"

    def __init__(self, model, steps: int = 32, baseline="black", batch_size: int = 16,
                 method: str = "riemann", preprocess=None, blur_sigma: float | None = None):
        self.alphas, self.weights = nodes(method, steps)  # validates steps and method
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
        self.model = model
        self.steps = steps
        self.baseline = baseline
        self.batch_size = int(batch_size)
        self.method = method
        self.preprocess = preprocess
        self.blur_sigma = blur_sigma
        self._call = ModelCall(model, gradient_of="input")
        self._forward = ModelCall(model, gradient_of=None)

    def explain(self, images, targets=None) -> Explanation:
        x = check_images(images, self.model)
        base = make_baseline(self.baseline, x, self.preprocess, self.blur_sigma)
        graph = self._call.graph(x.shape[1:])
        t = check_targets(targets, len(x), graph.num_classes)
        ends = self._forward(np.concatenate([x, base]), np.concatenate([t, t]))
        t = ends["targets"][: len(x)]
        f_x, f_base = ends["logits"][: len(x)], ends["logits"][len(x):]
        f_x, f_base = f_x[np.arange(len(x)), t], f_base[np.arange(len(x)), t]
        attributions = (x - base) * self._path_integral(x, base, t)
        change = f_x - f_base
        delta = np.abs(attributions.reshape(len(x), -1).sum(axis=1) - change) / np.maximum(np.abs(change), 1e-12)
        return Explanation(
            heatmap=ig_heatmap(attributions), attributions=attributions, targets=t, scores=f_x,
            method=self.method_name, delta=delta.astype(np.float32),
            extra={"baseline_scores": f_base, "steps": self.steps, "quadrature": self.method},
        )

    def _path_integral(self, x, base, targets) -> np.ndarray:
        """sum_k w_k grad F at each path point, chunked over (image, step) pairs."""
        n, m = len(x), len(self.alphas)
        image_of = np.repeat(np.arange(n), m)
        alpha = np.tile(self.alphas, n).astype(np.float32)
        weight = np.tile(self.weights, n)
        total = np.zeros(x.shape, dtype=np.float64)
        for start in range(0, n * m, self.batch_size):
            idx = image_of[start:start + self.batch_size]
            a = alpha[start:start + self.batch_size, None, None, None]
            points = base[idx] + a * (x[idx] - base[idx])
            grads = self._call(points, targets[idx])["gradients"]
            w = weight[start:start + self.batch_size]
            for i in np.unique(idx):
                sel = idx == i
                total[i] += np.tensordot(w[sel], grads[sel], axes=1)
        return total.astype(np.float32)
