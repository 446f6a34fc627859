"""The Ask tab's words and pictures from a Result, without a server: answers,
general questions, the second opinion's flag, the trust panel (each check's
own verdict, three of them from real models) and the region chart."""
from __future__ import annotations

import numpy as np
import pytest

from app import ask_tab, trust_view
from tests.app.helpers import answer_of, face_of, info, record_of, result_of
from tests.tiny_models import positive_linear
from vqa.general import GeneralAnswer
from vqa.stability import Stability, Variant
from xai.metrics import Faithfulness

RACE = "What is this person's race?"


def opinion(**fields) -> GeneralAnswer:
    base = dict(model="tiny-vilt", answer="yes", confidence=0.83, top=(("yes", 0.83), ("no", 0.1)), family="ViLT",
                kind="classifier", training_data="VQAv2")
    return GeneralAnswer(**{**base, **fields})


def race_answer(model="a", said="White", stability=None):
    return answer_of(model, said, labels=("White", "Black"), probs=(0.9, 0.1), attribute="race", stability=stability)


# -- the answer ------------------------------------------------------------------

def test_answer_markdown_names_each_model_and_says_what_could_not_be_done():
    face = face_of(record_of(answer_of("a", "Female", 0.8)))
    result = result_of(faces=[face, face], problems=["No model answers race yet.", "No model answers race yet."])
    text = ask_tab.answer_markdown(result, 1)
    assert "**a**: Female [a, trained on a data]" in text
    assert text.count("No model answers race yet.") == 1
    assert "2 faces found; this is face 2" in text
    unsupported = result_of("unsupported", reason="Not a face question.")
    assert ask_tab.answer_markdown(unsupported, 0) == "**This app cannot answer that question.** Not a face question."


def test_label_value_is_the_chosen_models_probabilities():
    face = face_of(record_of(answer_of("a", "Female", 0.8)), record_of(answer_of("b", "Male", 0.6, probs=(0.6, 0.4))))
    assert ask_tab.label_value(face, "b") == {"Male": 0.6, "Female": 0.4}
    assert ask_tab.label_value(face, "nobody") is None


def test_the_answer_reports_each_models_ig_completeness_error():
    a = record_of(answer_of("a", "Female", 0.8), {"gradcam": info(), "ig": info(ig_delta=0.0123, ig_steps=32)})
    b = record_of(answer_of("b", "Female", 0.8), {"ig": info(ig_delta=0.25, ig_steps=32)})
    c = record_of(answer_of("c", "Female", 0.8), {"gradcam": info()})
    result = result_of(faces=[face_of(a, b, c)])
    assert ("*Integrated Gradients, m=32 steps: completeness error a 1.2%, b 25.0% "
            "(more steps make it smaller).*") in ask_tab.answer_markdown(result, 0)
    counted = record_of(answer_of("a", "Female", 0.8), {"ig": info(ig_delta=0.0123, ig_steps=9, ig_evaluations=37)})
    assert ("*Integrated Gradients: completeness error a 1.2% (37 model evaluations).*"
            in ask_tab.answer_markdown(result_of(faces=[face_of(counted)]), 0))
    assert "Integrated Gradients" not in ask_tab.answer_markdown(result_of(faces=[face_of(c)]), 0)


def test_a_general_answer_is_labelled_a_general_models_guess_with_its_data_and_confidence():
    heatmap = np.full((40, 40), 0.5, np.float32)
    text = ask_tab.answer_markdown(result_of("general", second=opinion(alone=True, heatmap=heatmap, ig_delta=0.004,
                                                                      ig_steps=32, explains="the logit")), 0)
    assert "**ViLT** (tiny-vilt): **yes** (83% confident)" in text
    assert "general visual question answering model's guess" in text and "Its training data: VQAv2." in text
    assert "Its next guesses: no (10%)." in text
    assert "completeness error 0.4%, exact." in text and "32 steps" in text
    rough = ask_tab.vqa_map_line(opinion(heatmap=heatmap, ig_delta=0.2, ig_steps=32))
    assert "completeness error 20.0%, only approximate (the aim is 1%" in rough


