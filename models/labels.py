"""Label spaces, with the exact strings every other room relies on, and the one
vocabulary for comparing labels across them.

A model keeps the label space it was trained on: UTKFace's five races are never
mapped onto FairFace's seven. The only conversions here are exact ones (sums of
probabilities over classes that nest). What two labels of different spaces have
in common is said here once: the same class spelled differently (GEAR's "man" is
FairFace's "Male"), a broader class that holds finer ones (UTKFace's "Asian"
holds FairFace's East and Southeast Asian), and age groups as year bounds, which
agree when they overlap.
"""
from __future__ import annotations

import math
import re
from typing import NamedTuple

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


def expected_age(probs: np.ndarray, labels=None) -> np.ndarray:
    """Expected age in years from probabilities over single-year ages 0..K-1,
    or over age `labels` of any label space, each taken at its midpoint (an
    open group up to OPEN_GROUP_LAST_YEAR)."""
    probs = np.asarray(probs, dtype=np.float64)
    if labels is None:
        years = np.arange(probs.shape[-1], dtype=np.float64)
    else:
        years = np.array([sum(label_years(label)) / 2 for label in labels])
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


# An open-ended group ("more than 70", "70+") has no top; where years must be
# counted (to split such a group, or to take its midpoint) it ends here.
OPEN_GROUP_LAST_YEAR = 99


def label_years(label: str) -> tuple[int, int]:
    """Closed year range of an age label; an open group ends at OPEN_GROUP_LAST_YEAR."""
    low, high = age_label_bounds(label)
    return low, OPEN_GROUP_LAST_YEAR if high is None else high


def years_overlap(a: tuple[int, int | None], b: tuple[int, int | None]) -> int:
    """How many whole years two inclusive bounds share, counting an open end
    (None) up to OPEN_GROUP_LAST_YEAR."""
    a_high = OPEN_GROUP_LAST_YEAR if a[1] is None else a[1]
    b_high = OPEN_GROUP_LAST_YEAR if b[1] is None else b[1]
    return max(0, min(a_high, b_high) - max(a[0], b[0]) + 1)


def bounds_overlap(a: tuple[int, int | None], b: tuple[int, int | None]) -> bool:
    """Whether two inclusive bounds share a year (None: no upper end at all)."""
    return a[0] <= (math.inf if b[1] is None else b[1]) and b[0] <= (math.inf if a[1] is None else a[1])


def is_single_years(labels) -> bool:
    """True for label spaces of one label per year (dlib's 0..80)."""
    bounds = [age_label_bounds(label) for label in labels]
    return len(bounds) > len(FAIRFACE_AGE) and all(low == high for low, high in bounds[:-1])


# ---------------------------------------------------------------------------
# Age bounds asked about, as strings: ">30" (31 and up), "<18" (0-17), "20-29",
# "33". The router writes them, the answers read them.

def age_value(low: int, high: int | None) -> str:
    """Canonical string of an inclusive age bound (high None: open-ended)."""
    if high is None:
        return f">{low - 1}"
    if low == 0:
        return f"<{high + 1}"
    if low == high:
        return str(low)
    return f"{low}-{high}"


def parse_age_value(value: str) -> tuple[int, int | None]:
    """Inverse of age_value; also accepts ">=30" and "<=17"."""
    text = value.strip()
    match = re.fullmatch(r"(>=|<=|>|<)?\s*(\d+)(?:\s*-\s*(\d+))?", text)
    if not match:
        raise ValueError(f"not an age bound: {value!r}")
    op, first, second = match.group(1), int(match.group(2)), match.group(3)
    if second is not None and op is None:
        return first, int(second)
    bounds = {">": (first + 1, None), ">=": (first, None), "<": (0, first - 1),
              "<=": (0, first), None: (first, first)}
    if second is not None or op not in bounds:
        raise ValueError(f"not an age bound: {value!r}")
    return bounds[op]


def age_bounds(text: str) -> tuple[int, int | None]:
    """Year bounds of an age label ("20-29", "more than 70", "70+") or an age
    bound string (">30", "<18"); ValueError for anything else."""
    try:
        return age_label_bounds(text)
    except ValueError:
        return parse_age_value(text)


# ---------------------------------------------------------------------------
# Classes across label spaces. Labels are compared after normalize_label.

# Spellings of one class in different label spaces (GEAR says "man"/"woman";
# a general VQA model answers in its own words).
SAME_CLASS = {
    "male": ("male", "man", "m", "men"),
    "female": ("female", "woman", "f", "women"),
    "latino hispanic": ("latino hispanic", "latino", "latina", "hispanic"),
}
# A broader class of one label space that is the union of finer classes of
# another: UTKFace's "Asian" is FairFace's East Asian + Southeast Asian.
UNIONS = {"asian": ("east asian", "southeast asian")}


def normalize_label(label: str) -> str:
    return label.strip().lower().replace("_", " ")


def canonical_label(label: str) -> str:
    """One spelling per class: "Man", "male", "M" -> "male"; others normalised."""
    text = normalize_label(label)
    return next((name for name, spellings in SAME_CLASS.items() if text in spellings), text)


def same_class(a: str, b: str) -> bool:
    """The same class in any spelling, or a broader class and one it holds."""
    a, b = canonical_label(a), canonical_label(b)
    return a == b or b in UNIONS.get(a, ()) or a in UNIONS.get(b, ())


