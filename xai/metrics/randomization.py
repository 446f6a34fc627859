"""The model-randomisation sanity check (Adebayo et al., 2018): a map that
hardly changes when the model's top layers are re-initialised does not
explain the trained model."""
from __future__ import annotations

import keras
import numpy as np
from scipy.stats import spearmanr


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
        init = (getattr(layer, f"{name}_initializer", None)
                or getattr(layer, name.replace("_kernel", "") + "_initializer", None))
        if init is None:
            init = "glorot_uniform" if len(variable.shape) >= 2 else "zeros"
        init = keras.initializers.get(init)
        config = init.get_config()
        if "seed" in config:
            init = type(init).from_config({**config, "seed": seed + j})
        variable.assign(init(variable.shape, dtype=variable.dtype))
