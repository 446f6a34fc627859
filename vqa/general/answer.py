"""The general VQA model's answer: what it said, where it looked, and whether
it contradicts the face models; to_dict() is the JSON's `second_opinion`."""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np


@dataclasses.dataclass(frozen=True)
class GeneralAnswer:
    """The general VQA model's answer, where it looked, and whether it
    contradicts the face models (None where no face model answered)."""

    model: str
    answer: str | None = None
    confidence: float | None = None  # a classifier's softmax; a generator's P(answer tokens)
    top: tuple[tuple[str, float], ...] = ()
    error: str | None = None  # why there is no answer
    family: str | None = None  # "ViLT", "BLIP"
    kind: str | None = None  # "classifier" | "generative"
    training_data: str | None = None
    heatmap: np.ndarray | None = dataclasses.field(default=None, compare=False)  # (H, W) float32 in [0, 1], photo
    ig_delta: float | None = None
    ig_steps: int | None = None
    explains: str | None = None  # what the heatmap explains
    disagrees: bool | None = None
    alone: bool = False  # answered a question no face model answers
    # What the top answer is to the adapter (a class id, answer tokens): kept so that
    # vqa.general.explain can add the map later without asking the model again. Not in the JSON.
    target: Any = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def provenance(self) -> str:
        family = self.family or "A general VQA model"
        data = self.training_data or "unknown data"
        return (f"{family} ({self.model}), a general visual question answering model trained on {data}; "
                "it was not trained to judge faces")

    @property
    def text(self) -> str:
        # "second opinion" in these words is what the page and the JSON have always said.
        if self.error:
            return f"No second opinion: {self.error}"
        said = f"{self.answer} ({100 * self.confidence:.0f}%)"
        if self.alone:
            return f"A general VQA model's guess (no face model answers this): {said}. [{self.provenance}]"
        flag = " It disagrees with the face models." if self.disagrees else ""
        return f"{self.family} says: {said}.{flag} [{self.provenance}]"

    def with_verdict(self, disagrees: bool | None) -> GeneralAnswer:
        return dataclasses.replace(self, disagrees=disagrees)

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "answer": self.answer, "confidence": self.confidence,
                "top": [[a, p] for a, p in self.top], "error": self.error, "text": self.text,
                "provenance": self.provenance, "family": self.family, "kind": self.kind,
                "training_data": self.training_data, "heatmap": self._heatmap_dict(),
                "disagrees": self.disagrees, "alone": self.alone}

    def _heatmap_dict(self) -> dict[str, Any] | None:
        if self.heatmap is None:
            return None
        peak_y, peak_x = np.unravel_index(int(np.argmax(self.heatmap)), self.heatmap.shape)
        return {"ig_delta": self.ig_delta, "shape": [int(s) for s in self.heatmap.shape],
                "peak_xy": [int(peak_x), int(peak_y)], "mean": float(self.heatmap.mean()),
                "ig_steps": self.ig_steps, "explains": self.explains, "method": "ig"}
