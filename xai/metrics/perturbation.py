"""Is a heatmap faithful to the model? Deletion / insertion AUC, the same
against a random map (`faithfulness`).

Deletion and insertion (Petsiuk et al., RISE, 2018): pixels are removed from
the image (or inserted into a baseline) most important first, and the
probability of the explained class is recorded at each step; the area under
that curve is low for a faithful map under deletion and high under insertion.

`faithfulness` is the form the app shows. The probability saturates (a model
sure at 1.0 stays at 1.0 whatever is deleted), so it follows the explained
logit instead, scaled to [0, 1] by the lowest and highest logit on the map's
and the random map's curves (a blurred face may score about as high as the
photo, so F(photo) - F(fill) is no safe unit). The
fill is a blurred copy of the image, not black: black patches are far from any
photo the model saw and would be "important" whatever they cover. And it sets
each map against a random map on the same image, because an AUC alone has no
scale: a map is faithful when it beats random on both curves.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import keras
import numpy as np
from scipy.ndimage import gaussian_filter

from xai.base import ModelCall, check_images
from xai.baselines import make_baseline
from xai.defaults import FAITHFULNESS_FILL, FAITHFULNESS_STEPS


def deletion_auc(model, images, heatmaps, targets, steps: int = 20, baseline="black",
                 preprocess=None, batch_size: int = 32) -> np.ndarray:
    """(N,) area under p(target) as the most important pixels are replaced by `baseline`.

    model: a Keras model or any callable mapping a batch to (N, K) probabilities.
    """
    return _curve_auc(model, images, heatmaps, targets, steps, baseline, preprocess, batch_size, insert=False)


def insertion_auc(model, images, heatmaps, targets, steps: int = 20, baseline="blur",
                  preprocess=None, batch_size: int = 32) -> np.ndarray:
    """(N,) area under p(target) as the most important pixels are put back into
    `baseline` (RISE starts from a blurred copy)."""
    return _curve_auc(model, images, heatmaps, targets, steps, baseline, preprocess, batch_size, insert=True)


def _curve_auc(model, images, heatmaps, targets, steps, baseline, preprocess, batch_size, insert):
    x, maps, t = _check_inputs(images, heatmaps, targets)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer; got {steps!r}")
    base = make_baseline(baseline, x, preprocess)
    aucs = []
    for image, background, heat, target in zip(x, base, maps, t):
        masks = _top_pixel_masks(heat, steps)[..., None]  # (steps+1, H, W, 1): True = shown from `image`
        shown = masks if insert else ~masks
        batch = np.where(shown, image, background)
        probs = _predict(model, batch, batch_size)[:, target]
        aucs.append(np.trapezoid(probs, dx=1.0 / steps))
    return np.asarray(aucs, dtype=np.float32)


def _top_pixel_masks(heatmap, steps):
    """Mask s marks the round(s/steps * P) highest-scoring pixels (ties: first in raster order)."""
    order = np.argsort(-heatmap.ravel(), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    counts = np.rint(np.linspace(0, order.size, steps + 1)).astype(int)
    return (rank[None, :] < counts[:, None]).reshape(steps + 1, *heatmap.shape)


def _check_inputs(images, heatmaps, targets):
    x = np.asarray(images, dtype=np.float32)
    maps = np.asarray(heatmaps, dtype=np.float32)
    t = np.asarray(targets)
    if x.ndim != 4 or maps.shape != x.shape[:3]:
        raise ValueError("need images (N, H, W, C) and heatmaps (N, H, W) of the same size; "
                         f"got {x.shape} and {maps.shape}")
    if t.shape != (len(x),) or not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"need one integer target per image; got {targets!r}")
    return x, maps, t


def _predict(model, batch, batch_size):
    outs = []
    for start in range(0, len(batch), batch_size):
        chunk = batch[start:start + batch_size]
        out = model(chunk, training=False) if isinstance(model, keras.Layer) else model(chunk)
        outs.append(np.asarray(out))
    probs = np.concatenate(outs)
    if probs.ndim != 2:
        raise ValueError(f"the model must return (N, classes) probabilities; got shape {probs.shape}")
    return probs


@dataclass(frozen=True)
class Faithfulness:
    """One heatmap's deletion and insertion AUC next to a random map's on the same image.

    Curves follow the explained logit, scaled to [0, 1] by the lowest and
    highest value on this map's and the random map's curves (nan when the score
    does not move). Lower deletion and higher insertion AUC mean the map found
    what the model uses.
    """

    deletion_auc: float
    insertion_auc: float
    random_deletion_auc: float
    random_insertion_auc: float
    steps: int = FAITHFULNESS_STEPS
    fill: str = FAITHFULNESS_FILL
    # The curves the AUCs sum, steps + 1 points each on the same [0, 1] scale, from
    # nothing removed (deletion) or nothing restored (insertion) to all of it; () when
    # the score does not move. For drawing them against each other.
    deletion_curve: tuple[float, ...] = ()
    insertion_curve: tuple[float, ...] = ()
    random_deletion_curve: tuple[float, ...] = ()
    random_insertion_curve: tuple[float, ...] = ()

    @property
    def better_than_random(self) -> bool | None:
        """True when the map beats the random map on both curves; None when the curves say nothing."""
        if self.outcome == "cannot tell":
            return None
        return self.outcome == "better"

    @property
    def outcome(self) -> str:
        """The verdict in words: "better" than the random map on both curves (a lower
        deletion and a higher insertion AUC), "partly" (on one), "no better" (on
        neither), or "cannot tell" (the score does not move: the AUCs are nan)."""
        if any(math.isnan(v) for v in (self.deletion_auc, self.insertion_auc)):
            return "cannot tell"
        deletion, insertion = self._beats_random
        return "better" if deletion and insertion else "partly" if deletion or insertion else "no better"

    @property
    def _beats_random(self) -> tuple[bool, bool]:
        return self.deletion_auc < self.random_deletion_auc, self.insertion_auc > self.random_insertion_auc

    @property
    def verdict(self) -> str:
        """The comparison in words a person can read (the JSON's "verdict")."""
        outcome = self.outcome
        if outcome == "cannot tell":
            return ("Cannot tell: the model's score hardly changes whatever part of the face is blurred, "
                    "so removing parts of it says nothing about this map.")
        numbers = (f"(deletion AUC {self.deletion_auc:.2f} vs {self.random_deletion_auc:.2f} for a random map, "
                   f"insertion {self.insertion_auc:.2f} vs {self.random_insertion_auc:.2f})")
        if outcome == "better":
            return ("Better than random: blurring the pixels this map marks lowers the model's score faster than "
                    f"blurring a random map's, and restoring them brings it back faster {numbers}.")
        if outcome == "no better":
            return f"No better than a random map: do not read this map as what the model used {numbers}."
        better = "removing" if self._beats_random[0] else "restoring"
        return f"Only partly better than random: better when {better} its pixels, not the other way {numbers}."

    @property
    def text(self) -> str:
        """The verdict as the app's trust panel says it, after the map's name."""
        if self.outcome == "cannot tell":
            return ("Whether it beats a random map cannot be told: the model's score hardly changes whatever part "
                    "of the face is removed, so these tests say nothing about this map.")
        numbers = (f"(deletion area {self.deletion_auc:.2f} against {self.random_deletion_auc:.2f} for a random map, "
                   f"lower is better; insertion {self.insertion_auc:.2f} against {self.random_insertion_auc:.2f}, "
                   "higher is better)")
        said = {
            "better": ("Removing the pixels it marks first changes the answer faster than removing random pixels, "
                       "and adding them back first restores it faster: it points at pixels the model uses"),
            "partly": ("It beats a random map on one test only ("
                       + ("deletion" if self._beats_random[0] else "insertion") + "): it is only partly faithful "
                       "to the model"),
            "no better": ("It is no better than a random map at finding the pixels the model uses: do not read much "
                          "into it"),
        }[self.outcome]
        return f"{said} {numbers}."

    @property
    def brief(self) -> str:
        """The verdict in a table cell: yes, partly, no or cannot tell, with the AUCs."""
        if self.outcome == "cannot tell":
            return "cannot tell (the score hardly changes)"
        word = {"better": "yes", "partly": "partly", "no better": "no"}[self.outcome]
        return (f"{word} (deletion {self.deletion_auc:.2f} vs {self.random_deletion_auc:.2f}, "
                f"insertion {self.insertion_auc:.2f} vs {self.random_insertion_auc:.2f})")

    def to_dict(self) -> dict:
        out = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}
        return {**out, "better_than_random": self.better_than_random, "verdict": self.verdict}


