"""Do the models agree? Answers compared by meaning, through the one label
vocabulary in models.labels: the same class in another spelling ("woman" is
"Female"), a broader class holding a finer one (UTKFace's "Asian" holds
FairFace's "East Asian"), age groups that overlap ("30-39" and "31-40").

agreement(): the face models' answers about one attribute, for the Compare tab.
agreement_summary(): that agreement in one sentence ("4 of 5 gender models say
Female; the two models trained on UTKFace disagree with the rest (Male).").
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
    # (model, what its card says it was trained on), for the answers whose card says
    training_data: tuple[tuple[str, str], ...] = ()

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
    trained_on = tuple((a.model, _training_data(a)) for a in given
                       if (a.model, a.answer) in readable and _training_data(a))
    return Agreement(attribute=attribute, answers=readable, agree=agree, unreadable=unreadable,
                     training_data=trained_on)


def _labels(answer) -> tuple[str, ...]:
    card = getattr(answer, "card", None)
    return tuple(getattr(card, "labels", ()) or ())


def _training_data(answer) -> str:
    return str(getattr(getattr(answer, "card", None), "training_data", "") or "")


# --- one sentence ------------------------------------------------------------------

_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def agreement_summary(result: Agreement) -> str:
    """The agreement of N models in one sentence, for the Compare tab:
    "All 3 age models agree: 30-39, 31-40, 35.", or the majority and who dissents:
    "4 of 5 gender models say Female; the two models trained on UTKFace disagree
    with the rest (Male).", or, with no majority, each side. Dissenters that share
    training data (the part of their cards' training_data before any "(" or ":")
    are named together; when some models trained on that data agree with the
    majority, "two of the three models trained on ...". Answers agree by meaning
    (models.labels.answers_agree): age groups that overlap agree.
    """
    n, attribute = result.count, result.attribute
    if n == 0:
        return f"No {attribute} model answered."
    if n == 1:
        (model, answer), = result.answers
        return f"Only {model} answered: {answer}."
    sides = _sides(result)
    if len(sides) == 1:
        said, every = result.said, "Both" if n == 2 else f"All {n}"
        return (f"{every} {attribute} models say {said[0]}." if len(said) == 1
                else f"{every} {attribute} models agree: {', '.join(said)}.")
    (answer, majority), dissent = sides[0], [pair for _, side in sides[1:] for pair in side]
    if 2 * len(majority) > n:
        who, single = _who([model for model, _ in dissent], result)
        said = ", ".join(dict.fromkeys(a for _, a in dissent))
        return (f"{len(majority)} of {n} {attribute} models say {answer}; "
                f"{who} {'disagrees' if single else 'disagree'} with the rest ({said}).")
    parts = []
    for answer, side in sides:
        who, single = _who([model for model, _ in side], result)
        parts.append(f"{who} {'says' if single else 'say'} {answer}")
    return f"The {n} {attribute} models disagree: {_join(parts)}."


def _sides(result: Agreement) -> list[tuple[str, list[tuple[str, str]]]]:
    """The answers in groups that mean the same as the group's first answer, the
    biggest group first: each time, the answer that most of the rest agree with."""
    rest = list(result.answers)
    sides = []
    while rest:
        support = [sum(answers_agree(a, b, result.attribute) for _, b in rest) for _, a in rest]
        answer = rest[support.index(max(support))][1]
        side = [pair for pair in rest if answers_agree(answer, pair[1], result.attribute)]
        sides.append((answer, side))
        rest = [pair for pair in rest if pair not in side]
    return sides


def _who(models: list[str], result: Agreement) -> tuple[str, bool]:
    """A group of models in words, and whether it is a single model. Models whose
    training data has the same name are named by it; the rest by name."""
    data = {model: _data_name(text) for model, text in result.training_data}
    answering = [model for model, _ in result.answers]
    phrases, named = [], set()
    for name in dict.fromkeys(data[m] for m in models if data.get(m)):
        these = [m for m in models if data.get(m) == name]
        if len(these) < 2:
            continue
        of_all = sum(data.get(m) == name for m in answering)
        phrases.append(f"the {_count(len(these))} models trained on {name}" if of_all == len(these)
                       else f"{_count(len(these))} of the {_count(of_all)} models trained on {name}")
        named.update(these)
    singles = [f"{m} (trained on {data[m]})" if data.get(m) else m for m in models if m not in named]
    return _join(phrases + singles), not phrases and len(singles) == 1


def _count(number: int) -> str:
    return _WORDS[number] if number < len(_WORDS) else str(number)


def _data_name(training_data: str) -> str:
    """"UTKFace (non-commercial research terms)" -> "UTKFace"; "dlib-models (...): ..." -> "dlib-models"."""
    return training_data.split(" (")[0].split(":")[0].strip()


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


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
