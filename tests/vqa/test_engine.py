"""vqa.Engine over real (tiny, random) models: loading on first use, re-scan,
warm-up, staged answers, and comparisons with their agreement."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from tests.tiny_models import build_tiny_face_model
from vqa import Engine
from vqa.engine import HOW_TO_ADD_RACE_MODELS


@pytest.fixture
def folder(tmp_path, tiny_dir):
    """A copy of the tiny models, so a test may add or break files."""
    copy = tmp_path / "models"
    shutil.copytree(tiny_dir, copy)
    return copy


def test_the_engine_loads_on_first_use_and_lists_what_it_can_answer(folder):
    engine = Engine(folder, include_cache=False)
    assert engine._registry is None  # nothing read yet
    assert set(engine.attributes()) == {"race", "gender", "age"}
    assert sorted(card.name for card in engine.cards()) == ["age-a", "gender-a", "race-a", "race-b"]
    assert engine.problems == [] and engine.models_dir == folder


def test_reload_finds_a_model_built_after_start_up_and_reports_a_broken_one(folder):
    engine = Engine(folder, include_cache=False)
    assert [m.name for m in engine.registry.for_attribute("age")] == ["age-a"]
    build_tiny_face_model(folder, "age-b", "age", "unit", seed=7)  # as training would, while the engine runs
    (folder / "broken.keras").write_bytes(b"not a zip")
    assert [m.name for m in engine.registry.for_attribute("age")] == ["age-a"]  # until re-scanned
    handle = engine.registry.get("race-a")
    engine.reload()
    assert sorted(m.name for m in engine.registry.for_attribute("age")) == ["age-a", "age-b"]
    assert any("broken.keras" in problem for problem in engine.problems)
    assert engine.registry.get("race-a") is handle  # unchanged: not loaded again
    build_tiny_face_model(folder, "race-a", "race", "unit", seed=8)  # retrained in place
    engine.reload()
    assert engine.registry.get("race-a") is not handle


def test_warm_up_calls_every_model_once_and_says_so(folder):
    messages = []
    engine = Engine(folder, include_cache=False, progress=messages.append)
    engine.warm()
    assert all(model.is_loaded for model in engine.registry)
    assert messages[-1].startswith("  models loaded")


def test_ask_stages_gives_the_answer_with_grad_cam_first_then_everything(folder, astronaut):
    engine = Engine(folder, include_cache=False)
    first, full = engine.ask_stages(astronaut, "What is this person's race?", explain=("gradcam", "ig"))
    assert [a.model for a in first.answers] == [a.model for a in full.answers] == ["race-a", "race-b"]
    assert [a.probabilities for a in first.answers] == [a.probabilities for a in full.answers]
    for model in ("race-a", "race-b"):
        assert set(first.faces[0].heatmaps[model]) == {"gradcam"}
        assert set(full.faces[0].heatmaps[model]) == {"gradcam", "ig"}
        np.testing.assert_allclose(first.faces[0].heatmaps[model]["gradcam"], full.faces[0].heatmaps[model]["gradcam"],
                                   atol=1e-5)  # the same map, not a cheaper one
    assert all(a.stability is None for a in first.answers) and not first.faces[0].regions  # no checks: quick
    assert all(a.stability is not None for a in full.answers) and full.faces[0].regions
    only, = engine.ask_stages(astronaut, "What is this person's race?", explain=("gradcam",), checks=())
    assert set(only.faces[0].heatmaps["race-a"]) == {"gradcam"}
    quick, checked = engine.ask_stages(astronaut, "What is this person's race?", explain=("gradcam",))
    assert quick.answers[0].stability is None and checked.answers[0].stability is not None


def test_compare_says_whether_the_models_agree(folder, astronaut):
    comparison = Engine(folder, include_cache=False).compare(astronaut, "race", explain=())
    assert comparison.models == ["race-a", "race-b"] and not comparison.single_model
    said = {m: a.answer for a in comparison.face.answers for m in [a.model]}
    assert comparison.agreement.agree == (said["race-a"] == said["race-b"])  # FairFace labels on both
    assert sorted(m for models in comparison.agreement.groups.values() for m in models) == ["race-a", "race-b"]


def test_compare_with_one_model_says_how_to_add_the_second(folder, astronaut):
    for suffix in (".keras", ".json"):
        (folder / f"race-b{suffix}").unlink()
    comparison = Engine(folder, include_cache=False).compare(astronaut, "race", explain=())
    assert comparison.single_model and comparison.how_to_add() == HOW_TO_ADD_RACE_MODELS
    assert "python -m training.demo" in HOW_TO_ADD_RACE_MODELS and "python -m training.train" in HOW_TO_ADD_RACE_MODELS
    with pytest.raises(ValueError, match="choose one of race, gender, age"):
        Engine(folder, include_cache=False).compare(astronaut, "religion")


# -- the bias lab --------------------------------------------------------------

def test_the_engine_picks_up_the_bias_lab_once_built_without_a_restart(folder, tmp_path, reduced_lab):
    from vqa import lab
    from vqa.engine import LabMissingError

    _, built, _ = reduced_lab
    root = tmp_path / "lab"
    engine = Engine(folder, include_cache=False, include_lab=True, lab_root=root)
    assert [m.name for m in engine.registry.for_attribute("race")] == ["race-a", "race-b"]
    assert engine.lab() is None and engine.lab_gallery(2) == []
    with pytest.raises(LabMissingError, match="Build the bias lab"):
        engine.compare_lab(lab.GalleryImage(tmp_path / "x.png", "White", "Male", "20-29"))
    shutil.copytree(built.root, root)  # as `python -m training.demo` (or the Audit tab's button) would, meanwhile
    engine.reload()
    race = engine.registry.for_attribute("race")
    assert {m.name for m in race} == {"race-a", "race-b", lab.FAIR_MODEL, lab.BIASED_MODEL}
    assert all(m.card.synthetic for m in race if m.name in (lab.FAIR_MODEL, lab.BIASED_MODEL))
    assert engine.lab() == lab.lab(root) and engine.registry_dirs() == [folder, root / "models"]


def test_the_labs_synthetic_models_answer_a_real_photo_only_when_asked_to(folder, tmp_path, reduced_lab, astronaut):
    from vqa import lab

    _, built, _ = reduced_lab
    root = tmp_path / "lab"
    shutil.copytree(built.root, root)
    engine = Engine(folder, include_cache=False, include_lab=True, lab_root=root)
    question = "What is this person's race?"
    assert [a.model for a in engine.ask(astronaut, question, explain=(), checks=()).answers] == ["race-a", "race-b"]
    opted = engine.ask(astronaut, question, explain=(), checks=(), lab_models=True)
    assert {lab.FAIR_MODEL, lab.BIASED_MODEL} <= {a.model for a in opted.answers}
    assert all(a.card.synthetic for a in opted.answers if a.model in (lab.FAIR_MODEL, lab.BIASED_MODEL))
    compared = engine.compare(astronaut, "race", explain=(), checks=())
    assert compared.models == ["race-a", "race-b"]  # Compare's real photos too; its lab gallery keeps them


def test_the_labs_folder_is_one_of_the_registrys_by_default_with_the_cache(monkeypatch, reduced_lab):
    from vqa import lab

    cache, _, _ = reduced_lab
    monkeypatch.setenv("FACEXAI_CACHE", str(cache))
    with_cache = Engine(import_pretrained=False)
    assert {lab.FAIR_MODEL, lab.BIASED_MODEL} <= {m.name for m in with_cache.registry.for_attribute("race")}
    assert with_cache.problems == []
    assert Engine(include_cache=False).registry_dirs() == []  # a test's or a --no-cache engine sees no lab


def test_compare_lab_answers_with_both_models_and_their_accuracy_on_the_images_class(monkeypatch, reduced_lab):
    from PIL import Image

    from models.registry import load_registry
    from vqa import lab

    cache, built, _ = reduced_lab
    monkeypatch.setenv("FACEXAI_CACHE", str(cache))
    engine = Engine(import_pretrained=False)
    images = engine.lab_gallery(2)
    assert images == lab.gallery(2, root=built.root) and len({g.race for g in images}) == 7
    accuracy = lab.class_accuracy(built.root)
    reference = load_registry(built.models, include_cache=False)
    for image in (images[0], images[-1]):  # two races
        compared = engine.compare_lab(image)
        assert [a.model for a in compared.answers] == [lab.FAIR_MODEL, lab.BIASED_MODEL]
        assert compared.accuracy == {name: accuracy[name][image.race] for name in (lab.FAIR_MODEL, lab.BIASED_MODEL)}
        pixels = np.asarray(Image.open(image.path).convert("RGB"))[None]
        for answer in compared.answers:  # the whole image is the face, as in training and the audit
            expected = reference.get(answer.model).predict(pixels)[0]
            np.testing.assert_allclose(list(answer.probabilities.values()), expected, atol=1e-4)
            assert answer.card.synthetic and "SYNTHETIC" in answer.text.upper()
            maps = compared.comparison.face.heatmaps[answer.model]
            assert set(maps) == {"gradcam", "ig"}
            assert compared.comparison.face.heatmap_info[answer.model]["ig"].ig_delta is not None


def test_compare_adds_the_general_vqa_model_as_one_more_row_compared_by_meaning(folder, astronaut, saying):
    for favour, means in (("asian", ("East Asian", "Southeast Asian")), ("white", ("White",))):
        engine = Engine(folder, include_cache=False, general_vqa=saying(favour))
        comparison = engine.compare(astronaut, "race", explain=("gradcam", "ig"), checks=())
        said = {a.model: a.answer for a in comparison.face.answers}
        assert comparison.models == ["race-a", "race-b"] and comparison.face_model_count == 2
        assert comparison.general_answer.answer == favour and comparison.general_answer.heatmap is not None
        assert comparison.general_agrees_with == tuple(m for m, answer in said.items() if answer in means)
        assert comparison.agreement.answers == tuple(said.items())  # the face models' own agreement
    off = Engine(folder, include_cache=False).compare(astronaut, "race", explain=())
    assert off.general_answer is None and off.general_agrees_with is None


def test_the_engines_old_spelling_second_opinion_is_the_general_vqa_model(folder, astronaut, saying):
    """Engine(second_opinion=...) and engine.second_opinion(_problem), as docs/vqa.md has them."""
    model = saying("asian")
    old = Engine(folder, include_cache=False, second_opinion=model)
    assert old.general_vqa == old.second_opinion == model and old.second_opinion_problem is None
    said = old.ask(astronaut, "What race is she?", explain=()).general_answer
    same = Engine(folder, include_cache=False, general_vqa=model).ask(astronaut, "What race is she?",
                                                                      explain=()).general_answer
    assert (said.model, said.answer) == (same.model, same.answer) == (str(model), "asian")
    assert said.confidence == pytest.approx(same.confidence, rel=1e-4)  # torch on the CPU: float noise
    assert old.ask(astronaut, "What race is she?", explain=(), second_opinion=None).general_answer is None


def test_a_vqa_answer_that_names_no_class_is_shown_but_not_compared(folder, astronaut, saying):
    comparison = Engine(folder, include_cache=False, general_vqa=saying("yes")).compare(astronaut, "race",
                                                                                          explain=())
    assert comparison.general_answer.answer == "yes" and comparison.general_agrees_with is None


def test_the_app_engine_refuses_what_the_app_refuses_and_scripts_keep_the_bomb_ceiling(folder):
    """A 42 MP photo: over the 40 MP the app's engine accepts (before any model runs),
    under the 120 MP a script's or the CLI's engine keeps, as before the caps had names."""
    from tests.helpers import png_header_only
    from vqa.engine import MAX_UPLOAD_PIXELS, CorruptImageError, ImageTooLargeError

    photo = png_header_only(6_500, 6_500)
    with pytest.raises(ImageTooLargeError, match="40 MP this app accepts"):
        Engine(folder, include_cache=False, max_pixels=MAX_UPLOAD_PIXELS).ask(photo, "Is this a woman?")
    with pytest.raises(ImageTooLargeError, match="40 MP this app accepts"):
        next(Engine(folder, include_cache=False, max_pixels=MAX_UPLOAD_PIXELS).ask_stages(photo, "Is this a woman?"))
    with pytest.raises(CorruptImageError):  # the header passes; there are no pixels behind it
        Engine(folder, include_cache=False).ask(photo, "Is this a woman?")


def test_a_lab_answer_carries_its_calibration_set_and_audit_record_recomputed_from_predictions(
        monkeypatch, reduced_lab):
    """The issue's part 6, checked against the audit's own predictions.csv with pandas:
    the calibrated confidence is the temperature-scaled probability, the audit record is
    the eval half's count, and the source names the lab's audit, its images and SYNTHETIC."""
    import pandas as pd

    from models.audit_summary import AuditSummary
    from vqa import lab

    cache, built, _ = reduced_lab
    monkeypatch.setenv("FACEXAI_CACHE", str(cache))
    engine = Engine(import_pretrained=False)
    summary = AuditSummary.load(built.report)
    table = pd.read_csv(built.report / "predictions.csv")
    compared = engine.compare_lab(engine.lab_gallery(1)[0])
    for answer in compared.answers:
        audit = summary.models[answer.model].audit
        temperature = audit.calibration.temperature
        logits = np.log(np.maximum(list(answer.probabilities.values()), np.finfo(np.float32).smallest_subnormal))
        scaled = np.exp(logits / temperature - (logits / temperature).max())
        scaled /= scaled.sum()
        labels = list(answer.probabilities)
        assert answer.calibrated_confidence == pytest.approx(scaled[labels.index(answer.answer)], rel=1e-6)
        assert answer.answer in answer.prediction_set and set(answer.prediction_set) <= set(labels)
        assert answer.calibration.synthetic and answer.calibration.source == "the bias lab's audit"
        assert answer.calibration.figure == built.report / summary.models[answer.model].figures["reliability"]
        assert answer.calibration.images == audit.calibration.fit_images + audit.calibration.eval_images
        said = labels[int(scaled.argmax())]
        rows = table[(table.model == answer.model) & (table.split == "eval") & (table.predicted_label == said)]
        assert (answer.audit.said, answer.audit.n) == (said, len(rows))
        assert answer.audit.right == int((rows.true_label == said).sum())
        assert answer.audit.low <= answer.audit.right / answer.audit.n <= answer.audit.high
        record = answer.to_dict()
        assert record["calibration"] == {"source": "the bias lab's audit", "images": answer.calibration.images,
                                         "synthetic": True}
        assert record["audit"]["said"] == said and record["prediction_set"] == list(answer.prediction_set)
    assert {a.model for a in compared.answers} == {lab.FAIR_MODEL, lab.BIASED_MODEL}


def test_a_model_without_an_audit_keeps_its_raw_softmax_and_says_so(folder, astronaut):
    from vqa.confidence import NOT_CALIBRATED

    result = Engine(folder, include_cache=False).ask(astronaut, "What is this person's race?", explain=("gradcam",))
    for answer in result.answers:
        record = answer.to_dict()
        assert record["calibration"] is None and record["calibrated_confidence"] is None
        assert record["prediction_set"] is None and record["audit"] is None
    assert "raw softmax" in NOT_CALIBRATED
    face = result.to_dict()["faces"][0]
    assert face["skin_tone"]["category"] and -90 <= face["skin_tone"]["ita"] <= 90


def test_the_calibrations_words_say_its_numbers_and_a_raw_softmax_says_so(monkeypatch, reduced_lab, folder, astronaut):
    from vqa.confidence import confidence_text

    cache, _, _ = reduced_lab
    monkeypatch.setenv("FACEXAI_CACHE", str(cache))
    engine = Engine(import_pretrained=False)
    answer = engine.compare_lab(engine.lab_gallery(1)[0]).answers[1]  # the census-biased model
    text = confidence_text(answer)
    record = answer.audit
    assert text.startswith(f"Calibrated: {100 * answer.calibrated_confidence:.0f}% (temperature-scaled on "
                           f"{answer.calibration.images} SYNTHETIC images of the bias lab's audit).")
    assert f"At 90%: {' or '.join(answer.prediction_set)}." in text
    assert f"When it said {record.said} it was right {record.right} of {record.n} times" in text
    raw = Engine(folder, include_cache=False).ask(astronaut, "What is this person's race?", explain=()).answers[0]
    assert confidence_text(raw) == "Not calibrated: this is the model's raw softmax."


RACE = "What is this person's race?"


def test_one_typed_ask_options_answers_as_the_keyword_arguments_do(folder, astronaut, tmp_path):
    from vqa import AskOptions
    from vqa.explain import ExplainMethodError
    from vqa.pipeline import CheckError

    options = AskOptions(methods="IG,gradcam", face_index=0, ig_steps=8, ig_baseline="black", checks="none")
    assert options.methods == ("gradcam", "ig") and options.checks == ()  # canonical on creation
    engine = Engine(folder, include_cache=False)
    typed = engine.ask(astronaut, RACE, options=options)
    keywords = engine.ask(astronaut, RACE, explain=("gradcam", "ig"), face_index=0, ig_steps=8, ig_baseline="black",
                          checks=())
    assert [r.answer.probabilities for r in typed.faces[0].records] == \
        [r.answer.probabilities for r in keywords.faces[0].records]
    for mine, theirs in zip(typed.faces[0].records, keywords.faces[0].records, strict=True):
        assert list(mine.maps) == list(theirs.maps) == ["gradcam", "ig"]
        assert mine.maps["ig"].info.ig_steps == theirs.maps["ig"].info.ig_steps == 8
        for method in mine.maps:
            np.testing.assert_allclose(mine.maps[method].heatmap, theirs.maps[method].heatmap, atol=1e-5)
    with pytest.raises(TypeError, match="not both"):
        engine.ask(astronaut, RACE, options=options, checks=())
    with pytest.raises(TypeError, match="not both"):
        engine.ask(astronaut, RACE, explain=("ig",), options=options)
    with pytest.raises(ExplainMethodError, match="lime"):
        AskOptions(methods=("lime",))
    with pytest.raises(CheckError, match="speed"):
        AskOptions(checks="speed")


def test_ask_options_are_used_as_given_and_vqa_model_names_the_engines_own(folder, astronaut, tmp_path,
                                                                          monkeypatch):
    from vqa import AskOptions
    from vqa.general import model as general_model

    def unavailable(model, progress=None):  # as vqa.general says for a missing folder, without loading torch
        raise general_model.GeneralVqaUnavailable(f"no VQA model folder at {model}")

    monkeypatch.setattr(general_model, "load", unavailable)
    missing = str(tmp_path / "no-vqa-model-here")
    engine = Engine(folder, include_cache=False, second_opinion=missing)
    assert engine.general_vqa_model == missing and Engine(folder, include_cache=False).general_vqa_model is None
    result = engine.ask(astronaut, RACE, options=AskOptions(methods=(), checks=()))
    assert result.second_opinion is None  # vqa_model None: left out, though the engine has one
    asked = engine.ask(astronaut, RACE, options=AskOptions(methods=(), checks=(), general_vqa=engine.general_vqa_model))
    assert asked.second_opinion.model == missing and asked.second_opinion.error  # asked, and said why not


# The app hands its --vqa-model to the engine (app/cli.py), whose warm-up loads it: one that
# cannot load is switched off once, not retried on every question.
def test_a_second_opinion_that_cannot_load_is_switched_off_once_with_the_reason(tmp_path, monkeypatch):
    from vqa import Engine, general

    def unavailable(model):
        raise general.GeneralVqaUnavailable(f"no ViLT model folder at {model}")

    monkeypatch.setattr(general, "load", unavailable)  # as vqa.general says when weights are missing
    messages = []
    engine = Engine(include_cache=False, second_opinion=str(tmp_path / "no-vilt-here"), progress=messages.append)
    engine.check_general_vqa()
    assert engine.second_opinion is None  # no retry (and no delay) on every question
    assert engine.second_opinion_problem and "Second opinion off" in messages[0]
