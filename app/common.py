"""What more than one tab draws the same way: the methods, the opacity slider's
default, a model's training data, the engine's problem lines, table cells."""
from __future__ import annotations

from vqa.explain import METHOD_NAMES, METHOD_TITLES
from vqa.numbers import percent

__all__ = ["METHODS", "METHOD_TITLES", "DEFAULT_OPACITY", "percent", "trained_on", "problem_lines", "cell"]

METHODS = METHOD_NAMES  # the heatmaps, in the order the page shows them
DEFAULT_OPACITY = 0.5


def trained_on(card) -> str:
    """A model card's training data, marked where it was generated."""
    return (card.training_data or "not stated") + (" (SYNTHETIC)" if card.synthetic else "")


def problem_lines(result) -> list[str]:
    """What the engine could not do (a missing model, a model that failed), in its words."""
    return [f"**Problem:** {problem}" for problem in dict.fromkeys(result.problems)]


def cell(text) -> str:
    # A pipe or newline inside a Markdown table cell would break the table.
    return str(text).replace("|", "\\|").replace("\n", " ")
