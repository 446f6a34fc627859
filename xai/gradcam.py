"""Grad-CAM (Selvaraju et al., 2017) and Guided Grad-CAM.

As in pytorch-grad-cam, a base class does the shared work (activations,
gradients, the weighted sum, upsampling and scaling); a method overrides one
hook: `channel_weights` for the CAM variant, `refine` for what is done with
the upsampled map.
"""
from __future__ import annotations

import functools

import numpy as np

from xai.base import Explanation, ModelCall, check_images, check_targets
from xai.render import ig_heatmap


class BaseCAM:
    method = "cam"

    def __init__(self, model, layer: str | None = None):
        self.model = model
        self.layer = layer
        self._call = ModelCall(model, layer=layer, gradient_of="activations")

    def explain(self, images, targets=None) -> Explanation:
        x = check_images(images, self.model)
        graph = self._call.graph(x.shape[1:])
        t = check_targets(targets, len(x), graph.num_classes)
        out = self._call(x, t)
        weights = self.channel_weights(out.activations, out.gradients)
        cam = np.maximum(np.einsum("nhwk,nk->nhw", out.activations, weights), 0.0).astype(np.float32)
        heatmap = upsample(cam, x.shape[1:3])
        exp = Explanation(
            heatmap=scale_to_unit(heatmap), attributions=cam, targets=out.targets,
            scores=out.scores, method=self.method, layer=graph.layer,
        )
        return self.refine(x, exp)

    def channel_weights(self, activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def refine(self, x: np.ndarray, exp: Explanation) -> Explanation:
        return exp


class GradCAM(BaseCAM):
    """alpha_k = spatial mean of d y^c / d A^k; map = ReLU(sum_k alpha_k A^k)."""

    method = "gradcam"

    def channel_weights(self, activations, gradients):
        return gradients.mean(axis=(1, 2))


class GuidedGradCAM(GradCAM):
    """Guided backpropagation (gradients cross a ReLU only where input and
    gradient are both positive) times the upsampled Grad-CAM map."""

    method = "guided"

    def __init__(self, model, layer: str | None = None):
        super().__init__(model, layer)
        self._guided = ModelCall(model, guided=True, gradient_of="input")

    def refine(self, x, exp):
        guided = self._guided(x, exp.targets).gradients
        cam = upsample(exp.attributions, x.shape[1:3])
        attributions = guided * cam[..., None]
        return Explanation(
            heatmap=ig_heatmap(attributions), attributions=attributions.astype(np.float32),
            targets=exp.targets, scores=exp.scores, method=self.method, layer=exp.layer,
            extra={"gradcam": exp.heatmap, "guided_backprop": guided},
        )


def upsample(maps: np.ndarray, size) -> np.ndarray:
    """Bilinear resize of (N, h, w) maps to (N, H, W), half-pixel centres as in
    TF2 and PIL. Bilinear is separable, so it is two small matrix products:
    no eager TensorFlow op on the per-request path."""
    if maps.shape[1:3] == tuple(size):
        return maps.astype(np.float32)
    rows = _bilinear_matrix(maps.shape[1], size[0])
    cols = _bilinear_matrix(maps.shape[2], size[1])
    return (rows @ maps @ cols.T).astype(np.float32)


@functools.lru_cache(maxsize=64)
def _bilinear_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) interpolation weights; edge samples clamp to the border."""
    src = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    low = np.floor(src).astype(int)
    high = np.minimum(low + 1, n_in - 1)
    frac = src - low
    matrix = np.zeros((n_out, n_in))
    np.add.at(matrix, (np.arange(n_out), low), 1 - frac)
    np.add.at(matrix, (np.arange(n_out), high), frac)
    return matrix


def scale_to_unit(maps: np.ndarray) -> np.ndarray:
    """Divide each map by its maximum; an all-zero map (no positive evidence) stays zero."""
    peak = maps.reshape(len(maps), -1).max(axis=1)
    safe = np.where(peak > 0, peak, 1.0)
    return np.clip(maps / safe[:, None, None], 0.0, 1.0).astype(np.float32)
