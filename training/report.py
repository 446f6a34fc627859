"""The audit report: one self-contained HTML page beside its PNGs, and
summary.json with the same numbers for the app."""
from __future__ import annotations

import html
import json
from pathlib import Path


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _img(path: str | None, alt: str) -> str:
    return f'<p><img src="{html.escape(path)}" alt="{html.escape(alt)}"></p>' if path else ""


def _model_section(name: str, entry: dict) -> str:
    audit = entry["audit"]
    card = entry["card"]
    parts = [f"<h2>{html.escape(name)}</h2>",
             f"<p>Trained on <b>{html.escape(card['training_data'] or 'unknown data')}</b>"
             f"{' (SYNTHETIC)' if card['synthetic'] else ''}. {html.escape(card['description'])}</p>",
             f"<p>Accuracy {_pct(audit['accuracy'])}; worst race x gender group "
             f"<b>{html.escape(audit['worst_group'])}</b> at {_pct(audit['worst_group_accuracy'])}; "
             f"best minus worst group {_pct(audit['best_minus_worst_group'])}.</p>",
             _table(["class", "accuracy"], [[k, _pct(v)] for k, v in audit["per_class_accuracy"].items()]),
             _table(["race / gender", "accuracy", "images"],
                    [[k, _pct(v), audit["race_x_gender_sizes"].get(k, 0)] for k, v in audit["race_x_gender_accuracy"].items()]),
             _img(entry["figures"].get("confusion"), f"{name} confusion matrix"),
             _img(entry["figures"].get("heatmaps"), f"{name} mean heatmaps per class")]
    return "\n".join(parts)


def _comparison_section(comparison: dict, figure: str | None) -> str:
    rows = [[race, _pct(r["fair"]), _pct(r["biased"]), _pct(r["drop"])] for race, r in comparison["per_race"].items()]
    return "\n".join([
        "<h2>Fair vs census-biased race model</h2>",
        "<p>Both are evaluated on FairFace's balanced val split, so the under-represented races show "
        "what the biased training cost.</p>",
        _table(["race", "fair", "biased", "drop"], rows),
        _img(figure, "fair vs biased accuracy per race"),
    ])


def write_report(out: Path, summary: dict) -> Path:
    """Write report.html and summary.json into `out`; return the HTML path."""
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    warning = ("<p class=warn>SYNTHETIC: these models were trained and evaluated on generated data. "
               "The numbers show that the pipeline works, not how models behave on real faces.</p>"
               if summary["synthetic"] else "")
    sections = [_model_section(name, entry) for name, entry in summary["models"].items()]
    if summary.get("comparison"):
        sections.insert(0, _comparison_section(summary["comparison"], summary["figures"].get("fair_vs_biased")))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bias audit</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:auto}} table{{border-collapse:collapse;margin:8px 0}}
td,th{{border:1px solid #ccc;padding:2px 8px}} img{{max-width:100%}} .warn{{background:#fee;padding:8px}}</style>
</head><body>
<h1>Bias audit</h1>
{warning}
<p>Data: {html.escape(summary['data'])} (val split, {summary['val_images']} images).</p>
{''.join(sections)}
</body></html>
"""
    path = out / "report.html"
    path.write_text(page)
    return path
