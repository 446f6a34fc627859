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
    """The answers of the models that answered (an answer with a confidence)."""

    attribute: str
    agree: bool
    groups: dict[str, tuple[str, ...]]  # answer -> the models that gave it, in answer order

    @property
    def answered(self) -> int:
        return sum(len(models) for models in self.groups.values())


def agreement(answers: Sequence, attribute: str) -> Agreement:
    """answers: vqa Answer-like objects (.model, .answer, .confidence)."""
    answered = [a for a in answers if a.confidence is not None]
    groups: dict[str, tuple[str, ...]] = {}
    for answer in answered:
        groups[answer.answer] = groups.get(answer.answer, ()) + (answer.model,)
    pairs = [(a, b) for i, a in enumerate(answered) for b in answered[i + 1:]]
    agree = bool(answered) and all(compatible(a.answer, b.answer, attribute) for a, b in pairs)
    return Agreement(attribute=attribute, agree=agree, groups=groups)


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
