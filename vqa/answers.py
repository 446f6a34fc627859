"""Answers with honest confidence: pure functions from a model's probabilities
and its card to an Answer.

open:   the top class with its probability, and the runners-up.
yes/no: P(yes) is the probability mass of the classes that mean "yes" (an age
        bound sums the age groups it covers); the answer is "yes" when
        P(yes) >= 0.5, with confidence max(P, 1 - P).
Below UNSURE_BELOW the answer is phrased as "the model is unsure". Every answer
names its model and what that model was trained on.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from models.cards import ModelCard
from models.labels import expected_age, matching_labels, parse_age_value
from vqa import age_mass
from vqa.numbers import percent
from vqa.router import Check, Intent

UNSURE_BELOW = 0.6
RUNNERS_UP = 2

@dataclasses.dataclass(frozen=True)
class Answer:
    model: str
    attribute: str
    kind: str  # "open" | "yes_no"
    answer: str  # top label, "yes", "no", or "cannot answer"
    confidence: float | None  # None when the model cannot answer the question
    probabilities: dict[str, float]  # the model's own labels -> p, in output order
    text: str  # one sentence a person can read, ending with the provenance
    provenance: str
    card: ModelCard
    asked: str | None = None  # yes_no: the class or age bound asked about
    negated: bool = False
    p_yes: float | None = None
    runners_up: tuple[tuple[str, float], ...] = ()
    unsure: bool = False
    notes: tuple[str, ...] = ()
    # The model's own label that stands for this answer: the class the
    # heatmaps explain (open: the top label; yes/no: the most probable label
    # among those that mean the answer given).
    evidence: str | None = None
    # vqa.stability.Stability: the same model re-asked on variants of the crop
    # (None when the stability check is off).
    stability: Any = None
    # From the model's audit (vqa.confidence), None without one: the answer's
    # probability after temperature scaling, the labels of its 90% prediction
    # set, where the calibration came from (CalibrationSource) and how often the
    # model was right when it said this (AuditRecord).
    calibrated_confidence: float | None = None
    prediction_set: tuple[str, ...] | None = None
    calibration: Any = None
    audit: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "attribute": self.attribute,
            "kind": self.kind,
            "answer": self.answer,
            "confidence": self.confidence,
            "probabilities": dict(self.probabilities),
            "text": self.text,
            "provenance": self.provenance,
            "training_data": self.card.training_data,
            "synthetic": self.card.synthetic,
            "asked": self.asked,
            "negated": self.negated,
            "p_yes": self.p_yes,
            "runners_up": [[label, p] for label, p in self.runners_up],
            "unsure": self.unsure,
            "notes": list(self.notes),
            "evidence": self.evidence,
            "stability": self.stability.to_dict() if self.stability is not None else None,
            "calibrated_confidence": self.calibrated_confidence,
            "prediction_set": list(self.prediction_set) if self.prediction_set is not None else None,
            "calibration": self.calibration.to_dict() if self.calibration is not None else None,
            "audit": self.audit.to_dict() if self.audit is not None else None,
        }


class AnswerError(ValueError):
    """Probabilities that do not fit the model's card."""


def _probabilities(probs, card: ModelCard) -> dict[str, float]:
    probs = np.asarray(probs, dtype=np.float64).reshape(-1)
    if probs.shape[0] != len(card.labels):
        raise AnswerError(f"{card.name}: {probs.shape[0]} probabilities for {len(card.labels)} labels")
    if not np.all(np.isfinite(probs)) or np.any(probs < 0):
        raise AnswerError(f"{card.name}: probabilities must be finite and non-negative")
    return {label: float(p) for label, p in zip(card.labels, probs, strict=True)}


def _base(card: ModelCard, kind: str, probabilities: dict[str, float]) -> dict[str, Any]:
    return dict(model=card.name, attribute=card.attribute, kind=kind,
                probabilities=probabilities, provenance=card.provenance, card=card)


def open_answer(probs, card: ModelCard, unsure_below: float = UNSURE_BELOW) -> Answer:
    """The top class, its probability and the runners-up."""
    probabilities = _probabilities(probs, card)
    ranked, notes = probabilities, ()
    if card.attribute == "age" and age_mass.is_single_years(card.labels):
        ranked = age_mass.to_fairface_groups(card.labels, list(probabilities.values()))
        mean = float(expected_age(list(probabilities.values()), card.labels))
        notes = (f"This model predicts single years; they are summed into FairFace's age "
                 f"groups for this answer (expected age {mean:.0f}).",)
    order = sorted(ranked.items(), key=lambda item: -item[1])
    (top, p_top), runners = order[0], tuple(order[1: 1 + RUNNERS_UP])
    unsure = p_top < unsure_below
    others = ", ".join(f"{label} {percent(p)}" for label, p in runners)
    sentence = (f"The model is unsure: {top} {percent(p_top)}, then {others}." if unsure
                else f"{top} ({percent(p_top)}); next: {others}.")
    evidence = max(probabilities, key=probabilities.get)
    return Answer(**_base(card, "open", probabilities), answer=top, confidence=p_top,
                  text=f"{sentence} [{card.provenance}]", runners_up=runners,
                  unsure=unsure, notes=notes, evidence=evidence)


