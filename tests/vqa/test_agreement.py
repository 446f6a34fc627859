"""Agreement across label spaces: the behaviour the Compare tab shows today
(app/compare_tab.py, tests/app/test_compare_tab.py), through the one label vocabulary."""
import types

import pytest

from models.labels import FAIRFACE_GENDER, FAIRFACE_RACE
from tests.vqa.helpers import AGREEMENT_CASES
from vqa.agreement import agreement, agreement_summary, general_disagrees
from vqa.router import route


def _answer(model, answer, confidence=0.9, attribute="race", kind="open", labels=FAIRFACE_RACE):
    card = types.SimpleNamespace(labels=labels)
    return types.SimpleNamespace(model=model, answer=answer, confidence=confidence, attribute=attribute,
                                 kind=kind, card=card)


def _answers(*said, attribute="race"):
    return [_answer(f"m{i}", label, attribute=attribute) for i, label in enumerate(said)]


@pytest.mark.parametrize("attribute, said, agree", AGREEMENT_CASES)
def test_answers_are_compared_by_meaning(attribute, said, agree):
    got = agreement(_answers(*said, attribute=attribute), attribute)
    assert got.agree is agree and got.count == 2 and got.said == said


def test_groups_name_the_models_behind_each_answer_and_cannot_answer_is_left_out():
    answers = _answers("Female", "Male", "Female", attribute="gender")
    answers.append(_answer("m3", "cannot answer", confidence=None, attribute="gender"))
    got = agreement(answers, "gender")
    assert not got.agree and got.count == 3
    assert got.groups == {"Female": ("m0", "m2"), "Male": ("m1",)}


def test_the_general_model_is_one_more_row_compared_in_its_own_words():
    from vqa.general import GeneralAnswer

    said = GeneralAnswer("tiny-vilt", answer="asian", confidence=0.4, family="ViLT")
    assert agreement(_answers("East Asian") + [said], "race").agree
    got = agreement(_answers("White") + [said], "race")
    assert not got.agree and got.groups == {"White": ("m0",), "asian": ("tiny-vilt",)}
    blue = GeneralAnswer("tiny-vilt", answer="blue", confidence=0.4, family="ViLT")
    got = agreement(_answers("White") + [blue], "race")
    assert got.agree and got.count == 1 and got.unreadable == (("tiny-vilt", "blue"),)
    failed = GeneralAnswer("tiny-vilt", error="no VQA model folder at x")
    assert agreement(_answers("White") + [failed], "race").count == 1


def test_a_model_own_label_is_readable_even_when_no_known_space_has_it():
    other = _answer("m9", "Mixed", labels=("White", "Mixed"))
    assert agreement([other, _answer("m1", "White")], "race").answers == (("m9", "Mixed"), ("m1", "White"))


def test_one_model_agrees_with_itself_and_no_model_is_an_empty_agreement():
    assert agreement(_answers("White"), "race").agree and agreement(_answers("White"), "race").count == 1
    assert agreement([], "race").count == 0


def test_a_vqa_yes_contradicts_any_face_no_and_a_vqa_no_only_a_unanimous_yes():
    intent = route("Is she a woman?")
    yes = _answer("g", "yes", kind="yes_no", attribute="gender", labels=FAIRFACE_GENDER)
    no = _answer("h", "no", kind="yes_no", attribute="gender", labels=FAIRFACE_GENDER)
    assert general_disagrees("yes", intent, [yes]) is False
    assert general_disagrees("no", intent, [yes]) is True
    assert general_disagrees("yes", intent, [yes, no]) is True
    assert general_disagrees("no", intent, [yes, no]) is False
    assert general_disagrees("Yes", intent, [no]) is True
    # Its "no" to "smiling and over 40?" may be about the smile, which no face model judged.
    over_40 = _answer("a", "yes", kind="yes_no", attribute="age", labels=("30-39",))
    assert general_disagrees("no", route("Is he smiling and is he over 40?"), [over_40]) is None
    assert general_disagrees("no", route("Is he over 40?"), [over_40]) is True


def test_an_open_vqa_answer_is_read_through_the_label_vocabulary():
    intent = route("What race is she?")
    face = [_answer("r", "East Asian")]
    assert general_disagrees("asian", intent, face) is False  # the broader class holds it
    assert general_disagrees("white", intent, face) is True
    assert general_disagrees("blue", intent, face) is None  # not a race label: nothing to compare
    assert general_disagrees("yes", intent, face) is None  # no yes/no answer to compare with
    age = [_answer("a", "30-39", attribute="age", labels=("30-39",))]
    assert general_disagrees("35", route("How old is she?"), age) is False
    assert general_disagrees("20", route("How old is she?"), age) is True


