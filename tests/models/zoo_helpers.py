"""Shared by the registry, handle and .keras-file tests: tiny generated models with
cards on disk (the `zoo` fixture in conftest.py puts them together)."""
from __future__ import annotations

from models.cards import InputContract, ModelCard

SIZE = 16


def tiny_model(classes: int, size: int = SIZE, seed: int = 0, softmax_layer: bool = True):
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    if softmax_layer:
        outputs = keras.layers.Softmax()(keras.layers.Dense(classes)(x))
    else:
        outputs = keras.layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def make_card(name, attribute, labels, data="FairFace", **kwargs) -> ModelCard:
    return ModelCard(
        name=name,
        attribute=attribute,
        labels=labels,
        input=InputContract(size=SIZE, padding=0.25, preprocessing="unit"),
        training_data=data,
        **kwargs,
    )


def save(folder, card: ModelCard, model) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / f"{card.name}.keras")
    card.save(folder / f"{card.name}.json")
