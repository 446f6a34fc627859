"""models.skin_tone: ITA° from the CIELAB L* and b* of the cheek and forehead pixels."""
from __future__ import annotations

import math

import numpy as np
import pytest

from models.regions import region_masks
from models.skin_tone import (
    ITA_CATEGORIES,
    SKIN_TONE_NOTE,
    SkinToneError,
    ita,
    ita_category,
    skin_mask,
)
from training.synthetic import synthetic_landmarks68

SIZE = 64
LANDMARKS = synthetic_landmarks68(SIZE / 2, SIZE / 2, SIZE)  # a face's 68 points on a 64 px square


def _patch(lightness: float, a: float, b: float) -> np.ndarray:
    """A SIZE x SIZE sRGB image, floats in [0, 1], of one CIELAB colour."""
    from skimage.color import lab2rgb

    return lab2rgb(np.full((SIZE, SIZE, 3), (lightness, a, b), dtype=np.float64))


@pytest.mark.parametrize("lightness, a, b, category", [
    (80.0, 2.0, 10.0, "very light"), (70.0, 5.0, 15.0, "light"), (62.0, 8.0, 14.0, "intermediate"),
    (55.0, 8.0, 18.0, "tan"), (45.0, 10.0, 20.0, "brown"), (30.0, 8.0, 12.0, "dark"),
])
def test_ita_of_a_patch_of_known_lightness_and_b(lightness, a, b, category):
    tone = ita(_patch(lightness, a, b), LANDMARKS)
    assert tone.ita == pytest.approx(math.degrees(math.atan((lightness - 50) / b)), abs=0.01)
    assert tone.category == category and tone.pixels == skin_mask(LANDMARKS, (SIZE, SIZE)).sum() > 100


def test_the_colour_conversion_matches_a_published_lab_value():
    # sRGB red (255, 0, 0) is L* 53.24, b* 67.20 under D65 (Lindbloom's calculator; CIE 15:2004 formulas).
    red = np.zeros((SIZE, SIZE, 3), np.uint8)
    red[..., 0] = 255
    assert ita(red, LANDMARKS).ita == pytest.approx(math.degrees(math.atan(3.24 / 67.20)), abs=0.05)
    white = np.full((SIZE, SIZE, 3), 255, np.uint8)  # L* 100, b* 0
    assert ita(white, LANDMARKS).ita == pytest.approx(90.0, abs=0.01)


def test_eyes_brows_mouth_and_nose_are_left_out_and_forehead_and_cheeks_count():
    image = _patch(70.0, 5.0, 15.0)
    skin = ita(image, LANDMARKS).ita
    masks = region_masks(LANDMARKS, SIZE)
    painted = image.copy()
    for region in ("eyes", "brows", "mouth", "nose", "hair", "outside"):
        painted[masks[region]] = (0.0, 0.0, 1.0)  # blue: b* far below zero
    assert ita(painted, LANDMARKS).ita == pytest.approx(skin, abs=1e-6)
    mask = skin_mask(LANDMARKS, (SIZE, SIZE))
    assert (mask & masks["forehead"]).any() and (mask & masks["cheeks_jaw"]).any()
    darker = image.copy()
    darker[mask] = _patch(45.0, 5.0, 15.0)[mask]  # only the measured pixels change: the angle follows them
    assert ita(darker, LANDMARKS).ita == pytest.approx(math.degrees(math.atan(-5 / 15)), abs=0.01)


def test_the_astronauts_skin_is_measured_between_her_landmarks(astronaut):
    from models.faces import detect_faces, landmarks68

    (face,) = detect_faces(astronaut)
    points = landmarks68(astronaut, face)
    mask = skin_mask(points, astronaut.shape[:2])
    for index in (*range(36, 48), *range(48, 60), 30):  # eye outlines, outer lips, nose tip: not skin measured
        x, y = np.round(points[index]).astype(int)
        assert not mask[y, x]
    tone = ita(astronaut, points)
    assert -90 < tone.ita < 90 and tone.category in dict(ITA_CATEGORIES) and tone.pixels > 1000


def test_categories_follow_chardons_limits():
    assert [ita_category(v) for v in (56, 55, 41.5, 41, 28.5, 10.5, 10, -29.9, -30, -80)] == [
        "very light", "light", "light", "intermediate", "intermediate", "tan", "brown", "brown", "dark", "dark"]


def test_a_face_too_small_or_not_an_image_is_a_clear_error():
    with pytest.raises(SkinToneError, match="too small"):
        ita(np.zeros((6, 6, 3), np.uint8), synthetic_landmarks68(3, 3, 6))  # 8 skin pixels
    with pytest.raises(SkinToneError, match="RGB image"):
        ita(np.zeros((SIZE, SIZE), np.uint8), LANDMARKS)
    with pytest.raises(SkinToneError, match="68"):
        ita(np.zeros((SIZE, SIZE, 3), np.uint8), LANDMARKS[:5])


def test_the_note_says_what_it_is_and_what_it_is_not():
    assert "not the person" in SKIN_TONE_NOTE and "not race" in SKIN_TONE_NOTE and "lighting" in SKIN_TONE_NOTE