def test_nothing_to_compare_is_none():
    assert general_disagrees(None, route("What race is she?"), [_answer("r", "White")]) is None
    assert general_disagrees("white", route("What race is she?"), []) is None
    assert general_disagrees("white", route("What race is she?"), [_answer("r", "x", confidence=None)]) is None


# --- the one-sentence summary --------------------------------------------------------

def _trained(model, answer, data, attribute="gender"):
    labels = {"gender": FAIRFACE_GENDER, "age": ("30-39",), "race": FAIRFACE_RACE}[attribute]
    card = types.SimpleNamespace(labels=labels, training_data=data)
    return types.SimpleNamespace(model=model, answer=answer, confidence=0.9, attribute=attribute, kind="open",
                                 card=card)


UTK, IMDB, DLIB = "UTKFace (non-commercial research terms)", "IMDB-WIKI (IMDB part)", "dlib-models (Cydral): private"


def test_summary_names_the_majority_and_groups_dissenters_that_share_training_data():
    answers = [_trained("a", "Female", DLIB), _trained("b", "Female", IMDB), _trained("c", "Male", UTK),
               _trained("d", "Female", ""), _trained("e", "Male", "UTKFace (another crop)")]
    assert agreement_summary(agreement(answers, "gender")) == (
        "3 of 5 gender models say Female; the two models trained on UTKFace disagree with the rest (Male).")


def test_summary_says_how_many_of_a_data_set_dissent_and_names_single_dissenters():
    answers = [_trained("ssr", "Male", IMDB), _trained("xcp", "Male", "IMDB-WIKI: other filtering"),
               _trained("res", "Female", IMDB), _trained("gear", "Female", UTK), _trained("dlib", "Female", DLIB),
               _trained("user", "Female", "FairFace"), _trained("odd", "woman", "")]
    assert agreement_summary(agreement(answers, "gender")) == (
        "5 of 7 gender models say Female; two of the three models trained on IMDB-WIKI disagree with the rest "
        "(Male).")
    one = [_trained("gear", "Male", UTK), _trained("dlib", "Female", DLIB), _trained("x", "woman", "")]
    assert agreement_summary(agreement(one, "gender")) == (
        "2 of 3 gender models say Female; gear (trained on UTKFace) disagrees with the rest (Male).")
    nameless = [_trained("p", "Male", ""), _trained("q", "Female", ""), _trained("r", "Female", "")]
    assert agreement_summary(agreement(nameless, "gender")).endswith("; p disagrees with the rest (Male).")


def test_summary_of_agreement_split_and_too_few_answers():
    same = [_trained(m, "Female", UTK) for m in "abc"]
    assert agreement_summary(agreement(same, "gender")) == "All 3 gender models say Female."
    ages = [_trained("a", "30-39", DLIB, "age"), _trained("b", "31-40", UTK, "age")]
    assert agreement_summary(agreement(ages, "age")) == "Both age models agree: 30-39, 31-40."
    assert agreement_summary(agreement(ages + [_trained("c", "35", UTK, "age")], "age")) == (
        "All 3 age models agree: 30-39, 31-40, 35.")
    split = [_trained("a", "20-29", IMDB, "age"), _trained("b", "20-29", IMDB, "age"),
             _trained("c", "61+", UTK, "age"), _trained("d", "45", DLIB, "age")]
    assert agreement_summary(agreement(split, "age")) == (
        "The 4 age models disagree: the two models trained on IMDB-WIKI say 20-29, "
        "c (trained on UTKFace) says 61+ and d (trained on dlib-models) says 45.")
    assert agreement_summary(agreement([_trained("a", "Male", UTK)], "gender")) == "Only a answered: Male."
    assert agreement_summary(agreement([], "race")) == "No race model answered."


def test_summary_age_groups_count_as_agreeing_when_they_overlap():
    """A majority by meaning: 30-39 overlaps 31-40 and 35, not 61+."""
    answers = [_trained("a", "35", DLIB, "age"), _trained("b", "30-39", IMDB, "age"),
               _trained("c", "31-40", UTK, "age"), _trained("d", "61+", IMDB, "age")]
    summary = agreement_summary(agreement(answers, "age"))
    assert summary.startswith("3 of 4 age models say ") and summary.endswith(
        "; d (trained on IMDB-WIKI) disagrees with the rest (61+).")


def test_the_general_model_without_a_card_is_named_in_the_summary():
    from vqa.general import GeneralAnswer

    said = GeneralAnswer("tiny-vilt", answer="man", confidence=0.4, family="ViLT")
    answers = [_trained("a", "Female", UTK), _trained("b", "Female", DLIB), said]
    assert agreement_summary(agreement(answers, "gender")) == (
        "2 of 3 gender models say Female; tiny-vilt disagrees with the rest (man).")
