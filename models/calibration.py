"""Confidence you can check: a model's raw softmax rescaled so that it means what it
says, a set of answers that holds the truth 90% of the time, and the counts behind both.

A model's softmax often says 100% where the model is right far less often. The audit
(`python -m training.evaluate`) fits, for each model, on one half of the labelled val
split (the fit half):

- temperature scaling (Guo et al., 2017): one scalar T, the calibrated probabilities
  softmax(log p / T), T minimising the negative log-likelihood (scipy.optimize);
- class-conditional (Mondrian) split conformal prediction at level alpha (Vovk et al.,
  2005): per class c, qhat_c, the ceil((n_c + 1)(1 - alpha))-th smallest score
  1 - p(c) over the fit half's faces of class c; a label joins the set when
  1 - p(label) <= qhat_label. Each class's set then holds the truth at least
  1 - alpha of the time on exchangeable faces of that class;

and measures both on the other half (the eval half). `Calibration` is one model's
record of that, read back from the audit's summary.json (`load_calibrations`): what
the app applies to each answer, with the counts it may quote ("when it said X it was
right r of n times").

The statistics are the few lines each needs, each tested against a reference
(crepes for the conformal sets, published tables for the intervals): the runtime
needs thresholds it can apply to one answer, not a library's fitted object.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import NamedTuple

import numpy as np

from models.audit_summary import AuditSummary, ModelEntry, Proportion
from models.labels import audit_space, single_year_ages_to_fairface

ALPHA = 0.1  # the sets hold the truth 90% of the time
ECE_BINS = 15
Z_95 = 1.959963984540054  # the standard normal's 97.5% quantile
# log(0) has no value: a probability the model's float32 softmax rounded to 0 counts as
# float32's smallest positive number (the logit it stood for was at least that low).
_TINY = float(np.finfo(np.float32).smallest_subnormal)


class CalibrationError(ValueError):
    """A calibration record or its input does not fit (wrong number of labels, ...)."""


class Interval(NamedTuple):
    low: float
    high: float


def wilson(successes: int, n: int, z: float = Z_95) -> Interval:
    """Wilson's score interval for successes / n (Wilson, 1927; Newcombe, 1998, method 3).
    n = 0: the whole [0, 1]."""
    if n <= 0:
        return Interval(0.0, 1.0)
    p = successes / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    return Interval(max(0.0, (centre - half) / scale), min(1.0, (centre + half) / scale))


def proportion(successes: int, n: int) -> Proportion:
    """successes / n with its n and 95% Wilson interval (None for n = 0)."""
    if n <= 0:
        return Proportion(None, None, None, 0)
    low, high = wilson(successes, n)
    return Proportion(successes / n, low, high, int(n))


def difference_interval(a: Proportion, b: Proportion) -> Interval:
    """95% interval of a - b for two independent proportions: Newcombe's hybrid score
    interval (Newcombe, 1998, Statistics in Medicine 17:873-890, method 10), built
    from each one's Wilson interval."""
    d = a.accuracy - b.accuracy
    below = math.hypot(a.accuracy - a.low, b.high - b.accuracy)
    above = math.hypot(a.high - a.accuracy, b.accuracy - b.low)
    return Interval(d - below, d + above)


def temperature_scale(probs, temperature: float) -> np.ndarray:
    """softmax(log p / T) along the last axis: T > 1 softens, T < 1 sharpens, the
    order of the labels never changes."""
    logits = np.log(np.clip(np.asarray(probs, dtype=np.float64), _TINY, None)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=-1, keepdims=True)


def negative_log_likelihood(probs, y) -> float:
    probs = np.asarray(probs, dtype=np.float64)
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(y)), y], _TINY, None))))


def fit_temperature(probs, y, bounds: tuple[float, float] = (0.05, 50.0)) -> float:
    """The T in `bounds` minimising the NLL of temperature_scale(probs, T) for labels y
    (bounded Brent search over log T: the NLL is smooth and has one minimum in T)."""
    from scipy.optimize import minimize_scalar  # lazy: keeps start-up free of SciPy

    y = np.asarray(y, dtype=int)
    if not len(y):
        return 1.0
    result = minimize_scalar(lambda log_t: negative_log_likelihood(temperature_scale(probs, math.exp(log_t)), y),
                             bounds=(math.log(bounds[0]), math.log(bounds[1])), method="bounded",
                             options={"xatol": 1e-6})
    return float(math.exp(result.x))


def expected_calibration_error(confidence, correct, bins: int = ECE_BINS) -> float | None:
    """Top-label ECE: over `bins` equal-width bins of the top label's probability
    ((0, 1/bins], ..., right-closed), the gap between accuracy and mean confidence,
    weighted by the bin's share of faces. None for no faces."""
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    if not len(confidence):
        return None
    which = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)
    total = 0.0
    for b in np.unique(which):
        inside = which == b
        total += inside.sum() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(total / len(confidence))


