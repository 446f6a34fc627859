"""Shared by the test_pretrained*.py modules: chips of skimage's astronaut cut the way
each card says (the `pretrained` fixture is in conftest.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def astronaut_image() -> np.ndarray:
    from skimage.data import astronaut as load

    return load()


def chip(image: np.ndarray, size: int, padding: float) -> np.ndarray:
    """Our own chip of the largest face: models.faces' detection, landmarks and
    5-point alignment (uint8, size x size x 3)."""
    from models.faces import align, detect_faces

    face = detect_faces(image)[0]
    return align(image, face, size=size, padding=padding).pixels


def predict(models_dir: Path, name: str, image: np.ndarray) -> tuple[np.ndarray, object]:
    """Probabilities of model `name` on the chip its card asks for, and the card."""
    import keras

    import models.graph_layers  # noqa: F401  (SSR-Net's layers)
    from models.cards import ModelCard
    from models.preprocessing import get_preprocess

    card = ModelCard.load(models_dir / f"{name}.json")
    model = keras.saving.load_model(models_dir / f"{name}.keras", compile=False)
    pixels = chip(image, card.input.size, card.input.padding)[None].astype(np.float32)
    inputs = get_preprocess(card.input.preprocessing)(pixels)
    return np.asarray(model(inputs, training=False))[0], card


def mass_between(labels, probabilities, low: int, high: int) -> float:
    """Probability of an age in [low, high], spreading each group evenly over its years."""
    from models.labels import age_label_bounds

    total = 0.0
    for label, p in zip(labels, probabilities):
        first, last = age_label_bounds(label)
        last = 100 if last is None else last
        overlap = max(0, min(last, high) - max(first, low) + 1)
        total += float(p) * overlap / (last - first + 1)
    return total
