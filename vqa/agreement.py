"""Do the models agree? Answers compared by meaning, through the one label
vocabulary in models.labels: the same class in another spelling ("woman" is
"Female"), a broader class holding a finer one (UTKFace's "Asian" holds
FairFace's "East Asian"), age groups that overlap ("30-39" and "31-40").

agreement(): the face models' answers about one attribute, for the Compare tab.
general_disagrees(): whether the general VQA model's answer contradicts theirs.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from models.labels import answers_agree, canonical_label, is_label_of

YES_NO = ("yes", "no")


@dataclasses.dataclass(frozen=True)
class Agreement:
    """The answers of the models that could answer, and whether they agree."""

    attribute: str
    answers: tuple[tuple[str, str], ...]  # (model, answer), in the order given
    agree: bool  # every pair means the same (true for a single model, trivially)
    # (model, answer) of answers that name no class of the attribute (a general
    # VQA model's "blue" to a race question): shown, but not compared
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


def agreement(answers: Iterable[Any], attribute: str) -> Agreement:
    """Agreement of answers about `attribute`: the face models' Answers, and the
    general VQA model's GeneralAnswer as one more row if wanted (anything with
    .model, .answer, .confidence). Answers without a confidence ("cannot
    answer", a model that failed) are left out."""
    given = [a for a in answers if a.confidence is not None and a.answer]
    readable = tuple((a.model, a.answer) for a in given if is_label_of(a.answer, attribute, [_labels(a)]))
    unreadable = tuple((a.model, a.answer) for a in given if (a.model, a.answer) not in readable)
    agree = all(answers_agree(a, b, attribute)
                for i, (_, a) in enumerate(readable) for _, b in readable[i + 1:])
    return Agreement(attribute=attribute, answers=readable, agree=agree, unreadable=unreadable)


def _labels(answer) -> tuple[str, ...]:
    card = getattr(answer, "card", None)
    return tuple(getattr(card, "labels", ()) or ())


def general_disagrees(general_answer: str | None, intent, face_answers: Iterable[Any]) -> bool | None:
    """Whether the general VQA model's answer contradicts the face models'.

    yes/no questions: its "yes" contradicts any face model's "no" (every part of
    the question must hold); its "no" contradicts only when every face model
    says "yes", and only when the face models answer every part of the question
    (in "Is he smiling and over 40?" its "no" may be about the smile).
    Open questions: its answer (a label name in its own words) contradicts a
    face model whose answer about that attribute means something else.
    None when there is nothing to compare: no face model answered, or its
    answer is neither yes/no nor a label of an attribute asked openly.
    """
    if not general_answer:
        return None
    said = [a for a in face_answers if a.confidence is not None]
    word = canonical_label(general_answer)
    if word in YES_NO:
        verdicts = [a.answer for a in said if a.kind == "yes_no"]
        if not verdicts or (word == "no" and intent.notes):
            return None
        return "no" in verdicts if word == "yes" else all(v == "yes" for v in verdicts)
    compared = [a for a in said if a.kind == "open" and a.attribute in intent.open_attributes
                and is_label_of(general_answer, a.attribute, [a.card.labels])]
    if not compared:
        return None
    return any(not answers_agree(general_answer, a.answer, a.attribute) for a in compared)