def test_a_general_question_with_the_vqa_model_off_shows_the_engines_line_naming_the_flag():
    off = "Only a general visual question answering model answers questions about glasses: use --vqa-model."
    assert ask_tab.answer_markdown(result_of("general", problems=[off]), 0) == f"**Problem:** {off}"


@pytest.mark.parametrize(("disagrees", "flagged", "agrees"), [(True, True, False), (False, False, True),
                                                              (None, False, False)])
def test_the_second_opinion_is_flagged_exactly_where_it_disagrees(disagrees, flagged, agrees):
    text = ask_tab.second_opinion_markdown(result_of(second=opinion(answer="asian", disagrees=disagrees)))
    assert "**Second opinion** from ViLT (tiny-vilt): **asian** (83%)." in text
    assert ("**It disagrees with the face models' answer.**" in text) == flagged
    assert ("It agrees with the face models." in text) == agrees
    assert "it was not trained to judge faces" in text


def test_the_second_opinion_says_why_it_is_off_or_failed_and_stays_quiet_when_it_is_the_answer():
    assert ask_tab.second_opinion_markdown(result_of(), "no torch") == "*No second opinion: no torch*"
    assert ask_tab.second_opinion_markdown(result_of()) == ""
    assert ask_tab.second_opinion_markdown(result_of(second=opinion(error="offline"))) == \
        "*No second opinion: offline*"
    assert ask_tab.second_opinion_markdown(result_of("general", second=opinion(alone=True))) == ""


# -- can you trust this answer? ------------------------------------------------------

def unstable() -> Stability:
    variants = [Variant("padding 0.15", "White", 0.8, 0.8, True), Variant("flip", "Black", 0.3, 0.7, False)]
    return Stability(agreement=0.5, stable=False, low=0.3, high=0.9, variants=variants, answer="White",
                     skipped=("other detector: it found no face there",))


def test_an_unstable_answer_is_flagged_and_its_variants_are_listed():
    face = face_of(record_of(race_answer(stability=unstable())))
    text = ask_tab.answer_markdown(result_of(faces=[face]), 0)
    # The headline says so before any percentage (the issue "Confidence you can check").
    line = next(line for line in text.split("\n\n") if line.startswith("**a**"))
    assert line.startswith(f"**a**: **{unstable().headline}**") and "%" not in line.split(unstable().headline)[0]
    assert unstable().headline == "Unstable: White on this crop, Black on 1 of 2 nearby crops."
    trust = trust_view.trust_markdown(face, "a")
    assert "#### Can you trust this answer? (a)" in trust and f"**Stability**: {unstable().text}" in trust
    assert "| padding 0.15 | White | 80% | 80% |" in trust and "| flip | Black (differs) | 70% | 30% |" in trust
    assert "*Not tried: other detector: it found no face there.*" in trust
    assert "Can you trust these maps?" not in trust  # no maps were made
    assert trust_view.PENDING not in trust  # measured


def test_a_face_answered_without_any_check_yet_says_they_are_still_being_measured():
    quick = face_of(record_of(race_answer(), {"gradcam": info()}))
    assert trust_view.trust_markdown(quick, "a").startswith(trust_view.PENDING)
    scored = face_of(record_of(race_answer(), {"gradcam": info(faithfulness=Faithfulness(0.2, 0.7, 0.4, 0.5))}))
    assert trust_view.PENDING not in trust_view.trust_markdown(scored, "a")


def test_a_stable_answer_has_one_line_and_no_table():
    stable = Stability(agreement=1.0, stable=True, low=0.8, high=0.9, variants=[Variant("flip", "White", 0.8)],
                       answer="White")
    face = face_of(record_of(race_answer(stability=stable)))
    assert "Unstable" not in ask_tab.answer_markdown(result_of(faces=[face]), 0)
    assert trust_view.trust_markdown(face, "a").endswith(f"**Stability**: {stable.text}")


