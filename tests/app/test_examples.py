"""app/examples.py: the example photos are made, not committed, and are what they say."""
from __future__ import annotations

import numpy as np
import pytest

from app.examples import example_photos, no_face, two_faces


def test_example_photos_are_made_not_committed():
    photos = example_photos()
    assert list(photos) == ["astronaut", "two_faces", "no_face"]
    face = photos["astronaut"]
    pair = two_faces(face)
    assert pair.shape == (face.shape[0], 2 * face.shape[1], 3)
    assert np.array_equal(pair[:, face.shape[1]:], face[:, ::-1])  # the mirror image


def test_the_no_face_example_has_no_face_and_the_two_faces_example_has_two():
    from models.faces import NoFaceError, detect_faces

    with pytest.raises(NoFaceError):
        detect_faces(no_face())
    assert len(detect_faces(example_photos()["two_faces"])) == 2
