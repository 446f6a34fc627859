"""Alignment: dlib's own chips, and a transform that is exactly the one dlib used."""
from __future__ import annotations

import dlib
import numpy as np
import pytest
from scipy import ndimage

from models.alignment import (
    Chip,
    align,
    chip_details,
    chip_to_image_matrix,
    pyramid_levels,
    square_details,
    template_points,
)
from models.faces import Face, landmarks_for_box, shape_predictor_path, whole_image_face


@pytest.fixture(scope="module")
def dlib_shape(astronaut):
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(str(shape_predictor_path()))
    return predictor(astronaut, detector(astronaut, 0)[0])


def _face_of(shape) -> Face:
    points = np.array([[shape.part(i).x, shape.part(i).y] for i in range(5)], dtype=float)
    r = shape.rect
    return Face((r.left(), r.top(), r.right() + 1, r.bottom() + 1), points, 1.0)


@pytest.mark.parametrize("size,padding", [(224, 0.25), (150, 0.25), (64, 0.2), (32, 0.2)])
def test_chip_equals_dlib_get_face_chip(astronaut, dlib_shape, size, padding):
    chip = align(astronaut, _face_of(dlib_shape), size=size, padding=padding)
    expected = dlib.get_face_chip(astronaut, dlib_shape, size=size, padding=padding)
    np.testing.assert_array_equal(chip.pixels, expected)


def test_details_match_dlib_get_face_chip_details(dlib_shape):
    face = _face_of(dlib_shape)
    ours = chip_details(face.landmarks, 224, 0.25)
    theirs = dlib.get_face_chip_details(dlib_shape, 224, 0.25)
    assert ours.angle == pytest.approx(theirs.angle, abs=1e-12)
    for side in ("left", "top", "right", "bottom"):
        assert getattr(ours.rect, side)() == pytest.approx(getattr(theirs.rect, side)(), abs=1e-9)


def test_matrix_is_the_map_dlib_samples_through():
    """dlib.extract_image_chip of a coordinate ramp returns, at every chip pixel,
    the image coordinate it sampled (bilinear interpolation of a linear
    function is exact): the reference for our matrix, with and without the
    image pyramid, at any angle, near borders too."""
    height, width = 500, 700
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    rng = np.random.default_rng(0)
    levels_seen = set()
    for _ in range(40):
        size = int(rng.choice([32, 64, 224]))
        side = rng.uniform(30, 480)
        centre = rng.uniform([0, 0], [width, height])
        rect = dlib.drectangle(*(centre - side / 2), *(centre + side / 2))
        details = dlib.chip_details(rect, dlib.chip_dims(size, size), rng.uniform(-1, 1))
        levels = pyramid_levels(details)
        levels_seen.add(levels)
        sampled_x = dlib.extract_image_chip(xs + 1000, details) - 1000
        sampled_y = dlib.extract_image_chip(ys + 1000, details) - 1000
        m = chip_to_image_matrix(details)
        rows, cols = np.mgrid[0:size, 0:size]
        px = m[0, 0] * cols + m[0, 1] * rows + m[0, 2]
        py = m[1, 0] * cols + m[1, 1] * rows + m[1, 2]
        # dlib clamps at the last pixel and writes 0 outside, and a pyramid level
        # ends a few of its own pixels short: compare away from the borders.
        margin = 2 ** (levels + 1)
        inside = (px >= margin) & (px <= width - 1 - margin) & (py >= margin) & (py <= height - 1 - margin)
        # dlib leaves 0 where the chip leaves its cropped pyramid; skip those and
        # their neighbours, which blend with the 0.
        unsampled = ndimage.binary_dilation((sampled_x == -1000) | (sampled_y == -1000))
        inside &= ~unsampled
        assert inside.sum() > size  # every case checks many pixels
        np.testing.assert_allclose(sampled_x[inside], px[inside], atol=1e-6)
        np.testing.assert_allclose(sampled_y[inside], py[inside], atol=1e-6)
    assert {0, 1, 2} <= levels_seen


def test_warping_with_the_matrix_reproduces_dlibs_chip(astronaut, dlib_shape):
    """Bilinear sampling through our matrix gives dlib's chip (no pyramid at 224)."""
    chip = align(astronaut, _face_of(dlib_shape), 224, 0.25)
    rows, cols = np.mgrid[0:224, 0:224]
    image_xy = chip.to_image(np.stack([cols.ravel(), rows.ravel()], 1))
    ours = np.stack(
        [
            ndimage.map_coordinates(astronaut[..., c].astype(float), [image_xy[:, 1], image_xy[:, 0]], order=1)
            for c in range(3)
        ],
        -1,
    ).reshape(224, 224, 3)
    assert np.abs(ours - chip.pixels.astype(float)).max() <= 1.0


