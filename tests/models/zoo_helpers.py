"""Shared by the registry, handle and .keras-file tests: cards for tiny generated models
(tests/tiny_models.tiny_model), saved beside them on disk (the `zoo` fixture in conftest.py
puts them together)."""
from __future__ import annotations

from models.cards import InputContract, ModelCard
from tests.tiny_models import ZOO_SIZE

SIZE = ZOO_SIZE  # the cards' input size: the side of the models tiny_model builds


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
