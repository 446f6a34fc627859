"""Does a heatmap point at the right place? Scores against a ground-truth mask.

Where the evidence for a class is known (a generated image whose cue was drawn
in a known region), a map can be scored against that region:

- relevance mass accuracy (Arras et al., 2022, "CLEVR-XAI"): the share of the
  map's positive mass that falls inside the mask;
- the pointing game (Zhang et al., 2018): whether the map's peak lies inside
  the mask. Tied peaks count by the share of them inside, so a constant map
  scores the mask's area rather than whatever corner comes first;
- a map with no positive value points nowhere: both scores are nan for it;
- a floor: the same maps with their pixels shuffled (same values, no place),
  whose expected score for both measures is the mask's share of the image.

Maps are (N, H, W) and masks (N, H, W) of the same size; masks are boolean
(anything non-zero is inside).
"""
from __future__ import annotations

import numpy as np


def _check(heatmaps, masks) -> tuple[np.ndarray, np.ndarray]:
    maps = np.asarray(heatmaps, dtype=np.float64)
    inside = np.asarray(masks) != 0
    if maps.ndim != 3 or maps.shape != inside.shape:
        raise ValueError(f"need heatmaps and masks of the same shape (N, H, W); got {maps.shape} and {inside.shape}")
    if not np.isfinite(maps).all():
        raise ValueError("heatmaps contain NaN or infinite values")
    return maps, inside


def mass_accuracy(heatmaps, masks) -> np.ndarray:
    """(N,) positive mass inside the mask / all positive mass; nan for a map with none."""
    maps, inside = _check(heatmaps, masks)
    positive = np.clip(maps, 0.0, None)
    total = positive.sum(axis=(1, 2))
    within = (positive * inside).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, within / np.where(total > 0, total, 1.0), np.nan)


def pointing_game(heatmaps, masks) -> np.ndarray:
    """(N,) 1.0 when the map's maximum lies inside the mask, 0.0 when outside;
    with tied maxima, the share of them inside; nan for a map with no positive value."""
    maps, inside = _check(heatmaps, masks)
    top = maps.max(axis=(1, 2), keepdims=True)
    peaks = maps == top
    share = (peaks & inside).sum(axis=(1, 2)) / peaks.sum(axis=(1, 2))
    return np.where(top[:, 0, 0] > 0, share, np.nan)


def shuffled_maps(heatmaps, seed: int = 0) -> np.ndarray:
    """Each map with its pixels permuted at random: the floor's maps."""
    maps = np.asarray(heatmaps, dtype=np.float64)
    rng = np.random.default_rng(seed)
    flat = maps.reshape(len(maps), -1)
    return np.stack([row[rng.permutation(row.size)] for row in flat]).reshape(maps.shape)


def random_floor(heatmaps, masks, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(mass accuracy, pointing game) of the shuffled maps, each (N,)."""
    shuffled = shuffled_maps(heatmaps, seed)
    return mass_accuracy(shuffled, masks), pointing_game(shuffled, masks)
