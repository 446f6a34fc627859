"""Heatmaps for one model on one face chip, painted back onto the photo.

The chip is what the model saw, so the attribution methods run on the chip and
models.alignment.Chip.heatmap_to_image maps each map back to photo pixels.
Each map comes with a HeatmapInfo: how it was made, how exact it is (IG's
completeness delta) and whether it beats a random map (faithfulness).
"""
from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING

import numpy as np

from models.preprocessing import get_preprocess
from xai.defaults import IG_BASELINE, IG_BATCH_SIZE, IG_MAX_STEPS, IG_STEPS, IG_TOLERANCE
from xai.methods import METHOD_NAMES, METHOD_TITLES, canonical_method

if TYPE_CHECKING:  # xai.metrics imports TensorFlow; the annotation alone need not
    from xai.metrics import Faithfulness

__all__ = ["METHOD_NAMES", "METHOD_TITLES", "canonical_method", "IG_BASELINE", "IG_BATCH_SIZE",
           "IG_MAX_STEPS", "IG_STEPS", "IG_TOLERANCE", "ExplainMethodError", "HeatmapInfo",
           "parse_methods", "explain_chip", "to_photo"]


class ExplainMethodError(ValueError):
    """An explanation method this app does not know."""


@dataclasses.dataclass
class HeatmapInfo:
    """Facts about one heatmap; to_dict() is its JSON (the keys scripts rely on).

    ig_steps: path points (the fixed rule's m, or as many as adaptive IG used);
    ig_evaluations: the model rows IG ran for this face (xai.IntegratedGradients
    says how they are counted). faithfulness: xai.metrics.Faithfulness on the
    chip, same target. faithfulness_seconds: this map's share of the one
    faithfulness pass (in timings_s, not in the JSON of the map).
    """

    layer: str | None
    score: float
    seconds: float
    target: str | None = None
    ig_delta: float | None = None
    ig_steps: int | None = None
    ig_evaluations: int | None = None
    baseline_score: float | None = None
    reused_from: str | None = None
    faithfulness: Faithfulness | None = None
    faithfulness_seconds: float = 0.0
    # Region shares live beside the heatmaps (FaceResult.regions, one pass over
    # all methods with the occlusion check) and join this JSON there.

    def to_dict(self) -> dict:
        out = {"layer": self.layer, "score": self.score, "seconds": self.seconds}
        if self.target is not None:
            out["target"] = self.target
        if self.ig_delta is not None:
            out.update(ig_delta=self.ig_delta, ig_steps=self.ig_steps, ig_evaluations=self.ig_evaluations,
                       baseline_score=self.baseline_score)
        if self.reused_from is not None:
            out["reused_from"] = self.reused_from
        if self.faithfulness is not None:
            out["faithfulness"] = self.faithfulness.to_dict()
        return out

    def __getitem__(self, key: str):
        # For readers written against the old dict of facts (info["ig_delta"]);
        # new code reads the fields.
        return self.to_dict()[key]


def parse_methods(explain) -> tuple[str, ...]:
    """("gradcam", "IG") or "gradcam,ig" -> canonical names, in METHOD_NAMES order."""
    if explain is None or explain is False:
        return ()
    if isinstance(explain, str):
        explain = [part for part in explain.split(",") if part.strip()]
    wanted = set()
    for name in explain:
        if str(name).strip().lower() in ("none", ""):
            continue
        try:
            wanted.add(canonical_method(name))
        except ValueError as err:
            raise ExplainMethodError(str(err)) from None
    return tuple(m for m in METHOD_NAMES if m in wanted)


def explain_chip(loaded, chip, target: int, methods, *, ig_steps: int | None = None, ig_baseline=IG_BASELINE,
                 faithfulness: bool = True) -> dict[str, tuple[np.ndarray, HeatmapInfo]]:
    """{method: (chip heatmap (S, S) in [0, 1], HeatmapInfo)} for the class `target`.

    ig_steps: None or 0 for adaptive IG to IG_TOLERANCE, an int m for the
    paper's fixed m-step Riemann sum. faithfulness: also score every map
    against a random map (one batched forward pass for all of them).
    """
    from xai import GradCAM, GuidedGradCAM

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
            reused = dataclasses.replace(_info(guided, 0.0), reused_from="guided")
            out["gradcam"] = (guided.extra["gradcam"][0], reused)
    if "gradcam" in methods and "gradcam" not in out:
        cam, seconds = _timed(GradCAM(model, layer=layer).explain, x, targets)
        out["gradcam"] = (cam.heatmap[0], _info(cam, seconds))
    if "ig" in methods:
        ig, seconds = _timed(_integrated_gradients(loaded, ig_steps, ig_baseline).explain, x, targets)
        out["ig"] = (ig.heatmap[0], _info(ig, seconds))
    if faithfulness and out:
        _add_faithfulness(model, x, targets, out)
    return {m: out[m] for m in METHOD_NAMES if m in out}


def _integrated_gradients(loaded, ig_steps, ig_baseline):
    from xai import IntegratedGradients

    preprocess = get_preprocess(loaded.card.input.preprocessing)
    if ig_steps in (None, 0):
        return IntegratedGradients(loaded.keras_model, tolerance=IG_TOLERANCE, max_steps=IG_MAX_STEPS,
                                   baseline=ig_baseline, preprocess=preprocess, batch_size=IG_BATCH_SIZE)
    return IntegratedGradients(loaded.keras_model, steps=int(ig_steps), baseline=ig_baseline,
                               preprocess=preprocess, batch_size=IG_BATCH_SIZE)


def _add_faithfulness(model, x, targets, out) -> None:
    from xai.metrics import faithfulness

    maps = {m: hm[None] for m, (hm, _) in out.items()}
    scored, seconds = _timed(faithfulness, model, x, maps, targets)
    for m, (hm, info) in out.items():
        out[m] = (hm, dataclasses.replace(info, faithfulness=scored[m][0], faithfulness_seconds=seconds / len(out)))


def _timed(fn, *args):
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def _info(exp, seconds: float) -> HeatmapInfo:
    info = HeatmapInfo(layer=exp.layer, score=float(exp.scores[0]), seconds=seconds)
    if exp.delta is None:
        return info
    evaluations = int(exp.evaluations[0])
    return dataclasses.replace(
        info, ig_delta=float(exp.delta[0]), baseline_score=float(exp.baseline_scores[0]),
        ig_evaluations=evaluations, ig_steps=int(exp.steps) if exp.steps is not None else evaluations,
    )


def to_photo(chip, heatmap: np.ndarray, image_shape) -> np.ndarray:
    """A chip heatmap (S, S) as (H, W) float32 in [0, 1] over the photo."""
    return chip.heatmap_to_image(heatmap, image_shape)
