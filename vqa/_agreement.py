"""Whether several models' answers about one face say the same thing.

Label spaces differ (UTKFace's "Asian", GEAR's age bins), so answers are
compared by meaning: the same class, a class inside a broader one, or
overlapping age ranges. Moved here from app/views.py; the vqa room's
vqa/agreement.py (one label vocabulary in models/labels.py) replaces it when
it lands.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

# A broader class that contains finer ones in another label space.
BROADER = {"asian": {"east asian", "southeast asian"}}
SAME = {"man": "male", "woman": "female"}


@dataclasses.dataclass(frozen=True)
class Agreement:
    """The answers of the models that could answer, and whether they agree
    (the same fields as vqa/agreement.py's, so that one replaces the other)."""

    attribute: str
    answers: tuple[tuple[str, str], ...]  # (model, answer), in the order given
    agree: bool  # every pair means the same (true for a single model, trivially)
    unreadable: tuple[tuple[str, str], ...] = ()

    @property
    def count(self) -> int:
        return len(self.answers)

    @property
    def said(self) -> tuple[str, ...]:
        """The distinct answers, as spelled, in order of first appearance."""
        return tuple(dict.fromkeys(answer for _, answer in self.answers))

    @property
    def groups(self) -> dict[str, tuple[str, ...]]:
        """answer as spelled -> the models that gave it."""
        out: dict[str, list[str]] = {}
        for model, answer in self.answers:
            out.setdefault(answer, []).append(model)
        return {answer: tuple(models) for answer, models in out.items()}


def agreement(answers: Sequence, attribute: str) -> Agreement:
    """answers: vqa Answer-like objects (.model, .answer, .confidence); those
    without a confidence ("cannot answer") are left out."""
    given = tuple((a.model, a.answer) for a in answers if a.confidence is not None and a.answer)
    agree = all(compatible(a, b, attribute) for i, (_, a) in enumerate(given) for _, b in given[i + 1:])
    return Agreement(attribute=attribute, answers=given, agree=agree)


def compatible(a: str, b: str, attribute: str) -> bool:
    if attribute == "age":
        return ages_overlap(a, b)
    a, b = _canonical(a), _canonical(b)
    return a == b or b in BROADER.get(a, ()) or a in BROADER.get(b, ())


def ages_overlap(a: str, b: str) -> bool:
    from models.labels import age_label_bounds

    try:
        (low_a, high_a), (low_b, high_b) = age_label_bounds(a), age_label_bounds(b)
    except ValueError:
        return a == b
    return low_a <= (high_b if high_b is not None else 10**6) and low_b <= (high_a if high_a is not None else 10**6)


def _canonical(label: str) -> str:
    text = label.strip().lower().replace("_", " ")
    return SAME.get(text, text)
