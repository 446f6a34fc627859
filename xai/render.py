"""Explanations as pictures: coloured overlays, IG attributions as a heatmap,
and two readings of the same regions side by side (a map's share per region
beside the occlusion check's, xai.metrics.occlusion)."""
from __future__ import annotations

from collections.abc import Mapping

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


def paired_bars(rows: Mapping[str, tuple[float, float]], title: str = "",
                labels: tuple[str, str] = ("first", "second"), xlabel: str = "share"):
    """A matplotlib Figure: per row (a region, top to bottom in `rows` order), its
    two values as two horizontal bars, `labels` in the legend (gr.Plot shows it as is)."""
    # lazy: keeps start-up free of matplotlib.figure (0.2-0.4 s before the first overlay, which needs none of it).
    # No pyplot: no global state, so drawing is thread-safe.
    from matplotlib.figure import Figure

    names = list(rows)
    values = np.array([rows[r] for r in names], dtype=np.float64).reshape(len(names), 2)
    figure = Figure(figsize=(6, 0.45 * len(names) + 1.2), layout="constrained")
    axes = figure.add_subplot()
    positions = np.arange(len(names))
    height = 0.4
    axes.barh(positions - height / 2, values[:, 0], height, label=labels[0], color="#4c72b0")
    axes.barh(positions + height / 2, values[:, 1], height, label=labels[1], color="#dd8452")
    axes.set_yticks(positions, names)
    axes.invert_yaxis()
    axes.set_xlim(0, max(1e-9, float(values.max(initial=0.0))) * 1.1)
    axes.set_xlabel(xlabel)
    axes.set_title(title)
    axes.legend(loc="lower right")
    return figure
