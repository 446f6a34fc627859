"""Model cards: the JSON file beside every `.keras` model.

A card says what the model answers (attribute + labels in output order), how a
face must be cropped and preprocessed for it (the input contract), and what it
was trained on, so that every answer can name its provenance.

Layout on disk:  <dir>/<name>.keras  and  <dir>/<name>.json
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from models.labels import ATTRIBUTES

CARD_VERSION = 1
# Card text kept as data beside the code: the pretrained importers' prose and
# the terms of the helper models (landmarks, detectors) that answer nothing.
CARD_DATA = Path(__file__).with_name("card_data")


class CardError(ValueError):
    """A model card is missing, unreadable or inconsistent."""


@dataclasses.dataclass(frozen=True)
class InputContract:
    """How a face chip is made and preprocessed for one model.

    size: square chip side in pixels.
    padding: dlib-style padding around the 5-point aligned face (FairFace: 0.25).
    preprocessing: name understood by models.preprocessing (e.g. "resnet50",
        "mobilenet_v2", "efficientnet", "unit", "raw"): maps RGB uint8-range
        pixels to the model's input.
    """

    size: int = 224
    padding: float = 0.25
    preprocessing: str = "resnet50"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class ModelCard:
    name: str
    attribute: str  # one of models.labels.ATTRIBUTES
    labels: tuple[str, ...]  # in output order
    input: InputContract = InputContract()
    training_data: str = ""  # e.g. "FairFace", "FairFace, census-biased subset"
    label_space: str = ""  # e.g. "FairFace race (7)", "UTKFace race (5)"
    metrics: dict[str, Any] = dataclasses.field(default_factory=dict)
    license: str = ""
    source: str = ""
    description: str = ""
    synthetic: bool = False  # trained on generated data: not for real faces
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if self.attribute not in ATTRIBUTES:
            raise CardError(f"card {self.name!r}: attribute must be one of {ATTRIBUTES}, got {self.attribute!r}")
        if len(self.labels) < 2:
            raise CardError(f"card {self.name!r}: needs at least 2 labels, got {list(self.labels)}")
        object.__setattr__(self, "labels", tuple(self.labels))

    @property
    def provenance(self) -> str:
        """One line a person can read: which model, trained on what."""
        data = self.training_data or "unknown data"
        if self.synthetic:
            data += " (SYNTHETIC: not meaningful on real faces)"
        return f"{self.name}, trained on {data}"

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["labels"] = list(self.labels)
        out["card_version"] = CARD_VERSION
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCard:
        data = dict(data)
        data.pop("card_version", None)
        try:
            data["input"] = InputContract(**data.get("input", {}))
            known = {f.name for f in dataclasses.fields(cls)}
            unknown = set(data) - known
            if unknown:
                raise CardError(f"unknown card fields: {sorted(unknown)}")
            return cls(**data)
        except TypeError as err:
            raise CardError(f"malformed model card: {err}") from err

    def save(self, path: str | Path) -> Path:
        path = Path(path).with_suffix(".json")
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path) -> ModelCard:
        path = Path(path).with_suffix(".json")
        if not path.is_file():
            raise CardError(f"no model card at {path}")
        try:
            data = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise CardError(f"unreadable model card {path}: {err}") from err
        if not isinstance(data, dict):
            raise CardError(f"model card {path} is not a JSON object")
        return cls.from_dict(data)


@dataclasses.dataclass(frozen=True)
class AssetCard:
    """A model that answers no question but shapes the answers (a landmark
    predictor, a face detector): where it comes from and on what terms."""

    name: str
    file: str
    role: str
    source: str
    training_data: str
    license: str
    terms: str
    package: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def face_recognition_models_cards() -> dict[str, AssetCard]:
    """The cards of the face_recognition_models files this project uses:
    "landmarks68" (non-commercial: trained on iBUG 300-W) and "mmod_detector"."""
    data = json.loads((CARD_DATA / "face_recognition_models.json").read_text())
    return {key: AssetCard(package=data["package"], **card) for key, card in data["models"].items()}