# -- can you trust these maps? --------------------------------------------------------

def _trust(maps, model="a") -> str:
    return trust_view.trust_markdown(face_of(record_of(answer_of("a", "Female", 0.8), maps)), model)


def _line(text: str, title: str) -> str:
    return next(line for line in text.split("\n\n") if line.startswith(f"**{title}**"))


def test_the_true_relevance_map_beats_random_and_its_reverse_is_no_better_on_the_page():
    """A real model whose true relevance is known: its map and the reversed map,
    scored by xai.metrics.faithfulness, each say their verdict in the trust panel."""
    from xai.metrics import faithfulness

    model, x, relevance = positive_linear()
    scored = faithfulness(model, x, {"true": relevance[None], "reverse": -relevance[None]}, [0], fill="black")
    true, reverse = scored["true"][0], scored["reverse"][0]
    text = _trust({"gradcam": info(faithfulness=true), "guided": info(faithfulness=reverse)})
    beats = _line(text, "Grad-CAM")
    assert "it points at pixels the model uses" in beats and "no better" not in beats
    assert f"(deletion area {true.deletion_auc:.2f} against {true.random_deletion_auc:.2f} for a random map" in beats
    assert true.deletion_auc < true.random_deletion_auc and true.insertion_auc > true.random_insertion_auc
    worse = _line(text, "Guided Grad-CAM")
    assert "It is no better than a random map at finding the pixels the model uses" in worse
    assert reverse.deletion_auc > reverse.random_deletion_auc and reverse.insertion_auc < reverse.random_insertion_auc


def test_a_map_beating_random_on_one_curve_only_says_which():
    half = Faithfulness(deletion_auc=0.1, insertion_auc=0.3, random_deletion_auc=0.5, random_insertion_auc=0.4)
    assert "one test only (deletion)" in _trust({"gradcam": info(faithfulness=half)})
    other = Faithfulness(deletion_auc=0.6, insertion_auc=0.7, random_deletion_auc=0.5, random_insertion_auc=0.4)
    assert "one test only (insertion)" in _trust({"gradcam": info(faithfulness=other)})


def test_trust_panel_reports_integrated_gradients_exactness_in_words():
    exact = _trust({"ig": info(ig_delta=0.004, ig_evaluations=37)})
    assert "Exact: " in exact and "within 0.4%, after 37 evaluations of the model" in exact
    rough = _trust({"ig": info(ig_delta=0.79, ig_steps=32)})
    assert "Approximate: " in rough and "only to within 79.0%, with 32 steps (the aim is 1%)" in rough


def test_trust_panel_tolerates_maps_without_measurements():
    assert "**Grad-CAM**: not measured for this map." in _trust({"gradcam": info()})
    assert _trust({}) == ""
    assert _trust({"gradcam": info()}, model=None) == ""


@pytest.fixture(scope="module")
def flat_models(tmp_path_factory):
    """A race model whose score never moves: a head of zero weights and a bias."""
    import keras

    from models.cards import InputContract, ModelCard
    from models.labels import FAIRFACE_RACE

    folder = tmp_path_factory.mktemp("flat-model")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
                              keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(len(FAIRFACE_RACE), activation="softmax", name="head")])
    kernel, bias = model.get_layer("head").get_weights()
    model.get_layer("head").set_weights([np.zeros_like(kernel), np.linspace(0.0, 1.0, len(bias))])
    model.save(folder / "flat-race.keras")
    ModelCard(name="flat-race", attribute="race", labels=FAIRFACE_RACE, input=InputContract(32, 0.25, "unit"),
              training_data="nothing: a head of zeros built by the app tests", synthetic=True
              ).save(folder / "flat-race.json")
    return folder