@pytest.mark.parametrize("size", [224, 32])
def test_a_marked_pixel_round_trips_within_one_pixel(size):
    """Draw a dot on a textured image, find it in the chip, map it back."""
    rng = np.random.default_rng(1)
    image = rng.integers(0, 60, (400, 500, 3), dtype=np.uint8)
    face = Face((150, 100, 330, 280), np.array(template_points(180, 0.0)) + [150, 100], 1.0)
    chip = align(image, face, size=size, padding=0.25)
    dot = chip.to_image([[size * 0.4, size * 0.55]])[0]
    marked = image.copy()
    marked[int(round(dot[1])) - 1 : int(round(dot[1])) + 2, int(round(dot[0])) - 1 : int(round(dot[0])) + 2] = 255
    difference = align(marked, face, size=size, padding=0.25).pixels.astype(float) - chip.pixels
    weights = np.clip(difference.sum(-1), 0, None)
    ys, xs = np.mgrid[0:size, 0:size]
    found = [(weights * xs).sum() / weights.sum(), (weights * ys).sum() / weights.sum()]
    back = chip.to_image([found])[0]
    drawn = [round(dot[0]), round(dot[1])]
    assert np.hypot(*(back - drawn)) <= 1.0
    np.testing.assert_allclose(chip.to_chip(chip.to_image([found])), [found], atol=1e-9)


def test_landmarks_land_on_the_template(astronaut, dlib_shape):
    """A similarity fit of 5 real landmarks leaves each within a few chip pixels
    of its template position (the fit's residual, not an alignment error)."""
    face = _face_of(dlib_shape)
    chip = align(astronaut, face, 224, 0.25)
    assert np.abs(chip.to_chip(face.landmarks) - template_points(224, 0.25)).max() < 3.0


def test_heatmap_maps_back_onto_the_photo(astronaut, dlib_shape):
    chip = align(astronaut, _face_of(dlib_shape), 224, 0.25)
    ys, xs = np.mgrid[0:224, 0:224]
    peak = np.array([150.0, 80.0])
    heatmap = np.exp(-((xs - peak[0]) ** 2 + (ys - peak[1]) ** 2) / (2 * 6.0**2))
    painted = chip.heatmap_to_image(heatmap, astronaut.shape)
    assert painted.shape == astronaut.shape[:2] and painted.dtype == np.float32
    assert 0.0 <= painted.min() and painted.max() <= 1.0
    y, x = np.unravel_index(np.argmax(painted), painted.shape)
    assert np.hypot(*(np.array([x, y]) - chip.to_image([peak])[0])) <= 1.0
    assert painted[0, 0] == 0.0 and painted[-1, -1] == 0.0  # outside the chip
    # A 7x7 map (a Grad-CAM grid) paints the same region as its upsampled self.
    coarse = chip.heatmap_to_image(np.ones((7, 7)), astronaut.shape)
    full = chip.heatmap_to_image(np.ones((224, 224)), astronaut.shape)
    np.testing.assert_array_equal(coarse > 0, full > 0)
    with pytest.raises(ValueError, match="square"):
        chip.heatmap_to_image(np.ones((7, 9)), astronaut.shape)


def test_whole_image_face_letterboxes_the_photo():
    rng = np.random.default_rng(2)
    square = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    chip = align(square, whole_image_face(square), size=64)
    np.testing.assert_array_equal(chip.pixels, square)  # same size: the identity

    wide = rng.integers(1, 256, (50, 100, 3), dtype=np.uint8)
    chip = align(wide, whole_image_face(wide), size=100)
    assert (chip.pixels[:24] == 0).all() and (chip.pixels[-24:] == 0).all()
    np.testing.assert_array_equal(chip.pixels[25:75], wide)
    np.testing.assert_allclose(chip.to_image([[0, 25], [99, 74]]), [[0, 0], [99, 49]], atol=1e-9)
    assert square_details((0, 0, 100, 50), 100).angle == 0.0


def test_bad_inputs_are_refused(astronaut):
    face = whole_image_face(astronaut)
    with pytest.raises(ValueError, match="uint8"):
        align(astronaut.astype(np.float32), face)
    with pytest.raises(ValueError, match="5"):
        chip_details(np.zeros((4, 2)), 224, 0.25)
    assert isinstance(align(astronaut, face, size=16), Chip)


def test_landmarks_for_box_match_dlib(astronaut, dlib_shape):
    r = dlib_shape.rect
    points = landmarks_for_box(astronaut, (r.left(), r.top(), r.right() + 1, r.bottom() + 1))
    np.testing.assert_array_equal(points, _face_of(dlib_shape).landmarks)
