"""Integrated Gradients (Sundararajan et al., 2017), with its completeness delta.

IG_i = (x_i - x'_i) * sum_k w_k dF(x' + a_k (x - x'))/dx_i, where F is the
explained pre-softmax score. Two ways to choose the points a_k and weights w_k:

- adaptive (the default): refine the path until the completeness delta
  |sum(attr) - (F(x) - F(x'))| / |F(x) - F(x')| is within `tolerance`, or
  `max_steps` gradient evaluations are spent (xai.adaptive says how).
- fixed, `steps=m`: the paper's Riemann sum a_k = k/m, w_k = 1/m, or the
  trapezoid rule or Gauss-Legendre (`method`).

Interpolated images go through the model `batch_size` at a time, so memory for
activations stays bounded (Captum's internal_batch_size); adaptive IG also
keeps each evaluated point's input gradient until the end (at most
`max_steps` per image).
"""
from __future__ import annotations

import numpy as np

from xai.adaptive import adaptive_points
from xai.base import Explanation, ModelCall, check_images, check_targets
from xai.baselines import make_baseline
from xai.defaults import IG_BASELINE, IG_BATCH_SIZE, IG_MAX_STEPS, IG_STEPS, IG_TOLERANCE
from xai.quadrature import nodes
from xai.render import ig_heatmap

ADAPTIVE = "adaptive-trapezoid"


class IntegratedGradients:
    """IntegratedGradients(model) is adaptive to IG_TOLERANCE; steps=m is the fixed m-point rule.

    steps and tolerance exclude each other (a ValueError when both are given);
    `method` and `max_steps` belong to one of them each: method picks the fixed
    rule, max_steps bounds the adaptive one.

    Explanation.evaluations counts, per image, the rows the model ran for it:
    fixed rules evaluate m gradients plus a forward pass of x and of x' (m + 2);
    adaptive IG evaluates gradients at both end points, which give F(x) and
    F(x') too, so its count is exactly its gradient evaluations (at most max_steps),
    plus one forward pass of x when targets=None leaves the class to predict.
    """

    method_name = "ig"

    def __init__(self, model, steps: int | None = None, baseline=IG_BASELINE, batch_size: int = IG_BATCH_SIZE,
                 method: str | None = None, preprocess=None, blur_sigma: float | None = None,
                 tolerance: float | None = None, max_steps: int | None = None):
        if steps is not None and tolerance is not None:
            raise ValueError("give steps (a fixed m-point rule) or tolerance (adaptive IG), not both")
        self.adaptive = steps is None and method is None
        if self.adaptive:
            self.tolerance = _check_tolerance(IG_TOLERANCE if tolerance is None else tolerance)
            self.max_steps = _positive_int(IG_MAX_STEPS if max_steps is None else max_steps, "max_steps")
            self.steps, self.method = None, ADAPTIVE
        else:
            if tolerance is not None:
                raise ValueError(f"method={method!r} is a fixed rule; adaptive IG (tolerance=) chooses its own points")
            if max_steps is not None:
                raise ValueError("max_steps bounds adaptive IG; a fixed rule uses exactly steps points")
            self.steps, self.method = IG_STEPS if steps is None else steps, method or "riemann"
            self.alphas, self.weights = nodes(self.method, self.steps)  # validates steps and method
            self.tolerance = self.max_steps = None
        self.batch_size = _positive_int(batch_size, "batch_size")
        self.model = model
        self.baseline = baseline
        self.preprocess = preprocess
        self.blur_sigma = blur_sigma
        self._call = ModelCall(model, gradient_of="input")
        self._forward = ModelCall(model, gradient_of=None)

    def explain(self, images, targets=None) -> Explanation:
        x = check_images(images, self.model)
        base = make_baseline(self.baseline, x, self.preprocess, self.blur_sigma)
        graph = self._call.graph(x.shape[1:])
        t = check_targets(targets, len(x), graph.num_classes)
        if self.adaptive:
            resolve = bool((t < 0).any())  # "the predicted class" needs x's forward pass first
            t = self._forward(x, t).targets if resolve else t
            integral, f_x, f_base, evaluations = self._adaptive_integral(x, base, t)
            evaluations = evaluations + resolve
        else:
            ends = self._forward(np.concatenate([x, base]), np.concatenate([t, t]))
            t = ends.targets[: len(x)]
            rows = np.arange(len(x))
            f_x, f_base = ends.logits[: len(x)][rows, t], ends.logits[len(x):][rows, t]
            integral = self._fixed_integral(x, base, t)
            evaluations = np.full(len(x), len(self.alphas) + 2)
        attributions = (x - base) * integral
        change = f_x - f_base
        delta = np.abs(attributions.reshape(len(x), -1).sum(axis=1) - change) / np.maximum(np.abs(change), 1e-12)
        return Explanation(
            heatmap=ig_heatmap(attributions), attributions=attributions, targets=t, scores=f_x,
            method=self.method_name, delta=delta.astype(np.float32), evaluations=evaluations.astype(np.int64),
            steps=self.steps, quadrature=self.method, baseline_scores=f_base,
        )

    def _gradients(self, points, targets):
        """(scores, input gradients) of all `points`, `batch_size` rows per model call."""
        scores, grads = [], []
        for start in range(0, len(points), self.batch_size):
            out = self._call(points[start:start + self.batch_size], targets[start:start + self.batch_size])
            scores.append(out.scores)
            grads.append(out.gradients)
        return np.concatenate(scores), np.concatenate(grads)

    def _fixed_integral(self, x, base, targets) -> np.ndarray:
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
            grads = self._call(points, targets[idx]).gradients
            w = weight[start:start + self.batch_size]
            for i in np.unique(idx):
                sel = idx == i
                total[i] += np.tensordot(w[sel], grads[sel], axes=1)
        return total.astype(np.float32)

    def _adaptive_integral(self, x, base, targets):
        """(sum_k w_k grad F, F(x), F(x'), evaluations) with points from xai.adaptive."""
        diff = x - base
        kept = [[] for _ in range(len(x))]  # each image's gradients, in evaluation order

        def evaluate(ids, alphas):
            a = alphas.astype(np.float32)[:, None, None, None]
            scores, grads = self._gradients(base[ids] + a * diff[ids], targets[ids])
            for i, g in zip(ids, grads):
                kept[i].append(g)
            slopes = (grads.astype(np.float64) * diff[ids]).reshape(len(ids), -1).sum(axis=1)
            return scores.astype(np.float64), slopes

        paths = adaptive_points(evaluate, len(x), self.tolerance, self.max_steps)
        integral = np.stack([np.tensordot(p.weights(), np.stack(g), axes=1) for p, g in zip(paths, kept)])
        ends = [(p.scores[int(np.argmax(p.alphas))], p.scores[int(np.argmin(p.alphas))]) for p in paths]
        f_x, f_base = (np.asarray(v, dtype=np.float32) for v in zip(*ends))
        return integral.astype(np.float32), f_x, f_base, np.asarray([len(p.alphas) for p in paths])


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def _check_tolerance(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not 0 < value < 1:
        raise ValueError(f"tolerance must be a number between 0 and 1 (0.01 = 1%); got {value!r}")
    return float(value)
