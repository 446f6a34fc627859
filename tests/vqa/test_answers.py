"""Answers: confidence from probability mass, checked against direct sums."""
import json

import numpy as np
import pytest

from models.cards import ModelCard
from models.labels import FAIRFACE_AGE, FAIRFACE_GENDER, FAIRFACE_RACE, UTKFACE_RACE, single_year_ages_to_fairface
from vqa.answers import AnswerError, answer_for, open_answer, yes_no_answer
from vqa.router import Check, route

RNG = np.random.default_rng(0)
SINGLE_YEARS = tuple(str(year) for year in range(81))  # dlib's age model: 0..80
OTHER_GROUPS = ("0-2", "3-7", "8-14", "15-24", "25-37", "38-47", "48-59", "60+")  # a GEAR-like space


def card(attribute, labels, name="m", **kw):
    return ModelCard(name=name, attribute=attribute, labels=labels, training_data="FairFace", **kw)


def dirichlet(k):
    return RNG.dirichlet(np.ones(k))


def test_yes_no_age_answer_equals_the_summed_age_groups():
    probs = dirichlet(9)
    got = answer_for(probs, card("age", FAIRFACE_AGE), route("Is she 30 or older?"))
    # 30-39, 40-49, 50-59, 60-69, more than 70: groups 4..8, no group split.
    assert got.p_yes == pytest.approx(probs[4:].sum(), abs=1e-12)
    assert got.notes == ()
    assert got.answer == ("yes" if probs[4:].sum() >= 0.5 else "no")
    assert got.confidence == pytest.approx(max(probs[4:].sum(), 1 - probs[4:].sum()))


def test_a_bound_inside_a_group_splits_it_by_years_and_says_so():
    probs = dirichlet(9)
    got = answer_for(probs, card("age", FAIRFACE_AGE), route("Is she older than 30?"))
    # ages 31-39 are 9 of the 10 years of "30-39".
    assert got.p_yes == pytest.approx(0.9 * probs[4] + probs[5:].sum(), abs=1e-12)
    assert len(got.notes) == 1 and "'30-39'" in got.notes[0] and "9 of its 10 years" in got.notes[0]


def test_single_year_model_sums_exact_years():
    probs = dirichlet(81)
    got = yes_no_answer(probs, card("age", SINGLE_YEARS), Check("age", "<18"))
    assert got.p_yes == pytest.approx(probs[:18].sum(), abs=1e-12)
    assert got.notes == ()


def test_single_year_open_answer_uses_the_exact_fairface_groups():
    probs = dirichlet(81)
    got = open_answer(probs, card("age", SINGLE_YEARS))
    groups = single_year_ages_to_fairface(probs)
    assert got.answer == FAIRFACE_AGE[int(np.argmax(groups))]
    assert got.confidence == pytest.approx(groups.max(), abs=1e-12)
    assert len(got.probabilities) == 81  # the model's own labels are kept
    assert "expected age" in got.notes[0]


def test_other_age_groups_split_proportionally():
    probs = dirichlet(len(OTHER_GROUPS))
    got = yes_no_answer(probs, card("age", OTHER_GROUPS), Check("age", "20-29"))
    # 20-24 is 5 of the 10 years of 15-24, 25-29 is 5 of the 13 years of 25-37.
    assert got.p_yes == pytest.approx(probs[3] * 5 / 10 + probs[4] * 5 / 13, abs=1e-12)
    assert len(got.notes) == 2


def test_open_group_is_split_up_to_the_assumed_last_year():
    probs = np.zeros(9)
    probs[8] = 1.0
    got = yes_no_answer(probs, card("age", FAIRFACE_AGE), Check("age", ">79"))
    assert got.p_yes == pytest.approx(20 / 30)  # 80-99 of 70-99


def test_open_answer_reports_top_and_runners_up():
    probs = np.array([0.05, 0.7, 0.1, 0.05, 0.04, 0.03, 0.03])
    got = open_answer(probs, card("race", FAIRFACE_RACE))
    assert (got.answer, got.confidence, got.unsure) == ("Black", pytest.approx(0.7), False)
    assert [label for label, _ in got.runners_up] == ["Latino_Hispanic", "White"]
    assert got.text.startswith("Black (70%)") and "trained on FairFace" in got.text


def test_low_confidence_is_phrased_as_unsure():
    got = open_answer(np.array([0.45, 0.55]), card("gender", FAIRFACE_GENDER))
    assert got.unsure and got.text.startswith("The model is unsure")
    yn = yes_no_answer(np.array([0.45, 0.55]), card("gender", FAIRFACE_GENDER), Check("gender", "Female"))
    assert yn.unsure and yn.confidence == pytest.approx(0.55) and "unsure" in yn.text


def test_negated_question_flips_p_yes():
    probs = np.array([0.8, 0.2])
    got = answer_for(probs, card("gender", FAIRFACE_GENDER), route("Is this person not a man?"))
    assert got.p_yes == pytest.approx(0.2) and got.answer == "no" and got.confidence == pytest.approx(0.8)


