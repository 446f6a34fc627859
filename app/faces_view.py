"""The faces on the photo: numbered boxes (the face picker), which box a click
hit, and the square around a face that its heatmaps are shown in."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from vqa.numbers import PAGE_FACES

Box = Sequence[float]  # (x0, y0, x1, y1) in image pixels

CHOSEN = (255, 215, 0)
OTHER = (80, 200, 255)
ZOOM = 2.2  # heatmaps show the face and this much context around it


def draw_faces(image: np.ndarray, boxes: Sequence[Box], chosen: int = 0) -> Image.Image:
    """The photo with each face boxed and numbered as the page numbers faces
    (vqa.numbers.PAGE_FACES: 1 the largest); the chosen one in gold."""
    canvas = Image.fromarray(np.asarray(image, dtype=np.uint8)).convert("RGB")
    draw = ImageDraw.Draw(canvas)
    width = max(2, round(max(canvas.size) / 250))
    for index, box in enumerate(boxes):
        colour = CHOSEN if index == chosen else OTHER
        x0, y0, x1, y1 = (float(v) for v in box)
        draw.rectangle((x0, y0, x1, y1), outline=colour, width=width)
        draw.text((x0 + width, y0 + width), str(PAGE_FACES.number(index)), fill=colour,
                  font_size=max(12, (y1 - y0) / 5))
    return canvas


def face_at(boxes: Sequence[Box], x: float, y: float) -> int | None:
    """Index of the smallest box containing (x, y): nested boxes pick the inner face."""
    hits = [
        ((box[2] - box[0]) * (box[3] - box[1]), index)
        for index, box in enumerate(boxes)
        if box[0] <= x <= box[2] and box[1] <= y <= box[3]
    ]
    return min(hits)[1] if hits else None


def face_boxes(result) -> list[tuple[float, float, float, float]]:
    """The boxes of the faces a vqa Result answered, in its order."""
    return [tuple(float(v) for v in face.box) for face in result.faces]


def face_region(box: Box, image_shape, zoom: float = ZOOM) -> tuple[int, int, int, int]:
    """A square `zoom` times the face's larger side, centred on it, inside the photo."""
    height, width = image_shape[:2]
    x0, y0, x1, y1 = (float(v) for v in box)
    side = min(max(x1 - x0, y1 - y0) * zoom, width, height)
    left = min(max((x0 + x1 - side) / 2, 0), width - side)
    top = min(max((y0 + y1 - side) / 2, 0), height - side)
    return round(left), round(top), round(left + side), round(top + side)
