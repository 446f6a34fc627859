"""A general visual question answering model (any transformers VQA model),
beside the face models or, for questions no face model answers, alone.

One small adapter per kind of model (vqa/adapters.py), chosen from the loaded
config: ViLT's classifier (the default, dandelin/vilt-b32-finetuned-vqa) and
BLIP's generator (BlipForQuestionAnswering).

Where the model looked: Integrated Gradients over the image's pixel values for
its top answer, computed with captum, with captum's completeness delta made
relative as xai's is: |sum(attr) - (F(x) - F(x'))| / |F(x) - F(x')|, from a
black photo x'. F is the answer's logit for a classifier and the
log-probability of the generated answer's tokens for a generator.

Optional: it needs torch and captum (requirements-vqa.txt) and the weights, a
Hugging Face Hub id (downloaded once into the Hugging Face cache; HF_HUB_OFFLINE
is honoured) or a folder saved with save_pretrained. When any is missing,
the SecondOpinion says why in one line and everything else keeps working.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

# The adapters' names are re-exported: this module is what the rest of vqa uses.
from vqa.adapters import (  # noqa: F401
    ADAPTERS,
    IG_STEPS,
    KNOWN_TRAINING_DATA,
    MAX_ANSWER_TOKENS,
    Adapter,
    BlipAdapter,
    ViltAdapter,
)

DEFAULT_MODEL = "dandelin/vilt-b32-finetuned-vqa"
TOP_K = 3
INSTALL_HINT = "pip install -r requirements-vqa.txt"

log = logging.getLogger(__name__)
Progress = Callable[[str], Any]


class VqaUnavailable(RuntimeError):
    """torch, captum, transformers or the weights are missing, or the folder is
    not a VQA model; the message says which, in one line."""


@dataclasses.dataclass(frozen=True)
class SecondOpinion:
    """The general model's answer, where it looked, and whether it contradicts
    the face models (None where no face model answered)."""

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
    # explain_opinion can add the map later without asking the model again. Not in the JSON.
    target: Any = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def provenance(self) -> str:
        family = self.family or "A general VQA model"
        data = self.training_data or "unknown data"
        return (f"{family} ({self.model}), a general visual question answering model trained on {data}; "
                "it was not trained to judge faces")

    @property
    def text(self) -> str:
        if self.error:
            return f"No second opinion: {self.error}"
        said = f"{self.answer} ({100 * self.confidence:.0f}%)"
        if self.alone:
            return f"A general VQA model's guess (no face model answers this): {said}. [{self.provenance}]"
        flag = " It disagrees with the face models." if self.disagrees else ""
        return f"{self.family} says: {said}.{flag} [{self.provenance}]"

    def with_verdict(self, disagrees: bool | None) -> SecondOpinion:
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


# ---------------------------------------------------------------------------
# Loading: once per model, saying what it does.

_LOADED: dict[str, Adapter] = {}
_LOCK = threading.Lock()


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _is_local(key: str) -> bool:
    return key.startswith((".", "/", "~")) or Path(key).expanduser().exists()


def load(model: str | Path | None = None, progress: Progress | None = None) -> Adapter:
    """The adapter for a hub id or a local folder, cached; VqaUnavailable if not possible."""
    key = str(model or DEFAULT_MODEL)
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = _load(key, progress or log.info)
        return _LOADED[key]


def _load(key: str, progress: Progress) -> Adapter:
    try:
        import captum  # noqa: F401  (the VQA model's heatmaps)
        import torch  # noqa: F401  (transformers' VQA models run on torch)
        from transformers import AutoConfig
    except ImportError as err:
        raise VqaUnavailable(f"{err.name or 'torch'} is not installed ({INSTALL_HINT})") from err
    local = _is_local(key)
    if local and not Path(key).expanduser().is_dir():
        raise VqaUnavailable(f"no VQA model folder at {key}")
    where = ("the folder " + key if local else
             f"{key} from the local Hugging Face cache (HF_HUB_OFFLINE is set)" if _offline() else
             f"{key} from the Hugging Face Hub (downloaded once into its cache)")
    progress(f"Loading the VQA model: {where}")
    try:
        config = AutoConfig.from_pretrained(key, local_files_only=_offline())
    except (OSError, ValueError) as err:
        raise VqaUnavailable(_why_not_loaded(key, local, err)) from err
    adapter = _adapter_for(key, config)
    try:
        loaded = adapter.load(key, local_only=_offline())
    except (OSError, ValueError, TypeError) as err:
        how = ("save the model and its processor there with save_pretrained" if local else
               f"download it once with `hf download {key}`")
        raise VqaUnavailable(f"could not load the {adapter.family} VQA model {key!r} ({_first_line(err)}): "
                             f"{how}") from err
    progress(f"VQA model ready: {adapter.family} ({adapter.kind}), {key}")
    return loaded


def _adapter_for(key: str, config) -> type[Adapter]:
    supported = ", ".join(f"{a.family} ({a.model_class})" for a in ADAPTERS.values())
    adapter = ADAPTERS.get(getattr(config, "model_type", None))
    architectures = getattr(config, "architectures", None) or []
    if adapter is None or (architectures and adapter.model_class not in architectures):
        what = ", ".join(architectures) or getattr(config, "model_type", "an unknown model")
        raise VqaUnavailable(f"{key!r} holds {what}, not a visual question answering model this app can use "
                             f"(supported: {supported})")
    return adapter


def _why_not_loaded(key: str, local: bool, err: Exception) -> str:
    if local:
        return (f"{key} is not a VQA model folder (no readable config.json; save one with "
                f"save_pretrained): {_first_line(err)}")
    if _offline():
        return (f"the VQA model {key!r} is not in the local Hugging Face cache and HF_HUB_OFFLINE is set: "
                f"download it once with `hf download {key}` while online, or pass a folder saved with "
                "save_pretrained")
    return (f"could not get the VQA model {key!r} from the Hugging Face Hub ({_first_line(err)}): check the id "
            f"and the connection, or download it with `hf download {key}`")


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


# ---------------------------------------------------------------------------
# Asking.

def second_opinion(image: np.ndarray, question: str, model: str | Path | None = None, top_k: int = TOP_K,
                   explain: bool = False, ig_steps: int = IG_STEPS, alone: bool = False,
                   progress: Progress | None = None) -> SecondOpinion:
    """The general model's answer to `question` about the (H, W, 3) uint8 photo;
    with `explain`, IG's heatmap over the photo for the top answer. Never raises
    for a missing dependency or weights: the result's `error` says why."""
    name = str(model or DEFAULT_MODEL)
    if not question or not question.strip():
        return SecondOpinion(name, error="there is no question to ask")
    try:
        adapter = load(name, progress)
    except VqaUnavailable as err:
        return SecondOpinion(name, error=str(err))
    inputs = adapter.inputs(image, question)
    reply = adapter.reply(inputs, top_k)
    opinion = SecondOpinion(name, answer=reply.answer, confidence=reply.confidence, top=reply.top,
                            family=adapter.family, kind=adapter.kind, training_data=adapter.training_data,
                            alone=alone, target=reply.target)
    if not explain:
        return opinion
    return _explained(adapter, inputs, image, opinion, ig_steps)


