"""Is a heatmap faithful to the model? Deletion / insertion AUC and the
model-randomisation sanity check.

Deletion and insertion (Petsiuk et al., RISE, 2018): pixels are removed from
the image (or inserted into a baseline) most important first, and the
probability of the explained class is recorded at each step; the area under
that curve is low for a faithful map under deletion and high under insertion.

Randomisation (Adebayo et al., 2018): a map that hardly changes when the
model's top layers are re-initialised does not explain the trained model.
"""
from __future__ import annotations

import keras
import numpy as np
from scipy.stats import spearmanr

from xai.baselines import make_baseline


def deletion_auc(model, images, heatmaps, targets, steps: int = 20, baseline="black",
                 preprocess=None, batch_size: int = 32) -> np.ndarray:
    """(N,) area under p(target) as the most important pixels are replaced by `baseline`.

    model: a Keras model or any callable mapping a batch to (N, K) probabilities.
    """
    return _curve_auc(model, images, heatmaps, targets, steps, baseline, preprocess, batch_size, insert=False)


def insertion_auc(model, images, heatmaps, targets, steps: int = 20, baseline="blur",
                  preprocess=None, batch_size: int = 32) -> np.ndarray:
    """(N,) area under p(target) as the most important pixels are put back into
    `baseline` (RISE starts from a blurred copy)."""
    return _curve_auc(model, images, heatmaps, targets, steps, baseline, preprocess, batch_size, insert=True)


def _curve_auc(model, images, heatmaps, targets, steps, baseline, preprocess, batch_size, insert):
    x, maps, t = _check_inputs(images, heatmaps, targets)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer; got {steps!r}")
    base = make_baseline(baseline, x, preprocess)
    aucs = []
    for image, background, heat, target in zip(x, base, maps, t):
        masks = _top_pixel_masks(heat, steps)[..., None]  # (steps+1, H, W, 1): True = shown from `image`
        shown = masks if insert else ~masks
        batch = np.where(shown, image, background)
        probs = _predict(model, batch, batch_size)[:, target]
        aucs.append(np.trapezoid(probs, dx=1.0 / steps))
    return np.asarray(aucs, dtype=np.float32)


def _top_pixel_masks(heatmap, steps):
    """Mask s marks the round(s/steps * P) highest-scoring pixels (ties: first in raster order)."""
    order = np.argsort(-heatmap.ravel(), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    counts = np.rint(np.linspace(0, order.size, steps + 1)).astype(int)
    return (rank[None, :] < counts[:, None]).reshape(steps + 1, *heatmap.shape)


def _check_inputs(images, heatmaps, targets):
    x = np.asarray(images, dtype=np.float32)
    maps = np.asarray(heatmaps, dtype=np.float32)
    t = np.asarray(targets)
    if x.ndim != 4 or maps.shape != x.shape[:3]:
        raise ValueError(f"need images (N, H, W, C) and heatmaps (N, H, W) of the same size; got {x.shape} and {maps.shape}")
    if t.shape != (len(x),) or not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"need one integer target per image; got {targets!r}")
    return x, maps, t


def _predict(model, batch, batch_size):
    outs = []
    for start in range(0, len(batch), batch_size):
        chunk = batch[start:start + batch_size]
        out = model(chunk, training=False) if isinstance(model, keras.Layer) else model(chunk)
        outs.append(np.asarray(out))
    probs = np.concatenate(outs)
    if probs.ndim != 2:
        raise ValueError(f"the model must return (N, classes) probabilities; got shape {probs.shape}")
    return probs


def randomization_rank_correlation(model, explainer, images, targets=None, top_layers: int = 1,
                                   seed: int = 0) -> np.ndarray:
    """(N,) Spearman rank correlation between each image's heatmap from `model`
    and from a copy whose top `top_layers` weighted layers are re-initialised
    with their own initialisers (Adebayo et al.'s cascading randomisation).

    explainer: builds a method from a model, e.g. `GradCAM` or
    `lambda m: IntegratedGradients(m, steps=16)`. Both maps explain the
    trained model's target. A constant map has no ranking: its value is nan.
    """
    trained = explainer(model).explain(images, targets)
    scrambled = randomized_copy(model, top_layers, seed)
    random_maps = explainer(scrambled).explain(images, trained.targets).heatmap
    return np.asarray([
        spearmanr(a.ravel(), b.ravel()).statistic for a, b in zip(trained.heatmap, random_maps)
    ], dtype=np.float32)


def randomized_copy(model, top_layers: int = 1, seed: int = 0):
    """A clone of `model` with the same weights except the last `top_layers`
    layers that have weights (counted through nested models), re-initialised."""
    layers = list(_weighted_layers(model))
    if not 1 <= top_layers <= len(layers):
        raise ValueError(f"top_layers must be between 1 and {len(layers)} (layers with weights); got {top_layers}")
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    for i, layer in enumerate(list(_weighted_layers(copy))[-top_layers:]):
        _reinitialize(layer, seed + 1000 * i)
    return copy


def _weighted_layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _weighted_layers(layer)
        elif layer.weights:
            yield layer


def _reinitialize(layer, seed):
    for j, variable in enumerate(layer.weights):
        name = variable.name.split("/")[-1]
        init = getattr(layer, f"{name}_initializer", None) or getattr(layer, name.replace("_kernel", "") + "_initializer", None)
        if init is None:
            init = "glorot_uniform" if len(variable.shape) >= 2 else "zeros"
        init = keras.initializers.get(init)
        config = init.get_config()
        if "seed" in config:
            init = type(init).from_config({**config, "seed": seed + j})
        variable.assign(init(variable.shape, dtype=variable.dtype))
