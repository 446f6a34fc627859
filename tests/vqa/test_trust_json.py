"""ask()'s trust checks (issue 11): every answer's stability, every heatmap's
face regions and the occlusion check, under the JSON names scripts rely on."""
from __future__ import annotations

import json

import numpy as np
import pytest

from models.regions import REGIONS
from vqa import ask
from vqa.pipeline import CHECKS, CheckError, parse_checks

ALL = ("gradcam", "guided", "ig")
# The JSON names of issue 11 (and what vqa.stability adds beside them).
STABILITY_KEYS = {"agreement", "stable", "variants", "probability_range", "answer", "skipped"}
VARIANT_KEYS = {"name", "answer", "probability", "confidence", "agrees"}
OCCLUSION_KEYS = {"target", "score_kind", "score", "fill", "drops", "areas", "shares"}
REGION_CHECK_KEYS = {"heatmap_top", "occlusion_top", "agrees", "rank_correlation", "text"}
# padding down and up, two shifts, the flip: made for every face.
ALWAYS_MADE = 5


def _json(result):
    return json.loads(json.dumps(result.to_dict()))


def _assert_stability(answer: dict):
    stability = answer["stability"]
    assert set(stability) == STABILITY_KEYS
    variants = stability["variants"]
    assert len(variants) >= ALWAYS_MADE and all(set(v) == VARIANT_KEYS for v in variants)
    assert stability["answer"] == answer["answer"]
    agreeing = [v["answer"] == answer["answer"] for v in variants]
    assert [v["agrees"] for v in variants] == agreeing
    assert stability["agreement"] == pytest.approx(sum(agreeing) / len(variants))
    assert stability["stable"] == all(agreeing)
    low, high = stability["probability_range"]
    assert answer["confidence"] is not None  # an answer with a stability check has a confidence to range over
    assert low <= answer["confidence"] + 1e-9 and answer["confidence"] - 1e-9 <= high


def _assert_regions(face: dict, methods):
    assert face["regions_note"] is None
    for model, maps in face["heatmaps"].items():
        assert set(maps) == set(methods)
        occlusion = face["occlusion"][model]
        assert set(occlusion) == OCCLUSION_KEYS and set(occlusion["shares"]) == set(REGIONS)
        for info in maps.values():
            assert list(info["regions"]) == list(REGIONS)
            assert sum(info["regions"].values()) == pytest.approx(1.0, abs=1e-9)
            assert min(info["regions"].values()) >= 0.0
            check = info["region_check"]
            assert set(check) == REGION_CHECK_KEYS
            assert check["heatmap_top"] == max(info["regions"], key=info["regions"].get)
            assert check["occlusion_top"] == (max(occlusion["shares"], key=occlusion["shares"].get)
                                              if sum(occlusion["shares"].values()) > 0 else None)
        if occlusion["score_kind"] == "logit" and "gradcam" in maps:
            # The occlusion check's unoccluded score is the logit Grad-CAM explained, on the same chip.
            assert occlusion["score"] == pytest.approx(maps["gradcam"]["score"], rel=1e-4, abs=1e-4)
            assert occlusion["target"] == maps["gradcam"]["target"]


def test_astronaut_every_answer_has_stability_and_every_map_regions(pretrained_registry, astronaut):
    result = ask(astronaut, "How old is this person, and is this a man or a woman?", explain=ALL,
                 registry=pretrained_registry, ig_steps=8)
    data = _json(result)
    [face] = data["faces"]
    assert {a["model"] for a in face["answers"]} == {"dlib-age", "dlib-gender"}
    for answer in face["answers"]:
        _assert_stability(answer)
        # dlib found her; MTCNN, the other detector, finds her at the same place.
        assert any(v["name"].startswith("other detector (mtcnn)") for v in answer["stability"]["variants"])
    _assert_regions(face, ALL)
    assert set(face["occlusion"]) == {"dlib-age", "dlib-gender"}
    assert {"other_detector", "landmarks68"} <= set(data["timings_s"])


def test_checks_off_removes_them(tiny_registry, astronaut):
    for off in ((), "none", None):
        result = ask(astronaut, "What race is she?", explain=("gradcam",), registry=tiny_registry, checks=off)
        face = _json(result)["faces"][0]
        assert all(a.stability is None for a in result.answers)
        assert all(a["stability"] is None for a in face["answers"])
        assert face["occlusion"] == {} and result.faces[0].regions == {}
        assert all("regions" not in info for maps in face["heatmaps"].values() for info in maps.values())
        assert "other_detector" not in result.timings and "landmarks68" not in result.timings