def explain_opinion(image: np.ndarray, question: str, opinion: SecondOpinion, ig_steps: int = IG_STEPS,
                    progress: Progress | None = None) -> SecondOpinion:
    """`opinion` (second_opinion's, without a map) with IG's heatmap of its top
    answer: the model's answer is not asked for again."""
    if opinion.error or opinion.target is None:
        return opinion
    try:
        adapter = load(opinion.model, progress)
    except VqaUnavailable:
        return opinion
    return _explained(adapter, adapter.inputs(image, question), image, opinion, ig_steps)


def _explained(adapter, inputs, image, opinion: SecondOpinion, ig_steps: int) -> SecondOpinion:
    found = adapter.attribute(inputs, opinion.target, steps=ig_steps)
    return dataclasses.replace(opinion, heatmap=photo_heatmap(found.values, np.asarray(image).shape),
                               ig_delta=found.delta, ig_steps=found.steps, explains=adapter.explains)


def photo_heatmap(attributions: np.ndarray, image_shape) -> np.ndarray:
    """(C, h, w) pixel-value attributions -> (H, W) float32 in [0, 1] over the
    photo. The processors resize the whole photo (no crop), so resizing back
    puts each attribution on the pixels it came from."""
    from PIL import Image

    from xai.render import ig_heatmap

    small = ig_heatmap(np.moveaxis(attributions, 0, -1)[None])[0]
    height, width = image_shape[:2]
    resized = np.asarray(Image.fromarray(small.astype(np.float32)).resize((width, height), Image.BILINEAR))
    return np.clip(resized, 0.0, 1.0).astype(np.float32)
