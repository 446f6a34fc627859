"""benchmarks.models' ground truth: faces it pastes (benchmarks.photos) are where it says they are."""
from __future__ import annotations

import numpy as np

from benchmarks import models as bench
from models.faces import detect_faces


def test_ground_truth_of_the_bench_photos_matches_detection():
    photos = {photo.name: photo for photo in bench.photos()}
    assert photos["composite-1000x2200"].pixels.shape == (2200, 1000, 3)
    assert photos["astronaut-1024"].pixels.shape == (1024, 1024, 3)
    composite = photos["composite-1000x2200"]
    faces = detect_faces(composite.pixels, upsample=1)
    found, false_positives, nme = bench._quality(composite, faces)
    # All three pasted faces, the mirrored one with its eyes swapped back into
    # dlib's order, within a few percent of the eye distance.
    assert (found, false_positives) == (3, 0)
    assert nme < 0.05


def test_quality_counts_misses_and_false_positives():
    photo = bench.photos()[0]
    (face,) = detect_faces(photo.pixels)
    assert bench._quality(photo, [face]) == (1, 0, 0.0)
    far = bench.Face((0, 0, 10, 10), np.zeros((5, 2)), 1.0)
    found, false_positives, nme = bench._quality(photo, [far])
    assert (found, false_positives, nme) == (0, 1, None)
    assert "ratio" in bench.table([bench._row(photo, "x", 2.0, 4.0, [face])]).splitlines()[0]


def test_the_group_photos_faces_are_where_the_bench_says():
    """Each generated group photo: every pasted face found, none extra, and the
    truth's landmarks (the astronaut's, carried through each paste) on dlib's."""
    groups = [photo for photo in bench.photos() if photo.name.startswith("group-")]
    assert [photo.name for photo in groups] == [f"group-{n}" for n in bench.GROUP_CANVASES]
    for photo in groups:
        found, false_positives, nme = bench._quality(photo, detect_faces(photo.pixels))
        assert (found, false_positives) == (len(photo.truth), 0), photo.name
        assert nme < 0.05, photo.name
