"""The model zoo: every `<name>.keras` + `<name>.json` card in some folders and
in the user cache, which attribute each answers, and in which order.

Listing is cheap: cards are JSON and a `.keras` file is a zip whose
config.json gives its input size and output units, so a corrupt or mismatched
file is reported without importing TensorFlow (the app's cold start). Keras
loads a model only when it is first used, once (models.handle); the file
reader is models.keras_file.

Order for an attribute: user-trained FairFace models first (the balanced one
before the census-biased one), then other models trained on real data (user
folders before the cache), then models trained on synthetic data.
"""
from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

from models.cache import models_dir
from models.cards import CardError, ModelCard
from models.handle import CACHE, USER, LoadedModel, ModelHandle
from models.keras_file import ModelLoadError, input_shape, output_units, read_keras_config
from models.labels import ATTRIBUTES
from models.preprocessing import get_preprocess

# Re-exported: code and tests import these from models.registry.
__all__ = [
    "CACHE",
    "USER",
    "LoadedModel",
    "ModelHandle",
    "ModelLoadError",
    "Registry",
    "input_shape",
    "load_model_file",
    "load_registry",
    "output_units",
]


@dataclasses.dataclass
class Registry:
    """The models found, best first per attribute, and what could not be loaded."""

    models: list[ModelHandle]
    load_problems: list[str] = dataclasses.field(default_factory=list)
    dirs: tuple[Path, ...] = ()

    @property
    def problems(self) -> list[str]:
        """Files skipped while listing, and models that later failed to load."""
        return self.load_problems + [m.error for m in self.models if m.error]

    def for_attribute(self, attribute: str) -> list[ModelHandle]:
        if attribute not in ATTRIBUTES:
            raise ValueError(f"attribute must be one of {ATTRIBUTES}, got {attribute!r}")
        return [m for m in self.models if m.attribute == attribute and not m.error]

    def attributes(self) -> tuple[str, ...]:
        return tuple(a for a in ATTRIBUTES if self.for_attribute(a))

    def get(self, name: str) -> ModelHandle:
        for model in self.models:
            if model.name == name:
                return model
        raise KeyError(f"no model named {name!r}; known: {[m.name for m in self.models]}")

    def __iter__(self) -> Iterator[ModelHandle]:
        return iter(self.models)

    def __len__(self) -> int:
        return len(self.models)


def load_registry(
    dirs: str | Path | Iterable[str | Path] | None = None, include_cache: bool = True
) -> Registry:
    """Every model in `dirs` (user folders, e.g. --models DIR) and, with
    `include_cache`, in models.cache.models_dir(). Bad files are skipped with a
    warning and listed in `Registry.problems`; nothing here imports TensorFlow."""
    if isinstance(dirs, (str, Path)):
        dirs = [dirs]
    folders = [(Path(d), USER) for d in (dirs or [])]
    if include_cache:
        folders.append((models_dir(), CACHE))
    found: list[ModelHandle] = []
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


def _without_duplicates(models: list[ModelHandle], problems: list[str]) -> list[ModelHandle]:
    kept: dict[str, ModelHandle] = {}
    for model in models:
        if model.name in kept:
            taken = kept[model.name].path
            problems.append(f"{model.path}: model name {model.name!r} already taken by {taken}; skipped")
        else:
            kept[model.name] = model
    return list(kept.values())


def load_model_file(path: str | Path, origin: str = USER) -> ModelHandle:
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
    config = read_keras_config(path)
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
    return ModelHandle(card=card, path=path, origin=origin)
