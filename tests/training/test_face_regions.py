"""The audit's face regions: landmarks per chip (predictor, synthetic geometry, dlib's mean face) and
the per-class mean region shares."""
import numpy as np
import pytest

from models.alignment import TEMPLATE_5
from models.regions import REGIONS, region_masks, region_shares
from training.class_heatmaps import ClassMaps
from training.face_regions import (
    TEMPLATE_5_INDICES,
    ChipLandmarks,
    class_region_shares,
    detected_landmarks,
    landmarks_for,
    mean_face_68,
    predictor_mean_shape,
    source_counts,
    synthetic_fallback,
    template_fallback,
    template_landmarks,
)
from training.fairface import crop_fraction
from training.ground_truth import fit_masks
from training.synthetic import cue_centre, draw_sample, synthetic_landmarks68


def _eye_distance(points):
    return np.linalg.norm(points[36:42].mean(0) - points[42:48].mean(0))


def test_the_predictors_mean_shape_is_a_face_in_its_box():
    shape = predictor_mean_shape()
    assert shape.shape == (68, 2)
    assert np.all((shape > -0.1) & (shape < 1.2))
    assert shape[8, 1] > shape[57, 1] > shape[33, 1] > shape[27, 1] > shape[19, 1]  # chin, lip, nose, bridge, brow
    assert shape[36, 0] < shape[39, 0] < shape[42, 0] < shape[45, 0]  # eye corners left to right
    assert abs(shape[8, 0] - 0.5) < 0.02 and abs(shape[30, 0] - 0.5) < 0.02  # symmetric about the box


def test_the_mean_face_lands_on_dlibs_five_point_template():
    # The similarity is fitted on 5 points; a wrong parse or wrong indices leaves a large residual.
    residual = np.abs(mean_face_68()[list(TEMPLATE_5_INDICES)] - TEMPLATE_5).max()
    assert residual < 0.005


def test_dlibs_landmarks_on_the_aligned_astronaut_are_near_the_template():
    from models.faces import align, detect_faces
    from tests.helpers import astronaut_image

    photo = astronaut_image()
    chip = align(photo, detect_faces(photo)[0], 224, 0.25).pixels
    found = detected_landmarks(chip)
    assert found is not None and found.shape == (68, 2)
    template = template_landmarks(224)
    error = np.linalg.norm(found - template, axis=1) / _eye_distance(template)
    assert error.mean() < 0.1 and error[list(TEMPLATE_5_INDICES)].max() < 0.1
    assert landmarks_for(chip[None], [0], template_fallback(224))[0].source == "predictor"
    assert landmarks_for(chip[None], [0], template_fallback(224), detect=False)[0].source == "template"
    masks = region_masks(found, 224)
    # The predictor's mouth region holds the template's mouth centre, its eye region the eye centres.
    for point in (template[48:60].mean(0), template[36:42].mean(0), template[42:48].mean(0)):
        x, y = np.round(point).astype(int)
        assert masks["mouth"][y, x] or masks["eyes"][y, x]


def _synthetic(size=96, seed=3):
    return draw_sample(2, 1, 4, size, np.random.default_rng(seed))


def test_cue_centre_and_synthetic_landmarks_sit_on_the_drawn_eyes_and_mouth():
    image, cues = _synthetic()
    points = synthetic_landmarks68(*cue_centre(cues.age), 96)
    for part in (points[36:42], points[42:48], points[48:60]):
        x, y = np.round(part.mean(0)).astype(int)
        assert cues.age[y, x]
    x, y = np.round(points[8]).astype(int)  # the chin on the oval's lower edge
    assert cues.race[y - 3, x] and not cues.race[min(y + 3, 95), x]


def test_a_map_of_the_age_cue_rests_on_eyes_and_mouth():
    _, cues = _synthetic()
    shares = region_shares(cues.age.astype(float), region_masks(synthetic_landmarks68(*cue_centre(cues.age), 96), 96))
    assert shares["eyes"] + shares["mouth"] > 0.9
    others = [shares[r] for r in REGIONS if r not in ("eyes", "mouth")]
    assert min(shares["eyes"], shares["mouth"]) > 4 * max(others)


def test_a_map_of_the_gender_band_rests_above_the_brows():
    _, cues = _synthetic()
    shares = region_shares(cues.gender.astype(float),
                           region_masks(synthetic_landmarks68(*cue_centre(cues.age), 96), 96))
    assert shares["forehead"] + shares["hair"] > 0.8


def test_synthetic_fallback_maps_the_stored_geometry_onto_a_cropped_resized_chip():
    """The chip's landmarks against the age mask brought onto the same chip (training.ground_truth.fit_masks)."""
    stored = np.stack([_synthetic(96, seed)[1].age for seed in range(3)])
    crop, size = crop_fraction(0.25), 48
    on_chip = fit_masks(stored, size, crop)
    fallback = synthetic_fallback(size, crop, stored)
    for index in range(3):
        found = fallback(index)
        assert found.source == "synthetic"
        shares = region_shares(on_chip[index].astype(float), region_masks(found.points, size))
        assert shares["eyes"] + shares["mouth"] > 0.85
    nominal = synthetic_fallback(size, crop, None)(0).points  # no masks: the cartoon's centre is the chip's
    assert np.allclose(nominal[[36, 39, 42, 45]].mean(0), [size / 2 - 0.5, size / 2 - 0.5], atol=1e-6)


def test_every_source_is_one_the_summary_explains():
    from models.audit_summary import LANDMARK_SOURCES

    assert template_fallback(8)(0).source in LANDMARK_SOURCES
    assert synthetic_fallback(8, 1.0, None)(0).source in LANDMARK_SOURCES


def test_chips_without_a_face_fall_back_and_are_counted():
    chips = np.stack([_synthetic(96, seed)[0] for seed in range(2)] + [np.full((96, 96, 3), 128, np.uint8)])
    known = landmarks_for(chips, [0, 2], template_fallback(96))
    assert [known[i].source for i in (0, 2)] == ["template", "template"]
    assert np.allclose(known[2].points, template_landmarks(96))
    landmarks_for(chips, [1, 2], template_fallback(96), known)  # 2 is kept, 1 added
    assert sorted(known) == [0, 1, 2] and source_counts(known, [0, 1, 2]) == {"template": 3}


def test_class_shares_are_means_of_per_map_shares_and_sum_to_one():
    size = 48
    points = template_landmarks(size)
    masks = region_masks(points, size)
    rng = np.random.default_rng(0)
    maps = rng.random((3, size, size)).astype(np.float32)
    maps[2] = masks["mouth"]  # one map all mouth
    landmarks = {i: ChipLandmarks(points, "template") for i in (4, 7, 9)}
    per_class = {0: ClassMaps(maps[:2], None, np.array([4, 7])), 1: ClassMaps(maps[2:], None, np.array([9]))}
    shares = class_region_shares({"gradcam": per_class}, landmarks, ("A", "B"))["gradcam"]
    assert list(shares) == ["A", "B"] and all(list(s) == list(REGIONS) for s in shares.values())
    for per_region in shares.values():
        assert sum(per_region.values()) == pytest.approx(1.0, abs=1e-9)
    expected = np.mean([[region_shares(m, masks)[r] for r in REGIONS] for m in maps[:2]], axis=0)
    assert np.allclose([shares["A"][r] for r in REGIONS], expected)
    assert shares["B"]["mouth"] == pytest.approx(1.0)
