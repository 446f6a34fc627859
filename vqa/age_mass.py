"""Probability mass of an age bound over any age label space.

Works on a model's own labels through models.labels.age_label_bounds, so the
same code answers for FairFace's 9 groups, dlib's single years and GEAR's
groups. A bound that cuts through a group takes the share of its years
(ages assumed spread evenly within the group), and says so.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from models import labels as _labels
from models.labels import (
    FAIRFACE_AGE,
    OPEN_GROUP_LAST_YEAR,
    age_label_bounds,
    is_single_years,
    label_years,
    years_overlap,
)

__all__ = ["OPEN_GROUP_LAST_YEAR", "Split", "bound_mass", "bound_weights", "is_single_years", "to_fairface_groups",
           "expected_age"]


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


def bound_weights(labels, low: int, high: int | None) -> tuple[np.ndarray, list[Split]]:
    """Share of each label's years inside [low, high], and the labels split."""
    weights, splits = [], []
    for label in labels:
        group = label_years(label)
        width = group[1] - group[0] + 1
        inside = years_overlap(group, (low, high))
        weights.append(inside / width)
        if 0 < inside < width:
            splits.append(Split(label, inside, width))
    return np.array(weights), splits


def bound_mass(labels, probs, low: int, high: int | None) -> tuple[float, list[Split]]:
    """P(low <= age <= high) under `probs` over age `labels`, and the groups split."""
    weights, splits = bound_weights(labels, low, high)
    total = float(np.dot(weights, np.asarray(probs, dtype=np.float64)))
    return min(total, 1.0), splits


def to_fairface_groups(labels, probs) -> dict[str, float]:
    """Exact sums of single-year probabilities into FairFace's age groups."""
    out = {}
    for group in FAIRFACE_AGE:
        out[group] = bound_mass(labels, probs, *age_label_bounds(group))[0]
    return out


def expected_age(labels, probs) -> float:
    """The expected age under `probs` over `labels`; kept with its old argument
    order for callers of vqa.age_mass (models.labels.expected_age is the one
    definition)."""
    return _labels.expected_age(probs, labels)
