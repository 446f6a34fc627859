"""Label spaces, with the exact strings every other room relies on.

A model keeps the label space it was trained on: UTKFace's five races are never
mapped onto FairFace's seven. The only conversions here are exact ones (sums of
probabilities over classes that nest).
"""
from __future__ import annotations

import numpy as np

ATTRIBUTES = ("race", "gender", "age")

FAIRFACE_RACE = (
    "White",
    "Black",
    "Latino_Hispanic",
    "East Asian",
    "Southeast Asian",
    "Indian",
    "Middle Eastern",
)
FAIRFACE_GENDER = ("Male", "Female")
FAIRFACE_AGE = (
    "0-2",
    "3-9",
    "10-19",
    "20-29",
    "30-39",
    "40-49",
    "50-59",
    "60-69",
    "more than 70",
)
UTKFACE_RACE = ("White", "Black", "Asian", "Indian", "Other")

# Inclusive year bounds of each FairFace age group; "more than 70" is open-ended
# (FairFace's own string, although the group starts at 70).
FAIRFACE_AGE_BOUNDS = (
    (0, 2),
    (3, 9),
    (10, 19),
    (20, 29),
    (30, 39),
    (40, 49),
    (50, 59),
    (60, 69),
    (70, None),
)

FAIRFACE = {"race": FAIRFACE_RACE, "gender": FAIRFACE_GENDER, "age": FAIRFACE_AGE}


def single_year_ages_to_fairface(probs: np.ndarray) -> np.ndarray:
    """Sum probabilities over single-year ages 0..K-1 into FairFace's 9 groups.

    probs: (..., K) with K >= 71 (dlib's age model has K = 81, ages 0-80).
    Exact: each year belongs to exactly one group, so the rows still sum to 1.
    """
    probs = np.asarray(probs, dtype=np.float64)
    years = probs.shape[-1]
    if years < 71:
        raise ValueError(f"need at least 71 single-year ages, got {years}")
    groups = []
    for low, high in FAIRFACE_AGE_BOUNDS:
        stop = years if high is None else high + 1
        groups.append(probs[..., low:stop].sum(axis=-1))
    return np.stack(groups, axis=-1)


def expected_age(probs: np.ndarray) -> np.ndarray:
    """Expected age in years from probabilities over single-year ages 0..K-1."""
    probs = np.asarray(probs, dtype=np.float64)
    years = np.arange(probs.shape[-1], dtype=np.float64)
    return (probs * years).sum(axis=-1) / probs.sum(axis=-1)


def age_label_bounds(label: str) -> tuple[int, int | None]:
    """Inclusive year bounds of an age label: "20-29" -> (20, 29),
    "more than 70" / "70+" -> (70, None), a single year "33" -> (33, 33).

    Works for every age label space (FairFace's 9 groups, dlib's single years,
    GEAR's groups), so that an age question can be answered for any of them.
    """
    text = label.strip().lower()
    try:
        if text.startswith("more than "):
            return int(text[len("more than "):]), None
        if text.endswith("+"):
            return int(text[:-1]), None
        if "-" in text:
            low, high = text.split("-", 1)
            return int(low), int(high)
        year = int(text)
        return year, year
    except ValueError:
        raise ValueError(f"not an age label: {label!r}") from None
