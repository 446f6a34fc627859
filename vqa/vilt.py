"""The names this module has always had, for code written against it: the
general VQA model now lives in vqa.general (ViLT, BLIP, or one more adapter).

second_opinion, SecondOpinion, ViltUnavailable, DEFAULT_MODEL, TOP_K and
INSTALL_HINT are vqa.general's; load() still returns (processor, network).
"""
from __future__ import annotations

from pathlib import Path

from vqa.general import (
    DEFAULT_MODEL,
    INSTALL_HINT,
    TOP_K,
    SecondOpinion,
    second_opinion,
)
from vqa.general import VqaUnavailable as ViltUnavailable
from vqa.general import load as load_adapter

__all__ = ["DEFAULT_MODEL", "INSTALL_HINT", "TOP_K", "SecondOpinion", "ViltUnavailable", "load", "second_opinion"]


def load(model: str | Path | None = None, progress=None):
    """(processor, model) for a hub id or a local folder, cached; ViltUnavailable if not possible."""
    adapter = load_adapter(model, progress)
    return adapter.processor, adapter.network
