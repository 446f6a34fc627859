"""Stability of an answer over variants of the crop (vqa.stability), on tiny
Keras models whose answer is known from their weights."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.vqa.helpers import EDGE_PIXEL, STABILITY_SIZE, save_constant_model, save_edge_model
from vqa.answers import answer_for
from vqa.router import route
from vqa.stability import (
    OtherDetection,
    compare,
    other_detection,
    other_detections,
    probability_of,
    shift_pixels,
    stability,
    variant_chips,
)

OPEN = route("What gender is this person?")
IS_WOMAN = route("Is this a woman?")


@pytest.fixture(scope="module")
def edge_model(tmp_path_factory):
    return save_edge_model(tmp_path_factory.mktemp("edge"))


@pytest.fixture(scope="module")
def constant_model(tmp_path_factory):
    return save_constant_model(tmp_path_factory.mktemp("constant"))


@pytest.fixture(scope="module")
def edge_photo():
    """64x64: black left of x = 8, white from there. As a whole-image face its
    32-pixel chip shows photo column ~2c + 0.5 at chip column c, so the edge
    model's pixel (column 3, photo x ~6.5) is dark, and 2 chip pixels to the
    right (photo x ~10.5) white."""
    photo = np.full((64, 64, 3), 255, dtype=np.uint8)
    photo[:, :8] = 0
    return photo


@pytest.fixture(scope="module")
def astronaut_face(astronaut):
    from models.faces import detect_faces

    return detect_faces(astronaut)[0]


def _asked(loaded, image, face, intent=OPEN):
    from models.faces import align

    chip = align(image, face, size=loaded.card.input.size, padding=loaded.card.input.padding)
    answer = answer_for(loaded.predict(chip.pixels[None])[0], loaded.card, intent)
    return chip, answer


def test_an_edge_pixel_model_changes_its_answer_under_the_shift_and_is_unstable(edge_model, edge_photo):
    from models.faces import whole_image_face

    face = whole_image_face(edge_photo)
    chip, answer = _asked(edge_model, edge_photo, face)
    assert chip.pixels[EDGE_PIXEL][0] < 32 and answer.answer == "Female"
    result = stability(edge_model, edge_photo, face, answer, OPEN, chip=chip)
    by_name = {v.name: v for v in result.variants}
    shifted = by_name[f"shift +x+y {shift_pixels(STABILITY_SIZE)}px"]
    assert shifted.answer == "Male" and not shifted.agrees
    assert shifted.probability < 0.01  # P(Female) on the shifted crop
    assert not result.stable
    assert result.agreement == pytest.approx(sum(v.agrees for v in result.variants) / len(result.variants))
    assert result.agreement < 1.0
    assert result.low < 0.01 and result.high > 0.99
    assert shifted in result.disagreeing
    assert "Unstable" in result.text and shifted.name in result.text
    data = result.to_dict()
    assert data["stable"] is False and data["probability_range"] == [result.low, result.high]
    assert {"agreement", "stable", "variants", "probability_range"} <= set(data)
    assert data["variants"][0].keys() >= {"name", "answer", "probability"}


def test_a_constant_model_is_stable(constant_model, astronaut, astronaut_face):
    chip, answer = _asked(constant_model, astronaut, astronaut_face)
    other = OtherDetection("mtcnn", None, "not tried in this test")
    result = stability(constant_model, astronaut, astronaut_face, answer, OPEN, chip=chip, other=other)
    p_male = 1 / (1 + np.exp(-1.0))
    assert result.stable and result.agreement == 1.0 and answer.answer == "Male"
    assert result.low == pytest.approx(p_male, abs=1e-6) and result.high == pytest.approx(p_male, abs=1e-6)
    assert len(result.variants) == 5  # padding down/up, two shifts, flip
    assert result.skipped == ("other detector (mtcnn): not tried in this test",)
    assert result.text.startswith("Stable: all 5 variants")


def test_all_variants_go_to_the_model_in_one_batched_call(constant_model, astronaut, astronaut_face):
    chip, answer = _asked(constant_model, astronaut, astronaut_face)
    calls = []
    original = constant_model.predict
    constant_model.predict = lambda chips: calls.append(np.shape(chips)) or original(chips)
    try:
        result = stability(constant_model, astronaut, astronaut_face, answer, OPEN, chip=chip)
    finally:
        del constant_model.predict
    assert calls == [(len(result.variants), STABILITY_SIZE, STABILITY_SIZE, 3)]


def test_the_variants_really_differ_from_the_chip(constant_model, astronaut, astronaut_face):
    card = constant_model.card
    chip, _ = _asked(constant_model, astronaut, astronaut_face)
    variants, skipped = variant_chips(astronaut, astronaut_face, card, chip=chip)
    assert skipped == ("other detector: not run",)
    chips = dict(variants)
    for name, variant in variants:
        difference = np.abs(variant.pixels.astype(float) - chip.pixels.astype(float)).mean()
        assert difference > 2.0, name
    # Padding scales the face in the chip by (1 + 2p) / (1 + 2p').
    for padding in (0.15, 0.35):
        scale = np.sqrt(abs(np.linalg.det(chips[f"padding {padding:.2f}"].matrix[:, :2])))
        original = np.sqrt(abs(np.linalg.det(chip.matrix[:, :2])))
        assert scale / original == pytest.approx(1.5 / (1 + 2 * padding), rel=0.01)
    # The shift moves every photo point by s chip pixels on both axes.
    s = shift_pixels(STABILITY_SIZE)
    landmarks = astronaut_face.landmarks
    moved = chips[f"shift +x+y {s}px"].to_chip(landmarks) - chip.to_chip(landmarks)
    np.testing.assert_allclose(moved, -s, atol=0.05)
    back = chips[f"shift -x-y {s}px"].to_chip(landmarks) - chip.to_chip(landmarks)
    np.testing.assert_allclose(back, s, atol=0.05)
    # The flip is the mirrored chip, and its matrix mirrors the points.
    flip = chips["flip"]
    np.testing.assert_array_equal(flip.pixels, chip.pixels[:, ::-1])
    np.testing.assert_allclose(flip.to_chip(landmarks)[:, 0], STABILITY_SIZE - 1 - chip.to_chip(landmarks)[:, 0])


def test_the_other_detector_finds_the_astronaut_and_adds_a_variant(constant_model, astronaut, astronaut_face):
    other = other_detection(astronaut, astronaut_face)
    assert other.detector == "mtcnn" and other.face is not None, other.note
    variants, skipped = variant_chips(astronaut, astronaut_face, constant_model.card, other=other)
    assert skipped == () and variants[-1][0] == "other detector (mtcnn)"
    chip, _ = _asked(constant_model, astronaut, astronaut_face)
    # The same face: its landmarks land within a few chip pixels of the original's.
    shift = np.abs(variants[-1][1].to_chip(astronaut_face.landmarks) - chip.to_chip(astronaut_face.landmarks))
    assert shift.max() < 0.15 * STABILITY_SIZE


def test_the_other_detector_runs_once_per_photo_and_matches_each_face(astronaut, monkeypatch):
    """Two astronauts side by side: one MTCNN run finds both, each matched to its own dlib face."""
    import models.faces
    from models.faces import Face, detect_faces, whole_image_face

    pair = np.concatenate([astronaut, astronaut[:, ::-1]], axis=1)
    faces = detect_faces(pair)[:2]
    assert len(faces) == 2
    stray = Face(box=(0.0, 0.0, 40.0, 40.0), landmarks=faces[0].landmarks - faces[0].box[:2], score=1.0)
    calls = []
    original = models.faces.detect_faces
    monkeypatch.setattr(models.faces, "detect_faces", lambda *a, **k: calls.append(k) or original(*a, **k))
    found = other_detections(pair, faces + [stray, whole_image_face(pair)])
    assert calls == [{"detector": "mtcnn", "require": False}]
    for face, other in zip(faces, found[:2], strict=True):
        assert other.face is not None and other.detector == "mtcnn"
        centre = np.mean(other.face.box[0::2])
        assert face.box[0] <= centre <= face.box[2]
    assert found[2].face is None and "no face at this place" in found[2].note
    assert found[3].face is None and "one face" in found[3].note


def test_no_detector_runs_for_a_whole_image_face(edge_photo):
    from models.faces import whole_image_face

    other = other_detection(edge_photo, whole_image_face(edge_photo))
    assert other.face is None and "one face" in other.note


def test_yes_no_answers_compare_yes_or_no_and_range_over_their_probability(edge_model, edge_photo):
    from models.faces import whole_image_face

    face = whole_image_face(edge_photo)
    chip, answer = _asked(edge_model, edge_photo, face, IS_WOMAN)
    assert answer.answer == "yes"
    result = stability(edge_model, edge_photo, face, answer, IS_WOMAN, chip=chip)
    for variant in result.variants:
        assert variant.answer in ("yes", "no")
        assert variant.agrees == (variant.answer == "yes")
        assert variant.probability == pytest.approx(variant.confidence if variant.agrees else 1 - variant.confidence)
    assert not result.stable
    assert result.low == pytest.approx(min([answer.p_yes] + [v.probability for v in result.variants]))


def test_probability_of_reads_the_original_answer_in_each_variant():
    from models.cards import ModelCard

    card = ModelCard(name="m", attribute="race", labels=("White", "Asian", "Black"))
    original = answer_for([0.7, 0.2, 0.1], card, route("What race is this person?"))
    flipped = answer_for([0.1, 0.8, 0.1], card, route("What race is this person?"))
    assert probability_of("White", flipped) == pytest.approx(0.1)
    result = compare(original, [("a", original), ("b", flipped)])
    assert result.agreement == 0.5 and not result.stable
    assert (result.low, result.high) == (pytest.approx(0.1), pytest.approx(0.7))
    assert result.variants[1].confidence == pytest.approx(0.8)


def test_on_ask_answers_the_batched_variants_match_asking_one_by_one(tiny_registry, astronaut):
    """Every answer ask() gives on the astronaut, re-asked on its variants: the
    one batched call says what one predict per variant says."""
    import json

    from vqa.pipeline import ask

    result = ask(astronaut, "What race is this person?", explain=(), registry=tiny_registry)
    face = result.faces[0]
    assert len(face.answers) == 2
    for answer in face.answers:
        loaded = tiny_registry.get(answer.model)
        chip = face.chips[answer.model]
        found = stability(loaded, astronaut, face.face, answer, result.intent, chip=chip)
        variants, _ = variant_chips(astronaut, face.face, loaded.card, chip=chip)
        one_by_one = [answer_for(loaded.predict(c.pixels[None])[0], loaded.card, result.intent) for _, c in variants]
        assert [v.answer for v in found.variants] == [a.answer for a in one_by_one]
        for variant, alone in zip(found.variants, one_by_one, strict=True):
            assert variant.confidence == pytest.approx(alone.confidence, abs=1e-5)
        assert found.answer == answer.answer
        json.dumps(found.to_dict())


def test_the_headline_of_an_unstable_answer_names_the_other_answer_and_its_count():
    from vqa.stability import Stability, Variant

    said = [Variant("padding 0.15", "White", 0.2), Variant("padding 0.35", "White", 0.3),
            Variant("shift +7+7", "Asian", 0.6), Variant("shift -7-7", "White", 0.1),
            Variant("flip", "White", 0.2), Variant("other detector", "White", 0.4)]
    said = [dataclasses.replace(v, agrees=v.answer == "Asian") for v in said]
    unstable = Stability(agreement=1 / 6, stable=False, low=0.1, high=0.6, variants=said, answer="Asian")
    assert unstable.headline == "Unstable: Asian on this crop, White on 5 of 6 nearby crops."
    steady = Stability(agreement=1.0, stable=True, low=0.9, high=0.95, variants=said[2:3], answer="Asian")
    assert steady.headline is None


def test_each_variant_keeps_a_thumbnail_of_its_crop_for_the_page_and_not_for_the_json(tiny_registry, astronaut):
    from vqa.pipeline import ask

    result = ask(astronaut, "What is this person's race?", explain=(), registry=tiny_registry, checks=("stability",))
    stability = result.answers[0].stability
    chip = result.faces[0].records[0].chip
    assert stability.thumbnail is not None and stability.thumbnail.shape[1] == min(96, chip.size)
    for variant in stability.variants:
        assert variant.thumbnail.dtype == np.uint8 and variant.thumbnail.shape[1] == min(96, chip.size)
        assert "thumbnail" not in variant.to_dict()
    flip = next(v for v in stability.variants if v.name == "flip")
    np.testing.assert_array_equal(flip.thumbnail, stability.thumbnail[:, ::-1])  # the mirrored crop, shrunk alike
