"""The general VQA model, loaded once per model and asked: its answer
(vqa.general.answer.GeneralAnswer) and where it looked.

Where it looked: Integrated Gradients over the image's pixel values for its
top answer, computed with captum, with captum's completeness delta made
relative as xai's is: |sum(attr) - (F(x) - F(x'))| / |F(x) - F(x')|, from a
black photo x'. F is the answer's logit for a classifier and the
log-probability of the generated answer's tokens for a generator.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import threading
from pathlib import Path

import numpy as np

from vqa.general.adapters import ADAPTERS, IG_STEPS, Adapter
from vqa.general.answer import GeneralAnswer
from vqa.progress import Progress, from_messages

DEFAULT_MODEL = "dandelin/vilt-b32-finetuned-vqa"
TOP_K = 3
INSTALL_HINT = "pip install -r requirements-vqa.txt"

log = logging.getLogger(__name__)


class GeneralVqaUnavailable(RuntimeError):
    """torch, captum, transformers or the weights are missing, or the folder is
    not a VQA model; the message says which, in one line."""


# ---------------------------------------------------------------------------
# Loading: once per model, saying what it does.

_LOADED: dict[str, Adapter] = {}
_LOCK = threading.Lock()


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _is_local(key: str) -> bool:
    return key.startswith((".", "/", "~")) or Path(key).expanduser().exists()


def model_of(choice: bool | str | Path | None) -> str | None:
    """A choice of general VQA model as its hub id or folder: True is
    DEFAULT_MODEL; None, False or "" switch it off (None)."""
    if choice is True:
        return DEFAULT_MODEL
    return str(choice) if choice else None


def load(model: str | Path | None = None, progress: Progress | None = None) -> Adapter:
    """The adapter for a hub id or a local folder, cached; GeneralVqaUnavailable if not possible.
    `progress` (vqa.progress.Progress) hears what loading does; by default, this module's log."""
    key = str(model or DEFAULT_MODEL)
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = _load(key, progress or from_messages(log.info))
        return _LOADED[key]


def _load(key: str, progress: Progress) -> Adapter:
    try:
        # lazy: optional (requirements-vqa.txt); keeps start-up free of torch and transformers
        import captum  # noqa: F401  (the VQA model's heatmaps)
        import torch  # noqa: F401  (transformers' VQA models run on torch)
        from transformers import AutoConfig
    except ImportError as err:
        raise GeneralVqaUnavailable(f"{err.name or 'torch'} is not installed ({INSTALL_HINT})") from err
    local = _is_local(key)
    if local and not Path(key).expanduser().is_dir():
        raise GeneralVqaUnavailable(f"no VQA model folder at {key}")
    where = ("the folder " + key if local else
             f"{key} from the local Hugging Face cache (HF_HUB_OFFLINE is set)" if _offline() else
             f"{key} from the Hugging Face Hub (downloaded once into its cache)")
    progress(None, f"Loading the VQA model: {where}")
    try:
        config = AutoConfig.from_pretrained(key, local_files_only=_offline())
    except (OSError, ValueError) as err:
        raise GeneralVqaUnavailable(_why_not_loaded(key, local, err)) from err
    adapter = _adapter_for(key, config)
    try:
        loaded = adapter.load(key, local_only=_offline())
    except (OSError, ValueError, TypeError) as err:
        how = ("save the model and its processor there with save_pretrained" if local else
               f"download it once with `hf download {key}`")
        raise GeneralVqaUnavailable(f"could not load the {adapter.family} VQA model {key!r} ({_first_line(err)}): "
                             f"{how}") from err
    progress(None, f"VQA model ready: {adapter.family} ({adapter.kind}), {key}")
    return loaded


def _adapter_for(key: str, config) -> type[Adapter]:
    supported = ", ".join(f"{a.family} ({a.model_class})" for a in ADAPTERS.values())
    adapter = ADAPTERS.get(getattr(config, "model_type", None))
    architectures = getattr(config, "architectures", None) or []
    if adapter is None or (architectures and adapter.model_class not in architectures):
        what = ", ".join(architectures) or getattr(config, "model_type", "an unknown model")
        raise GeneralVqaUnavailable(f"{key!r} holds {what}, not a visual question answering model this app can use "
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

def ask(image: np.ndarray, question: str, model: str | Path | None = None, top_k: int = TOP_K,
        explain: bool = False, ig_steps: int = IG_STEPS, alone: bool = False,
        progress: Progress | None = None) -> GeneralAnswer:
    """The general VQA model's answer to `question` about the (H, W, 3) uint8
    photo; with `explain`, IG's heatmap over the photo for the top answer. Never
    raises for a missing dependency or weights: the answer's `error` says why."""
    name = str(model or DEFAULT_MODEL)
    if not question or not question.strip():
        return GeneralAnswer(name, error="there is no question to ask")
    try:
        adapter = load(name, progress)
    except GeneralVqaUnavailable as err:
        return GeneralAnswer(name, error=str(err))
    inputs = adapter.inputs(image, question)
    reply = adapter.reply(inputs, top_k)
    said = GeneralAnswer(name, answer=reply.answer, confidence=reply.confidence, top=reply.top,
                         family=adapter.family, kind=adapter.kind, training_data=adapter.training_data,
                         alone=alone, target=reply.target)
    if not explain:
        return said
    return _explained(adapter, inputs, image, said, ig_steps)


def explain(image: np.ndarray, question: str, said: GeneralAnswer, ig_steps: int = IG_STEPS,
            progress: Progress | None = None) -> GeneralAnswer:
    """`said` (ask's answer, without a map) with IG's heatmap of its top
    answer: the model's answer is not asked for again."""
    if said.error or said.target is None:
        return said
    try:
        adapter = load(said.model, progress)
    except GeneralVqaUnavailable:
        return said
    return _explained(adapter, adapter.inputs(image, question), image, said, ig_steps)


def _explained(adapter, inputs, image, said: GeneralAnswer, ig_steps: int) -> GeneralAnswer:
    found = adapter.attribute(inputs, said.target, steps=ig_steps)
    return dataclasses.replace(said, heatmap=photo_heatmap(found.values, np.asarray(image).shape),
                               ig_delta=found.delta, ig_steps=found.steps, explains=adapter.explains)


def photo_heatmap(attributions: np.ndarray, image_shape) -> np.ndarray:
    """(C, h, w) pixel-value attributions -> (H, W) float32 in [0, 1] over the
    photo. The processors resize the whole photo (no crop), so resizing back
    puts each attribution on the pixels it came from."""
    from PIL import Image  # lazy: keeps `python -m vqa --help` free of PIL

    from xai.render import ig_heatmap  # lazy: keeps start-up free of matplotlib

    small = ig_heatmap(np.moveaxis(attributions, 0, -1)[None])[0]
    height, width = image_shape[:2]
    resized = np.asarray(Image.fromarray(small.astype(np.float32)).resize((width, height), Image.BILINEAR))
    return np.clip(resized, 0.0, 1.0).astype(np.float32)