def conformal_qhat(probs, y, n_classes: int, alpha: float = ALPHA) -> np.ndarray:
    """Per class, the split-conformal quantile of the scores 1 - p(true class) over the
    faces of that class: the ceil((n + 1)(1 - alpha))-th smallest; 1.0 (the label is
    always in the set) where a class has too few faces for that rank."""
    probs = np.asarray(probs, dtype=np.float64)
    y = np.asarray(y, dtype=int)
    scores = 1.0 - probs[np.arange(len(y)), y]
    qhat = np.ones(n_classes)
    for c in range(n_classes):
        own = np.sort(scores[y == c])
        rank = math.ceil((len(own) + 1) * (1 - alpha))
        if rank <= len(own):
            qhat[c] = own[rank - 1]
    return qhat


def set_masks(probs, qhat, ordinal: bool = False) -> np.ndarray:
    """(N, K) bool: the labels in each face's set. Never empty (where no label passes,
    the top one: the set only grows, so coverage only rises); with `ordinal` (age) each
    set is filled to the contiguous range of groups from its lowest to its highest."""
    probs = np.asarray(probs, dtype=np.float64)
    inside = (1.0 - probs) <= np.asarray(qhat)[None, :]
    empty = ~inside.any(axis=1)
    inside[empty, probs[empty].argmax(axis=1)] = True
    if ordinal:
        columns = np.arange(probs.shape[1])[None, :]
        first = inside.argmax(axis=1)[:, None]
        last = (probs.shape[1] - 1 - inside[:, ::-1].argmax(axis=1))[:, None]
        inside = (columns >= first) & (columns <= last)
    return inside


@dataclasses.dataclass(frozen=True)
class Calibration:
    """One model's calibration, as its audit fitted and measured it."""

    model: str
    attribute: str
    labels: tuple[str, ...]  # the order of the calibrated probabilities (the audit's label space)
    temperature: float
    qhat: tuple[float, ...]  # per label, in `labels` order
    alpha: float = ALPHA
    fit_images: int = 0
    eval_images: int = 0
    synthetic: bool = False
    source: str = ""  # the audit folder it was read from
    single_years: bool = False  # the model answers in single years: summed into `labels` (FairFace's groups) first
    # Over the audit's val faces: when the model said this label, how often it was right.
    when_said: dict[str, Proportion] = dataclasses.field(default_factory=dict)

    @property
    def ordinal(self) -> bool:
        """Age groups are ordered: a set is a contiguous range of them."""
        return self.attribute == "age"

    def calibrate(self, probs) -> np.ndarray:
        """The model's probabilities (N, K) or (K,), over its own labels, calibrated,
        over `labels`."""
        probs = np.asarray(probs, dtype=np.float64)
        if self.single_years and probs.shape[-1] != len(self.labels):
            probs = single_year_ages_to_fairface(probs)
        if probs.shape[-1] != len(self.labels):
            raise CalibrationError(f"{self.model}'s calibration is for {len(self.labels)} labels {list(self.labels)}, "
                                   f"got probabilities over {probs.shape[-1]}")
        return temperature_scale(probs, self.temperature)

    def prediction_set(self, calibrated) -> tuple[str, ...]:
        """The labels of one face's set, in label order, from its calibrated probabilities (K,)."""
        calibrated = np.asarray(calibrated, dtype=np.float64)
        if calibrated.shape != (len(self.labels),):
            raise CalibrationError(f"prediction_set takes one face's {len(self.labels)} calibrated probabilities, "
                                   f"got shape {calibrated.shape}")
        inside = set_masks(calibrated[None, :], self.qhat, self.ordinal)[0]
        return tuple(label for label, keep in zip(self.labels, inside) if keep)

    @classmethod
    def from_entry(cls, name: str, entry: ModelEntry, source: str | Path = "") -> Calibration | None:
        """From an audit summary's model entry; None where that audit measured no calibration."""
        audit = entry.audit
        if audit.calibration is None or audit.conformal is None:
            return None
        labels = tuple(audit.labels)
        missing = [c for c in labels if c not in audit.conformal.per_class]
        if missing:
            raise CalibrationError(f"{name}'s audit has no conformal threshold for {missing}")
        card_labels = entry.card.get("labels") or labels
        return cls(model=name, attribute=audit.attribute, labels=labels,
                   temperature=float(audit.calibration.temperature),
                   qhat=tuple(float(audit.conformal.per_class[c].qhat) for c in labels),
                   alpha=float(audit.conformal.alpha), fit_images=audit.calibration.fit_images,
                   eval_images=audit.calibration.eval_images, synthetic=entry.synthetic, source=str(source),
                   single_years=audit_space(audit.attribute, card_labels).single_years,
                   when_said=dict(audit.calibration.when_said))


def load_calibrations(folder: str | Path) -> dict[str, Calibration]:
    """{model name: Calibration} of every model the audit in `folder` (its summary.json)
    calibrated; models.audit_summary.SummaryError for an unreadable summary."""
    folder = Path(folder)
    summary = AuditSummary.load(folder)
    found = {name: Calibration.from_entry(name, entry, folder) for name, entry in summary.models.items()}
    return {name: record for name, record in found.items() if record is not None}
