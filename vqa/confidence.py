"""Confidence you can check: an answer with its calibration, when its model has one.

A model's raw softmax can say 100% for a model that is right far less often. An
audit (`python -m training.evaluate`) fits, per model, a temperature and a
class-conditional conformal threshold on half of its labelled val set, and
counts on the other half how often each answer was right
(models.calibration). Here one answer gets:

- calibrated_confidence: the probability of the answer given, from the
  temperature-scaled probabilities;
- prediction_set: the labels that hold the truth 90% of the time (alpha 0.1)
  on the audit's eval half, for each class separately;
- calibration: where that came from (which audit, how many images, synthetic);
- audit: when the model said this label, how often it was right, with a 95%
  interval.

A model without a calibration keeps its raw softmax, and says so.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, NamedTuple

from models.audit_summary import AuditSummary, SummaryError
from models.calibration import ALPHA, Calibration, CalibrationError, load_calibrations
from models.cards import ModelCard
from vqa.answers import Answer, answer_for
from vqa.router import Check, Intent

NOT_CALIBRATED = "not calibrated: this is the model's raw softmax"


@dataclasses.dataclass(frozen=True)
class CalibrationSource:
    """Where an answer's calibration came from; to_dict() is answers[].calibration."""

    source: str  # the audit, in words (no server path)
    images: int  # labelled faces it was fitted and measured on (fit + eval halves)
    synthetic: bool  # fitted on the generated set: the numbers mean nothing about real faces
    # The audit's reliability diagram of this model (a PNG the page shows beside the answer);
    # a server path, so never in the JSON.
    figure: Path | None = dataclasses.field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "images": self.images, "synthetic": self.synthetic}


@dataclasses.dataclass(frozen=True)
class AuditRecord:
    """On the audit's eval half: when the model said `said`, it was right `right` of `n`
    times; to_dict() is answers[].audit."""

    said: str
    right: int
    n: int
    low: float | None
    high: float | None

    @property
    def share(self) -> float | None:
        return self.right / self.n if self.n else None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def confidence_text(answer: Answer) -> str:
    """The calibration's own words for one answer: its calibrated confidence and where it
    came from, its 90% set, and how often the model was right when it said this; or that
    the percentage is the raw softmax."""
    if answer.calibration is None:
        return NOT_CALIBRATED[:1].upper() + NOT_CALIBRATED[1:] + "."
    source = answer.calibration
    kind = "SYNTHETIC " if source.synthetic else ""
    lines = [f"Calibrated: {_pct(answer.calibrated_confidence)} (temperature-scaled on {source.images} "
             f"{kind}images of {source.source})."]
    if answer.prediction_set:
        coverage = 1 - ALPHA
        lines.append(f"At {coverage:.0%}: {' or '.join(answer.prediction_set)}.")
    if answer.audit is not None and answer.audit.n:
        record = answer.audit
        lines.append(f"When it said {record.said} it was right {record.right} of {record.n} times, "
                     f"{_pct(record.share)} (95% interval {_pct(record.low)}-{_pct(record.high)}).")
    return " ".join(lines)


def _pct(p: float | None) -> str:
    return "?" if p is None else f"{100 * p:.0f}%"


def calibrated(answer: Answer, probs, calibration: Calibration | None, source: str,
               figure: Path | None = None) -> Answer:
    """`answer` with its calibrated confidence, prediction set, calibration source and audit
    record; unchanged (calibration None) when its model has no calibration."""
    if calibration is None or answer.confidence is None:
        return answer
    try:
        scaled = calibration.calibrate(probs)
    except CalibrationError:
        return answer  # an audit of another label space: the raw softmax stands, as for no calibration
    card = dataclasses.replace(answer.card, labels=list(calibration.labels))
    again = _answer_on(scaled, card, answer)
    top = calibration.labels[int(scaled.argmax())]
    said = calibration.when_said.get(top)
    record = None if said is None else AuditRecord(top, said.count, said.n, said.low, said.high)
    return dataclasses.replace(
        answer, calibrated_confidence=_probability_of(answer.answer, again),
        prediction_set=calibration.prediction_set(scaled),
        calibration=CalibrationSource(source, calibration.fit_images + calibration.eval_images, calibration.synthetic,
                                      figure),
        audit=record)


def _answer_on(scaled, card: ModelCard, answer: Answer) -> Answer:
    """The answer the model gives on its calibrated probabilities, to the question it was asked."""
    if answer.kind == "yes_no" and answer.asked is not None:
        check = Check(answer.attribute, answer.asked, answer.negated)
        intent = Intent(kind="yes_no", attributes=(answer.attribute,), checks=(check,))
    else:
        intent = Intent(kind="open", attributes=(answer.attribute,))
    return answer_for(scaled, card, intent)


def _probability_of(value: str, answer: Answer) -> float | None:
    from vqa.stability import probability_of  # lazy: keeps start-up free of vqa.stability

    return probability_of(value, answer)


def source_name(folder: Path, lab_report: Path | None) -> str:
    """An audit folder in words, without the server's path."""
    if lab_report is not None and folder.resolve() == lab_report.resolve():
        return "the bias lab's audit"
    return f"the audit in {folder.parent.name}/{folder.name}"


class Found(NamedTuple):
    """A model's calibration, its audit in words, and that audit's reliability diagram (or None)."""

    calibration: Calibration
    source: str
    figure: Path | None = None


def find_calibrations(folders, lab_report: Path | None = None) -> dict[str, Found]:
    """{model: Found} from the audits in `folders` (the first folder that calibrated a
    model wins); a folder without a readable summary is skipped."""
    found: dict[str, Found] = {}
    for folder in folders:
        folder = Path(folder)
        try:
            records = load_calibrations(folder)
            entries = AuditSummary.load(folder).models
            figures = {name: entry.figures.get("reliability") for name, entry in entries.items()}
        except (OSError, SummaryError, CalibrationError):
            continue
        for name, record in records.items():
            figure = folder / figures[name] if figures.get(name) else None
            found.setdefault(name, Found(record, source_name(folder, lab_report),
                                         figure if figure is not None and figure.is_file() else None))
    return found