def _class_labels(value: str, labels) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Labels whose mass answers "is it `value`?", and notes on any mapping."""
    matched, is_union = matching_labels(value, labels)
    if is_union:
        return matched, (f"This model has no '{value}' class; P(yes) sums {' + '.join(matched)}.",)
    return matched, ()


def _describe_age(value: str) -> str:
    low, high = parse_age_value(value)
    if high is None:
        return f"older than {low - 1}"
    if low == 0:
        return f"younger than {high + 1}"
    return str(low) if low == high else f"{low} to {high}"


def _yes_weights(probabilities: dict[str, float], card: ModelCard, check: Check):
    """(share of each label that means `check.value`, the value in words, notes),
    or None when the model's labels cannot express it."""
    labels = list(probabilities)
    if card.attribute == "age":
        low, high = parse_age_value(check.value)
        weights, splits = age_mass.bound_weights(labels, low, high)
        return weights, f"age {_describe_age(check.value)}", tuple(s.note for s in splits)
    matched, notes = _class_labels(check.value, labels)
    if not matched:
        return None
    return np.array([float(label in matched) for label in labels]), check.value, notes


def _evidence(probabilities: dict[str, float], weights: np.ndarray) -> str:
    """The label that carries most of the probability behind the answer given."""
    probs = np.array(list(probabilities.values()))
    return list(probabilities)[int(np.argmax(probs * weights))]


def cannot_answer(card: ModelCard, check: Check, probabilities: dict[str, float]) -> Answer:
    text = (f"This model cannot answer that: its labels ({', '.join(card.labels)}) have no "
            f"'{check.value}' class. [{card.provenance}]")
    return Answer(**_base(card, "yes_no", probabilities), answer="cannot answer", confidence=None,
                  text=text, asked=check.value, negated=check.negated,
                  evidence=max(probabilities, key=probabilities.get))


def _negated_sentence(card: ModelCard, check: Check, asked: str, answer: str, p_yes: float, unsure: bool,
                      probabilities: dict[str, float], not_weights: np.ndarray) -> str:
    """A negated question answered in words that repeat the negation, so that
    its yes or no cannot be read as the answer to the question without it:
    "You asked whether this person is NOT Male: no, the model says Male (93%)."."""
    thing = _negated_thing(card, check, asked)
    asked_whether = f"You asked whether this person is NOT {thing}"
    p_thing = 1.0 - p_yes
    if unsure:
        return f"{asked_whether}: the model is unsure ({thing}: {percent(p_thing)}; NOT {thing}: {percent(p_yes)})."
    if answer == "no":
        return f"{asked_whether}: no, the model says {thing} ({percent(p_thing)})."
    # Yes: name the label that is not `thing` when there is only one (Female for NOT Male).
    others = [label for label, w in zip(probabilities, not_weights) if w >= 1.0]
    if card.attribute != "age" and len(others) == 1 and np.all((not_weights == 0) | (not_weights == 1)):
        return f"{asked_whether}: yes, the model says {others[0]} ({percent(p_yes)})."
    sentence = f"{asked_whether}: yes, the model says not {thing} ({percent(p_yes)})"
    if card.attribute == "age":
        return sentence + "."
    top = max(others, key=probabilities.get)
    return f"{sentence}; its most likely label is {top} ({percent(probabilities[top] / sum(probabilities.values()))})."


def _negated_thing(card: ModelCard, check: Check, asked: str) -> str:
    """What a negated question asks about, to follow "is NOT": "Male", "older than 59", "aged 13 to 19"."""
    if card.attribute != "age":
        return asked
    described = _describe_age(check.value)
    return described if described.startswith(("older", "younger")) else f"aged {described}"


def yes_no_answer(probs, card: ModelCard, check: Check, unsure_below: float = UNSURE_BELOW) -> Answer:
    """P(yes) from the probability mass of the classes (or years) asked about."""
    probabilities = _probabilities(probs, card)
    found = _yes_weights(probabilities, card, check)
    if found is None:
        return cannot_answer(card, check, probabilities)
    weights, asked, notes = found
    if check.negated:
        weights = 1.0 - weights
    probs = np.array(list(probabilities.values()))
    p_yes = float(min(max(np.dot(weights, probs) / probs.sum(), 0.0), 1.0))
    confidence = max(p_yes, 1.0 - p_yes)
    answer = "yes" if p_yes >= 0.5 else "no"
    evidence = _evidence(probabilities, weights if answer == "yes" else 1.0 - weights)
    unsure = confidence < unsure_below
    if check.negated:
        sentence = _negated_sentence(card, check, asked, answer, p_yes, unsure, probabilities, weights)
    else:
        claim = f"P({asked}) = {percent(p_yes)}"
        if p_yes < 0.5:
            claim += f", so {percent(confidence)} that it is not"
        sentence = f"The model is unsure ({claim})." if unsure else f"{answer.capitalize()}: {claim}."
    return Answer(**_base(card, "yes_no", probabilities), answer=answer, confidence=confidence,
                  text=f"{sentence} [{card.provenance}]", asked=check.value,
                  negated=check.negated, p_yes=p_yes, unsure=unsure, notes=notes, evidence=evidence)


def answer_for(probs, card: ModelCard, intent: Intent, unsure_below: float = UNSURE_BELOW) -> Answer:
    """The answer this model gives to the routed question about its attribute."""
    check = next((c for c in intent.checks if c.attribute == card.attribute), None)
    if check is None:
        return open_answer(probs, card, unsure_below)
    return yes_no_answer(probs, card, check, unsure_below)