def test_each_check_alone(tiny_registry, astronaut):
    regions_only = _json(ask(astronaut, "What race is she?", explain=("gradcam",), registry=tiny_registry,
                             checks=("regions",)))["faces"][0]
    assert all(a["stability"] is None for a in regions_only["answers"])
    _assert_regions(regions_only, ("gradcam",))
    stability_only = _json(ask(astronaut, "What race is she?", explain=("gradcam",), registry=tiny_registry,
                               checks="stability"))["faces"][0]
    for answer in stability_only["answers"]:
        _assert_stability(answer)
    assert stability_only["occlusion"] == {}


def test_no_heatmaps_no_regions_and_no_landmarks(tiny_registry, astronaut, monkeypatch):
    import models.faces

    def refuse(*args, **kwargs):
        raise AssertionError("the 68 landmarks were looked for, but no heatmap was asked")

    monkeypatch.setattr(models.faces, "landmarks68", refuse)
    result = ask(astronaut, "What race is she?", explain=(), registry=tiny_registry)
    assert result.faces[0].regions == {} and all(a.stability is not None for a in result.answers)


def test_stability_variants_come_from_one_predict_call_per_model(tiny_registry, astronaut, monkeypatch):
    import models.faces
    from models.handle import ModelHandle

    calls, detections = [], []
    predict, detect = ModelHandle.predict, models.faces.detect_faces

    def counting_predict(self, chips):
        calls.append((self.name, len(chips)))
        return predict(self, chips)

    def counting_detect(image, *args, **kwargs):
        detections.append(kwargs.get("detector", "dlib"))
        return detect(image, *args, **kwargs)

    monkeypatch.setattr(ModelHandle, "predict", counting_predict)
    monkeypatch.setattr(models.faces, "detect_faces", counting_detect)
    result = ask(astronaut, "What race is she?", explain=("gradcam",), registry=tiny_registry)
    answers = result.answers
    assert [a.model for a in answers] == ["race-a", "race-b"]
    for answer in answers:
        mine = [n for name, n in calls if name == answer.model]
        # The answer (1 chip), then every variant of the crop in ONE call.
        assert mine == [1, len(answer.stability.variants)]
        assert len(answer.stability.variants) == ALWAYS_MADE + 1  # + the other detector (MTCNN)
    # The other detector ran once for the photo, not once per model.
    assert detections.count("mtcnn") == 1


def test_reported_shares_are_the_chip_heatmaps_shares(tiny_registry, astronaut):
    from models.faces import landmarks68
    from models.regions import chip_region_masks, region_shares
    from vqa.explain import explain_chip

    result = ask(astronaut, "Is this a woman?", explain=("gradcam", "ig"), registry=tiny_registry, ig_steps=8)
    face = result.faces[0]
    loaded = tiny_registry.get("gender-a")
    chip = face.chips["gender-a"]
    masks = chip_region_masks(chip, landmarks68(astronaut, face.face))
    target = list(loaded.card.labels).index(face.answers[0].evidence)
    maps = explain_chip(loaded, chip, target, ("gradcam", "ig"), ig_steps=8)
    for method, (heatmap, _) in maps.items():
        expected = region_shares(heatmap, masks)
        assert face.regions["gender-a"][method] == pytest.approx(expected, abs=1e-6)
    occlusion = face.occlusion["gender-a"]
    assert occlusion.areas == {region: int(mask.sum()) for region, mask in masks.items()}


def test_whole_image_non_face_has_no_regions_but_a_reason(tiny_registry, faceless):
    result = ask(faceless, "How old is this person?", explain=("gradcam",), registry=tiny_registry,
                 whole_image=True)
    face = _json(result)["faces"][0]
    assert "no face detector finds a face" in face["regions_note"]
    assert face["heatmaps"]["age-a"]["gradcam"]["regions"] is None and face["occlusion"] == {}
    [answer] = face["answers"]
    _assert_stability(answer)
    assert any("no detector ran" in s for s in answer["stability"]["skipped"])
    with pytest.raises(KeyError, match="no face detector finds a face"):
        result.region_chart(0, "age-a")


