"""Where on the face does an answer rest? Checked against the model itself.

A heatmap's share per face region (models.regions) is a claim about the model.
The occlusion check measures it (xai.metrics.occlusion, model-agnostic: a model call
and masks): each region of the chip is greyed out (or blurred) in turn and the
drop of the explained score is recorded, the chip and every occluded copy in
ONE batched model call. This module feeds it a loaded model
(models.handle.ModelHandle): the score is the explained class's pre-softmax
logit (what the heatmaps explain, read through xai's flat graph); for a model
xai cannot rebuild, its log-probability.

compare_regions says in words whether the two readings agree (the same top
region, and the rank correlation of the shares over regions).
region_chart_data / region_chart draw both readings side by side per region
(xai.render.paired_bars; the app shows it in gr.Plot).
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from xai.base import ModelCall

# The metric's names, re-exported: the app reads them through vqa.
from xai.metrics.occlusion import FILLS, GREY, Occlusion, drop_shares, occlude, occluded
from xai.render import paired_bars

__all__ = ["FILLS", "GREY", "Occlusion", "RegionCheck", "compare_regions", "drop_shares", "explained_scores",
           "occluded", "occlusion_check", "region_chart", "region_chart_data"]


def occlusion_check(loaded, pixels: np.ndarray, target, masks: dict[str, np.ndarray], *,
                    fill: str = "grey") -> Occlusion:
    """Occlude each region of `masks` {region: (S, S) bool, chip coordinates}
    in the chip `pixels` (S, S, 3) uint8 and measure the drop of the score of
    `target` (a label of loaded.card or its index), all in one batched call."""
    labels = list(loaded.card.labels)
    index = labels.index(target) if isinstance(target, str) else int(target)
    if not 0 <= index < len(labels):
        raise ValueError(f"target {target!r} is not a class of {loaded.name} ({labels})")
    kinds = []  # which score explained_scores could read: known once the model has been called

    def score(batch: np.ndarray) -> np.ndarray:
        scores, kind = explained_scores(loaded, batch, index)
        kinds.append(kind)
        return scores

    found = occlude(score, pixels, masks, fill=fill, target=labels[index])
    return dataclasses.replace(found, score_kind=kinds[0])


def explained_scores(loaded, pixels: np.ndarray, target: int) -> tuple[np.ndarray, str]:
    """(N,) scores of class `target` for uint8 chips (N, S, S, 3): the logit
    when xai can rebuild the model's graph, else the log-probability."""
    x = loaded.preprocess(pixels)
    targets = np.full(len(pixels), target, dtype=np.int32)
    try:
        out = ModelCall(loaded.keras_model, gradient_of=None)(x, targets)
        return np.asarray(out.scores, dtype=np.float64), "logit"
    except ValueError:  # xai could not flatten this model: fall back to its output
        probs = loaded.predict(pixels)[:, target]
        return np.log(np.clip(probs, 1e-12, None)), "log-probability"


@dataclasses.dataclass(frozen=True)
class RegionCheck:
    """Does the model's behaviour under occlusion confirm a heatmap's regions?

    heatmap_top / occlusion_top: the region with the largest share on each side
        (occlusion_top None when no occlusion lowered the score).
    agrees: both name the same region.
    rank_correlation: Spearman's rho between the two shares over the regions
        both know (None when either side is constant).
    """

    heatmap_top: str | None
    occlusion_top: str | None
    agrees: bool
    rank_correlation: float | None
    text: str

    @property
    def outcome(self) -> str:
        """The verdict in words: "confirmed", "not confirmed", or "not checked"
        (no occlusion lowered the score); `text` says it in a sentence."""
        if self.occlusion_top is None:
            return "not checked"
        return "confirmed" if self.agrees else "not confirmed"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def compare_regions(heatmap_shares: dict[str, float], occlusion: Occlusion, method: str = "the heatmap") -> RegionCheck:
    """Check a heatmap's region shares against the occlusion check, in words."""
    data = region_chart_data(heatmap_shares, occlusion)
    heat = np.array([h for h, _ in data.values()])
    drop = np.array([d for _, d in data.values()])
    heatmap_top = max(heatmap_shares, key=heatmap_shares.get) if heatmap_shares else None
    occlusion_top = occlusion.top
    rho = None
    if len(data) > 2 and np.ptp(heat) > 0 and np.ptp(drop) > 0:
        rho = float(spearmanr(heat, drop).statistic)
    agrees = heatmap_top is not None and heatmap_top == occlusion_top
    correlation = "" if rho is None else f" (rank correlation of the shares {rho:.2f})"
    if occlusion_top is None:
        text = (f"Not checked: occluding no region lowered the {occlusion.target} score, so the model's "
                f"behaviour does not confirm where {method} puts its weight.")
    elif agrees:
        text = (f"Confirmed: {method} puts most weight on the {_words(heatmap_top)}, and occluding the "
                f"{_words(occlusion_top)} lowers the {occlusion.target} score most{correlation}.")
    else:
        text = (f"Not confirmed: {method} puts most weight on the {_words(heatmap_top)}, but occluding the "
                f"{_words(occlusion_top)} lowers the {occlusion.target} score most{correlation}.")
    return RegionCheck(heatmap_top, occlusion_top, agrees, rho, text)


def _words(region: str | None) -> str:
    return str(region).replace("_", " and ") if region == "cheeks_jaw" else str(region).replace("_", " ")


def region_chart_data(heatmap_shares: dict[str, float], occlusion) -> dict[str, tuple[float, float]]:
    """{region: (heatmap share, occlusion share)}, in the heatmap's region
    order (regions only one side has come last, with 0 on the other side).
    `occlusion` is an Occlusion or its shares dict."""
    shares = occlusion.shares if isinstance(occlusion, Occlusion) else dict(occlusion)
    regions = list(heatmap_shares) + [r for r in shares if r not in heatmap_shares]
    return {r: (float(heatmap_shares.get(r, 0.0)), float(shares.get(r, 0.0))) for r in regions}


def region_chart(data: dict[str, tuple[float, float]], title: str = "Where on the face",
                 labels: tuple[str, str] = ("heatmap share", "occlusion drop share")):
    """A matplotlib Figure: per region, the heatmap's share beside the share of
    the score drop when that region is occluded (gr.Plot shows it as is)."""
    return paired_bars({_words(region): shares for region, shares in data.items()}, title=title, labels=labels,
                       xlabel="share (normalised by region area)")
