"""The schema of an audit's summary.json: what `python -m training.evaluate`
writes beside report.html, and what the report and the app's Audit tab read.

The one schema shared across rooms: training/ writes it and reads it back for the
report; vqa/ (audit, confidence, the lab) and models.calibration read it. It lives
in models/, not training/, because vqa may import models but not training
(.importlinter). One module, so that the writer and the readers agree;
docs/audit-summary.md describes every field. `AuditSummary.to_dict()` is the JSON
object (NaN is written as null); `AuditSummary.from_dict` reads one back and raises
SummaryError, a ValueError with a readable message, for a malformed file.
"""
from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

SUMMARY_FILE = "summary.json"
# A model audit's parts that summaries written before them lack: absent, not null, when not measured.
OPTIONAL_AUDIT_PARTS = ("calibration", "conformal", "intervals", "skin_tone")
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
class Proportion:
    """A share of faces (an accuracy, or how often an answer was right) with its n and
    95% Wilson score interval (models.calibration.wilson)."""

    accuracy: float | None  # None: no faces
    low: float | None
    high: float | None
    n: int

    @property
    def count(self) -> int:
        """How many of the n faces (the share's numerator: "right r of n times")."""
        return 0 if self.accuracy is None else round(self.accuracy * self.n)


@dataclasses.dataclass
class Gap:
    """Best group's accuracy minus the worst's, with a 95% interval (Newcombe's hybrid score
    interval for a difference of two independent proportions; the groups were picked after
    looking, so read it as a guide, not a test)."""

    value: float
    low: float
    high: float


@dataclasses.dataclass
class Intervals:
    """Every accuracy of the audit with its n and 95% interval. Cells of fewer than
    `min_cell` faces are shown greyed out and are left out of worst_group and gap."""

    per_class: dict[str, Proportion]
    race_x_gender: dict[str, Proportion]  # "race / gender"
    race_x_gender_x_age: dict[str, Proportion]  # "race / gender / age"
    min_cell: int = 30
    overall: Proportion | None = None  # the whole val split
    worst_group: str | None = None  # among race x gender cells of >= min_cell faces; None: fewer than two such cells
    best_group: str | None = None
    gap: Gap | None = None


@dataclasses.dataclass
class ClassCalibration:
    ece_before: float | None  # top-label ECE over the eval half's faces of this true class
    ece_after: float | None
    n: int


@dataclasses.dataclass
class CalibrationAudit:
    """Temperature scaling fitted on the fit half of the val split, ECE measured on the
    eval half (15 equal-width bins of the top label's probability)."""

    temperature: float
    fit_images: int
    eval_images: int
    ece_before: float | None
    ece_after: float | None
    per_class: dict[str, ClassCalibration]
    bins: int = 15
    seed: int = 0  # of the split (stratified by the model's attribute; predictions.csv's "split" column)
    # Over all val faces: when the model said this label, how often it was right (Wilson interval).
    when_said: dict[str, Proportion] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class ClassCoverage:
    coverage: float | None  # share of the eval half's faces of this true class whose set holds it
    mean_set_size: float | None
    n: int
    qhat: float = 1.0  # the label joins a set when 1 - its calibrated probability is at most qhat


@dataclasses.dataclass
class ConformalAudit:
    """Class-conditional (Mondrian) split conformal prediction sets: fitted on the fit
    half, measured on the eval half (age sets: contiguous ranges of age groups)."""

    alpha: float
    coverage: float | None
    mean_set_size: float | None
    per_class: dict[str, ClassCoverage]


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
    calibration: CalibrationAudit | None = None
    conformal: ConformalAudit | None = None
    intervals: Intervals | None = None
    skin_tone: dict[str, Proportion] = dataclasses.field(default_factory=dict)  # ITA category -> accuracy


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


