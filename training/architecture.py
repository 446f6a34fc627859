"""The paper's classifier: a Keras application backbone, its first 14 layers
frozen, and a small head of "self-defined layers" on top.

The paper does not say what its head was. We use GlobalAveragePooling2D ->
Dense(256, relu) -> Dropout(0.5) -> Dense(num_classes) (the logits) -> Softmax,
the usual transfer-learning head; the separate Softmax layer lets xai explain
the pre-softmax logit.

The model is ONE flat functional graph: the backbone is built on our own Input
tensor (`input_tensor=`), so its conv layers are layers of the returned model
and Grad-CAM can find the last one by name.
"""
from __future__ import annotations

from pathlib import Path

import keras

PAPER_FROZEN_LAYERS = 14
HEAD_UNITS = 256
HEAD_DROPOUT = 0.5

# backbone -> models.preprocessing name its inputs need (written into the card).
BACKBONE_PREPROCESSING = {
    "resnet50": "resnet50",
    "mobilenet_v2": "mobilenet_v2",
    "efficientnet_b0": "efficientnet",
    "small_cnn": "unit",
}

_APPLICATIONS = {
    "resnet50": keras.applications.ResNet50,
    "mobilenet_v2": keras.applications.MobileNetV2,
    "efficientnet_b0": keras.applications.EfficientNetB0,
}

# Smallest input each application accepts without its feature map vanishing.
_MIN_INPUT = {"resnet50": 32, "mobilenet_v2": 32, "efficientnet_b0": 32, "small_cnn": 16}


class ArchitectureError(ValueError):
    """An unknown backbone, an impossible input size or unusable weights."""


def build_model(
    num_classes: int,
    backbone: str = "resnet50",
    weights: str | Path | None = None,
    input_size: int = 224,
    frozen_layers: int | str | None = None,
    dropout: float = HEAD_DROPOUT,
    head_units: int = HEAD_UNITS,
    name: str | None = None,
) -> keras.Model:
    """Build the paper's classifier; outputs softmax probabilities (N, num_classes).

    weights: None (random), "imagenet" (downloads through Keras), or a path to
        a backbone weights file (e.g. Keras' *_notop.h5).
    frozen_layers: how many of the backbone's first layers (Keras' own layer
        order, the Input layer included) keep their weights fixed. None means
        the paper's 14 for the Keras applications and 0 for small_cnn, whose
        random weights would be pointless to freeze; "all" freezes the whole
        backbone (the fast frozen-features recipe trains only the head).
    """
    _check_arguments(num_classes, backbone, input_size, weights)
    inputs = keras.Input((input_size, input_size, 3), name="image")
    features = _backbone_output(backbone, inputs, weights)
    _freeze(features, backbone, frozen_layers)
    outputs = _head(features.output, num_classes, head_units, dropout)
    return keras.Model(inputs, outputs, name=name or f"{backbone}_classifier")


def backbone_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The layers before the head (the ones frozen_layers counts)."""
    names = [layer.name for layer in model.layers]
    return model.layers[: names.index("head_pool")]


def head_layer_names() -> tuple[str, ...]:
    return ("head_pool", "head_dense", "head_dropout", "logits", "probabilities")


def _check_arguments(num_classes, backbone, input_size, weights):
    if backbone not in BACKBONE_PREPROCESSING:
        raise ArchitectureError(f"unknown backbone {backbone!r}; known: {sorted(BACKBONE_PREPROCESSING)}")
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ArchitectureError(f"num_classes must be an int >= 2, got {num_classes!r}")
    if input_size < _MIN_INPUT[backbone]:
        raise ArchitectureError(f"{backbone} needs input_size >= {_MIN_INPUT[backbone]}, got {input_size}")
    if backbone == "small_cnn" and weights is not None:
        raise ArchitectureError("small_cnn has no pretrained weights; pass weights=None")
    if weights not in (None, "imagenet") and not Path(weights).is_file():
        raise ArchitectureError(f"backbone weights file not found: {weights}")


def _backbone_output(backbone: str, inputs, weights) -> keras.Model:
    if backbone == "small_cnn":
        return _small_cnn(inputs)
    weights = None if weights is None else str(weights)
    try:
        return _APPLICATIONS[backbone](include_top=False, weights=weights, input_tensor=inputs)
    except Exception as err:  # download failures and shape mismatches alike
        raise ArchitectureError(f"could not load {backbone} weights {weights!r}: {err}") from err


def _small_cnn(inputs) -> keras.Model:
    """Four conv blocks, for tests and fast CPU demos; not the paper's model."""
    x = inputs
    for i, filters in enumerate((16, 32, 64, 64), start=1):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{i}")(x)
        if i < 4:
            x = keras.layers.MaxPooling2D(2, name=f"pool{i}")(x)
    return keras.Model(inputs, x, name="small_cnn")


def _freeze(backbone_model: keras.Model, backbone: str, frozen_layers) -> None:
    if frozen_layers is None:
        frozen_layers = 0 if backbone == "small_cnn" else PAPER_FROZEN_LAYERS
    layers = backbone_model.layers
    if frozen_layers == "all":
        frozen_layers = len(layers)
    if not isinstance(frozen_layers, int) or frozen_layers < 0:
        raise ArchitectureError(f"frozen_layers must be None, 'all' or an int >= 0, got {frozen_layers!r}")
    for layer in layers[:frozen_layers]:
        layer.trainable = False


def _head(features, num_classes: int, units: int, dropout: float):
    x = keras.layers.GlobalAveragePooling2D(name="head_pool")(features)
    x = keras.layers.Dense(units, activation="relu", name="head_dense")(x)
    x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    logits = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.layers.Softmax(name="probabilities")(logits)
