"""The Compare tab's bias lab and its general-VQA row, in-process over real engines: the session's
reduced lab (tests/conftest.py, a real `python -m training.demo` run) and a tiny random ViLT."""
from __future__ import annotations

import shutil
import types

import gradio as gr
import pytest

from app import compare_tab, layout
from app.compare_tab import CompareHandlers, LabHandlers
from tests.app.helpers import undrawable
from vqa import Engine, lab


@pytest.fixture
def lab_engine(monkeypatch, reduced_lab):
    """An engine over the user cache that holds the reduced lab, and nothing else."""
    cache, _, _ = reduced_lab
    monkeypatch.setenv("FACEXAI_CACHE", str(cache))
    return Engine(import_pretrained=False)


def lab_handlers(engine) -> LabHandlers:
    with gr.Blocks():
        tab = compare_tab.build_lab()
    return LabHandlers(engine, tab, per_class=2)


def test_before_the_lab_is_built_compare_says_how_to_build_it(tmp_path):
    handlers = lab_handlers(Engine(include_cache=False, include_lab=True, lab_root=tmp_path / "lab"))
    out = handlers.show()
    tab = handlers.tab
    assert out[tab.intro] == compare_tab.LAB_MISSING and "Build the bias lab" in out[tab.intro]
    assert out[tab.gallery]["visible"] is False and out[tab.maps]["visible"] is False
    assert handlers.pick(0.5, types.SimpleNamespace(index=0)) == {}  # nothing to click


def test_the_gallery_shows_held_out_images_of_each_race(lab_engine, reduced_lab):
    from models.labels import FAIRFACE_RACE

    handlers = lab_handlers(lab_engine)
    out = handlers.show()
    items = out[handlers.tab.gallery]["value"]
    assert out[handlers.tab.intro] == compare_tab.LAB_INTRO and out[handlers.tab.gallery]["visible"] is True
    assert [caption.split(" (")[0] for _, caption in items] == [race for race in FAIRFACE_RACE for _ in range(2)]
    _, built, _ = reduced_lab
    first = lab.gallery(2, root=built.root)[0]
    from PIL import Image

    original = Image.open(first.path)
    assert items[0][0].size[0] % original.size[0] == 0 and items[0][0].size[0] >= original.size[0]  # enlarged whole


def test_a_clicked_image_shows_both_models_answers_confidences_maps_and_class_accuracy(lab_engine, reduced_lab):
    _, built, _ = reduced_lab
    handlers = lab_handlers(lab_engine)
    images = lab.gallery(2, root=built.root)
    accuracy = lab.class_accuracy(built.root)
    for index in (0, len(images) - 1):
        out = handlers.pick(0.5, types.SimpleNamespace(index=index))
        text, maps = out[handlers.tab.verdict], out[handlers.tab.maps]["value"]
        image = images[index]
        compared = lab_engine.compare_lab(image)  # what the handler showed, asked again
        assert f"**True race: {image.race}**" in text and "SYNTHETIC" in text
        assert f"| | {lab.FAIR_MODEL} | {lab.BIASED_MODEL} |" in text
        answers = {a.model: a for a in compared.answers}
        assert (f"| answer | {answers[lab.FAIR_MODEL].answer} | {answers[lab.BIASED_MODEL].answer} |") in text
        assert (f"| confidence (raw softmax) | {answers[lab.FAIR_MODEL].confidence:.1%} | "
                f"{answers[lab.BIASED_MODEL].confidence:.1%} |") in text
        calibrated = [f"{100 * answers[m].calibrated_confidence:.0f}%, SYNTHETIC audit"
                      for m in (lab.FAIR_MODEL, lab.BIASED_MODEL)]  # the lab's own audit calibrated both
        assert f"| calibrated confidence | {calibrated[0]} | {calibrated[1]} |" in text
        assert (f"| accuracy on {image.race} (lab's balanced val split) | "
                f"{accuracy[lab.FAIR_MODEL][image.race]:.1%} | {accuracy[lab.BIASED_MODEL][image.race]:.1%} |") in text
        # Grad-CAM then IG, the fair model left; each caption (the picture's alt text too) names the
        # method, the model and its answer.
        shown = [(title, name) for title in ("Grad-CAM", "Integrated Gradients")
                 for name in (lab.FAIR_MODEL, lab.BIASED_MODEL)]
        assert [caption.split(", ")[0] for _, caption in maps] == [
            f"{title} map of {name}'s answer {answers[name].answer} ({answers[name].confidence:.0%})"
            for title, name in shown]
        for method, title in (("gradcam", "Grad-CAM"), ("ig", "Integrated Gradients")):
            cells = []
            for name in (lab.FAIR_MODEL, lab.BIASED_MODEL):  # each map measured against a seeded random map
                scores = compared.comparison.face.heatmap_info[name][method].faithfulness  # xai.metrics.Faithfulness
                deletion = scores.deletion_auc < scores.random_deletion_auc
                insertion = scores.insertion_auc > scores.random_insertion_auc
                cells.append(("yes" if deletion and insertion else "partly" if deletion or insertion else "no")
                             + f" (deletion {scores.deletion_auc:.2f} vs {scores.random_deletion_auc:.2f}")
            assert f"| {title} beats a random map? | {cells[0]}" in text and f"| {cells[1]}" in text
        assert not undrawable(text)


