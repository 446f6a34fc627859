"""Generated photos whose faces are where the generator says: the astronaut's
face (skimage, a real face) scaled, mirrored and pasted, with each paste's
box and landmarks carried along as the truth. Benchmarks measure detection
against it (benchmarks.models) and load the app with it (benchmarks.load);
tests check detection and the engine on it.

    (face,) = detect_faces(astronaut)
    photo = group_photo(astronaut, face, GROUP_SCALES[:6], GROUP_CANVASES[6])   # photo.pixels, photo.truth
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from models.faces import Face

__all__ = ["GROUP_CANVASES", "GROUP_SCALES", "Photo", "face_tile", "group_photo", "scaled", "transform_face"]


@dataclass
class Photo:
    name: str
    pixels: np.ndarray
    # Per ground-truth face: (box x0, y0, x1, y1; reference landmarks (5, 2)).
    truth: list[tuple[tuple[float, float, float, float], np.ndarray]] = field(default_factory=list)


def scaled(image: np.ndarray, factor: float) -> np.ndarray:
    size = (round(image.shape[1] * factor), round(image.shape[0] * factor))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.LANCZOS))


def transform_face(face: Face, factor: float, dx: float, dy: float, mirror_width: int | None = None):
    """The original face's box and landmarks after scale, optional mirror, then shift."""
    x0, y0, x1, y1 = (v * factor for v in face.box)
    points = (face.landmarks + 0.5) * factor - 0.5  # pixel centres, not edges, scale
    if mirror_width is not None:
        x0, x1 = mirror_width - x1, mirror_width - x0
        points = np.column_stack([mirror_width - 1 - points[:, 0], points[:, 1]])
        points = points[[2, 3, 0, 1, 4]]  # a mirror swaps which eye is on the right
    return (x0 + dx, y0 + dy, x1 + dx, y1 + dy), points + [dx, dy]


# Scales of the tiled faces, in the order pasted, and each group's canvas (H, W).
GROUP_SCALES = (1.0, 1.2, 1.5, 0.92, 1.1, 1.3, 2.0, 1.7)
GROUP_CANVASES = {2: (1000, 1500), 4: (1536, 2048), 6: (2000, 3000), 8: (1800, 2400)}


def face_tile(original: np.ndarray, face: Face, margin: float = 1.3) -> tuple[np.ndarray, int, int]:
    """A square crop around `face` (`margin` face widths each side of its centre),
    and the crop's top-left corner (x, y) in `original`."""
    x0, y0, x1, y1 = face.box
    cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, margin * (x1 - x0)
    left, top = int(cx - half), int(cy - half)
    return original[top : int(cy + half), left : int(cx + half)], left, top


def group_photo(original: np.ndarray, face: Face, scales, canvas: tuple[int, int], name: str = "") -> Photo:
    """A generated group photo: `face`'s tile once per scale, resized by it, one per
    grid cell of a grey canvas; the truth is `face` carried through each paste."""
    tile, left, top = face_tile(original, face)
    height, width = canvas
    pixels = np.full((height, width, 3), 120, dtype=np.uint8)
    columns = math.ceil(math.sqrt(len(scales) * width / height))
    rows = math.ceil(len(scales) / columns)
    truth = []
    for i, scale in enumerate(scales):
        resized = scaled(tile, scale)
        row, column = divmod(i, columns)
        y = int((row + 0.5) * height / rows - resized.shape[0] / 2)
        x = int((column + 0.5) * width / columns - resized.shape[1] / 2)
        pixels[y : y + resized.shape[0], x : x + resized.shape[1]] = resized
        factor = resized.shape[1] / tile.shape[1]
        truth.append(transform_face(face, factor, x - left * factor, y - top * factor))
    return Photo(name or f"group-{len(scales)}", pixels, truth)
