"""Heatmaps for one model on one face chip, painted back onto the photo.

The chip is what the model saw, so the attribution methods run on the chip and
models.alignment.Chip.heatmap_to_image maps each map back to photo pixels.
"""
from __future__ import annotations

import re
import time

import numpy as np

from models.preprocessing import get_preprocess

# Accepted spellings -> canonical method names (the keys of Result heatmaps).
METHOD_ALIASES = {
    "gradcam": "gradcam", "grad-cam": "gradcam", "cam": "gradcam",
    "guided": "guided", "guided-gradcam": "guided", "guided-grad-cam": "guided",
    "ig": "ig", "integrated-gradients": "ig",
}
METHODS = ("gradcam", "guided", "ig")


class ExplainMethodError(ValueError):
    """An explanation method this app does not know."""


def parse_methods(explain) -> tuple[str, ...]:
    """("gradcam", "IG") or "gradcam,ig" -> canonical names, in METHODS order."""
    if explain is None or explain is False:
        return ()
    if isinstance(explain, str):
        explain = [part for part in explain.split(",") if part.strip()]
    wanted = set()
    for name in explain:
        key = re.sub(r"[\s_]+", "-", str(name).strip().lower())
        if key in ("none", ""):
            continue
        if key not in METHOD_ALIASES:
            raise ExplainMethodError(f"unknown explanation method {name!r}; choose from {', '.join(METHODS)}")
        wanted.add(METHOD_ALIASES[key])
    return tuple(m for m in METHODS if m in wanted)


def explain_chip(loaded, chip, target: int, methods, *, ig_steps=32, ig_baseline="black"):
    """{method: (chip heatmap (S, S) in [0, 1], info)} for the class `target`."""
    from xai import GradCAM, GuidedGradCAM, IntegratedGradients

    model = loaded.keras_model
    # A card may name the layer Grad-CAM should use, for converted models
    # whose last 4-D tensor is already pooled to 1x1 (a flat, useless map).
    layer = loaded.card.extra.get("gradcam_layer")
    x = loaded.preprocess(chip.pixels[None])
    targets = np.array([target])
    out = {}
    if "guided" in methods:
        guided, seconds = _timed(GuidedGradCAM(model, layer=layer).explain, x, targets)
        out["guided"] = (guided.heatmap[0], _info(guided, seconds))
        if "gradcam" in methods:
            # Guided Grad-CAM computes Grad-CAM on the way: reuse it.
            out["gradcam"] = (guided.extra["gradcam"][0], {**_info(guided, 0.0), "reused_from": "guided"})
    if "gradcam" in methods and "gradcam" not in out:
        cam, seconds = _timed(GradCAM(model, layer=layer).explain, x, targets)
        out["gradcam"] = (cam.heatmap[0], _info(cam, seconds))
    if "ig" in methods:
        preprocess = get_preprocess(loaded.card.input.preprocessing)
        explainer = IntegratedGradients(model, steps=ig_steps, baseline=ig_baseline, preprocess=preprocess)
        ig, seconds = _timed(explainer.explain, x, targets)
        out["ig"] = (ig.heatmap[0], _info(ig, seconds))
    return out


def _timed(fn, *args):
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def _info(exp, seconds: float) -> dict:
    """JSON-able facts about how a heatmap was made."""
    info = {"layer": exp.layer, "score": float(exp.scores[0]), "seconds": seconds}
    if exp.delta is not None:
        info["ig_delta"] = float(exp.delta[0])
        info["baseline_score"] = float(exp.extra["baseline_scores"][0])
        info["ig_steps"] = int(exp.extra["steps"])
    return info


def to_photo(chip, heatmap: np.ndarray, image_shape) -> np.ndarray:
    """A chip heatmap (S, S) as (H, W) float32 in [0, 1] over the photo."""
    return chip.heatmap_to_image(heatmap, image_shape)