def test_whole_image_face_crop_gets_regions_from_the_face_a_detector_finds(tiny_registry, astronaut):
    crop = astronaut[40:240, 130:330]
    result = ask(crop, "How old is this person?", explain=("gradcam",), registry=tiny_registry, whole_image=True)
    face = _json(result)["faces"][0]
    assert result.faces[0].face.whole_image
    _assert_regions(face, ("gradcam",))


def test_region_chart_draws_both_readings(tiny_registry, astronaut):
    result = ask(astronaut, "What race is she?", explain=("gradcam",), registry=tiny_registry)
    figure = result.region_chart(0, "race-b", "gradcam")
    [axes] = figure.axes
    heat, drop = axes.containers
    face = result.faces[0]
    assert [b.get_width() for b in heat] == pytest.approx(list(face.regions["race-b"]["gradcam"].values()))
    assert [b.get_width() for b in drop] == pytest.approx(list(face.occlusion["race-b"].shares.values()))
    assert result.region_chart(0).axes  # the first model with regions
    with pytest.raises(KeyError, match="ig"):
        result.region_chart(0, "race-b", "ig")


@pytest.mark.parametrize("spec, expected", [
    (("regions", "stability"), ("stability", "regions")), (CHECKS, CHECKS), ("stability", ("stability",)),
    ("Regions, ", ("regions",)),
    ((), ()), ("none", ()), (None, ()),
])
def test_parse_checks(spec, expected):
    assert parse_checks(spec) == expected


def test_unknown_check_is_a_readable_error(tiny_registry, astronaut):
    with pytest.raises(CheckError, match="choose from stability, regions"):
        ask(astronaut, "What race is she?", registry=tiny_registry, checks=("stabilty",))


def test_every_face_of_a_group_gets_its_own_checks(tiny_registry, astronaut):
    group = np.concatenate([astronaut, astronaut[:, ::-1]], axis=1)
    result = ask(group, "Is this a woman?", explain=("gradcam",), registry=tiny_registry)
    assert len(result.faces) == 2
    for face in _json(result)["faces"]:
        _assert_stability(face["answers"][0])
        _assert_regions(face, ("gradcam",))
    boxes = [f.face.box for f in result.faces]
    assert boxes[0] != boxes[1]
    assert result.faces[0].regions["gender-a"] != result.faces[1].regions["gender-a"]


def test_an_answer_that_changes_with_the_crop_is_shown_unstable_a_constant_one_stable(tmp_path):
    from models.registry import load_registry
    from tests.vqa.helpers import STABILITY_SIZE, save_constant_model, save_edge_model
    from vqa.stability import shift_pixels

    save_edge_model(tmp_path)  # Male where the pixel is bright
    save_constant_model(tmp_path)
    photo = np.full((64, 64, 3), 255, dtype=np.uint8)
    photo[:, :8] = 0  # the edge pixel is dark on the chip, bright 2 chip pixels to the right
    result = ask(photo, "What gender is this person?", explain=(), whole_image=True,
                 registry=load_registry(tmp_path, include_cache=False))
    answers = {a["model"]: a for a in _json(result)["faces"][0]["answers"]}
    edge, constant = answers["edge"], answers["constant"]
    assert edge["answer"] == "Female" and edge["stability"]["stable"] is False
    said = {v["name"]: v["answer"] for v in edge["stability"]["variants"]}
    assert said[f"shift +x+y {shift_pixels(STABILITY_SIZE)}px"] == "Male"
    assert next(a for a in result.answers if a.model == "edge").stability.text.startswith("Unstable")
    assert constant["answer"] == "Male" and constant["stability"]["stable"] is True
    assert constant["stability"]["agreement"] == 1.0


def test_a_failing_other_detector_skips_its_variant_and_keeps_the_answer(tiny_registry, astronaut, monkeypatch):
    import models.faces

    detect = models.faces.detect_faces

    def broken_mtcnn(image, *args, **kwargs):
        if kwargs.get("detector") == "mtcnn":
            raise RuntimeError("MTCNN broke")
        return detect(image, *args, **kwargs)

    monkeypatch.setattr(models.faces, "detect_faces", broken_mtcnn)
    result = ask(astronaut, "Is this a woman?", explain=(), registry=tiny_registry)
    [answer] = result.answers
    assert len(answer.stability.variants) == ALWAYS_MADE
    assert answer.stability.skipped == ("other detector (mtcnn): it failed (MTCNN broke)",)
