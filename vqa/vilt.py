"""A second opinion from a general visual question answering model: ViLT
(transformers' ViltForQuestionAnswering), shown beside the face models.

Optional: it needs torch (requirements-vqa.txt) and the weights, either the
Hugging Face Hub's dandelin/vilt-b32-finetuned-vqa (downloaded once into the
Hugging Face cache; HF_HUB_OFFLINE=1 is respected) or a local folder saved
with save_pretrained. When either is missing, the SecondOpinion says why and
everything else keeps working. Loaded lazily, once per model.
"""
from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_MODEL = "dandelin/vilt-b32-finetuned-vqa"
TOP_K = 3
INSTALL_HINT = "pip install -r requirements-vqa.txt"

_LOADED: dict[str, tuple[Any, Any]] = {}
_LOCK = threading.Lock()


class ViltUnavailable(RuntimeError):
    """torch, transformers or the weights are missing; the message says which."""


@dataclasses.dataclass(frozen=True)
class SecondOpinion:
    model: str
    answer: str | None = None
    confidence: float | None = None  # softmax over ViLT's answer vocabulary
    top: tuple[tuple[str, float], ...] = ()
    error: str | None = None  # why there is no answer

    @property
    def provenance(self) -> str:
        return (f"ViLT ({self.model}), a general visual question answering model trained on "
                "VQAv2; it was not trained to judge faces")

    @property
    def text(self) -> str:
        if self.error:
            return f"No second opinion: {self.error}"
        return f"ViLT says: {self.answer} ({100 * self.confidence:.0f}%). [{self.provenance}]"

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "answer": self.answer, "confidence": self.confidence,
                "top": [[a, p] for a, p in self.top], "error": self.error, "text": self.text,
                "provenance": self.provenance}


def load(model: str | Path | None = None):
    """(processor, model) for a hub id or a local folder, cached; ViltUnavailable if not possible."""
    key = str(model or DEFAULT_MODEL)
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = _load(key)
        return _LOADED[key]


def _load(key: str):
    try:
        import torch  # noqa: F401  (transformers' ViLT runs on torch)
        from transformers import ViltForQuestionAnswering, ViltProcessor
    except ImportError as err:
        raise ViltUnavailable(f"{err.name or 'torch'} is not installed ({INSTALL_HINT})") from err
    looks_local = key.startswith((".", "/", "~")) or Path(key).expanduser().exists()
    if looks_local and not Path(key).expanduser().is_dir():
        raise ViltUnavailable(f"no ViLT model folder at {key}")
    try:
        processor = ViltProcessor.from_pretrained(key)
        network = ViltForQuestionAnswering.from_pretrained(key).eval()
    except (OSError, ValueError) as err:
        raise ViltUnavailable(
            f"could not load ViLT weights {key!r} (not in the local Hugging Face cache, offline, "
            f"or not a ViLT model): {str(err).splitlines()[0]}") from err
    return processor, network


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    return shifted / shifted.sum()


def second_opinion(image: np.ndarray, question: str, model: str | Path | None = None,
                   top_k: int = TOP_K) -> SecondOpinion:
    """ViLT's answer to `question` about the (H, W, 3) uint8 photo; never raises
    for a missing dependency or weights: the result's `error` says why."""
    name = str(model or DEFAULT_MODEL)
    if not question or not question.strip():
        return SecondOpinion(name, error="there is no question to ask")
    try:
        processor, network = load(name)
    except ViltUnavailable as err:
        return SecondOpinion(name, error=str(err))
    import torch
    from PIL import Image

    inputs = processor(Image.fromarray(np.asarray(image, dtype=np.uint8)), question,
                       return_tensors="pt", truncation=True)
    with torch.no_grad():
        logits = network(**inputs).logits[0].double().numpy()
    probs = _softmax(logits)
    order = np.argsort(-probs)[:top_k]
    labels = network.config.id2label
    top = tuple((str(labels[int(i)]), float(probs[i])) for i in order)
    return SecondOpinion(name, answer=top[0][0], confidence=top[0][1], top=top)
