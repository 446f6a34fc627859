"""Heatmaps against the truth: where generated images drew each cue, how much of
each method's map falls there (xai.localization), against a shuffled-map floor;
and whether the maps depend on what the model learned at all (Adebayo et al.'s
model-randomisation check, xai.metrics).

Only data with cue masks (training.synthetic's masks/<split>.npz) can be scored
for localization; real FairFace has none, and then that part is left out.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import ConstantInputWarning

from models.audit_summary import LocalizationScore, RandomizationCheck
from models.preprocessing import get_preprocess
from xai import GradCAM, GuidedGradCAM, IntegratedGradients
from xai.defaults import IG_BASELINE, IG_STEPS
from xai.localization import mass_accuracy, pointing_game, random_floor
from xai.methods import METHOD_NAMES
from xai.metrics import randomization_rank_correlation


def explainer_factory(method: str, preprocessing: str, ig_steps: int = IG_STEPS):
    """A function model -> explainer of `method` (the shape randomization_rank_correlation takes)."""
    if method == "gradcam":
        return GradCAM
    if method == "guided":
        return GuidedGradCAM
    if method == "ig":
        preprocess = get_preprocess(preprocessing)
        return lambda model: IntegratedGradients(model, steps=ig_steps, baseline=IG_BASELINE, preprocess=preprocess)
    raise ValueError(f"unknown method {method!r}; known: {METHOD_NAMES}")


def sample_per_class(y_true: np.ndarray, per_class: int, num_classes: int, seed: int = 0) -> dict[int, np.ndarray]:
    """{class id: up to per_class indices of images of that true class}, seeded."""
    rng = np.random.default_rng(seed)
    out = {}
    for c in range(num_classes):
        rows = np.flatnonzero(y_true == c)
        out[c] = np.sort(rng.choice(rows, size=min(per_class, len(rows)), replace=False)) if len(rows) else rows
    return out


def fit_masks(masks: np.ndarray, size: int, crop: float = 1.0) -> np.ndarray:
    """Masks (N, S, S) drawn on the stored images, brought to the model's chips:
    the same central crop and a nearest-neighbour resize to (N, size, size)."""
    side = masks.shape[1]
    kept = side * crop
    start = (side - kept) / 2
    index = np.clip(np.floor(start + (np.arange(size) + 0.5) * kept / size).astype(int), 0, side - 1)
    return masks[:, index][:, :, index]


def localization_scores(keras_model, preprocessing: str, chips: np.ndarray, masks: np.ndarray, chosen: dict,
                        labels, methods=METHOD_NAMES, ig_steps: int = IG_STEPS, seed: int = 0):
    """({method: {class: score}} of the model, {method: {class: score}} of the shuffled floor).

    Each chosen image's map explains its true class, whatever the model predicted:
    a model that never learned a group's cue shows it here too.
    """
    preprocess = get_preprocess(preprocessing)
    model_scores, floor = {}, {}
    for method in methods:
        explainer = explainer_factory(method, preprocessing, ig_steps)(keras_model)
        model_scores[method], floor[method] = {}, {}
        for c, idx in chosen.items():
            if not len(idx):
                continue
            maps = explainer.explain(preprocess(chips[idx].astype(np.float32)), targets=np.full(len(idx), c)).heatmap
            truth = masks[idx]
            model_scores[method][labels[c]] = _mean_score(mass_accuracy(maps, truth), pointing_game(maps, truth))
            floor[method][labels[c]] = _mean_score(*random_floor(maps, truth, seed=seed + c))
    return model_scores, floor


def _mean_score(mass: np.ndarray, points: np.ndarray) -> LocalizationScore:
    def mean(values):
        finite = values[np.isfinite(values)]
        return float(finite.mean()) if finite.size else None

    return LocalizationScore(mass_accuracy=mean(mass), pointing_game=mean(points), images=int(len(mass)),
                             empty_maps=int(np.isnan(mass).sum()))


def randomization_checks(keras_model, preprocessing: str, chips: np.ndarray, targets: np.ndarray,
                         methods=METHOD_NAMES, ig_steps: int = IG_STEPS, top_layers: int = 1,
                         seed: int = 0) -> dict[str, RandomizationCheck]:
    """{method: RandomizationCheck} on these chips, explaining `targets`."""
    x = get_preprocess(preprocessing)(chips.astype(np.float32))
    out = {}
    for method in methods:
        with warnings.catch_warnings():  # a constant map has no ranking: nan, reported as such
            warnings.simplefilter("ignore", ConstantInputWarning)
            rho = randomization_rank_correlation(keras_model, explainer_factory(method, preprocessing, ig_steps), x,
                                                 np.asarray(targets), top_layers=top_layers, seed=seed)
        finite = rho[np.isfinite(rho)]
        out[method] = RandomizationCheck(rank_correlation=float(finite.mean()) if finite.size else None,
                                         rank_correlations=[None if np.isnan(r) else float(r) for r in rho],
                                         top_layers=top_layers, images=int(len(rho)))
    return out
