"""Mean heatmaps over many images whose faces are already aligned.

Averaging only means something when pixel (i, j) is the same part of the face
in every image, which is why the study could not do it and why the callers
align faces first.
"""
from __future__ import annotations

import numpy as np


def mean_heatmap(heatmaps) -> np.ndarray:
    """(N, H, W) or a sequence of (H, W) maps -> their pixelwise mean (H, W)."""
    maps = _stack(heatmaps)
    return maps.mean(axis=0, dtype=np.float64).astype(np.float32)


def mean_heatmap_by_class(heatmaps, labels) -> dict:
    """{label: mean heatmap of the images with that label}."""
    maps = _stack(heatmaps)
    labels = np.asarray(labels)
    if labels.shape != (len(maps),):
        raise ValueError(f"need one label per heatmap: {len(maps)} heatmaps, labels of shape {labels.shape}")
    return {label: mean_heatmap(maps[labels == label]) for label in dict.fromkeys(labels.tolist())}


def _stack(heatmaps) -> np.ndarray:
    if isinstance(heatmaps, np.ndarray):
        maps = heatmaps.astype(np.float32, copy=False)
    else:
        items = [np.asarray(h, dtype=np.float32) for h in heatmaps]
        if not items:
            raise ValueError("no heatmaps to average")
        shapes = {h.shape for h in items}
        if len(shapes) > 1:
            raise ValueError(f"heatmaps must all have one shape (align the faces first); got {sorted(shapes)}")
        maps = np.stack(items)
    if maps.ndim != 3 or len(maps) == 0:
        raise ValueError(f"heatmaps must be a non-empty stack (N, H, W); got shape {maps.shape}")
    if not np.isfinite(maps).all():
        raise ValueError("heatmaps contain NaN or infinite values")
    return maps
