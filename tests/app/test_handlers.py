"""The Ask and Compare handlers in-process, over a real Engine on two tiny race
models: {component: value} maps, the answer with Grad-CAM first, the Result
kept server-side under a key for a fixed time from the ask."""
from __future__ import annotations

import types

import gradio as gr
import pytest

from app import a11y, layout, views
from app.handlers import AskHandlers, CompareHandlers
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
        tab = layout._ask_tab([])
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


def test_the_pages_heatmaps_have_alt_texts_with_the_regions_the_json_has(ask_tab, photo_files):
    tab = ask_tab.tab
    first, last = ask_tab.ask_page(str(photo_files["astronaut"]), RACE, ["gradcam", "guided", "ig"],
                                   request=session(), progress=None)
    model = first[tab.result_json]["faces"][0]["answers"][0]["model"]
    said = last[tab.result_json]["faces"][0]["answers"][0]["answer"]
    # The regions come with the slower stage; until then the alt says so.
    assert first[tab.heatmaps["gradcam"]]["alt_text"].startswith(f"Grad-CAM map of {model}'s answer {said}")
    assert "Face regions: still being measured." in first[tab.heatmaps["gradcam"]]["alt_text"]
    assert first[tab.heatmaps["ig"]]["value"] is None and first[tab.heatmaps["ig"]]["alt_text"] is None
    for method, title in views.METHOD_TITLES.items():  # then it names the three with the most weight
        regions = last[tab.result_json]["faces"][0]["heatmaps"][model][method]["regions"]
        top = sorted(regions, key=regions.get, reverse=True)[:3]
        words = [f"{a11y.region_word(region)} ({regions[region]:.0%})" for region in top]
        alt = last[tab.heatmaps[method]]["alt_text"]
        assert alt.startswith(f"{title} map of {model}'s answer {said}")
        assert alt.endswith(f"Most weight per pixel on {', '.join(words[:-1])} and {words[-1]}.")


def test_the_tab_is_drawn_from_the_store_and_clicks_do_not_extend_the_retention(ask_tab, photo_files, clock):
    tab = ask_tab.tab
    *_, last = ask_tab.ask(str(photo_files["astronaut"]), RACE, ["gradcam"], request=session(), progress=None)
    key = last[tab.view]
    shown = ask_tab.show_answer(key)
    assert "tiny-race-fair" in shown[tab.answer] and shown[tab.faces]["value"] is not None
    assert shown[tab.faces]["alt_text"].startswith("The photo with the one face found boxed")
    clock[0] = 1.5  # a click within the bound redraws from the stored Result
    redrawn = ask_tab.rerender(key, "tiny-race-biased", 0.5, True)
    assert redrawn[tab.heatmaps["gradcam"]]["value"].size == (512, 512)  # the whole photo, one click away
    assert "tiny-race-biased's answer" in redrawn[tab.heatmaps["gradcam"]]["alt_text"]
    assert "over the whole photo" in redrawn[tab.heatmaps["gradcam"]]["alt_text"]
    cut = ask_tab.rerender(key, "tiny-race-biased", 0.5, False)[tab.heatmaps["gradcam"]]
    assert cut["value"].size[0] < 512 and "on the face" in cut["alt_text"]
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


def test_compare_returns_a_map_of_its_tab(engine, photo_files):
    with gr.Blocks():
        tab = layout._compare_tab([], engine)
    out = CompareHandlers(engine, tab).compare(str(photo_files["astronaut"]), "race", 0.5, progress=None)
    assert set(out) == {tab.verdict, tab.table, tab.gallery}
    assert {row[0] for row in out[tab.table]} == {"tiny-race-fair", "tiny-race-biased"}
    assert "race models" in out[tab.verdict] and len(out[tab.gallery]) == 4


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


def test_looking_for_new_models_finds_one_trained_after_start_up(user_models, tmp_path, photo_files):
    import shutil

    from tests.app.conftest import build_race_model

    folder = tmp_path / "models"
    shutil.copytree(user_models, folder)
    engine = Engine(folder, include_cache=False)
    with gr.Blocks():
        tab = layout._compare_tab([], engine)
    handlers = CompareHandlers(engine, tab)
    assert "gender**: no model yet" in handlers.rescan()[tab.verdict]
    build_race_model(folder, "tiny-race-third", biased=False, seed=3)
    text = handlers.rescan()[tab.verdict]
    assert "tiny-race-third" in text and "tiny-race-fair" in text
    out = handlers.compare(str(photo_files["astronaut"]), "race", 0.5, progress=None)
    assert {row[0] for row in out[tab.table]} == {"tiny-race-fair", "tiny-race-biased", "tiny-race-third"}


# -- general questions, the second opinion, the trust panel ---------------------

GLASSES = "Is he wearing glasses?"


@pytest.fixture(scope="module")
def vqa_engine(user_models, tiny_vilt_dir):
    return Engine(user_models, include_cache=False, second_opinion=str(tiny_vilt_dir))


def ask_tab_of(engine):
    with gr.Blocks():
        tab = layout._ask_tab([])
    return AskHandlers(engine, SessionStore(60), tab)