# What the confidence parts measure, in words the report and the Audit tab both quote.
CALIBRATION_NOTE = (
    "A model's softmax often says 100% where it is right far less often. The val split is halved (seeded, "
    "stratified by the model's attribute); on the fit half one temperature T is fitted (softmax(log p / T), "
    "minimising the negative log-likelihood), and on the other half the expected calibration error (ECE: 15 "
    "equal-width bins of the top label's probability, the gap between what it said and how often it was "
    "right) is measured before and after. One T cannot fix a model that is sure and wrong on some groups "
    "only: read the per-class ECE.")
CONFORMAL_NOTE = (
    "Prediction sets: class-conditional (Mondrian) split conformal prediction fitted on the fit half, so that "
    "for faces of each class the set holds the true label at least 1 - alpha of the time; measured on the eval "
    "half. Age sets are contiguous ranges of age groups. Large sets are where the model does not know.")
INTERVALS_NOTE = (
    "Every accuracy carries its n and a 95% Wilson interval. Cells of fewer than {min_cell} faces are greyed "
    "out and left out of the worst group; the best-minus-worst gap carries Newcombe's interval (the two groups "
    "were picked after looking, so it is a guide, not a test).")


def interval_text(share: Proportion | None) -> str:
    """"45.0% [26.0-65.0%]" (the 95% interval), or "n/a" for no faces."""
    if share is None or share.accuracy is None:
        return "n/a"
    return f"{share.accuracy:.1%} [{share.low:.1%}-{share.high:.1%}]"


def gap_text(gap: Gap | None) -> str:
    return "n/a" if gap is None else f"{gap.value:.1%} [{gap.low:.1%} to {gap.high:.1%}]"


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
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)  # model -> why it was not audited

    def to_dict(self) -> dict[str, Any]:
        out = _clean(dataclasses.asdict(self))
        if self.comparison is None:
            del out["comparison"]  # as before this schema: absent when there is nothing to compare
        for entry in out["models"].values():  # the same for a model's newer parts
            for key in OPTIONAL_AUDIT_PARTS:
                if not entry["audit"].get(key):
                    entry["audit"].pop(key, None)
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
    fields["models"] = {name: ModelEntry(**{**_fields(ModelEntry, entry), "audit": _model_audit(entry["audit"])})
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
    fields["skipped"] = {str(model): str(why) for model, why in (data.get("skipped") or {}).items()}
    summary = AuditSummary(**fields)
    if not isinstance(summary.data, str) or not isinstance(summary.val_images, int):
        raise TypeError("data must be a string and val_images an integer")
    return summary


def _proportions(data: dict | None) -> dict[str, Proportion]:
    return {key: Proportion(**_fields(Proportion, value)) for key, value in (data or {}).items()}


def _model_audit(data: dict) -> ModelAudit:
    """A model's audit; the parts newer than the first schema are optional."""
    fields = _fields(ModelAudit, data)
    if fields.get("calibration"):
        calibration = _fields(CalibrationAudit, fields["calibration"])
        calibration["per_class"] = {c: ClassCalibration(**_fields(ClassCalibration, v))
                                    for c, v in calibration["per_class"].items()}
        calibration["when_said"] = _proportions(calibration.get("when_said"))
        fields["calibration"] = CalibrationAudit(**calibration)
    if fields.get("conformal"):
        conformal = _fields(ConformalAudit, fields["conformal"])
        conformal["per_class"] = {c: ClassCoverage(**_fields(ClassCoverage, v))
                                  for c, v in conformal["per_class"].items()}
        fields["conformal"] = ConformalAudit(**conformal)
    if fields.get("intervals"):
        intervals = _fields(Intervals, fields["intervals"])
        for table in ("per_class", "race_x_gender", "race_x_gender_x_age"):
            intervals[table] = _proportions(intervals[table])
        if intervals.get("gap"):
            intervals["gap"] = Gap(**_fields(Gap, intervals["gap"]))
        if intervals.get("overall"):
            intervals["overall"] = Proportion(**_fields(Proportion, intervals["overall"]))
        fields["intervals"] = Intervals(**intervals)
    fields["skin_tone"] = _proportions(fields.get("skin_tone"))
    return ModelAudit(**fields)