def faithfulness(model, images, heatmaps, targets, steps: int = FAITHFULNESS_STEPS, fill=FAITHFULNESS_FILL,
                 preprocess=None, seed: int = 0, batch_size: int = 128):
    """Deletion and insertion AUC of each map and of a random map, in one batched forward pass.

    model: a Keras classifier (its pre-softmax logit is scored). images (N, H, W, C)
    as the model takes them. heatmaps: (N, H, W), or {name: (N, H, W)} for several
    maps of the same images (they share the random map's curves). fill: what
    removed pixels become, "blur" or any xai.baselines spec. Returns a list of N
    Faithfulness, or {name: list} for a dict.
    The random map is seeded smooth noise (blobs about a sixteenth of the image
    across), so it is compared with maps of the same grain, not with scattered
    single pixels that a blurred fill would barely change.
    """
    x = check_images(images, model)
    named = heatmaps if isinstance(heatmaps, dict) else {"": heatmaps}
    maps = {name: _check_inputs(x, m, targets)[1] for name, m in named.items()}
    t = _check_inputs(x, next(iter(maps.values())), targets)[2].astype(np.int32)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ValueError(f"steps must be an integer >= 2; got {steps!r}")
    base = make_baseline(fill, x, preprocess)
    noise = _random_maps(x.shape[:3], seed)
    orders = [*maps.values(), noise]
    rows, owners = [], []  # each image: its two ends, then each order's inner deletion and insertion rows
    for i in range(len(x)):
        rows += [x[i], base[i]]
        for heat in orders:
            inner = _top_pixel_masks(heat[i], steps)[1:-1, ..., None]
            rows += list(np.where(inner, base[i], x[i])) + list(np.where(inner, x[i], base[i]))
        owners += [i] * (2 + 2 * (steps - 1) * len(orders))
    scores = _logit_scores(model, np.stack(rows), t[owners], batch_size)
    per_image = 2 + 2 * (steps - 1) * len(orders)
    out = {name: [] for name in maps}
    fill_name = fill if isinstance(fill, str) else "array"
    inner = 2 * (steps - 1)
    for i in range(len(x)):
        block = scores[i * per_image:(i + 1) * per_image]
        ends, curves = block[:2], block[2:].reshape(len(orders), inner)
        random_curves = curves[-1]
        for name, mine in zip(maps, curves[:-1]):
            aucs, drawn = _scaled_aucs(ends, mine, random_curves, steps)
            out[name].append(Faithfulness(*aucs, steps=int(steps), fill=fill_name, **drawn))
    return out if isinstance(heatmaps, dict) else out[""]


