"""Audit every FairFace model in a folder on FairFace's balanced val split.

    python -m training.evaluate --data DIR --models DIR [--out DIR]

Per model: accuracy per class and per race x gender group (fairlearn), worst
group and best-worst gap, a confusion matrix, and the mean Grad-CAM and IG
heatmap per class over correctly classified, aligned val faces. The fair and
the census-biased race model side by side. Writes report.html + PNGs and
summary.json (the same numbers, for the app) into --out.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from models.labels import FAIRFACE
from models.registry import load_registry
from training.audit import audit, fair_vs_biased, val_chips
from training.class_heatmaps import class_mean_heatmaps, correct_indices
from training.fairface import read_split
from training.figures import confusion_png, fair_vs_biased_png, heatmap_grid_png
from training.report import write_report


class NoModelsError(ValueError):
    pass


def fairface_models(models_dir):
    """The models in the folder that answer in FairFace's own label space."""
    registry = load_registry(models_dir, include_cache=False)
    chosen = [m for m in registry.models if tuple(m.card.labels) == FAIRFACE[m.attribute]]
    if not chosen:
        raise NoModelsError(f"no models with FairFace labels in {models_dir} (problems: {registry.problems})")
    return chosen


def evaluate(data, models_dir, out, per_class: int = 16, ig_steps: int = 32, heatmaps: bool = True) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    val = read_split(data, "val")
    summary = {"data": str(data), "synthetic": val.synthetic, "val_images": len(val), "models": {}, "figures": {}}
    audits, chips_by_size = {}, {}
    for model in fairface_models(models_dir):
        size = model.card.input.size
        chips = chips_by_size.setdefault(size, val_chips(val, size))
        result = audit(model.name, model.attribute, model.card.labels, model.predict(chips), val)
        audits[model.name] = (model, result)
        figures = {"confusion": confusion_png(result, out / f"{model.name}_confusion.png").name}
        if heatmaps:
            chosen = correct_indices(result.y_true, result.y_pred, per_class, len(result.labels))
            maps = class_mean_heatmaps(model.keras_model, model.card.input.preprocessing, chips, chosen, ig_steps)
            figures["heatmaps"] = heatmap_grid_png(model.name, result.labels, maps, out / f"{model.name}_heatmaps.png").name
        summary["models"][model.name] = {"card": model.card.to_dict(), "audit": result.summary(), "figures": figures}
    summary["synthetic"] = summary["synthetic"] or any(m.card.synthetic for m, _ in audits.values())
    _compare(audits, summary, out)
    write_report(out, summary)
    return summary


def _compare(audits: dict, summary: dict, out: Path) -> None:
    race = [(m, a) for m, a in audits.values() if m.attribute == "race"]
    biased = [a for m, a in race if m.card.extra.get("biased")]
    fair = [a for m, a in race if not m.card.extra.get("biased")]
    if biased and fair:
        summary["comparison"] = fair_vs_biased(fair[0], biased[0])
        summary["figures"]["fair_vs_biased"] = fair_vs_biased_png(summary["comparison"], out / "fair_vs_biased.png").name


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(prog="python -m training.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="FairFace folder (its val split is used)")
    p.add_argument("--models", required=True, help="folder of <name>.keras + <name>.json models")
    p.add_argument("--out", default="audit", help="report folder (default: ./audit)")
    p.add_argument("--per-class", type=int, default=16, help="faces averaged per class for the heatmaps")
    p.add_argument("--ig-steps", type=int, default=32)
    p.add_argument("--no-heatmaps", action="store_true")
    args = p.parse_args(argv)
    try:
        summary = evaluate(args.data, args.models, args.out, args.per_class, args.ig_steps, not args.no_heatmaps)
    except ValueError as err:  # FairFaceError, NoModelsError, ...: a message, not a traceback
        p.exit(2, f"error: {err}\n")
    for name, entry in summary["models"].items():
        a = entry["audit"]
        print(f"{name}: accuracy {a['accuracy']:.3f}, worst group {a['worst_group']} {a['worst_group_accuracy']:.3f}")
    print(f"report: {Path(args.out) / 'report.html'}")
    return summary


if __name__ == "__main__":
    main()
