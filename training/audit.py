"""Bias audit numbers for one model on FairFace's balanced val split:
accuracy per class and per race x gender group (fairlearn's MetricFrame),
the worst group and the gap between the best and the worst group."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame
from sklearn.metrics import accuracy_score, confusion_matrix

from training.fairface import FairFaceSplit, crop_fraction
from training.pipeline import make_dataset


@dataclasses.dataclass
class Audit:
    name: str
    attribute: str
    labels: tuple[str, ...]
    y_true: np.ndarray
    y_pred: np.ndarray
    probs: np.ndarray
    accuracy: float
    per_class: dict[str, float]
    by_group: dict[str, float]  # "race / gender" -> accuracy
    group_sizes: dict[str, int]
    worst_group: str
    gap: float  # best group accuracy - worst group accuracy
    confusion: np.ndarray

    def summary(self) -> dict:
        """JSON-able numbers (no per-image arrays)."""
        return {
            "attribute": self.attribute,
            "labels": list(self.labels),
            "accuracy": self.accuracy,
            "per_class_accuracy": self.per_class,
            "race_x_gender_accuracy": self.by_group,
            "race_x_gender_sizes": self.group_sizes,
            "worst_group": self.worst_group,
            "worst_group_accuracy": self.by_group[self.worst_group],
            "best_minus_worst_group": self.gap,
            "confusion_matrix": self.confusion.tolist(),
            "val_images": int(len(self.y_true)),
        }


def val_chips(val: FairFaceSplit, size: int, padding: float = 0.25) -> np.ndarray:
    """All val images as uint8 chips (N, size, size, 3) in the framing of `padding`
    (FairFace's 0.25 by default; a model with less padding sees a tighter crop)."""
    ds = make_dataset(val.paths(), np.zeros(len(val), np.int64), 2, image_size=size, preprocessing="raw",
                      crop=crop_fraction(val.padding, padding), batch_size=256, cache=None)
    return np.concatenate([x.numpy() for x, _ in ds]).astype(np.uint8)


def audit(name: str, attribute: str, labels, probs: np.ndarray, val: FairFaceSplit, y_true=None) -> Audit:
    """`y_true`: the true class ids in `labels` (default: the val CSV's, for FairFace's own labels)."""
    y_true = val.labels(attribute) if y_true is None else np.asarray(y_true)
    y_pred = np.asarray(probs).argmax(1)
    classes = pd.Series(np.asarray(labels)[y_true], name=attribute)
    per_class = MetricFrame(metrics=accuracy_score, y_true=y_true, y_pred=y_pred, sensitive_features=classes)
    groups = val.table["race"].astype(str) + " / " + val.table["gender"].astype(str)
    frame = MetricFrame(metrics=accuracy_score, y_true=y_true, y_pred=y_pred,
                        sensitive_features=groups.rename("race / gender"))
    by_group = {str(k): float(v) for k, v in frame.by_group.items()}
    return Audit(
        name=name, attribute=attribute, labels=tuple(labels), y_true=y_true, y_pred=y_pred, probs=np.asarray(probs),
        accuracy=float(accuracy_score(y_true, y_pred)),
        per_class={str(k): float(v) for k, v in per_class.by_group.items()},
        by_group=by_group,
        group_sizes={str(k): int(v) for k, v in groups.value_counts().items()},
        worst_group=min(by_group, key=by_group.get),
        gap=float(frame.difference(method="between_groups")),
        confusion=confusion_matrix(y_true, y_pred, labels=list(range(len(labels)))),
    )


def fair_vs_biased(fair: Audit, biased: Audit) -> dict:
    """Per-race accuracy of the two race models, and the drop under bias."""
    rows = {}
    for race in fair.labels:
        a, b = fair.per_class.get(race), biased.per_class.get(race)
        rows[race] = {"fair": a, "biased": b, "drop": None if a is None or b is None else a - b}
    return {"fair_model": fair.name, "biased_model": biased.name, "per_race": rows,
            "accuracy": {"fair": fair.accuracy, "biased": biased.accuracy},
            "worst_group": {"fair": fair.worst_group, "biased": biased.worst_group},
            "gap": {"fair": fair.gap, "biased": biased.gap}}
