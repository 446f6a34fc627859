"""Generated group photos: skimage's astronaut's face tiled at several scales on a
grey canvas, with where each pasted face's detector box should land."""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from PIL import Image


class GroupImage(NamedTuple):
    pixels: np.ndarray  # (H, W, 3) uint8
    boxes: list[tuple[float, float, float, float]]  # the face box of each tile, in the order pasted


def face_tile(astronaut: np.ndarray, face_box: tuple[float, ...], margin: float = 1.3) -> tuple[np.ndarray, tuple]:
    """A square crop around the face (`margin` face widths each side of its centre)
    and the face's box inside that crop."""
    x0, y0, x1, y1 = face_box
    cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, margin * (x1 - x0)
    left, top = int(cx - half), int(cy - half)
    crop = astronaut[top : int(cy + half), left : int(cx + half)]
    return crop, (x0 - left, y0 - top, x1 - left, y1 - top)


def group_image(tile: np.ndarray, tile_box: tuple, scales: list[float], canvas: tuple[int, int]) -> GroupImage:
    """len(scales) copies of `tile`, each resized by its scale, one per grid cell."""
    height, width = canvas
    pixels = np.full((height, width, 3), 120, dtype=np.uint8)
    columns = math.ceil(math.sqrt(len(scales) * width / height))
    rows = math.ceil(len(scales) / columns)
    boxes = []
    for i, scale in enumerate(scales):
        size = (round(tile.shape[1] * scale), round(tile.shape[0] * scale))
        resized = np.asarray(Image.fromarray(tile).resize(size, Image.Resampling.LANCZOS))
        row, column = divmod(i, columns)
        y = int((row + 0.5) * height / rows - size[1] / 2)
        x = int((column + 0.5) * width / columns - size[0] / 2)
        pixels[y : y + size[1], x : x + size[0]] = resized
        boxes.append(tuple(v * scale + offset for v, offset in zip(tile_box, (x, y, x, y))))
    return GroupImage(pixels, boxes)


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union
