"""Heatmaps as pictures: coloured overlays, and IG attributions as a heatmap."""
from __future__ import annotations

import matplotlib
import numpy as np
from PIL import Image


def overlay(image, heatmap, alpha: float = 0.5, cmap: str = "jet") -> Image.Image:
    """Blend a colour-mapped heatmap (H, W) in [0, 1] over an RGB image (H, W, 3).

    A heatmap of another size is resized bilinearly to the image's.
    """
    img = np.asarray(image)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"image must be RGB (H, W, 3); got shape {img.shape}")
    heat = np.asarray(heatmap, dtype=np.float32)
    if heat.ndim != 2:
        raise ValueError(f"heatmap must be (H, W); got shape {heat.shape}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1]; got {alpha}")
    try:
        colormap = matplotlib.colormaps[cmap]
    except KeyError:
        raise ValueError(f"unknown matplotlib colormap {cmap!r}") from None
    if heat.shape != img.shape[:2]:
        resized = Image.fromarray(heat).resize((img.shape[1], img.shape[0]), Image.Resampling.BILINEAR)
        heat = np.asarray(resized)
    colours = colormap(np.clip(np.nan_to_num(heat), 0.0, 1.0))[..., :3] * 255.0
    blended = (1.0 - alpha) * img.astype(np.float32) + alpha * colours
    return Image.fromarray(np.clip(np.rint(blended), 0, 255).astype(np.uint8))


def ig_heatmap(attributions, percentile: float = 99.0) -> np.ndarray:
    """(N, H, W, C) attributions -> (N, H, W) in [0, 1]: channel-summed |attr|,
    clipped at its per-image `percentile` so a few extreme pixels do not wash
    out the rest."""
    a = np.asarray(attributions, dtype=np.float32)
    if a.ndim != 4:
        raise ValueError(f"attributions must be (N, H, W, C); got shape {a.shape}")
    magnitude = np.abs(a).sum(axis=-1)
    top = np.percentile(magnitude.reshape(len(a), -1), percentile, axis=1)
    top = np.where(top > 0, top, magnitude.reshape(len(a), -1).max(axis=1))
    top = np.where(top > 0, top, 1.0)
    return np.clip(magnitude / top[:, None, None], 0.0, 1.0).astype(np.float32)
