"""Occlusion: which region of an image does the model's score rest on?

Each region (a named boolean mask) is greyed out (or blurred) in turn and the
drop of the explained score is recorded: the image and every occluded copy go
to the model in ONE batched call. It measures the model, not a map, so it can
check a map's claim about regions (vqa.occlusion compares the two).

Model-agnostic: it takes a model call, `score(batch) -> (N,) floats` for a
uint8 batch (N, H, W, C), and the masks. What the score is (a logit, a
log-probability) and which class it is of are the caller's, and are recorded
as given (`target`, `score_kind`).

Drops are normalised like a map's region shares, by region area: a region's
share is its drop per pixel over the sum of every region's drop per pixel. A
region whose occlusion RAISES the score (a negative drop) gets share 0: it does
not support the answer; its raw drop stays in `drops`. When no region has a
positive drop, every share is 0 and `shares_total` says so (0, not 1).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from xai.baselines import make_baseline

FILLS = ("grey", "blur")
GREY = 128.0  # mid grey, in pixel units

Score = Callable[[np.ndarray], Any]  # uint8 (N, H, W, C) -> (N,) scores

__all__ = ["FILLS", "GREY", "Occlusion", "Score", "drop_shares", "occlude", "occluded"]


@dataclasses.dataclass(frozen=True)
class Occlusion:
    """The occlusion check of one class's score on one image.

    score: the score on the unoccluded image; score_kind says which kind it
        is ("logit", "log-probability", ...), target of which class.
    drops: region -> score(image) - score(image with that region occluded).
    areas: region -> pixels. shares: region -> share of the drop per pixel
        (see the module docstring), summing to 1 over regions with positive drop.
    """

    target: str
    score_kind: str
    score: float
    fill: str
    drops: dict[str, float]
    areas: dict[str, int]
    shares: dict[str, float]

    @property
    def shares_total(self) -> float:
        return float(sum(self.shares.values()))

    @property
    def top(self) -> str | None:
        """The region whose occlusion costs the score most per pixel."""
        if self.shares_total <= 0:
            return None
        return max(self.shares, key=self.shares.get)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def occlude(score: Score, pixels: np.ndarray, masks: Mapping[str, np.ndarray], *, fill: str = "grey",
            target: str = "the explained class", score_kind: str = "score") -> Occlusion:
    """Occlude each region of `masks` {region: (H, W) bool} in the image
    `pixels` (H, W, C) uint8 and measure the drop of `score`, all in one call."""
    pixels = np.asarray(pixels)
    names, stack = _check_masks(masks, pixels.shape)
    batch = np.concatenate([pixels[None], occluded(pixels, stack, fill)])
    scores = np.asarray(score(batch), dtype=np.float64).reshape(-1)
    if scores.shape != (len(batch),):
        raise ValueError(f"the model call gave {scores.size} scores for {len(batch)} images; it must give one each")
    drops = scores[0] - scores[1:]
    areas = stack.reshape(len(names), -1).sum(axis=1)
    return Occlusion(
        target=str(target), score_kind=score_kind, score=float(scores[0]), fill=fill,
        drops={n: float(d) for n, d in zip(names, drops, strict=True)},
        areas={n: int(a) for n, a in zip(names, areas, strict=True)},
        shares=drop_shares(names, drops, areas),
    )


def _check_masks(masks: Mapping[str, np.ndarray], shape) -> tuple[list[str], np.ndarray]:
    if len(shape) != 3:
        raise ValueError(f"the image must be one (H, W, C) array of pixels, got shape {shape}")
    if not masks:
        raise ValueError("no region masks were given")
    names = list(masks)
    stack = np.stack([np.asarray(masks[n], dtype=bool) for n in names])
    if stack.shape[1:] != shape[:2]:
        raise ValueError(f"region masks of shape {stack.shape[1:]} do not fit the {shape[0]}x{shape[1]} image")
    return names, stack


def occluded(pixels: np.ndarray, masks: np.ndarray, fill: str = "grey") -> np.ndarray:
    """(R, H, W, C) uint8: the image with region r (masks (R, H, W) bool) filled."""
    if fill == "grey":
        background = np.full(pixels.shape, GREY, dtype=np.float32)
    elif fill == "blur":
        background = make_baseline("blur", pixels[None].astype(np.float32))[0]
    else:
        raise ValueError(f"unknown occlusion fill {fill!r}; choose one of {FILLS}")
    background = np.clip(np.rint(background), 0, 255).astype(np.uint8)
    return np.where(masks[..., None], background[None], pixels[None])


def drop_shares(names: Sequence[str], drops, areas) -> dict[str, float]:
    """Each region's positive drop per pixel over the sum of them (0 for
    negative drops and empty regions; all 0 when no drop is positive)."""
    drops, areas = np.asarray(drops, dtype=np.float64), np.asarray(areas, dtype=np.float64)
    density = np.divide(np.clip(drops, 0.0, None), areas, out=np.zeros_like(drops), where=areas > 0)
    total = density.sum()
    shares = density / total if total > 0 else np.zeros_like(density)
    return {name: float(share) for name, share in zip(names, shares, strict=True)}