def _scaled_aucs(ends, mine, random_curves, steps):
    """((deletion, insertion, random deletion, random insertion) AUCs, {the four curves}),
    the logits scaled to [0, 1] by the lowest and highest seen on this map's and the
    random map's curves: one scale for both, so the comparison is fair, and no division
    by a near-zero F(photo) - F(fill). nan AUCs and no curves when the score does not move."""
    full, empty = ends
    low, high = min(ends.min(), mine.min(), random_curves.min()), max(ends.max(), mine.max(), random_curves.max())
    if high - low <= 1e-3:
        return (np.nan,) * 4, {}
    curves = []
    for inner in (mine, random_curves):
        deletion = np.concatenate([[full], inner[:steps - 1], [empty]])
        insertion = np.concatenate([[empty], inner[steps - 1:], [full]])
        curves += [(c - low) / (high - low) for c in (deletion, insertion)]
    aucs = tuple(float(np.trapezoid(c, dx=1.0 / steps)) for c in curves)
    names = ("deletion_curve", "insertion_curve", "random_deletion_curve", "random_insertion_curve")
    return aucs, {name: tuple(float(v) for v in c) for name, c in zip(names, curves)}


def _random_maps(shape, seed):
    n, h, w = shape
    noise = np.random.default_rng(seed).standard_normal(shape)
    return gaussian_filter(noise, sigma=(0, max(h, w) / 16, max(h, w) / 16), mode="wrap").astype(np.float32)


def _logit_scores(model, batch, targets, batch_size):
    """The pre-softmax score of each row's target, batch_size rows per call."""
    call = ModelCall(model, gradient_of=None)
    return np.concatenate([call(batch[s:s + batch_size], targets[s:s + batch_size]).scores
                           for s in range(0, len(batch), batch_size)]).astype(np.float64)