def test_a_map_whose_score_never_moves_says_it_cannot_be_told(flat_models, astronaut):
    """Through the real engine, explain and faithfulness: the curves are flat, and the
    page says the test cannot tell (not "not measured", as when the JSON's nulls were read)."""
    from vqa import Engine

    result = Engine(flat_models, include_cache=False).ask(astronaut, RACE, explain=("gradcam", "ig"),
                                                         checks=("faithfulness",))
    face = result.faces[0]
    for method in ("gradcam", "ig"):
        assert face.record("flat-race").maps[method].info.faithfulness.outcome == "cannot tell"
    text = trust_view.trust_markdown(face, "flat-race")
    for title in ("Grad-CAM", "Integrated Gradients"):
        assert "Whether it beats a random map cannot be told" in _line(text, title)
    assert "not measured" not in text
    scores = result.to_dict()["faces"][0]["heatmaps"]["flat-race"]["gradcam"]["faithfulness"]
    assert scores["deletion_auc"] is None and scores["better_than_random"] is None  # the JSON keeps its nulls


# -- the region chart ------------------------------------------------------------------

def test_the_region_chart_is_the_results_and_a_missing_one_says_why():
    from matplotlib.figure import Figure

    from vqa.occlusion import Occlusion, compare_regions
    from vqa.result import ExplainedMap

    shares = {"eyes": 0.7, "mouth": 0.3}
    occlusion = Occlusion(target="White", score_kind="logit", score=2.0, fill="grey", drops={"eyes": 1.0, "mouth": 0.1},
                          areas={"eyes": 10, "mouth": 10}, shares={"eyes": 0.9, "mouth": 0.1})
    checked = ExplainedMap(np.zeros((8, 8), np.float32), info(), regions=shares,
                           region_check=compare_regions(shares, occlusion, "Grad-CAM"))
    charts = []
    result = result_of(faces=[face_of(record_of(race_answer(), {"gradcam": checked}, occlusion=occlusion))])
    result.region_chart = lambda index, model, method: charts.append((index, model, method)) or Figure()
    figure, note = trust_view.region_figure(result, 0, "a", "gradcam")
    assert isinstance(figure, Figure) and charts == [(0, "a", "gradcam")]
    assert "greyed out" in note and "Confirmed" in note and checked.region_check.outcome == "confirmed"
    figure, note = trust_view.region_figure(result, 0, "a", "ig")
    assert figure is None and "No Integrated Gradients map was made for a; regions of: Grad-CAM" in note
    no_landmarks = result_of(faces=[face_of(record_of(race_answer(), {"gradcam": info()}),
                                            regions_note="no face detector finds a face in this photo")])
    assert trust_view.region_figure(no_landmarks, 0, "a", "gradcam") == (
        None, "*No face regions for a: no face detector finds a face in this photo.*")
    quick = result_of(faces=[face_of(record_of(race_answer(), {"gradcam": info()}))])
    assert "has not run for this answer yet" in trust_view.region_figure(quick, 0, "a", "gradcam")[1]


def test_the_pictures_draw_the_curves_the_crops_and_the_numbers_of_a_real_answer(user_models, photo_files):
    """On a real ask of the tiny race models: the curve chart plots each scored map and
    the random map, the strip holds the answered crop and every variant, and the numbers
    table has a row per map."""
    from vqa import Engine

    result = Engine(user_models, include_cache=False).ask(str(photo_files["astronaut"]), "What is this person's race?",
                                                          explain=("gradcam", "ig"))
    face = result.faces[0]
    model = face.records[0].model
    figure = trust_view.curves_figure(face, model)
    deletion = figure.axes[0]
    assert len(deletion.lines) == 3  # Grad-CAM, IG and the random map
    np.testing.assert_allclose(deletion.lines[0].get_ydata(),
                               face.records[0].maps["gradcam"].info.faithfulness.deletion_curve)
    strip = trust_view.crop_strip(face, model)
    stability = face.records[0].answer.stability
    assert len(strip) == 1 + len(stability.variants) and strip[0][1] == f"this crop: {stability.answer}"
    table = trust_view.numbers_markdown(face, model)
    assert "| Grad-CAM |" in table and "| Integrated Gradients |" in table
    assert trust_view.reliability_image(face, model) is None  # the tiny models have no audit
