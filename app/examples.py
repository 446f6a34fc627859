"""Example photos, made at start-up: none of real people is committed.

The one real face comes from an installed package (scikit-image ships NASA's
public-domain portrait of astronaut Eileen Collins). The others are built from
it or drawn, each showing one behaviour: two faces (the face picker), and a
picture with no face (the clear error).
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def astronaut() -> np.ndarray | None:
    """scikit-image's astronaut photo, or None where scikit-image is absent."""
    try:
        from skimage import data  # lazy: keeps start-up free of scikit-image (absent: no photo)
    except ImportError:
        return None
    return data.astronaut()


def two_faces(face: np.ndarray) -> np.ndarray:
    """The photo beside its mirror image: two faces for the face picker."""
    return np.concatenate([face, face[:, ::-1]], axis=1)


def no_face(size: int = 256) -> np.ndarray:
    """A drawn landscape (sky, sun, hills): a photo with nothing to detect."""
    image = Image.new("RGB", (size, size), (135, 190, 235))
    draw = ImageDraw.Draw(image)
    draw.ellipse((size * 0.65, size * 0.1, size * 0.85, size * 0.3), fill=(250, 215, 80))
    hills = [(0, size), (0, size * 0.6), (size * 0.4, size * 0.45), (size, size * 0.7), (size, size)]
    draw.polygon(hills, fill=(70, 140, 70))
    return np.asarray(image)


def example_photos() -> dict[str, np.ndarray]:
    """Name -> RGB uint8 photo, in the order they are offered."""
    photos = {}
    face = astronaut()
    if face is not None:
        photos["astronaut"] = face
        photos["two_faces"] = two_faces(face)
    photos["no_face"] = no_face()
    return photos


def write_examples(folder: str | Path | None = None) -> list[Path]:
    """Write the example photos as PNG files (gr.Examples takes paths); a
    folder made here is removed when the process exits."""
    if folder is None:
        folder = tempfile.mkdtemp(prefix="facexai-examples-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, pixels in example_photos().items():
        path = folder / f"{name}.png"
        Image.fromarray(pixels).save(path)
        paths.append(path)
    return paths
