"""The Ask tab's handlers in-process, over a real Engine on two tiny race
models: {component: value} maps, the answer with Grad-CAM first, the Result
kept server-side under a key for a fixed time from the ask."""
from __future__ import annotations

import types

import gradio as gr
import numpy as np
import pytest

from app import trust_view
from app.ask_tab import AskHandlers
from app.ask_tab import build as build_ask_tab
from app.store import SessionStore
from vqa import Engine

RACE = "What is this person's race?"


@pytest.fixture(scope="module")
def engine(user_models):
    return Engine(user_models, include_cache=False)


@pytest.fixture
def clock():
    return [0.0]


@pytest.fixture
def ask_tab(engine, clock, tmp_path):
    with gr.Blocks():
        tab = build_ask_tab([])
    return AskHandlers(engine, SessionStore(2, clock=lambda: clock[0]), tab)


def session(name="browser-1"):
    return types.SimpleNamespace(session_hash=name)


def test_the_answer_and_grad_cam_come_first_then_the_slower_maps(ask_tab, photo_files):
    tab = ask_tab.tab
    updates = list(ask_tab.ask(str(photo_files["astronaut"]), RACE, ["gradcam", "guided", "ig"],
                               request=session(), progress=None))
    assert len(updates) == 2
    first, last = updates
    assert set(first) == set(last) == {tab.result_json, tab.view, *tab.heatmaps.values()}  # components, not lists
    answers = first[tab.result_json]["faces"][0]["answers"]
    assert {a["model"] for a in answers} == {"tiny-race-fair", "tiny-race-biased"}
    assert first[tab.heatmaps["gradcam"]] is not None
    assert first[tab.heatmaps["guided"]] is None and first[tab.heatmaps["ig"]] is None  # not done yet
    assert all(last[image] is not None for image in tab.heatmaps.values())
    model = answers[0]["model"]
    assert set(last[tab.result_json]["faces"][0]["heatmaps"][model]) == {"gradcam", "guided", "ig"}
    assert first[tab.view] == last[tab.view] == "ask:browser-1"  # the page holds a key, not the Result


def test_the_tab_is_drawn_from_the_store_and_clicks_do_not_extend_the_retention(ask_tab, photo_files, clock):
    tab = ask_tab.tab
    *_, last = ask_tab.ask(str(photo_files["astronaut"]), RACE, ["gradcam"], request=session(), progress=None)
    key = last[tab.view]
    shown = ask_tab.show_answer(key)
    assert "tiny-race-fair" in shown[tab.answer] and shown[tab.faces] is not None
    clock[0] = 1.5  # a click within the bound redraws from the stored Result
    redrawn = ask_tab.rerender(key, "tiny-race-biased", 0.5, True)
    # The page's maps come as updates with their alt text (a screen reader's only way to them).
    assert redrawn[tab.heatmaps["gradcam"]]["value"].size == (512, 512)  # the whole photo, one click away
    assert redrawn[tab.heatmaps["gradcam"]]["alt_text"].startswith("Grad-CAM map of tiny-race-biased's answer ")
    assert ask_tab.rerender(key, "tiny-race-biased", 0.5, False)[tab.heatmaps["gradcam"]]["value"].size[0] < 512
    clock[0] = 2.0  # two seconds after the ask, however recent the last click
    assert ask_tab.store.get(key) is None and len(ask_tab.store) == 0
    assert ask_tab.rerender(key, "tiny-race-fair", 0.5, False) == {} and ask_tab.show_answer(key) == {}


def test_a_newer_question_from_the_same_page_is_not_overwritten_by_an_older_ones_slow_maps(ask_tab, photo_files):
    older = ask_tab.ask(str(photo_files["astronaut"]), RACE, ["gradcam", "ig"], request=session(), progress=None)
    next(older)  # the older question's answer with Grad-CAM is shown...
    *_, newer = ask_tab.ask(str(photo_files["astronaut"]), "Is this person White?", ["gradcam"], request=session(),
                            progress=None)  # ...then the person asks again before its IG is done
    # The older one's slow maps are dropped, not stored or shown, and it says why (an API client
    # must never take a shortened answer for a whole one).
    with pytest.raises(gr.Error, match="Replaced by your newer question"):
        list(older)
    assert ask_tab.store.get("ask:browser-1").result.question == "Is this person White?"


def test_closing_the_page_forgets_its_result_only(ask_tab, photo_files):
    for name in ("browser-1", "browser-2"):
        list(ask_tab.ask(str(photo_files["astronaut"]), RACE, ["gradcam"], request=session(name), progress=None))
    assert len(ask_tab.store) == 2
    ask_tab.forget(session("browser-1"))
    assert ask_tab.store.get("ask:browser-1") is None and ask_tab.store.get("ask:browser-2") is not None


def test_no_photo_is_a_readable_error(ask_tab):
    with pytest.raises(gr.Error, match="Add a photo first"):
        list(ask_tab.ask(None, RACE, ["gradcam"], request=session(), progress=None))


