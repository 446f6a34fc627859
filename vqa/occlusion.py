"""Where on the face does an answer rest? Checked against the model itself.

A heatmap's share per face region (models.regions) is a claim about the model.
The occlusion check measures it: each region of the chip is greyed out (or
blurred) in turn and the drop of the explained score is recorded, the chip and
every occluded copy in ONE batched model call. The score is the explained
class's pre-softmax logit (what the heatmaps explain, read through xai's flat
graph); for a model xai cannot rebuild, its log-probability.

Drops are normalised like the heatmap shares, by region area: a region's share
is its drop per pixel over the sum of every region's drop per pixel. A region
whose occlusion RAISES the score (a negative drop) gets share 0: it does not
support the answer; its raw drop stays in `drops`. When no region has a
positive drop, every share is 0 and `shares_total` says so (0, not 1).

compare_regions says in words whether the two readings agree (the same top
region, and the rank correlation of the shares over regions).
region_chart_data / region_chart draw both readings side by side per region
(matplotlib, imported only when a chart is drawn; the app shows it in gr.Plot).
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

FILLS = ("grey", "blur")
GREY = 128.0  # mid grey, in pixel units


@dataclasses.dataclass(frozen=True)
class Occlusion:
    """The occlusion check of one answer's explained class on one chip.

    score: the explained score on the unoccluded chip; score_kind says which
        ("logit" or "log-probability").
    drops: region -> score(chip) - score(chip with that region occluded).
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


def occlusion_check(loaded, pixels: np.ndarray, target, masks: dict[str, np.ndarray], *,
                    fill: str = "grey") -> Occlusion:
    """Occlude each region of `masks` {region: (S, S) bool, chip coordinates}
    in the chip `pixels` (S, S, 3) uint8 and measure the drop of the score of
    `target` (a label of loaded.card or its index), all in one batched call."""
    labels = list(loaded.card.labels)
    index = labels.index(target) if isinstance(target, str) else int(target)
    if not 0 <= index < len(labels):
        raise ValueError(f"target {target!r} is not a class of {loaded.name} ({labels})")
    pixels = np.asarray(pixels)
    names, stack = _check_masks(masks, pixels.shape)
    batch = np.concatenate([pixels[None], occluded(pixels, stack, fill)])
    scores, kind = explained_scores(loaded, batch, index)
    drops = scores[0] - scores[1:]
    areas = stack.reshape(len(names), -1).sum(axis=1)
    return Occlusion(
        target=labels[index], score_kind=kind, score=float(scores[0]), fill=fill,
        drops={n: float(d) for n, d in zip(names, drops, strict=True)},
        areas={n: int(a) for n, a in zip(names, areas, strict=True)},
        shares=drop_shares(names, drops, areas),
    )


def _check_masks(masks: dict[str, np.ndarray], shape) -> tuple[list[str], np.ndarray]:
    if len(shape) != 3 or shape[2] != 3 or shape[0] != shape[1]:
        raise ValueError(f"the chip must be (S, S, 3) pixels, got shape {shape}")
    if not masks:
        raise ValueError("no region masks were given")
    names = list(masks)
    stack = np.stack([np.asarray(masks[n], dtype=bool) for n in names])
    if stack.shape[1:] != shape[:2]:
        raise ValueError(f"region masks of shape {stack.shape[1:]} do not fit the {shape[0]}x{shape[1]} chip")
    return names, stack


def occluded(pixels: np.ndarray, masks: np.ndarray, fill: str = "grey") -> np.ndarray:
    """(R, S, S, 3) uint8: the chip with region r (masks (R, S, S) bool) filled."""
    if fill == "grey":
        background = np.full(pixels.shape, GREY, dtype=np.float32)
    elif fill == "blur":
        from xai.baselines import make_baseline

        background = make_baseline("blur", pixels[None].astype(np.float32))[0]
    else:
        raise ValueError(f"unknown occlusion fill {fill!r}; choose one of {FILLS}")
    background = np.clip(np.rint(background), 0, 255).astype(np.uint8)
    return np.where(masks[..., None], background[None], pixels[None])


def explained_scores(loaded, pixels: np.ndarray, target: int) -> tuple[np.ndarray, str]:
    """(N,) scores of class `target` for uint8 chips (N, S, S, 3): the logit
    when xai can rebuild the model's graph, else the log-probability."""
    x = loaded.preprocess(pixels)
    targets = np.full(len(pixels), target, dtype=np.int32)
    try:
        from xai.base import ModelCall

        out = ModelCall(loaded.keras_model, gradient_of=None)(x, targets)
        return np.asarray(out.scores, dtype=np.float64), "logit"
    except ValueError:  # xai could not flatten this model: fall back to its output
        probs = loaded.predict(pixels)[:, target]
        return np.log(np.clip(probs, 1e-12, None)), "log-probability"


def drop_shares(names, drops, areas) -> dict[str, float]:
    """Each region's positive drop per pixel over the sum of them (0 for
    negative drops and empty regions; all 0 when no drop is positive)."""
    drops, areas = np.asarray(drops, dtype=np.float64), np.asarray(areas, dtype=np.float64)
    density = np.divide(np.clip(drops, 0.0, None), areas, out=np.zeros_like(drops), where=areas > 0)
    total = density.sum()
    shares = density / total if total > 0 else np.zeros_like(density)
    return {name: float(share) for name, share in zip(names, shares, strict=True)}


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
        from scipy.stats import spearmanr

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
    from matplotlib.figure import Figure  # no pyplot: no global state, thread-safe

    regions = list(data)
    values = np.array([data[r] for r in regions], dtype=np.float64).reshape(len(regions), 2)
    figure = Figure(figsize=(6, 0.45 * len(regions) + 1.2), layout="constrained")
    axes = figure.add_subplot()
    rows = np.arange(len(regions))
    height = 0.4
    axes.barh(rows - height / 2, values[:, 0], height, label=labels[0], color="#4c72b0")
    axes.barh(rows + height / 2, values[:, 1], height, label=labels[1], color="#dd8452")
    axes.set_yticks(rows, [_words(r) for r in regions])
    axes.invert_yaxis()
    axes.set_xlim(0, max(1e-9, float(values.max(initial=0.0))) * 1.1)
    axes.set_xlabel("share (normalised by region area)")
    axes.set_title(title)
    axes.legend(loc="lower right")
    return figure
