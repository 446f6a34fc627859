"""The audit's confidence numbers for one model: temperature scaling and conformal
prediction sets fitted on one half of the val split and measured on the other, and
every accuracy with its n and 95% interval (per class, race x gender, race x gender x
age, skin tone). The statistics are models.calibration's; this module splits, counts
and tabulates.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from models.audit_summary import (
    CalibrationAudit,
    ClassCalibration,
    ClassCoverage,
    ConformalAudit,
    Gap,
    Intervals,
    Proportion,
)
from models.calibration import (
    ALPHA,
    ECE_BINS,
    Calibration,
    conformal_qhat,
    difference_interval,
    expected_calibration_error,
    fit_temperature,
    proportion,
    set_masks,
    temperature_scale,
)

SPLIT_SEED = 0
MIN_CELL = 30  # faces: smaller cells are greyed out and left out of the worst group
FIT, EVAL = "fit", "eval"  # predictions.csv's "split" column


@dataclasses.dataclass
class Confidence:
    """One model's calibration, as summary.json says it and as the app applies it."""

    calibration: CalibrationAudit
    conformal: ConformalAudit
    record: Calibration
    calibrated: np.ndarray  # (N, K) over all val faces
    sets: np.ndarray  # (N, K) bool


def fit_eval_split(y, seed: int = SPLIT_SEED) -> np.ndarray:
    """(N,) bool, True for the fit half: within each class, a seeded random half
    (rounded down, so a class of one face lands in the eval half)."""
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    fit = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        fit[members[:len(members) // 2]] = True
    return fit


def confidence(name: str, attribute: str, labels, probs, y, fit, *, alpha: float = ALPHA, seed: int = SPLIT_SEED,
               synthetic: bool = False, single_years: bool = False) -> Confidence:
    """Fit temperature and per-class conformal thresholds on the `fit` faces, measure
    ECE, coverage and set sizes on the others. `probs` (N, K) are over `labels`, `y`
    the true class ids in them."""
    labels, probs, y, fit = tuple(labels), np.asarray(probs, dtype=np.float64), np.asarray(y), np.asarray(fit)
    held = ~fit
    temperature = fit_temperature(probs[fit], y[fit])
    calibrated = temperature_scale(probs, temperature)
    qhat = conformal_qhat(calibrated[fit], y[fit], len(labels), alpha)
    record = Calibration(model=name, attribute=attribute, labels=labels, temperature=temperature,
                         qhat=tuple(float(q) for q in qhat), alpha=alpha, fit_images=int(fit.sum()),
                         eval_images=int(held.sum()), synthetic=synthetic, single_years=single_years,
                         # On the eval half only: the faces nothing was fitted on.
                         when_said=when_said(y[held], probs[held].argmax(1), labels))
    sets = set_masks(calibrated, qhat, record.ordinal)
    return Confidence(
        calibration=CalibrationAudit(
            temperature=temperature, fit_images=record.fit_images, eval_images=record.eval_images,
            ece_before=_ece(probs[held], y[held]), ece_after=_ece(calibrated[held], y[held]),
            per_class={label: ClassCalibration(_ece(probs[held & (y == c)], y[held & (y == c)]),
                                               _ece(calibrated[held & (y == c)], y[held & (y == c)]),
                                               int((held & (y == c)).sum()))
                       for c, label in enumerate(labels)},
            bins=ECE_BINS, seed=seed, when_said=record.when_said),
        conformal=_conformal(sets[held], y[held], labels, qhat, alpha),
        record=record, calibrated=calibrated, sets=sets)


def _ece(probs: np.ndarray, y: np.ndarray) -> float | None:
    return expected_calibration_error(probs.max(axis=1), probs.argmax(axis=1) == y, ECE_BINS) if len(y) else None


def _conformal(sets: np.ndarray, y: np.ndarray, labels, qhat, alpha: float) -> ConformalAudit:
    covered = sets[np.arange(len(y)), y]
    sizes = sets.sum(axis=1)

    def mean(values):
        return float(values.mean()) if len(values) else None

    return ConformalAudit(
        alpha=alpha, coverage=mean(covered), mean_set_size=mean(sizes),
        per_class={label: ClassCoverage(mean(covered[y == c]), mean(sizes[y == c]), int((y == c).sum()),
                                        float(qhat[c]))
                   for c, label in enumerate(labels)})


def when_said(y, y_pred, labels) -> dict[str, Proportion]:
    """Per label: of the faces the model gave that label, how many were that label."""
    y, y_pred = np.asarray(y), np.asarray(y_pred)
    return {label: proportion(int(((y_pred == c) & (y == c)).sum()), int((y_pred == c).sum()))
            for c, label in enumerate(labels)}


def proportions(correct, groups) -> dict[str, Proportion]:
    """{group: accuracy with its n and interval}, groups sorted."""
    frame = pd.DataFrame({"correct": np.asarray(correct, dtype=bool), "group": np.asarray(groups)})
    counts = frame.groupby("group", sort=True)["correct"].agg(["sum", "size"])
    return {str(group): proportion(int(row["sum"]), int(row["size"])) for group, row in counts.iterrows()}


def intervals(correct, y, labels, table: pd.DataFrame, min_cell: int = MIN_CELL) -> Intervals:
    """Per class (of `labels`, by true class `y`), race x gender and race x gender x age
    (the val CSV's columns) accuracies with their n and interval; the worst and the best
    race x gender cell of at least `min_cell` faces, and their gap with its interval."""
    correct = np.asarray(correct, dtype=bool)
    race_gender = (table["race"].astype(str) + " / " + table["gender"].astype(str)).to_numpy()
    with_age = race_gender + " / " + table["age"].astype(str).to_numpy()
    per_class = proportions(correct, np.asarray(labels)[np.asarray(y)])
    cells = proportions(correct, race_gender)
    result = Intervals(per_class={label: per_class.get(label, proportion(0, 0)) for label in labels},
                       race_x_gender=cells, race_x_gender_x_age=proportions(correct, with_age), min_cell=min_cell,
                       overall=proportion(int(correct.sum()), len(correct)))
    large = {group: cell for group, cell in cells.items() if cell.n >= min_cell}
    if len(large) >= 2:
        worst = min(large, key=lambda g: large[g].accuracy)
        best = max(large, key=lambda g: large[g].accuracy)
        low, high = difference_interval(large[best], large[worst])
        result.worst_group, result.best_group = worst, best
        result.gap = Gap(large[best].accuracy - large[worst].accuracy, low, high)
    return result
