"""Accuracy and loss curves (as in the paper's appendix) from the CSV log."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def plot_curves(csv_log: str | Path, out_prefix: str | Path, title: str) -> list[Path]:
    """Write <out_prefix>_accuracy.png and <out_prefix>_loss.png; return their paths."""
    log = pd.read_csv(csv_log)
    paths = []
    for metric in ("accuracy", "loss"):
        fig, ax = plt.subplots(figsize=(5, 3.5), dpi=100)
        ax.plot(log["epoch"] + 1, log[metric], label="train")
        ax.plot(log["epoch"] + 1, log[f"val_{metric}"], label="validation")
        ax.set(xlabel="epoch", ylabel=metric, title=f"{title}: {metric}")
        ax.legend()
        fig.tight_layout()
        path = Path(f"{out_prefix}_{metric}.png")
        fig.savefig(path)
        plt.close(fig)
        paths.append(path)
    return paths