def test_a_general_question_is_answered_by_the_vqa_model_with_its_map_in_the_ui_only(vqa_engine, photo_files,
                                                                                   tiny_vilt_dir):
    from models.intake import load_image
    from vqa.general import second_opinion

    handlers = ask_tab_of(vqa_engine)
    tab = handlers.tab
    first, last = handlers.ask(str(photo_files["astronaut"]), GLASSES, ["gradcam", "ig"], request=session(),
                               progress=None)
    assert first[tab.result_json]["second_opinion"]["heatmap"] is None  # its answer first, its map after
    opinion = last[tab.result_json]["second_opinion"]
    assert last[tab.result_json]["intent"]["kind"] == "general" and opinion["alone"]
    reference = second_opinion(load_image(photo_files["astronaut"]), GLASSES, model=tiny_vilt_dir)
    assert opinion["answer"] == reference.answer and opinion["heatmap"]["ig_delta"] is not None
    assert all(last[image] is None for image in tab.heatmaps.values())  # the /ask maps are the face models'
    shown = handlers.show_answer(last[tab.view], False, "gradcam", 0.5)
    text = shown[tab.answer]
    assert f"**{reference.answer}** ({100 * reference.confidence:.0f}% confident)" in text
    assert "general visual question answering model's guess" in text and "not trained to judge faces" in text
    assert f"completeness error {opinion['heatmap']['ig_delta']:.1%}" in text
    vqa_map = shown[tab.vqa_heatmap]
    assert vqa_map["visible"] is True and vqa_map["value"].size == (512, 512)  # over the whole photo
    assert vqa_map["alt_text"].startswith(f"Integrated Gradients map of the general VQA model {opinion['model']}'s "
                                          f"answer {opinion['answer']} (")
    assert shown[tab.second_opinion] == ""  # it is the answer, not a second opinion


def test_with_the_vqa_model_off_a_general_question_says_how_to_switch_it_on(engine, photo_files):
    handlers = ask_tab_of(engine)
    *_, last = handlers.ask(str(photo_files["astronaut"]), GLASSES, ["gradcam", "ig"], request=session(),
                            progress=None)
    shown = handlers.show_answer(last[handlers.tab.view])
    assert "--vqa-model" in shown[handlers.tab.answer] and last[handlers.tab.result_json]["second_opinion"] is None
    assert shown[handlers.tab.vqa_heatmap]["visible"] is False


def test_a_race_answer_shows_the_vqa_models_answer_beside_it_flagged_where_it_disagrees(vqa_engine, photo_files):
    handlers = ask_tab_of(vqa_engine)
    first, last = handlers.ask(str(photo_files["astronaut"]), RACE, ["gradcam"], request=session(), progress=None)
    assert first[handlers.tab.result_json]["second_opinion"] is None  # the face models' answer comes first
    opinion = last[handlers.tab.result_json]["second_opinion"]
    assert isinstance(opinion["disagrees"], bool)
    said = handlers.show_answer(last[handlers.tab.view])[handlers.tab.second_opinion]
    assert f"**{opinion['answer']}**" in said and "trained on" in said
    assert ("disagrees with the face models" in said) == opinion["disagrees"]
    assert ("It agrees with the face models" in said) == (not opinion["disagrees"])


def test_the_trust_panel_streams_in_with_stability_and_the_region_chart(ask_tab, photo_files):
    from matplotlib.figure import Figure

    tab = ask_tab.tab
    stages = ask_tab.ask(str(photo_files["astronaut"]), RACE, ["gradcam", "ig"], request=session(), progress=None)
    first = next(stages)
    assert all(a["stability"] is None for a in first[tab.result_json]["faces"][0]["answers"])  # no checks: quick
    quick = ask_tab.show_answer(first[tab.view], False, "gradcam")
    assert quick[tab.trust].startswith(views.PENDING) and quick[tab.region_plot] is None
    assert "comes with the slower maps" in quick[tab.region_note]
    last, = stages
    answers = last[tab.result_json]["faces"][0]["answers"]
    assert all(a["stability"] is not None for a in answers)
    shown = ask_tab.show_answer(last[tab.view], False, "ig")
    model = answers[0]["model"]
    stability = ask_tab.store.get(last[tab.view]).result.faces[0].answers[0].stability
    assert f"**Stability**: {stability.text}" in shown[tab.trust] and f"({model})" in shown[tab.trust]
    assert views.PENDING not in shown[tab.trust]
    if not stability.stable:  # then every variant is listed with what it said
        assert all(f"| {v.name} | {v.answer}" in shown[tab.trust] for v in stability.variants)
    assert isinstance(shown[tab.region_plot], Figure)
    assert shown[tab.region_plot].axes[0].get_title().endswith("(ig)")
    assert "greyed out" in shown[tab.region_note]
    # A model picked again redraws the chart for it, from the stored Result.
    other = answers[1]["model"]
    redrawn = ask_tab.rerender(last[tab.view], other, 0.5, False, "gradcam")
    assert redrawn[tab.region_plot].axes[0].get_title().startswith(other)
    assert f"({other})" in redrawn[tab.trust]
