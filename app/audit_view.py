"""The Audit tab: show the report `python -m training.evaluate` wrote, or say how
to make one.

The report is read from disk (summary.json and its PNG figures); nothing
here runs a model, so the tab opens instantly.
"""
from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
from PIL import Image

SUMMARY = "summary.json"  # written by training.report.write_report beside report.html

HOW_TO = """\
No audit report found in `{where}`.

An audit measures each model on a labelled test set: accuracy for every race,
gender and age group, confusion matrices, and each group's mean heatmap (faces
are aligned, so the maps can be averaged). To make one:

```bash
# With real FairFace (the two label CSVs plus train/ and val/):
python -m training.train --task all --data fairface/ --out models/mine
python -m training.evaluate --data fairface/ --models models/mine --out models/mine/audit

# Without it: the same pipeline on a generated, SYNTHETIC set in FairFace's format
python -m training.synthetic --out data/fake --n 1400 --size 64
python -m training.train --task all --data data/fake --out models/mine --backbone small_cnn \
    --input-size 64 --batch-size 32 --lr 0.004 --epochs 10
python -m training.evaluate --data data/fake --models models/mine --out models/mine/audit

python app.py --models models/mine
```

A synthetic data set only shows the machinery; its numbers say nothing about
real faces.
"""


def report_dirs(models_dir: Path | None) -> list[Path]:
    """Folders holding a report, among the places the app was pointed at.

    Only these are offered: letting a visitor type a path would let them read
    files from the server.
    """
    candidates = []
    if models_dir:
        candidates += [models_dir / "audit", models_dir, *sorted(p for p in models_dir.glob("*") if p.is_dir())]
    candidates += [Path("out/audit"), Path("audit")]
    found = [folder for folder in dict.fromkeys(candidates) if find_report(folder) is not None]
    return found


def find_report(folder: Path) -> Path | None:
    """training.evaluate's summary.json in `folder`, if any."""
    path = folder / SUMMARY
    return path if path.is_file() else None


def read_report(folder: str | Path | None) -> tuple[str, list]:
    """(Markdown text, [(figure, caption)]) of the audit in `folder`."""
    report = find_report(Path(folder)) if folder else None
    if report is None:
        return HOW_TO.format(where=folder or "the --models folder"), []
    try:
        summary = json.loads(report.read_text(encoding="utf-8"))
        return summary_markdown(summary), _figures(Path(folder), summary)
    except (ValueError, KeyError, TypeError, OSError) as err:
        return f"The audit in `{folder}` could not be read ({type(err).__name__}: {err}).", []


def summary_markdown(summary: dict) -> str:
    parts = ["## Bias audit"]
    if summary.get("synthetic"):
        parts.append("> **Synthetic**: these models were trained and evaluated on generated data. "
                     "The numbers show that the pipeline works, not how models behave on real faces.")
    parts.append(f"Test faces: {summary['val_images']} from the balanced val split of `{summary['data']}`.")
    if summary.get("comparison"):
        parts.append(_comparison(summary["comparison"]))
    parts += [_model(name, entry) for name, entry in summary["models"].items()]
    return "\n\n".join(parts)


def _comparison(comparison: dict) -> str:
    rows = [f"| {race} | {_pct(r['fair'])} | {_pct(r['biased'])} | {_pct(r['drop'])} |"
            for race, r in comparison["per_race"].items()]
    return "\n".join(["### Fair vs census-biased race model, per race",
                      "| race | fair | biased | drop |", "|---|---|---|---|", *rows])


def _model(name: str, entry: dict) -> str:
    audit, card = entry["audit"], entry["card"]
    synthetic = " (synthetic)" if card.get("synthetic") else ""
    lines = [f"### {name}",
             f"Trained on **{card.get('training_data') or 'unknown data'}**{synthetic}. "
             f"Accuracy {_pct(audit['accuracy'])}; worst race × gender group **{audit['worst_group']}** "
             f"at {_pct(audit['worst_group_accuracy'])} (best minus worst: {_pct(audit['best_minus_worst_group'])}).",
             "", "| class | accuracy |", "|---|---|"]
    lines += [f"| {label} | {_pct(value)} |" for label, value in audit["per_class_accuracy"].items()]
    return "\n".join(lines)


def _figures(folder: Path, summary: dict) -> list:
    named = [(summary.get("figures", {}).get("fair_vs_biased"), "fair vs biased accuracy per race")]
    for name, entry in summary["models"].items():
        figures = entry.get("figures", {})
        named += [(figures.get("confusion"), f"{name}: confusion matrix"),
                  (figures.get("heatmaps"), f"{name}: mean heatmaps per class")]
    # Opened here so Gradio serves copies from its cache, never paths on the server;
    # only file names inside the report folder are followed.
    return [(Image.open(folder / Path(file).name).convert("RGB"), caption)
            for file, caption in named if file and (folder / Path(file).name).is_file()]


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def build_audit_tab(backend) -> None:
    models_dir = getattr(backend, "models_dir", None)
    folders = [str(p) for p in report_dirs(models_dir)]
    gr.Markdown("How accurate is each model for each group? The fair and the census-biased race "
                "models, measured on the same test faces.")
    with gr.Row():
        folder = gr.Dropdown(folders, value=folders[0] if folders else None, label="Audit report", scale=4)
        refresh = gr.Button("Look again", scale=1)
    text, figures = read_report(folders[0] if folders else None)
    report = gr.Markdown(text)
    gallery = gr.Gallery(figures, label="Confusion matrices and mean heatmaps per group", columns=2,
                         object_fit="contain", height="auto")
    folder.input(read_report, folder, [report, gallery], api_visibility="private", queue=False)

    def rescan():
        found = [str(p) for p in report_dirs(models_dir)]
        chosen = found[0] if found else None
        return (gr.update(choices=found, value=chosen), *read_report(chosen))

    refresh.click(rescan, None, [folder, report, gallery], api_visibility="private", queue=False)