def test_asian_sums_east_and_southeast_asian_on_fairface_and_is_direct_on_utkface():
    probs = dirichlet(7)
    fair = yes_no_answer(probs, card("race", FAIRFACE_RACE), Check("race", "Asian"))
    assert fair.p_yes == pytest.approx(probs[3] + probs[4])
    assert "East Asian + Southeast Asian" in fair.notes[0]
    utk_probs = dirichlet(5)
    utk = yes_no_answer(utk_probs, card("race", UTKFACE_RACE), Check("race", "Asian"))
    assert utk.p_yes == pytest.approx(utk_probs[2]) and utk.notes == ()


def test_a_class_the_model_does_not_have_cannot_be_answered():
    got = yes_no_answer(dirichlet(5), card("race", UTKFACE_RACE), Check("race", "East Asian"))
    assert got.answer == "cannot answer" and got.confidence is None and "East Asian" in got.text


def test_gender_spelled_differently_still_matches():
    got = yes_no_answer(np.array([0.3, 0.7]), card("gender", ("man", "woman")), Check("gender", "Female"))
    assert got.p_yes == pytest.approx(0.7)


def test_synthetic_models_say_so_and_answers_are_json_able():
    got = open_answer(dirichlet(2).astype(np.float32), card("gender", FAIRFACE_GENDER, synthetic=True))
    assert "SYNTHETIC" in got.text
    data = json.loads(json.dumps(got.to_dict()))
    assert data["synthetic"] is True and set(data["probabilities"]) == set(FAIRFACE_GENDER)


@pytest.mark.parametrize("probs", [np.ones(3) / 3, np.array([np.nan, 1.0]), np.array([-0.1, 1.1])])
def test_probabilities_that_do_not_fit_the_card_are_a_typed_error(probs):
    with pytest.raises(AnswerError):
        open_answer(probs, card("gender", FAIRFACE_GENDER))


def test_evidence_is_the_label_behind_the_answer():
    probs = np.array([0.1, 0.05, 0.05, 0.1, 0.3, 0.2, 0.1, 0.05, 0.05])
    yes = yes_no_answer(probs, card("age", FAIRFACE_AGE), Check("age", ">29"))
    assert yes.answer == "yes" and yes.evidence == "30-39"
    no = yes_no_answer(probs, card("age", FAIRFACE_AGE), Check("age", "<10"))
    assert no.answer == "no" and no.evidence == "30-39"
    race = np.array([0.05, 0.05, 0.05, 0.2, 0.5, 0.1, 0.05])
    asian = yes_no_answer(race, card("race", FAIRFACE_RACE), Check("race", "Asian"))
    assert asian.evidence == "Southeast Asian"
    assert open_answer(race, card("race", FAIRFACE_RACE)).evidence == "Southeast Asian"


# ---------------------------------------------------------------------------
# Negated questions: the sentence repeats the negation, so that its yes or no
# cannot be taken for the answer to the question without it.

@pytest.mark.parametrize("question", ["Is this person not a man?", "¿Esta persona no es un hombre?",
                                      "Ist das kein Mann?", "Ce n'est pas un homme ?"])
def test_a_negated_gender_question_says_what_was_asked_and_what_the_model_says(question):
    male = FAIRFACE_GENDER.index("Male")
    probs = np.zeros(2)
    probs[male], probs[1 - male] = 0.93, 0.07
    no = answer_for(probs, card("gender", FAIRFACE_GENDER), route(question))
    assert (no.answer, no.negated, no.p_yes) == ("no", True, pytest.approx(0.07))
    assert no.text.startswith("You asked whether this person is NOT Male: no, the model says Male (93%).")
    yes = answer_for(probs[::-1].copy(), card("gender", FAIRFACE_GENDER), route(question))
    assert yes.answer == "yes" and yes.evidence == "Female"
    assert yes.text.startswith("You asked whether this person is NOT Male: yes, the model says Female (93%).")


def test_a_negated_race_question_names_the_most_likely_other_label():
    probs = np.array([0.6, 0.05, 0.05, 0.1, 0.1, 0.05, 0.05])  # FairFace order: White first
    got = answer_for(probs, card("race", FAIRFACE_RACE), route("Is she not Asian?"))
    assert got.p_yes == pytest.approx(1 - probs[3] - probs[4]) and got.answer == "yes"
    assert got.text.startswith("You asked whether this person is NOT Asian: yes, the model says not Asian (80%); "
                               "its most likely label is White (60%).")


def test_a_negated_age_question_is_the_complement_of_the_plain_one():
    probs = dirichlet(9)
    plain = answer_for(probs, card("age", FAIRFACE_AGE), route("Is she in her 30s?"))
    negated = answer_for(probs, card("age", FAIRFACE_AGE), route("Is she not in her 30s?"))
    assert negated.p_yes == pytest.approx(1 - plain.p_yes, abs=1e-12)
    assert negated.answer != plain.answer or plain.p_yes == 0.5
    assert negated.text.startswith("You asked whether this person is NOT aged 30 to 39: ")


def test_an_unsure_negated_answer_gives_both_shares():
    got = answer_for(np.array([0.45, 0.55]), card("gender", FAIRFACE_GENDER), route("Is this person not a woman?"))
    female = FAIRFACE_GENDER.index("Female")
    p_female = [0.45, 0.55][female]
    assert got.unsure and f"Female: {100 * p_female:.0f}%" in got.text and "NOT Female" in got.text
