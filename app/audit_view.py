"""The Audit tab: show the report `python -m training.evaluate` wrote, or say how
to make one.

The report is read from disk as files (Markdown, JSON, PNG figures); nothing
here runs a model, so the tab opens instantly.
"""
from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
from PIL import Image

REPORT_MARKDOWN = ("report.md", "audit.md", "README.md")
REPORT_JSON = ("report.json", "audit.json", "metrics.json")
FIGURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")

HOW_TO = """\
No audit report found in `{where}`.

An audit measures each model on a labelled test set: accuracy for every race,
gender and age group, confusion matrices, and each group's mean heatmap (faces
are aligned, so the maps can be averaged). To make one:

```bash
python -m training.synthetic --out data/fake --n 700      # or a real FairFace folder
python -m training.train --task race --data data/fake --out models/mine
python -m training.train --task race --biased --data data/fake --out models/mine
python -m training.evaluate --data data/fake --models models/mine --out models/mine/audit
python app.py --models models/mine
```

A synthetic data set only shows the machinery; its numbers say nothing about
real faces.
"""


class AuditNotFoundError(ValueError):
    """The folder holds no report."""


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
    """The report's Markdown or JSON file in `folder`, if any."""
    for name in REPORT_MARKDOWN + REPORT_JSON:
        if (folder / name).is_file():
            return folder / name
    return None


def read_report(folder: str | Path | None) -> tuple[str, list]:
    """(Markdown text, [(figure, caption)]) of the report in `folder`."""
    report = find_report(Path(folder)) if folder else None
    if report is None:
        return HOW_TO.format(where=folder or "the --models folder"), []
    text = report.read_text(encoding="utf-8", errors="replace")
    if report.suffix == ".json":
        text = _json_summary(json.loads(text))
    figures = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in FIGURE_SUFFIXES)
    # Opened here so Gradio serves copies from its cache, not paths outside it.
    return text, [(Image.open(p).convert("RGB"), p.stem.replace("_", " ")) for p in figures]


def _json_summary(data) -> str:
    return "```json\n" + json.dumps(data, indent=2, ensure_ascii=False)[:20000] + "\n```"


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
    gallery = gr.Gallery(figures, label="Confusion matrices and mean heatmaps per group", columns=3)
    folder.input(read_report, folder, [report, gallery], api_visibility="private", queue=False)

    def rescan():
        found = [str(p) for p in report_dirs(models_dir)]
        chosen = found[0] if found else None
        return (gr.update(choices=found, value=chosen), *read_report(chosen))

    refresh.click(rescan, None, [folder, report, gallery], api_visibility="private", queue=False)
