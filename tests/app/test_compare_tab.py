"""The Compare tab: its words from a Comparison without a server (agreement by
meaning, the general VQA model's row and sentence, the models found), and its
handlers in-process over a real Engine on two tiny race models."""
from __future__ import annotations

import dataclasses

import gradio as gr
import pytest

from app import compare_tab
from app.compare_tab import CompareHandlers
from models.cards import ModelCard
from tests.app.helpers import answer_of, face_of, record_of, result_of, undrawable
from tests.vqa.helpers import AGREEMENT_CASES
from vqa import Engine
from vqa.agreement import agreement
from vqa.engine import Comparison


def comparison(answers, attribute="gender") -> Comparison:
    result = result_of(faces=[face_of(*map(record_of, answers))])
    return Comparison(attribute=attribute, result=result, agreement=agreement(answers, attribute))


def said(*labels):
    return [answer_of(f"m{i}", label, 0.9) for i, label in enumerate(labels)]


def test_agreement_sees_man_and_male_as_the_same_answer_and_flags_a_real_split():
    agree = comparison([answer_of("a", "Female", 0.8), answer_of("b", "woman", 0.9)])
    assert "agree: Female / woman" in compare_tab.agreement_markdown(agree)
    split = comparison([answer_of("a", "Female", 0.8), answer_of("b", "Male", 0.7)])
    text = compare_tab.agreement_markdown(split)
    assert "disagree" in text and "**Female**: a" in text and "**Male**: b" in text


@pytest.mark.parametrize("attribute, answers, agree", AGREEMENT_CASES)
def test_agreement_compares_answers_across_label_spaces_by_meaning(attribute, answers, agree):
    text = compare_tab.agreement_markdown(comparison(said(*answers), attribute))
    assert ("agree:" in text) is agree and ("disagree" in text) is not agree


def test_one_model_is_not_an_agreement_and_the_verdict_says_how_to_add_another():
    text = compare_tab.agreement_markdown(comparison([answer_of("gear-race", "White", 0.9)], "race"))
    assert "agree" not in text
    assert "Only one race model" in text and "gear-race" in text
    assert "python -m training.demo" in text and "python -m training.train" in text


def test_one_model_beside_set_aside_lab_models_says_they_answer_only_the_labs_images():
    """With the bias lab built, its SYNTHETIC race models are installed but do not answer a
    real photo: "only one is installed" would be false, and the verdict names them instead."""
    alone = comparison([answer_of("gear-race", "White", 0.9)], "race")
    beside = dataclasses.replace(alone, set_aside=("synthetic_race", "synthetic_race_biased"))
    text = compare_tab.agreement_markdown(beside)
    assert "installed" not in text and "Only one race model answers real photos here (gear-race)" in text
    assert "synthetic_race, synthetic_race_biased were trained on SYNTHETIC" in text
    assert "installed" in compare_tab.agreement_markdown(alone)


def _vqa(answer, error=None):
    from vqa.general import GeneralAnswer

    return GeneralAnswer("tiny-vilt", answer=answer, confidence=None if error else 0.4, top=((answer, 0.4),),
                         family="ViLT", kind="classifier", training_data="VQAv2", error=error)


def vqa_comparison(answers, vqa, attribute="race") -> Comparison:
    return Comparison.of(attribute, result_of(faces=[face_of(*map(record_of, answers))], second=vqa))


@pytest.mark.parametrize("answers, vqa, verdict", [
    (("East Asian", "Southeast Asian"), "asian", "it agrees with every face model"),  # UTKFace-style word, one union
    (("East Asian", "White"), "asian", "it agrees with m0 and not with m1"),
    (("White", "Black"), "asian", "it disagrees with every face model"),
    (("White",), "white", "it agrees with the face model"),
    (("White", "Black"), "blue", "which names no race class, so it is not compared"),
])
def test_the_general_vqa_model_is_one_more_row_and_its_own_sentence(answers, vqa, verdict):
    compared = vqa_comparison(said(*answers), _vqa(vqa))
    text = compare_tab.agreement_markdown(compared)
    assert f"The general VQA model (ViLT) says **{vqa}**" in text and verdict in text
    assert ("Only one race model" in text) is (len(answers) == 1)  # the VQA model is not a second race model
    rows = compare_tab.comparison_rows(compared.face, compared.general_answer)
    assert [row[0] for row in rows] == [f"m{i}" for i in range(len(answers))] + ["tiny-vilt"]
    assert rows[-1] == ["tiny-vilt", "VQAv2 (general VQA model, not trained on faces)", vqa, 0.4, f"{vqa} 0.40",
                        "not calibrated", ""]


def test_a_vqa_model_that_failed_is_said_and_gets_no_row():
    compared = vqa_comparison(said("White", "White"), _vqa(None, error="no VQA model folder at x"))
    assert "could not answer: no VQA model folder at x" in compare_tab.agreement_markdown(compared)
    assert len(compare_tab.comparison_rows(compared.face, compared.general_answer)) == 2
    assert compared.general_agrees_with is None


