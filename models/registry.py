"""The model zoo: every `<name>.keras` + `<name>.json` card in some folders and
in the user cache, which attribute each answers, and in which order.

Listing is cheap: cards are JSON and a `.keras` file is a zip whose
config.json gives its input size and output units, so a corrupt or mismatched
file is reported without importing TensorFlow (the app's cold start). Keras
loads a model only when it is first used, once.

Order for an attribute: user-trained FairFace models first (the balanced one
before the census-biased one), then other models trained on real data (user
folders before the cache), then models trained on synthetic data.
"""
from __future__ import annotations

import dataclasses
import json
import threading
import warnings
import zipfile
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from models.cards import CardError, ModelCard
from models.labels import ATTRIBUTES
from models.preprocessing import get_preprocess


class ModelLoadError(ValueError):
    """A model file is corrupt, or does not match its card."""


USER = "user"
CACHE = "cache"


@dataclasses.dataclass(eq=False)
class LoadedModel:
    """One model on disk with its card; the Keras model loads on first use."""

    card: ModelCard
    path: Path
    origin: str = USER  # USER (a --models folder) or CACHE (imported pretrained)
    error: str | None = None  # set when loading failed; the model is unusable
    _keras: Any = dataclasses.field(default=None, repr=False)
    _forward: Any = dataclasses.field(default=None, repr=False)  # compiled model call, built once
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def attribute(self) -> str:
        return self.card.attribute

    @property
    def is_loaded(self) -> bool:
        return self._keras is not None

    @property
    def keras_model(self):
        """The Keras model, loaded once (thread-safe); ModelLoadError if it cannot be."""
        if self._keras is None:
            with self._lock:
                if self._keras is None:
                    self._keras = self._load()
        return self._keras

    def _load(self):
        if self.error:
            raise ModelLoadError(self.error)
        try:
            import keras

            model = keras.saving.load_model(self.path, compile=False)
            _check_loaded(model, self.card, self.path)
        except Exception as err:  # Keras raises many types for a bad file
            message = err.args[0] if isinstance(err, ModelLoadError) else f"{self.path}: cannot load: {err}"
            self.error = message
            raise ModelLoadError(message) from err
        return model

    def preprocess(self, pixels: np.ndarray) -> np.ndarray:
        """RGB pixels in [0, 255], (N, S, S, 3), to this model's input."""
        return get_preprocess(self.card.input.preprocessing)(np.asarray(pixels, dtype=np.float32))

    def predict(self, chips: np.ndarray) -> np.ndarray:
        """Probabilities (N, K) over card.labels for uint8 chips (N, S, S, 3)."""
        chips = np.asarray(chips)
        if chips.ndim == 3:
            chips = chips[None]
        size = self.card.input.size
        if chips.ndim != 4 or chips.shape[1:] != (size, size, 3):
            raise ValueError(
                f"{self.name} expects chips of shape (N, {size}, {size}, 3) "
                f"(see its card's input contract), got {chips.shape}"
            )
        probs = self._compiled_forward()(self.preprocess(chips))
        return np.asarray(probs, dtype=np.float64)

    def _compiled_forward(self):
        """The model's inference call as one tf.function (an eager call costs several
        times a compiled one); traced once per batch size, kept with the model."""
        if self._forward is None:
            model = self.keras_model
            import tensorflow as tf

            self._forward = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
        return self._forward

    @property
    def rank(self) -> int:
        """0 user FairFace, 1 user FairFace biased, 2 other real data, 3 synthetic."""
        card = self.card
        if card.synthetic:
            return 3
        if self.origin == USER and card.training_data.startswith("FairFace"):
            biased = card.extra.get("biased") or "biased" in card.training_data
            return 1 if biased else 0
        return 2


