"""A model card as Markdown: what a person reads before trusting an answer."""
from __future__ import annotations

import json
from typing import Any

from app.common import cell

ModelCard = Any  # a models.cards.ModelCard, as vqa's answers carry it (the app does not import models)


def card_markdown(card: ModelCard) -> str:
    lines = [f"#### {card.name}"]
    if card.synthetic:
        lines.append("> **Trained on synthetic data: its answers mean nothing on real faces.**")
    if card.description:
        lines.append(card.description)
    rows = [
        ("Answers", f"{card.attribute} ({card.label_space or f'{len(card.labels)} labels'})"),
        ("Labels, in output order", ", ".join(card.labels)),
        ("Trained on", card.training_data or "not stated"),
        ("Input", f"{card.input.size}×{card.input.size} aligned face, padding {card.input.padding}, "
                  f"{card.input.preprocessing} preprocessing"),
        ("Metrics", _metrics(card.metrics)),
        ("License", card.license or "not stated"),
        ("Source", card.source or "not stated"),
    ]
    table = ["| | |", "|---|---|"] + [f"| {key} | {cell(value)} |" for key, value in rows]
    return "\n\n".join(lines) + "\n\n" + "\n".join(table)


def cards_markdown(cards: list[ModelCard]) -> str:
    if not cards:
        return "No model answered, so there is no card to show."
    return "\n\n---\n\n".join(card_markdown(card) for card in cards)


def _metrics(metrics: dict) -> str:
    if not metrics:
        return "none recorded"
    return "; ".join(f"{key}: {_number(value)}" for key, value in metrics.items())


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