def matching_labels(value: str, labels) -> tuple[tuple[str, ...], bool]:
    """The labels of a label space that stand for the class `value`, and whether
    they are a union of finer classes (("East Asian", "Southeast Asian"), True for
    "Asian" in FairFace's space). ((), False) when the space cannot express it."""
    wanted = canonical_label(value)
    direct = tuple(label for label in labels if canonical_label(label) == wanted)
    if direct:
        return direct, False
    parts = UNIONS.get(wanted, ())
    union = tuple(label for label in labels if canonical_label(label) in parts)
    if parts and len(union) == len(parts):
        return union, True
    return (), False


def ages_overlap(a: str, b: str) -> bool:
    """Two age labels or bounds agree when their years overlap ("30-39" and GEAR's
    "31-40"); text that is no age at all agrees only with the same text."""
    try:
        return bounds_overlap(age_bounds(a), age_bounds(b))
    except ValueError:
        return normalize_label(a) == normalize_label(b)


def is_label_of(text: str, attribute: str, label_spaces=None) -> bool:
    """Whether `text` names a class of `attribute` in any known label space (or in
    `label_spaces`, an iterable of label tuples): an age, a race, a gender."""
    if attribute == "age":
        try:
            age_bounds(text)
            return True
        except ValueError:
            return False
    spaces = list(label_spaces or ()) + [KNOWN_LABELS.get(attribute, ())]
    return any(same_class(text, label) for space in spaces for label in space)


def answers_agree(a: str, b: str, attribute: str) -> bool:
    """Whether two answers about `attribute` mean the same, across label spaces."""
    if attribute == "age":
        return ages_overlap(a, b)
    return same_class(a, b)


# Every class name of the label spaces this project knows, per attribute.
KNOWN_LABELS = {
    "race": tuple(dict.fromkeys(FAIRFACE_RACE + UTKFACE_RACE)),
    "gender": FAIRFACE_GENDER,
    "age": FAIRFACE_AGE,
}


# ---------------------------------------------------------------------------
# Scoring a model of another label space on FairFace's labels (the audit).

# UTKFace's five races hold FairFace's seven: every FairFace race lies in exactly
# one of them ("Other" is UTKFace's Hispanic, Latino and Middle Eastern faces, as
# GEAR's card says; "Asian" is UNIONS' "asian").
UTKFACE_RACE_HOLDS = {
    "White": ("White",),
    "Black": ("Black",),
    "Asian": ("East Asian", "Southeast Asian"),
    "Indian": ("Indian",),
    "Other": ("Latino_Hispanic", "Middle Eastern"),
}


class LabelSpaceError(ValueError):
    """A model's labels cannot be scored against FairFace's."""


class AuditSpace(NamedTuple):
    """How a model is scored on FairFace's labels: in `labels` (the model's own, or
    FairFace's age groups for a single-year age model, whose years are summed into
    them), each FairFace label counted as the class of `labels` that holds it."""

    attribute: str
    labels: tuple[str, ...]
    truth: dict[str, str]  # FairFace label -> the class of `labels` it belongs to
    single_years: bool = False  # the model's outputs are single years, summed into FairFace's age groups

    def to_space(self, probs: np.ndarray) -> np.ndarray:
        """The model's probabilities over `labels` (single years summed; exact)."""
        return single_year_ages_to_fairface(probs) if self.single_years else np.asarray(probs, dtype=np.float64)


def audit_space(attribute: str, model_labels) -> AuditSpace:
    """The AuditSpace of a model with these labels, or LabelSpaceError when FairFace's
    labels do not each fall into exactly one of them (GEAR's age groups: FairFace's
    20-29 straddles 0-20, 21-25 and 26-30)."""
    model_labels = tuple(model_labels)
    if attribute not in FAIRFACE:
        raise LabelSpaceError(f"attribute must be one of {ATTRIBUTES}, got {attribute!r}")
    if attribute == "age" and model_labels != FAIRFACE_AGE and is_single_years(model_labels):
        return AuditSpace(attribute, FAIRFACE_AGE, {g: g for g in FAIRFACE_AGE}, single_years=True)
    truth = {}
    for label in FAIRFACE[attribute]:
        holders = [m for m in model_labels if _holds(m, label, attribute, model_labels)]
        if len(holders) != 1:
            where = f"{len(holders)} of them: {', '.join(holders)}" if holders else "none of them"
            raise LabelSpaceError(
                f"FairFace's {attribute} {label!r} does not lie inside exactly one of the model's labels "
                f"{list(model_labels)} (it lies inside {where}), so the model's answers cannot be scored on "
                "FairFace's labels")
        truth[label] = holders[0]
    return AuditSpace(attribute, model_labels, truth)


def _holds(model_label: str, fairface_label: str, attribute: str, model_labels: tuple[str, ...]) -> bool:
    """Whether the model's class holds FairFace's (the same class, or a broader one that nests it)."""
    if attribute == "age":
        try:
            low, high = label_years(model_label)
            f_low, f_high = label_years(fairface_label)
        except ValueError:
            return False
        return low <= f_low and f_high <= high  # every year of FairFace's group is in the model's
    if canonical_label(model_label) == canonical_label(fairface_label):
        return True
    return model_labels == UTKFACE_RACE and fairface_label in UTKFACE_RACE_HOLDS.get(model_label, ())