@dataclasses.dataclass
class Registry:
    """The models found, best first per attribute, and what could not be loaded."""

    models: list[LoadedModel]
    load_problems: list[str] = dataclasses.field(default_factory=list)
    dirs: tuple[Path, ...] = ()

    @property
    def problems(self) -> list[str]:
        """Files skipped while listing, and models that later failed to load."""
        return self.load_problems + [m.error for m in self.models if m.error]

    def for_attribute(self, attribute: str) -> list[LoadedModel]:
        if attribute not in ATTRIBUTES:
            raise ValueError(f"attribute must be one of {ATTRIBUTES}, got {attribute!r}")
        return [m for m in self.models if m.attribute == attribute and not m.error]

    def attributes(self) -> tuple[str, ...]:
        return tuple(a for a in ATTRIBUTES if self.for_attribute(a))

    def get(self, name: str) -> LoadedModel:
        for model in self.models:
            if model.name == name:
                return model
        raise KeyError(f"no model named {name!r}; known: {[m.name for m in self.models]}")

    def __iter__(self) -> Iterator[LoadedModel]:
        return iter(self.models)

    def __len__(self) -> int:
        return len(self.models)


def load_registry(
    dirs: str | Path | Iterable[str | Path] | None = None, include_cache: bool = True
) -> Registry:
    """Every model in `dirs` (user folders, e.g. --models DIR) and, with
    `include_cache`, in models.cache.models_dir(). Bad files are skipped with a
    warning and listed in `Registry.problems`; nothing here imports TensorFlow."""
    from models.cache import models_dir

    if isinstance(dirs, (str, Path)):
        dirs = [dirs]
    folders = [(Path(d), USER) for d in (dirs or [])]
    if include_cache:
        folders.append((models_dir(), CACHE))
    found: list[LoadedModel] = []
    problems: list[str] = []
    for folder, origin in folders:
        if not folder.is_dir():
            if origin == USER:
                problems.append(f"{folder}: no such folder")
            continue
        for path in sorted(folder.glob("*.keras")):
            try:
                found.append(load_model_file(path, origin))
            except ModelLoadError as err:
                problems.append(str(err))
    models = _without_duplicates(found, problems)
    for problem in problems:
        warnings.warn(problem, stacklevel=2)
    order = {id(m): i for i, m in enumerate(models)}
    models.sort(key=lambda m: (m.rank, order[id(m)]))
    return Registry(models=models, load_problems=problems, dirs=tuple(f for f, _ in folders))


def _without_duplicates(models: list[LoadedModel], problems: list[str]) -> list[LoadedModel]:
    kept: dict[str, LoadedModel] = {}
    for model in models:
        if model.name in kept:
            problems.append(f"{model.path}: model name {model.name!r} already taken by {kept[model.name].path}; skipped")
        else:
            kept[model.name] = model
    return list(kept.values())


def load_model_file(path: str | Path, origin: str = USER) -> LoadedModel:
    """Check one `.keras` file and its card without loading Keras."""
    path = Path(path)
    try:
        card = ModelCard.load(path.with_suffix(".json"))
    except CardError as err:
        raise ModelLoadError(f"{path}: {err}") from err
    try:
        get_preprocess(card.input.preprocessing)
    except ValueError as err:
        raise ModelLoadError(f"{path}: card {card.name!r}: {err}") from err
    config = _read_keras_config(path)
    try:
        units = output_units(config)
    except ModelLoadError as err:
        raise ModelLoadError(f"{path}: {err}") from err
    if units is not None and units != len(card.labels):
        raise ModelLoadError(
            f"{path}: the model outputs {units} classes but its card lists "
            f"{len(card.labels)} labels {list(card.labels)}"
        )
    shape = input_shape(config)
    size = card.input.size
    if shape is not None and tuple(shape[1:3]) not in ((size, size), (None, None)):
        raise ModelLoadError(
            f"{path}: the model takes {shape[1]}x{shape[2]} inputs but its card says {size}x{size}"
        )
    return LoadedModel(card=card, path=path, origin=origin)


def _read_keras_config(path: Path) -> dict:
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


def _check_loaded(model, card: ModelCard, path: Path) -> None:
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
