"""The schema of an audit's summary.json: what `python -m training.evaluate`
writes beside report.html, and what the report and the app's Audit tab read.

One module so that the writer and both readers agree; docs/audit-summary.md
describes every field. `AuditSummary.to_dict()` is the JSON object (NaN is
written as null); `AuditSummary.from_dict` reads one back and raises
SummaryError, a ValueError with a readable message, for a malformed file.
"""
from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

SUMMARY_FILE = "summary.json"
RANDOM_MODEL = "random"  # the localization floor's "model" name


class SummaryError(ValueError):
    """summary.json is missing a field or holds one of the wrong kind."""


def _number(value) -> float | None:
    """A JSON-safe float: NaN and None become None."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


@dataclasses.dataclass
class ModelAudit:
    """One model's accuracy on the val split, overall, per class and per race x gender group."""

    attribute: str
    labels: list[str]
    accuracy: float
    per_class_accuracy: dict[str, float | None]
    race_x_gender_accuracy: dict[str, float]  # "race / gender" -> accuracy
    race_x_gender_sizes: dict[str, int]
    worst_group: str
    worst_group_accuracy: float
    best_minus_worst_group: float
    confusion_matrix: list[list[int]]  # rows: true class, columns: predicted, in `labels` order
    val_images: int


@dataclasses.dataclass
class ModelEntry:
    card: dict[str, Any]  # models.cards.ModelCard.to_dict()
    audit: ModelAudit
    figures: dict[str, str] = dataclasses.field(default_factory=dict)  # kind -> PNG file name beside the summary

    @property
    def synthetic(self) -> bool:
        return bool(self.card.get("synthetic"))


@dataclasses.dataclass
class RaceRow:
    fair: float | None
    biased: float | None
    drop: float | None  # fair - biased


@dataclasses.dataclass
class Comparison:
    """The fair and the census-biased race model, per race."""

    per_race: dict[str, RaceRow]
    fair_model: str | None = None
    biased_model: str | None = None
    accuracy: dict[str, float] = dataclasses.field(default_factory=dict)  # "fair" / "biased" -> accuracy
    worst_group: dict[str, str] = dataclasses.field(default_factory=dict)
    gap: dict[str, float] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class LocalizationScore:
    """Mean scores of one model's maps of one method, over the val images of one class,
    against the mask of the model's cue (xai.localization)."""

    mass_accuracy: float | None  # None: no map had positive mass
    pointing_game: float | None
    images: int = 0
    empty_maps: int = 0  # maps with no positive value (left out of both means): the method saw nothing


@dataclasses.dataclass
class RandomizationCheck:
    """Adebayo et al.'s model-randomisation test: Spearman correlation between each
    image's map from the trained model and from a copy whose top layers are
    re-initialised (xai.metrics.randomization_rank_correlation). Near 1: the map
    does not depend on what the model learned."""

    rank_correlation: float | None  # mean over images (constant maps, nan, left out)
    rank_correlations: list[float | None]
    top_layers: int = 1
    images: int = 0


# {model (or RANDOM_MODEL): {method: {class: score}}}
Localization = dict[str, dict[str, dict[str, LocalizationScore]]]
# {model: {method: {class: {region: share}}}}: the mean over the class's maps of each map's
# models.regions.region_shares (area-normalised; each {region: share} sums to 1)
Regions = dict[str, dict[str, dict[str, dict[str, float]]]]

# Where the face regions of each chip came from (AuditSummary.region_landmarks counts them).
LANDMARK_SOURCES = {
    "predictor": "dlib's 68-point landmark predictor (face_recognition_models) on the chip, in the face "
                 "dlib's HOG detector found there",
    "synthetic": "synthetic cartoons, not faces (dlib's detector is not asked): the generator's own geometry "
                 "(its eyes, mouth and oval, centred by the image's cue mask; brows and nose placed where a face "
                 "has them)",
    "template": "no face found by dlib's HOG detector: dlib's mean face (the 68-point predictor's initial shape) "
                "where the chip's alignment puts it (FairFace's 0.25 framing)",
}