def test_a_bug_during_an_ask_logs_one_line_without_the_photo_or_the_question(ask_tab, photo_files, caplog,
                                                                            monkeypatch):
    def broken(image, question, **options):
        raise RuntimeError(f"cannot handle {image!r} for {question!r}")  # a bug whose message holds both

    monkeypatch.setattr(ask_tab.engine, "ask_stages", broken)
    with pytest.raises(gr.Error, match="Something went wrong"):
        list(ask_tab.ask(str(photo_files["astronaut"]), "Is she my neighbour?", ["gradcam"], request=session(),
                         progress=None))
    records = [r for r in caplog.records if r.name == "facexai.app"]
    assert len(records) == 1 and "\n" not in records[0].getMessage() and records[0].exc_info is None
    line = records[0].getMessage()
    assert "RuntimeError" in line and "handler ask" in line
    assert "neighbour" not in line and "array" not in line and "astronaut" not in line


def test_the_page_settings_reach_the_engine_as_one_ask_options(ask_tab, photo_files, monkeypatch):
    """The handler builds one typed AskOptions from the page's inputs (its face
    number by vqa.numbers.PAGE_FACES: 1 is the largest face), and the engine
    answers from that alone."""
    from vqa import AskOptions

    seen = []
    real = ask_tab.engine.ask_stages

    def spy(image, question, **kwargs):
        seen.append(kwargs)
        return real(image, question, **kwargs)

    monkeypatch.setattr(ask_tab.engine, "ask_stages", spy)
    *_, last = ask_tab.ask(str(photo_files["astronaut"]), RACE, ["IG"], 1, 16, "blur", False, request=session(),
                           progress=None)
    assert set(seen[0]) == {"options", "progress", "lab_models"}  # nothing beside it
    assert seen[0]["lab_models"] is False  # the bias lab's SYNTHETIC models answer only when a visitor opts in
    assert seen[0]["options"] == AskOptions(methods=("ig",), face_index=0, ig_steps=16, ig_baseline="blur")
    faces = last[ask_tab.tab.result_json]["faces"]
    assert [face["index"] for face in faces] == [0]
    maps = faces[0]["heatmaps"]["tiny-race-fair"]
    assert set(maps) == {"ig"} and maps["ig"]["ig_steps"] == 16
    with pytest.raises(gr.Error) as caught:
        list(ask_tab.ask(str(photo_files["astronaut"]), RACE, ["gradcam"], -1, request=session(), progress=None))
    assert caught.value.message == "Face numbers start at 1 (the largest face); 0 means every face."


# -- general questions, the second opinion, the trust panel ---------------------

GLASSES = "Is he wearing glasses?"


@pytest.fixture(scope="module")
def vqa_engine(user_models, tiny_vilt):
    return Engine(user_models, include_cache=False, second_opinion=str(tiny_vilt))


def ask_tab_of(engine):
    with gr.Blocks():
        tab = build_ask_tab([])
    return AskHandlers(engine, SessionStore(60), tab)


def test_a_general_question_is_answered_by_the_vqa_model_with_its_map_in_the_ui_only(vqa_engine, photo_files,
                                                                                   tiny_vilt):
    from models.intake import load_image
    from vqa.general import ask as general_ask

    handlers = ask_tab_of(vqa_engine)
    tab = handlers.tab
    first, last = handlers.ask(str(photo_files["astronaut"]), GLASSES, ["gradcam", "ig"], request=session(),
                               progress=None)
    assert first[tab.result_json]["second_opinion"]["heatmap"] is None  # its answer first, its map after
    opinion = last[tab.result_json]["second_opinion"]
    assert last[tab.result_json]["intent"]["kind"] == "general" and opinion["alone"]
    reference = general_ask(load_image(photo_files["astronaut"]), GLASSES, model=tiny_vilt)
    assert opinion["answer"] == reference.answer and opinion["heatmap"]["ig_delta"] is not None
    assert all(last[image] is None for image in tab.heatmaps.values())  # the /ask maps are the face models'
    shown = handlers.show_answer(last[tab.view], False, "gradcam", 0.5)
    text = shown[tab.answer]
    assert f"**{reference.answer}** ({100 * reference.confidence:.0f}% confident)" in text
    assert "general visual question answering model's guess" in text and "not trained to judge faces" in text
    assert f"completeness error {opinion['heatmap']['ig_delta']:.1%}" in text
    vqa_map = shown[tab.vqa_heatmap]
    assert vqa_map["visible"] is True and vqa_map["value"].size == (512, 512)  # over the whole photo
    assert shown[tab.second_opinion] == ""  # it is the answer, not a second opinion


