"""Probability mass of an age bound over any age label space.

Works on a model's own labels through models.labels.age_label_bounds, so the
same code answers for FairFace's 9 groups, dlib's single years and GEAR's
groups. A bound that cuts through a group takes the share of its years
(ages assumed spread evenly within the group), and says so.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from models.labels import FAIRFACE_AGE, age_label_bounds

# An open-ended group ("more than 70", "70+") has no top; to split it we take
# it to end here. Only matters when a bound falls inside such a group.
OPEN_GROUP_LAST_YEAR = 99


@dataclasses.dataclass(frozen=True)
class Split:
    """A label the bound cuts through: `years_in` of its `years` were counted."""

    label: str
    years_in: int
    years: int

    @property
    def note(self) -> str:
        return (f"The bound falls inside the group '{self.label}': {self.years_in} of its "
                f"{self.years} years were counted (assuming ages spread evenly within a group).")


def _years(low: int, high: int | None) -> tuple[int, int]:
    return low, OPEN_GROUP_LAST_YEAR if high is None else high


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]) + 1)


def bound_weights(labels, low: int, high: int | None) -> tuple[np.ndarray, list[Split]]:
    """Share of each label's years inside [low, high], and the labels split."""
    asked = _years(low, high)
    weights, splits = [], []
    for label in labels:
        group = _years(*age_label_bounds(label))
        width = group[1] - group[0] + 1
        inside = _overlap(group, asked)
        weights.append(inside / width)
        if 0 < inside < width:
            splits.append(Split(label, inside, width))
    return np.array(weights), splits


def bound_mass(labels, probs, low: int, high: int | None) -> tuple[float, list[Split]]:
    """P(low <= age <= high) under `probs` over age `labels`, and the groups split."""
    weights, splits = bound_weights(labels, low, high)
    total = float(np.dot(weights, np.asarray(probs, dtype=np.float64)))
    return min(total, 1.0), splits


def is_single_years(labels) -> bool:
    """True for label spaces of one label per year (dlib's 0..80)."""
    bounds = [age_label_bounds(label) for label in labels]
    return len(bounds) > len(FAIRFACE_AGE) and all(low == high for low, high in bounds[:-1])


def to_fairface_groups(labels, probs) -> dict[str, float]:
    """Exact sums of single-year probabilities into FairFace's age groups."""
    out = {}
    for group in FAIRFACE_AGE:
        out[group] = bound_mass(labels, probs, *age_label_bounds(group))[0]
    return out


def expected_age(labels, probs) -> float:
    """Mean age, taking each group at its midpoint (open group: up to OPEN_GROUP_LAST_YEAR)."""
    mids = [sum(_years(*age_label_bounds(label))) / 2 for label in labels]
    probs = np.asarray(probs, dtype=np.float64)
    return float(np.dot(mids, probs) / probs.sum())