@dataclasses.dataclass
class AuditSummary:
    data: str
    synthetic: bool
    val_images: int
    models: dict[str, ModelEntry]
    figures: dict[str, str] = dataclasses.field(default_factory=dict)
    comparison: Comparison | None = None
    localization: Localization = dataclasses.field(default_factory=dict)
    localization_cue: dict[str, str] = dataclasses.field(default_factory=dict)  # model -> the mask it is scored on
    randomization: dict[str, dict[str, RandomizationCheck]] = dataclasses.field(default_factory=dict)
    regions: Regions = dataclasses.field(default_factory=dict)
    region_landmarks: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)  # model -> {source: chips}

    def to_dict(self) -> dict[str, Any]:
        out = _clean(dataclasses.asdict(self))
        if self.comparison is None:
            del out["comparison"]  # as before this schema: absent when there is nothing to compare
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditSummary:
        try:
            return _parse(data)
        except (KeyError, TypeError, AttributeError, ValueError) as err:
            raise SummaryError(f"not an audit summary ({type(err).__name__}: {err})") from None

    @classmethod
    def coerce(cls, summary: AuditSummary | dict) -> AuditSummary:
        return summary if isinstance(summary, AuditSummary) else cls.from_dict(summary)

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / SUMMARY_FILE
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> AuditSummary:
        """From summary.json, or from the folder that holds it."""
        path = Path(path)
        if path.is_dir():
            path = path / SUMMARY_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise SummaryError(f"{path} is not JSON ({err})") from None
        return cls.from_dict(data)

    def race_models(self) -> dict[str, ModelEntry]:
        return {name: entry for name, entry in self.models.items() if entry.audit.attribute == "race"}


def _clean(value):
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _fields(kind, data: dict) -> dict:
    """The keys of `data` that `kind` declares (unknown keys from newer writers are ignored)."""
    if not isinstance(data, dict):
        raise TypeError(f"{kind.__name__} must be an object, got {type(data).__name__}")
    names = {f.name for f in dataclasses.fields(kind)}
    return {k: v for k, v in data.items() if k in names}


def _parse(data: dict) -> AuditSummary:
    fields = _fields(AuditSummary, data)
    fields["models"] = {name: ModelEntry(**{**_fields(ModelEntry, entry),
                                            "audit": ModelAudit(**_fields(ModelAudit, entry["audit"]))})
                        for name, entry in data["models"].items()}
    if data.get("comparison"):
        comparison = _fields(Comparison, data["comparison"])
        comparison["per_race"] = {race: RaceRow(**_fields(RaceRow, row))
                                  for race, row in comparison["per_race"].items()}
        fields["comparison"] = Comparison(**comparison)
    else:
        fields["comparison"] = None
    fields["localization"] = {
        model: {method: {label: LocalizationScore(**_fields(LocalizationScore, score))
                         for label, score in classes.items()}
                for method, classes in methods.items()}
        for model, methods in (data.get("localization") or {}).items()}
    fields["randomization"] = {
        model: {method: RandomizationCheck(**_fields(RandomizationCheck, check)) for method, check in methods.items()}
        for model, methods in (data.get("randomization") or {}).items()}
    fields["regions"] = {
        model: {method: {label: {region: float(share) for region, share in shares.items()}
                         for label, shares in classes.items()}
                for method, classes in methods.items()}
        for model, methods in (data.get("regions") or {}).items()}
    fields["region_landmarks"] = {model: {source: int(n) for source, n in counts.items()}
                                  for model, counts in (data.get("region_landmarks") or {}).items()}
    summary = AuditSummary(**fields)
    if not isinstance(summary.data, str) or not isinstance(summary.val_images, int):
        raise TypeError("data must be a string and val_images an integer")
    return summary
