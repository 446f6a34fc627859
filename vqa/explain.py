"""Heatmaps for one model on one face chip, painted back onto the photo.

The chip is what the model saw, so the attribution methods run on the chip and
models.alignment.Chip.heatmap_to_image maps each map back to photo pixels.
Each map comes with a HeatmapInfo: how it was made, how exact it is (IG's
completeness delta) and whether it beats a random map (faithfulness).
"""
from __future__ import annotations

import dataclasses
import functools
import time
from typing import TYPE_CHECKING

import numpy as np

from models.preprocessing import get_preprocess
from vqa.numbers import percent
from xai.defaults import (
    FAITHFULNESS_BATCH_SIZE,
    IG_BASELINE,
    IG_BASELINES,
    IG_BATCH_SIZE,
    IG_MAX_STEPS,
    IG_STEPS,
    IG_TOLERANCE,
)
from xai.methods import METHOD_NAMES, METHOD_TITLES, canonical_method

if TYPE_CHECKING:  # xai.metrics imports TensorFlow; the annotation alone need not
    from xai.metrics import Faithfulness

__all__ = ["METHOD_NAMES", "METHOD_TITLES", "canonical_method", "IG_BASELINE", "IG_BASELINES", "IG_BATCH_SIZE",
           "IG_MAX_STEPS", "IG_STEPS", "IG_TOLERANCE", "ExplainMethodError", "Exactness", "HeatmapInfo",
           "parse_methods", "explain_chip", "explain_chips", "score_faithfulness", "to_photo"]


class ExplainMethodError(ValueError):
    """An explanation method this app does not know."""


@dataclasses.dataclass(frozen=True)
class Exactness:
    """How exact an Integrated Gradients map is: its attributions should add up
    to the change in the model's score from the baseline to the photo, and
    `delta` is how far they miss, relative to that change (xai's completeness
    error). Exact when delta is at most IG_TOLERANCE, the adaptive rule's aim."""

    delta: float
    evaluations: int | None = None  # model rows it took (xai.IntegratedGradients counts them)
    steps: int | None = None  # path points, where evaluations are not known
    tolerance: float = IG_TOLERANCE

    @property
    def outcome(self) -> str:
        """The verdict in one word: "exact" or "approximate"."""
        return "exact" if self.delta <= self.tolerance else "approximate"

    @property
    def text(self) -> str:
        """The verdict as the trust panel says it, with what it cost."""
        cost = (f", after {self.evaluations} evaluations of the model" if self.evaluations is not None
                else f", with {self.steps} steps" if self.steps else "")
        delta = percent(self.delta, 1)
        if self.outcome == "exact":
            return (f"Exact: its pixel contributions add up to the change in the model's score (from the baseline "
                    f"to this photo) to within {delta}{cost}.")
        return (f"Approximate: its pixel contributions add up to the change in the model's score only to within "
                f"{delta}{cost} (the aim is {percent(self.tolerance)}); read it as a rough picture.")

    @property
    def brief(self) -> str:
        """The verdict in a few words, after the completeness error."""
        if self.outcome == "exact":
            return "exact"
        return f"only approximate (the aim is {percent(self.tolerance)}; read it as a rough picture)"


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

    @property
    def exactness(self) -> Exactness | None:
        """Integrated Gradients' completeness check of this map; None for the other methods."""
        if self.ig_delta is None:
            return None
        return Exactness(self.ig_delta, evaluations=self.ig_evaluations, steps=self.ig_steps)

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


ChipMaps = dict  # {method: (chip heatmap (S, S) in [0, 1], HeatmapInfo)}


def explain_chip(loaded, chip, target: int, methods, *, ig_steps: int | None = None, ig_baseline=IG_BASELINE,
                 faithfulness: bool = True) -> ChipMaps:
    """{method: (chip heatmap (S, S) in [0, 1], HeatmapInfo)} for the class `target`.

    ig_steps: None or 0 for adaptive IG to IG_TOLERANCE, an int m for the
    paper's fixed m-step Riemann sum. faithfulness: also score every map
    against a random map (one batched forward pass for all of them).
    """
    return explain_chips(loaded, [chip], [target], methods, ig_steps=ig_steps, ig_baseline=ig_baseline,
                         faithfulness=faithfulness)[0]


