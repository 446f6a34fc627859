"""The audit's pictures: confusion matrices, fair vs biased accuracy per race,
the grid of per-class mean heatmaps and their face regions."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay  # noqa: E402

from models.audit_summary import RANDOM_MODEL  # noqa: E402
from models.calibration import ECE_BINS  # noqa: E402
from xai.methods import METHOD_TITLES  # noqa: E402
from xai.render import overlay  # noqa: E402


def confusion_png(audit, path: Path) -> Path:
    size = 2.5 + 0.6 * len(audit.labels)
    fig, ax = plt.subplots(figsize=(size, size), dpi=100)
    ConfusionMatrixDisplay(audit.confusion, display_labels=list(audit.labels)).plot(
        ax=ax, xticks_rotation=45, colorbar=False, cmap="Blues")
    ax.set_title(f"{audit.name}: accuracy {audit.accuracy:.1%}")
    return _saved(fig, path)


def fair_vs_biased_png(comparison: dict, path: Path) -> Path:
    races = list(comparison["per_race"])
    fair = [comparison["per_race"][r]["fair"] or 0.0 for r in races]
    biased = [comparison["per_race"][r]["biased"] or 0.0 for r in races]
    x = np.arange(len(races))
    fig, ax = plt.subplots(figsize=(8, 3.8), dpi=100)
    ax.bar(x - 0.2, fair, 0.4, label=f"fair ({comparison['fair_model']})")
    ax.bar(x + 0.2, biased, 0.4, label=f"biased ({comparison['biased_model']})")
    ax.set_xticks(x, races, rotation=30, ha="right")
    ax.set(ylim=(0, 1), ylabel="accuracy on balanced val", title="Race accuracy: balanced vs census-biased training")
    ax.legend()
    return _saved(fig, path)


def heatmap_grid_png(name: str, labels, maps: dict, path: Path) -> Path:
    """Rows: methods; columns: classes; each cell the mean heatmap over the mean face."""
    methods = [m for m in maps if maps[m]]
    fig, axes = plt.subplots(len(methods), len(labels), figsize=(1.6 * len(labels), 1.9 * len(methods)),
                             dpi=100, squeeze=False)
    for row, method in enumerate(methods):
        for col, label in enumerate(labels):
            ax = axes[row][col]
            ax.axis("off")
            if col in maps[method]:
                heat, face, n = maps[method][col]
                ax.imshow(overlay(face, heat, alpha=0.5))
                ax.set_title(f"{label}\n(n={n})", fontsize=8)
            else:
                ax.set_title(f"{label}\n(none correct)", fontsize=8)
        axes[row][0].text(-0.1, 0.5, METHOD_TITLES[method], transform=axes[row][0].transAxes,
                          rotation=90, va="center", ha="right", fontsize=9)
    fig.suptitle(f"{name}: mean heatmap per class (correct, aligned val faces)", fontsize=10)
    return _saved(fig, path)


def regions_png(name: str, labels, regions: dict, path: Path) -> Path:
    """One panel per method: classes x face regions, each cell the class's mean
    share of that region (the row sums to 1), printed in percent."""
    methods = [m for m in regions if regions[m]]
    classes = [c for c in labels if any(c in regions[m] for m in methods)]
    names = list(dict.fromkeys(r for m in methods for shares in regions[m].values() for r in shares))
    size = (0.75 * len(names) * len(methods) + 2.2, 0.42 * len(classes) + 1.9)
    fig, axes = plt.subplots(1, len(methods), figsize=size, dpi=100, squeeze=False)
    for ax, method in zip(axes[0], methods, strict=True):
        grid = np.array([[regions[method].get(c, {}).get(r, np.nan) for r in names] for c in classes])
        ax.imshow(grid, cmap="magma", vmin=0.0, vmax=max(0.5, float(np.nanmax(grid))), aspect="auto")
        for (row, col), value in np.ndenumerate(grid):
            if np.isfinite(value):
                ax.text(col, row, f"{value:.0%}", ha="center", va="center", fontsize=7,
                        color="black" if value > 0.3 else "white")
        ax.set_xticks(range(len(names)), names, rotation=35, ha="right", fontsize=7)
        ax.set_yticks(range(len(classes)), classes, fontsize=7)
        ax.set_title(METHOD_TITLES.get(method, method), fontsize=9)
    fig.suptitle(f"{name}: mean share of each face region per class (area-normalised; rows sum to 100%)",
                 fontsize=9)
    return _saved(fig, path)


def localization_png(localization: dict, path: Path) -> Path:
    """Columns: methods; rows: mass accuracy and pointing game; per class, one bar per
    model and the shuffled-map floor in grey."""
    floor = localization.get(RANDOM_MODEL, {})
    models = [m for m in localization if m != RANDOM_MODEL]
    methods = [m for m in METHOD_TITLES if any(m in localization[name] for name in models)]
    classes = list(dict.fromkeys(c for name in models for per_class in localization[name].values() for c in per_class))
    fig, axes = plt.subplots(2, len(methods), figsize=(max(4.0, 4.2 * len(methods)), 6.4), dpi=100, squeeze=False)
    width = 0.8 / (len(models) + 1)
    x = np.arange(len(classes))
    for col, method in enumerate(methods):
        for row, (key, title) in enumerate((("mass_accuracy", "mass accuracy"), ("pointing_game", "pointing game"))):
            ax = axes[row][col]
            for i, name in enumerate([*models, RANDOM_MODEL]):
                scores = (floor if name == RANDOM_MODEL else localization[name]).get(method, {})
                values = [_score(scores.get(c), key) for c in classes]
                style = {"color": "0.6"} if name == RANDOM_MODEL else {}
                label = "random floor (shuffled maps)" if name == RANDOM_MODEL else name
                ax.bar(x + (i - len(models) / 2) * width, values, width, label=label, **style)
            ax.set_xticks(x, classes, rotation=35, ha="right", fontsize=7)
            ax.set(ylim=(0, 1), title=f"{METHOD_TITLES[method]}: {title}")
    axes[0][0].legend(fontsize=7)
    fig.suptitle("Does the map point at the cue? (share inside the cue's mask; grey: chance)", fontsize=10)
    return _saved(fig, path)


def _score(score, key: str) -> float:
    value = None if score is None else getattr(score, key)
    return 0.0 if value is None else value


def reliability_png(name: str, raw, calibrated, y, calibration, path: Path) -> Path:
    """The reliability diagram of one model on the eval half, before and after temperature
    scaling: per bin of the top label's probability, the share right (bars) against the
    diagonal a calibrated model follows, with each bin's faces."""
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.9), dpi=100, sharey=True)
    edges = np.linspace(0.0, 1.0, ECE_BINS + 1)
    panels = ((raw, "raw softmax", calibration.ece_before),
              (calibrated, f"temperature T = {calibration.temperature:.2f}", calibration.ece_after))
    for ax, (probs, title, ece) in zip(axes, panels):
        probs = np.asarray(probs)
        confidence, right = probs.max(axis=1), probs.argmax(axis=1) == np.asarray(y)
        which = np.clip(np.ceil(confidence * ECE_BINS).astype(int) - 1, 0, ECE_BINS - 1)
        used = np.unique(which)
        counts = np.bincount(which, minlength=ECE_BINS)[used]
        share = np.bincount(which, right, ECE_BINS)[used] / counts
        said = np.bincount(which, confidence, ECE_BINS)[used] / counts
        ax.bar(edges[used], share, width=1.0 / ECE_BINS, align="edge", color="C0", edgecolor="white")
        # The gap to the diagonal: red where the model said more than it got right, orange where less.
        # Hatched, not filled: an underconfident gap lies over the bar, and a fill would muddy its colour.
        ax.bar(edges[used], np.abs(said - share), bottom=np.minimum(said, share), width=1.0 / ECE_BINS,
               align="edge", fill=False, hatch="////", edgecolor=np.where(said > share, "C3", "C1"), linewidth=0)
        for left, n in zip(edges[used], counts):
            ax.text(left + 0.5 / ECE_BINS, 0.02, str(int(n)), ha="center", fontsize=6, rotation=90)
        ax.plot([0, 1], [0, 1], "k--", linewidth=1)
        ece_text = "n/a" if ece is None else f"{ece:.3f}"
        ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="top label's probability", title=f"{title}: ECE {ece_text}")
    axes[0].set_ylabel("share right (red: over-, orange: underconfident)")
    fig.suptitle(f"{name}: reliability on the eval half ({len(np.asarray(y))} faces; numbers: faces per bin)",
                 fontsize=10)
    return _saved(fig, path)


def _saved(fig, path: Path) -> Path:
    """Lay the figure out, write it to `path` and free it (pyplot keeps every open figure)."""
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