def test_comparison_rows_keep_each_model_and_its_training_data():
    synthetic = answer_of("b", "cannot answer", None, synthetic=True)
    face = face_of(record_of(answer_of("a", "Female", 0.8)), record_of(synthetic))
    raw = ["not calibrated (raw softmax)", ""]  # no audit calibrated them
    assert compare_tab.comparison_rows(face) == [
        ["a", "a data", "Female", 0.8, "Female 0.80", *raw],
        ["b", "b data (SYNTHETIC)", "cannot answer", None, "Female 0.80", *raw]]


def test_models_found_marks_synthetic_ones():
    cards = [ModelCard(name="gear-race", attribute="race", labels=("White", "Black"), training_data="UTKFace"),
             ModelCard(name="synthetic_race", attribute="race", labels=("White", "Black"), training_data="lab",
                       synthetic=True)]
    text = compare_tab.models_markdown(cards, ["x.keras: broken"])
    assert "**race**: gear-race, synthetic_race (SYNTHETIC)" in text and "**gender**: no model yet" in text
    assert "**Problem:** x.keras: broken" in text


def test_every_verdict_and_problem_line_uses_glyphs_the_page_can_draw():
    from app.common import problem_lines

    texts = [compare_tab.agreement_markdown(comparison([answer_of("a", "Female", 0.8), answer_of("b", "woman", 0.9)])),
             compare_tab.agreement_markdown(vqa_comparison(said("White", "Black"), _vqa("asian"))),
             compare_tab.agreement_markdown(vqa_comparison(said("White"), _vqa("blue"))),
             compare_tab.LAB_MISSING, compare_tab.LAB_INTRO,
             compare_tab.agreement_markdown(comparison([answer_of("a", "Female", 0.8), answer_of("b", "Male", 0.7)])),
             compare_tab.agreement_markdown(comparison([answer_of("a", "Female", 0.8)])),
             *problem_lines(result_of(problems=["No model answers race yet."]))]
    for text in texts:
        assert not undrawable(text), text
    assert undrawable("\u2705") == {"\u2705"}  # the check mark shown before: the test can fail


# -- the handlers, over a real engine --------------------------------------------------

@pytest.fixture(scope="module")
def engine(user_models):
    return Engine(user_models, include_cache=False)


def test_compare_returns_a_map_of_its_tab(engine, photo_files):
    with gr.Blocks():
        tab = compare_tab.build([], engine)
    out = CompareHandlers(engine, tab).compare(str(photo_files["astronaut"]), "race", 0.5, progress=None)
    assert set(out) == {tab.verdict, tab.table, tab.gallery}
    assert {row[0] for row in out[tab.table]} == {"tiny-race-fair", "tiny-race-biased"}
    assert "race models" in out[tab.verdict] and len(out[tab.gallery]) == 4


def test_looking_for_new_models_finds_one_trained_after_start_up(user_models, tmp_path, photo_files):
    import shutil

    from tests.tiny_models import build_race_model

    folder = tmp_path / "models"
    shutil.copytree(user_models, folder)
    engine = Engine(folder, include_cache=False)
    with gr.Blocks():
        tab = compare_tab.build([], engine)
    handlers = CompareHandlers(engine, tab)
    assert "gender**: no model yet" in handlers.rescan()[tab.verdict]
    build_race_model(folder, "tiny-race-third", biased=False, seed=3)
    text = handlers.rescan()[tab.verdict]
    assert "tiny-race-third" in text and "tiny-race-fair" in text
    out = handlers.compare(str(photo_files["astronaut"]), "race", 0.5, progress=None)
    assert {row[0] for row in out[tab.table]} == {"tiny-race-fair", "tiny-race-biased", "tiny-race-third"}




def test_a_calibrated_answer_shows_its_calibration_set_and_record_everywhere():
    """Ask's answer line, Compare's row and the lab's table say the same calibration."""
    import dataclasses

    from app import ask_tab
    from vqa.confidence import AuditRecord, CalibrationSource, confidence_text

    answer = dataclasses.replace(
        answer_of("a", "Female", 0.99), calibrated_confidence=0.82, prediction_set=("Male", "Female"),
        calibration=CalibrationSource("the bias lab's audit", 280, True),
        audit=AuditRecord("Female", 41, 50, 0.69, 0.9))
    line = ask_tab.answer_line(answer)
    assert line.startswith("**a**: Female") and confidence_text(answer) in line
    assert "Calibrated: 82% (temperature-scaled on 280 SYNTHETIC images of the bias lab's audit)." in line
    assert "At 90%: Male or Female." in line
    assert "When it said Female it was right 41 of 50 times, 82% (95% interval 69%-90%)." in line
    assert compare_tab.calibration_cells(answer) == ["82%, SYNTHETIC audit", "Male or Female"]
    assert compare_tab._when_said(record_of(answer)) == "Female: right 41 of 50 (82%, 95% interval 69%-90%)"
    raw = answer_of("b", "Male", 0.99)
    assert "Not calibrated: this is the model's raw softmax." in ask_tab.answer_line(raw)
