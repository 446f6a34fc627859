"""The face picker: numbered boxes on the photo, and which box a click hit."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

Box = Sequence[float]  # (x0, y0, x1, y1) in image pixels

CHOSEN = (255, 215, 0)
OTHER = (80, 200, 255)


def draw_faces(image: np.ndarray, boxes: Sequence[Box], chosen: int = 0) -> Image.Image:
    """The photo with each face boxed and numbered from 1; the chosen one in gold."""
    canvas = Image.fromarray(np.asarray(image, dtype=np.uint8)).convert("RGB")
    draw = ImageDraw.Draw(canvas)
    width = max(2, round(max(canvas.size) / 250))
    for number, box in enumerate(boxes, start=1):
        colour = CHOSEN if number - 1 == chosen else OTHER
        x0, y0, x1, y1 = (float(v) for v in box)
        draw.rectangle((x0, y0, x1, y1), outline=colour, width=width)
        draw.text((x0 + width, y0 + width), str(number), fill=colour, font_size=max(12, (y1 - y0) / 5))
    return canvas


def face_at(boxes: Sequence[Box], x: float, y: float) -> int | None:
    """Index of the smallest box containing (x, y): nested boxes pick the inner face."""
    hits = [
        ((box[2] - box[0]) * (box[3] - box[1]), index)
        for index, box in enumerate(boxes)
        if box[0] <= x <= box[2] and box[1] <= y <= box[3]
    ]
    return min(hits)[1] if hits else None
