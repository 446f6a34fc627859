"""app/faces_view.py: the face picker (which box a click lands in, the outlines) and
the square around a face that the page shows."""
from __future__ import annotations

import numpy as np
import pytest

from app.faces_view import CHOSEN, OTHER, draw_faces, face_at, face_region


def test_face_at_picks_the_box_under_the_click_and_the_inner_of_nested_boxes():
    boxes = [(0, 0, 100, 100), (40, 40, 60, 60), (150, 0, 200, 50)]
    assert face_at(boxes, 10, 10) == 0
    assert face_at(boxes, 50, 50) == 1  # inside both: the smaller, inner face
    assert face_at(boxes, 175, 25) == 2
    assert face_at(boxes, 120, 120) is None


def test_draw_faces_outlines_the_chosen_face_in_gold_and_the_rest_in_blue():
    image = np.zeros((120, 240, 3), np.uint8)
    drawn = np.asarray(draw_faces(image, [(10, 10, 60, 60), (130, 20, 200, 90)], chosen=1))
    assert tuple(drawn[35, 10]) == OTHER  # left edge of box 1
    assert tuple(drawn[55, 130]) == CHOSEN  # left edge of box 2
    assert drawn[100:, :].max() == 0  # nothing drawn outside the boxes


@pytest.mark.parametrize("box, shape", [((179, 83, 267, 171), (512, 512, 3)),
                                        ((0, 0, 40, 50), (300, 200, 3)),
                                        ((150, 250, 199, 299), (300, 200, 3))])
def test_face_region_is_a_square_inside_the_photo_around_the_face(box, shape):
    left, top, right, bottom = face_region(box, shape)
    assert right - left == bottom - top  # square
    assert 0 <= left and 0 <= top and right <= shape[1] and bottom <= shape[0]
    assert left <= box[0] and top <= box[1] and right >= box[2] and bottom >= box[3]


def test_face_region_never_exceeds_a_small_photo():
    assert face_region((10, 10, 90, 60), (64, 100, 3)) == (18, 0, 82, 64)
