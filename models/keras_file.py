"""Reading a saved Keras 3 `.keras` file without TensorFlow: a zip whose config.json
tells the model's input size and output units, so the zoo can refuse a corrupt
or mismatched file at listing time (the app's cold start), and the check made
again once Keras has loaded it.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

from models.cards import ModelCard


class ModelLoadError(ValueError):
    """A model file is corrupt, or does not match its card."""


def read_keras_config(path: Path) -> dict:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "config.json" not in names or "model.weights.h5" not in names:
                raise ModelLoadError(f"{path}: not a Keras 3 model file (config.json or weights missing)")
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelLoadError(f"{path}: corrupt .keras file ({err})") from err
    if not isinstance(config, dict):
        raise ModelLoadError(f"{path}: corrupt .keras file (config is not an object)")
    return config


def output_units(config: dict) -> int | None:
    """Classes the model outputs, read from a saved config: the units of the last
    Dense layer feeding the single output. None when the graph is too unusual
    to tell statically (checked at load time instead)."""
    inner = config.get("config", {})
    layers = inner.get("layers") or []
    if config.get("class_name") == "Sequential":
        for layer in reversed(layers):
            if "units" in layer.get("config", {}):
                return int(layer["config"]["units"])
        return None
    outputs = inner.get("output_layers")
    if not outputs:
        return None
    if isinstance(outputs[0], list):
        if len(outputs) != 1:
            raise ModelLoadError(f"the model has {len(outputs)} outputs; one attribute per file is expected")
        outputs = outputs[0]
    by_name = {layer.get("name"): layer for layer in layers}
    name = outputs[0]
    for _ in range(len(layers)):
        layer = by_name.get(name)
        if layer is None:
            return None
        if "units" in layer.get("config", {}):
            return int(layer["config"]["units"])
        parents = _inbound_layer_names(layer)
        if len(parents) != 1:
            return None
        name = parents[0]
    return None


def _inbound_layer_names(layer: dict) -> list[str]:
    names = []
    for node in layer.get("inbound_nodes") or []:
        for arg in node.get("args", []) if isinstance(node, dict) else []:
            history = arg.get("config", {}).get("keras_history") if isinstance(arg, dict) else None
            if history:
                names.append(history[0])
    return names


def input_shape(config: dict) -> list | None:
    """The batch input shape, e.g. [None, 224, 224, 3], read from a saved config."""
    inner = config.get("config", {})
    for layer in inner.get("layers") or []:
        if layer.get("class_name") == "InputLayer":
            shape = layer.get("config", {}).get("batch_shape")
            if shape and len(shape) == 4:
                return shape
    shape = inner.get("build_input_shape")
    return shape if shape and len(shape) == 4 else None


def check_loaded(model, card: ModelCard, path: Path) -> None:
    outputs = model.outputs if hasattr(model, "outputs") else None
    if outputs is not None and len(outputs) != 1:
        raise ModelLoadError(f"{path}: the model has {len(outputs)} outputs; one attribute per file is expected")
    units = model.output_shape[-1]
    if units != len(card.labels):
        raise ModelLoadError(
            f"{path}: the model outputs {units} classes but its card lists {len(card.labels)} labels"
        )
    shape = tuple(model.input_shape[1:3])
    size = card.input.size
    if shape not in ((size, size), (None, None)):
        raise ModelLoadError(f"{path}: the model takes {shape} inputs but its card says {size}x{size}")
