"""The paper's open problem: one mean heatmap per class.

The study could not average heatmaps because its faces sat in different places.
FairFace's images are already aligned chips (dlib-style, fixed landmarks), and
we crop the 1.25 release to the 0.25 framing, so pixel (i, j) is the same part
of the face in every chip and a pixelwise mean is meaningful. We average over
correctly classified val faces, explaining the true class.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from models.preprocessing import get_preprocess
from training.ground_truth import explainer_factory
from xai.aggregate import mean_heatmap
from xai.defaults import IG_STEPS
from xai.methods import METHOD_NAMES

# The figure's rows; Guided Grad-CAM's fine detail blurs when averaged.
MEAN_HEATMAP_METHODS = tuple(m for m in METHOD_NAMES if m in ("gradcam", "ig"))


class ClassMaps(NamedTuple):
    """One method's maps of one class: (n, H, W) in [0, 1], the mean face, the chips' indices."""

    maps: np.ndarray
    face: np.ndarray
    indices: np.ndarray


def correct_indices(y_true: np.ndarray, y_pred: np.ndarray, per_class: int, num_classes: int, seed: int = 0):
    """{class id: up to per_class indices of correctly classified images}, seeded."""
    rng = np.random.default_rng(seed)
    out = {}
    for c in range(num_classes):
        hits = np.flatnonzero((y_true == c) & (y_pred == c))
        out[c] = np.sort(rng.choice(hits, size=min(per_class, len(hits)), replace=False)) if len(hits) else hits
    return out


def class_heatmaps(keras_model, preprocessing: str, chips: np.ndarray, chosen: dict, ig_steps: int = IG_STEPS):
    """{method: {class id: ClassMaps}}: each chosen image's map of its (true) class,
    and the class's mean face; classes with no chosen faces are left out."""
    preprocess = get_preprocess(preprocessing)
    explainers = {m: explainer_factory(m, preprocessing, ig_steps)(keras_model) for m in MEAN_HEATMAP_METHODS}
    out = {m: {} for m in MEAN_HEATMAP_METHODS}
    for c, idx in chosen.items():
        if not len(idx):
            continue
        pixels = chips[idx]
        x = preprocess(pixels.astype(np.float32))
        face = pixels.astype(np.float32).mean(0).round().astype(np.uint8)
        for method, explainer in explainers.items():
            maps = explainer.explain(x, targets=np.full(len(idx), c)).heatmap
            out[method][c] = ClassMaps(np.asarray(maps), face, np.asarray(idx))
    return out


def mean_per_class(maps: dict) -> dict:
    """class_heatmaps' maps as {method: {class id: (mean heatmap (H, W), mean face uint8 (H, W, 3), n)}}."""
    return {method: {c: (mean_heatmap(m.maps), m.face, len(m.indices)) for c, m in per_class.items()}
            for method, per_class in maps.items()}


def class_mean_heatmaps(keras_model, preprocessing: str, chips: np.ndarray, chosen: dict, ig_steps: int = IG_STEPS):
    """{method: {class id: (mean heatmap (H, W), mean face uint8 (H, W, 3), n)}}; classes
    with no correct faces are left out."""
    return mean_per_class(class_heatmaps(keras_model, preprocessing, chips, chosen, ig_steps))
