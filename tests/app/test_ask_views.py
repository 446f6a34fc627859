"""The Ask tab's words and pictures from a Result, without a server: general
questions, the second opinion's flag, stability and the region chart."""
from __future__ import annotations

import types

import numpy as np
import pytest

from app import views
from models.cards import ModelCard
from vqa.general import GeneralAnswer
from vqa.stability import Stability, Variant


def opinion(**fields) -> GeneralAnswer:
    base = dict(model="tiny-vilt", answer="yes", confidence=0.83, top=(("yes", 0.83), ("no", 0.1)), family="ViLT",
                kind="classifier", training_data="VQAv2")
    return GeneralAnswer(**{**base, **fields})


def result_of(kind="open", second=None, problems=(), faces=()):
    intent = types.SimpleNamespace(kind=kind, reason=None, notes=(), topic=None)
    return types.SimpleNamespace(intent=intent, second_opinion=second, problems=list(problems), faces=list(faces),
                                 image=np.zeros((40, 40, 3), np.uint8))


def answer(model="a", said="White", stability=None):
    card = ModelCard(name=model, attribute="race", labels=("White", "Black"), training_data=f"{model} data")
    return types.SimpleNamespace(model=model, answer=said, confidence=0.9, card=card, notes=(),
                                 probabilities={"White": 0.9, "Black": 0.1}, text=f"{said} [{card.provenance}]",
                                 stability=stability)


def test_a_general_answer_is_labelled_a_general_models_guess_with_its_data_and_confidence():
    heatmap = np.full((40, 40), 0.5, np.float32)
    text = views.answer_markdown(result_of("general", opinion(alone=True, heatmap=heatmap, ig_delta=0.004,
                                                              ig_steps=32, explains="the logit")), 0)
    assert "**ViLT** (tiny-vilt): **yes** (83% confident)" in text
    assert "general visual question answering model's guess" in text and "Its training data: VQAv2." in text
    assert "Its next guesses: no (10%)." in text
    assert "completeness error 0.4%, exact." in text and "32 steps" in text
    rough = views.vqa_map_line(opinion(heatmap=heatmap, ig_delta=0.2, ig_steps=32))
    assert "completeness error 20.0%, only approximate (the aim is 1%" in rough


def test_a_general_question_with_the_vqa_model_off_shows_the_engines_line_naming_the_flag():
    off = "Only a general visual question answering model answers questions about glasses: use --vqa-model."
    assert views.answer_markdown(result_of("general", problems=[off]), 0) == f"**Problem:** {off}"


@pytest.mark.parametrize(("disagrees", "flagged", "agrees"), [(True, True, False), (False, False, True),
                                                              (None, False, False)])
def test_the_second_opinion_is_flagged_exactly_where_it_disagrees(disagrees, flagged, agrees):
    text = views.second_opinion_markdown(result_of(second=opinion(answer="asian", disagrees=disagrees)))
    assert "**Second opinion** from ViLT (tiny-vilt): **asian** (83%)." in text
    assert ("**It disagrees with the face models' answer.**" in text) == flagged
    assert ("It agrees with the face models." in text) == agrees
    assert "it was not trained to judge faces" in text


def test_the_second_opinion_says_why_it_is_off_or_failed_and_stays_quiet_when_it_is_the_answer():
    assert views.second_opinion_markdown(result_of(), "no torch") == "*No second opinion: no torch*"
    assert views.second_opinion_markdown(result_of()) == ""
    assert views.second_opinion_markdown(result_of(second=opinion(error="offline"))) == "*No second opinion: offline*"
    assert views.second_opinion_markdown(result_of("general", second=opinion(alone=True))) == ""


def unstable() -> Stability:
    variants = [Variant("padding 0.15", "White", 0.8, 0.8, True), Variant("flip", "Black", 0.3, 0.7, False)]
    return Stability(agreement=0.5, stable=False, low=0.3, high=0.9, variants=variants, answer="White",
                     skipped=("other detector: it found no face there",))


def test_an_unstable_answer_is_flagged_and_its_variants_are_listed():
    face = types.SimpleNamespace(answers=[answer(stability=unstable())], heatmap_info={})
    text = views.answer_markdown(result_of(faces=[face]), 0)
    assert "**Unstable:** only 50% of small changes of the crop give this answer" in text
    trust = views.trust_markdown(face, "a")
    assert "#### Can you trust this answer? (a)" in trust and f"**Stability**: {unstable().text}" in trust
    assert "| padding 0.15 | White | 80% | 80% |" in trust and "| flip | Black (differs) | 70% | 30% |" in trust
    assert "*Not tried: other detector: it found no face there.*" in trust
    assert "Can you trust these maps?" not in trust  # no maps were made
    assert views.PENDING not in trust  # measured


def test_a_face_answered_without_any_check_yet_says_they_are_still_being_measured():
    face = types.SimpleNamespace(answers=[answer()], heatmap_info={"a": {"gradcam": {"layer": "conv"}}})
    assert views.trust_markdown(face, "a").startswith(views.PENDING)
    face.heatmap_info["a"]["gradcam"]["faithfulness"] = {"deletion_auc": 0.2}
    assert views.PENDING not in views.trust_markdown(face, "a")


def test_a_stable_answer_has_one_line_and_no_table():
    stable = Stability(agreement=1.0, stable=True, low=0.8, high=0.9, variants=[Variant("flip", "White", 0.8)],
                       answer="White")
    face = types.SimpleNamespace(answers=[answer(stability=stable)], heatmap_info={})
    assert "Unstable" not in views.answer_markdown(result_of(faces=[face]), 0)
    assert views.trust_markdown(face, "a").endswith(f"**Stability**: {stable.text}")


def test_the_region_chart_is_the_results_and_a_missing_one_says_why():
    from matplotlib.figure import Figure

    from vqa.occlusion import Occlusion, compare_regions

    shares = {"eyes": 0.7, "mouth": 0.3}
    occlusion = Occlusion(target="White", score_kind="logit", score=2.0, fill="grey", drops={"eyes": 1.0, "mouth": 0.1},
                          areas={"eyes": 10, "mouth": 10}, shares={"eyes": 0.9, "mouth": 0.1})
    face = types.SimpleNamespace(index=0, regions={"a": {"gradcam": shares}}, occlusion={"a": occlusion},
                                 region_checks={"a": {"gradcam": compare_regions(shares, occlusion, "Grad-CAM")}},
                                 regions_note=None, answers=[answer()])
    charts = []
    result = result_of(faces=[face])
    result.region_chart = lambda index, model, method: charts.append((index, model, method)) or Figure()
    figure, note = views.region_figure(result, 0, "a", "gradcam")
    assert isinstance(figure, Figure) and charts == [(0, "a", "gradcam")]
    assert "greyed out" in note and "Confirmed" in note
    figure, note = views.region_figure(result, 0, "a", "ig")
    assert figure is None and "No Integrated Gradients map was made for a; regions of: Grad-CAM" in note
    face.regions, face.regions_note = {}, "no face detector finds a face in this photo"
    assert views.region_figure(result, 0, "a", "gradcam") == (
        None, "*No face regions for a: no face detector finds a face in this photo.*")
    face.regions_note = None
    assert "has not run for this answer yet" in views.region_figure(result, 0, "a", "gradcam")[1]
