"""app/cards_view.py: a model card as the page shows it."""
from __future__ import annotations

from app.cards_view import card_markdown
from models.cards import ModelCard


def test_card_markdown_shows_provenance_and_warns_about_synthetic_training():
    card = ModelCard(name="race-fair", attribute="race", labels=("A", "B|C"), training_data="FairFace",
                     metrics={"accuracy": 0.6612}, synthetic=True)
    text = card_markdown(card)
    assert "FairFace" in text and "0.661" in text
    assert "synthetic data" in text
    assert "B\\|C" in text  # a pipe in a label must not break the table
    real = card_markdown(ModelCard(name="g", attribute="gender", labels=("Male", "Female")))
    assert "synthetic" not in real