def test_with_the_vqa_model_off_a_general_question_says_how_to_switch_it_on(engine, photo_files):
    handlers = ask_tab_of(engine)
    *_, last = handlers.ask(str(photo_files["astronaut"]), GLASSES, ["gradcam", "ig"], request=session(),
                            progress=None)
    shown = handlers.show_answer(last[handlers.tab.view])
    assert "--vqa-model" in shown[handlers.tab.answer] and last[handlers.tab.result_json]["second_opinion"] is None
    assert shown[handlers.tab.vqa_heatmap]["visible"] is False


def test_a_race_answer_shows_the_vqa_models_answer_beside_it_flagged_where_it_disagrees(vqa_engine, photo_files):
    from models.labels import answers_agree, is_label_of

    handlers = ask_tab_of(vqa_engine)
    first, last = handlers.ask(str(photo_files["astronaut"]), RACE, ["gradcam"], request=session(), progress=None)
    assert first[handlers.tab.result_json]["second_opinion"] is None  # the face models' answer comes first
    opinion = last[handlers.tab.result_json]["second_opinion"]
    # What it must be, from the answers by the labels' agreement rule: it names a race,
    # so it disagrees exactly when some face model's answer means another race.
    faces = [a for a in last[handlers.tab.result_json]["faces"][0]["answers"] if a["confidence"] is not None]
    assert faces and is_label_of(opinion["answer"], "race")
    assert opinion["disagrees"] is any(not answers_agree(opinion["answer"], a["answer"], "race") for a in faces)
    said = handlers.show_answer(last[handlers.tab.view])[handlers.tab.second_opinion]
    assert f"**{opinion['answer']}**" in said and "trained on" in said
    assert ("disagrees with the face models" in said) == opinion["disagrees"]
    assert ("It agrees with the face models" in said) == (not opinion["disagrees"])


def test_an_unstable_answer_lists_every_variant_with_what_it_said(tmp_path):
    """A model made to change its answer with the crop (the stability tests' edge
    model, tests/vqa/helpers.py, on a photo dark left of x = 8): the trust panel says
    it is unstable and lists each variant with its answer."""
    from PIL import Image

    from tests.vqa.helpers import save_edge_model

    save_edge_model(tmp_path)  # Male where the pixel is bright
    photo = np.full((64, 64, 3), 255, dtype=np.uint8)
    photo[:, :8] = 0
    Image.fromarray(photo).save(tmp_path / "edge.png")
    handlers = ask_tab_of(Engine(tmp_path, include_cache=False))
    *_, last = handlers.ask(str(tmp_path / "edge.png"), "What gender is this person?", [],
                            whole_image=True, request=session(), progress=None)
    stability = handlers.store.get(last[handlers.tab.view]).result.faces[0].answers[0].stability
    assert stability.stable is False and stability.variants  # the case this test is for
    assert any(v.answer != stability.answer for v in stability.variants)
    trust = handlers.show_answer(last[handlers.tab.view], False, "gradcam")[handlers.tab.trust]
    assert f"**Stability**: {stability.text}" in trust and stability.text.startswith("Unstable")
    assert "| variant of the crop |" in trust
    assert all(f"| {v.name} | {v.answer}" in trust for v in stability.variants)


def test_the_trust_panel_streams_in_with_stability_and_the_region_chart(ask_tab, photo_files):
    from matplotlib.figure import Figure

    tab = ask_tab.tab
    stages = ask_tab.ask(str(photo_files["astronaut"]), RACE, ["gradcam", "ig"], request=session(), progress=None)
    first = next(stages)
    assert all(a["stability"] is None for a in first[tab.result_json]["faces"][0]["answers"])  # no checks: quick
    quick = ask_tab.show_answer(first[tab.view], False, "gradcam")
    assert quick[tab.trust].startswith(trust_view.PENDING) and quick[tab.region_plot] is None
    assert "comes with the slower maps" in quick[tab.region_note]
    last, = stages
    answers = last[tab.result_json]["faces"][0]["answers"]
    assert all(a["stability"] is not None for a in answers)
    shown = ask_tab.show_answer(last[tab.view], False, "ig")
    model = answers[0]["model"]
    stability = ask_tab.store.get(last[tab.view]).result.faces[0].answers[0].stability
    assert f"**Stability**: {stability.text}" in shown[tab.trust] and f"({model})" in shown[tab.trust]
    assert trust_view.PENDING not in shown[tab.trust]
    # The variants' table is there exactly when the answer is unstable (the unstable case
    # is forced in the next test).
    assert ("| variant of the crop |" in shown[tab.trust]) is (not stability.stable)
    assert isinstance(shown[tab.region_plot], Figure)
    assert shown[tab.region_plot].axes[0].get_title().endswith("(ig)")
    assert "greyed out" in shown[tab.region_note]
    # A model picked again redraws the chart for it, from the stored Result.
    other = answers[1]["model"]
    redrawn = ask_tab.rerender(last[tab.view], other, 0.5, False, "gradcam")
    assert redrawn[tab.region_plot].axes[0].get_title().startswith(other)
    assert f"({other})" in redrawn[tab.trust]