def explain_chips(loaded, chips, targets, methods, *, ig_steps: int | None = None, ig_baseline=IG_BASELINE,
                  faithfulness: bool = True) -> list[ChipMaps]:
    """explain_chip for several faces at once: each method runs once on the
    batch of chips (one Grad-CAM call, one call per round of adaptive IG), so
    a group photo costs one model call per step, not one per face. An info's
    `seconds` is its face's share of the batched call."""
    from xai import GradCAM, GuidedGradCAM  # lazy: keeps start-up free of TensorFlow

    model = loaded.keras_model
    # A card may name the layer Grad-CAM should use, for converted models
    # whose last 4-D tensor is already pooled to 1x1 (a flat, useless map).
    layer = loaded.card.extra.get("gradcam_layer")
    x = loaded.preprocess(np.stack([chip.pixels for chip in chips]))
    targets = np.asarray(targets, dtype=int)
    n = len(targets)
    made = {}  # method -> ((N, S, S) heatmaps, [HeatmapInfo] * N)
    if "guided" in methods:
        guided, seconds = _timed(GuidedGradCAM(model, layer=layer).explain, x, targets)
        made["guided"] = (guided.heatmap, _infos(guided, seconds))
        if "gradcam" in methods:
            # Guided Grad-CAM computes Grad-CAM on the way: reuse it.
            made["gradcam"] = (guided.extra["gradcam"], [dataclasses.replace(info, reused_from="guided")
                                                         for info in _infos(guided, 0.0)])
    if "gradcam" in methods and "gradcam" not in made:
        cam, seconds = _timed(GradCAM(model, layer=layer).explain, x, targets)
        made["gradcam"] = (cam.heatmap, _infos(cam, seconds))
    if "ig" in methods:
        ig, seconds = _timed(_integrated_gradients(loaded, ig_steps, ig_baseline).explain, x, targets)
        made["ig"] = (ig.heatmap, _infos(ig, seconds))
    out = [{m: (made[m][0][i], made[m][1][i]) for m in METHOD_NAMES if m in made} for i in range(n)]
    if faithfulness and made:
        scored = score_faithfulness(loaded, chips, targets, [{m: hm for m, (hm, _) in maps.items()} for maps in out])
        out = [{m: (hm, dataclasses.replace(info, faithfulness=scores[m][0], faithfulness_seconds=scores[m][1]))
                for m, (hm, info) in maps.items()} for maps, scores in zip(out, scored)]
    return out


def score_faithfulness(loaded, chips, targets, maps: list[dict[str, np.ndarray]]) -> list[dict]:
    """Each face's maps against a random map (xai.metrics.faithfulness), every
    face and method in one batched pass: [{method: (Faithfulness, seconds)}]
    per face, where seconds is that map's share of the pass."""
    from xai.metrics import faithfulness  # lazy: keeps start-up free of TensorFlow

    methods = [m for m in METHOD_NAMES if m in maps[0]]
    x = loaded.preprocess(np.stack([chip.pixels for chip in chips]))
    stacked = {m: np.stack([face_maps[m] for face_maps in maps]) for m in methods}
    scored, seconds = _timed(functools.partial(faithfulness, batch_size=FAITHFULNESS_BATCH_SIZE),
                             loaded.keras_model, x, stacked, np.asarray(targets, dtype=int))
    share = seconds / max(1, len(methods) * len(maps))
    return [{m: (scored[m][i], share) for m in methods} for i in range(len(maps))]


def _integrated_gradients(loaded, ig_steps, ig_baseline):
    from xai import IntegratedGradients  # lazy: keeps start-up free of TensorFlow

    preprocess = get_preprocess(loaded.card.input.preprocessing)
    if ig_steps in (None, 0):
        return IntegratedGradients(loaded.keras_model, tolerance=IG_TOLERANCE, max_steps=IG_MAX_STEPS,
                                   baseline=ig_baseline, preprocess=preprocess, batch_size=IG_BATCH_SIZE)
    return IntegratedGradients(loaded.keras_model, steps=int(ig_steps), baseline=ig_baseline,
                               preprocess=preprocess, batch_size=IG_BATCH_SIZE)


def _timed(fn, *args):
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def _infos(exp, seconds: float) -> list[HeatmapInfo]:
    n = len(exp.targets)
    return [_info(exp, seconds / n, i) for i in range(n)]


def _info(exp, seconds: float, i: int = 0) -> HeatmapInfo:
    info = HeatmapInfo(layer=exp.layer, score=float(exp.scores[i]), seconds=seconds)
    if exp.delta is None:
        return info
    evaluations = int(exp.evaluations[i])
    return dataclasses.replace(
        info, ig_delta=float(exp.delta[i]), baseline_score=float(exp.baseline_scores[i]),
        ig_evaluations=evaluations, ig_steps=int(exp.steps) if exp.steps is not None else evaluations,
    )


def to_photo(chip, heatmap: np.ndarray, image_shape) -> np.ndarray:
    """A chip heatmap (S, S) as (H, W) float32 in [0, 1] over the photo."""
    return chip.heatmap_to_image(heatmap, image_shape)