def test_building_the_lab_in_the_audit_tab_makes_the_engine_list_its_models(tmp_path, monkeypatch, reduced_lab):
    """build_app wires the Audit tab's button to engine.reload() and then to Compare's lab gallery."""
    _, built, _ = reduced_lab
    cache = tmp_path / "cache"
    monkeypatch.setenv("FACEXAI_CACHE", str(cache))
    engine = Engine(import_pretrained=False)
    assert engine.registry.for_attribute("race") == []

    def fake_build(progress=None, **kwargs):  # the real subprocess runs in tests/vqa/lab/test_build.py
        shutil.copytree(built.root, lab.lab().root)
        return lab.lab()

    monkeypatch.setattr(lab, "build_lab", fake_build)
    demo = layout.build_app(engine, examples_dir=tmp_path / "examples")
    functions = list(demo.fns.values())
    build = next(f for f in functions if f.fn.__name__ == "build_clicked")
    build.fn(progress=lambda fraction, desc=None: None)
    assert {m.name for m in engine.registry.for_attribute("race")} == {lab.FAIR_MODEL, lab.BIASED_MODEL}
    after = [f for f in functions if build._id in (f.trigger_after, getattr(f.trigger_after, "_id", None))]
    assert [f.fn.__name__ for f in after] == ["show"]
    assert "lab-gallery" in {getattr(o, "elem_id", None) for o in after[0].outputs}


def test_compare_shows_the_general_vqa_model_as_one_more_row(user_models, photo_files, saying):
    vilt = saying("white")
    engine = Engine(user_models, include_cache=False, second_opinion=vilt)
    with gr.Blocks():
        tab = compare_tab.build([], engine)
    out = CompareHandlers(engine, tab).compare(str(photo_files["astronaut"]), "race", 0.5, progress=None)
    rows = out[tab.table]
    assert {row[0] for row in rows[:2]} == {"tiny-race-fair", "tiny-race-biased"} and rows[-1][0] == str(vilt)
    assert rows[-1][2] == "white" and "general VQA model" in rows[-1][1]
    assert "says **white**" in out[tab.verdict]
    caption = out[tab.gallery][-1][1]
    assert caption.startswith(f"Integrated Gradients map of the general VQA model {vilt}'s answer white (")
    assert caption.endswith("around the face, cut from its map over the whole photo.")
    assert len(out[tab.gallery]) == 5  # Grad-CAM and IG of each race model, and the VQA model's IG
