"""The audit report: one self-contained HTML page beside its PNGs, and
summary.json with the same numbers for the app (schema: models.audit_summary)."""
from __future__ import annotations

import html
from pathlib import Path

from models.audit_summary import LANDMARK_SOURCES, RANDOM_MODEL, AuditSummary, Comparison, ModelEntry
from xai.methods import METHOD_TITLES


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _img(path: str | None, alt: str) -> str:
    return f'<p><img src="{html.escape(path)}" alt="{html.escape(alt)}"></p>' if path else ""


def _model_section(name: str, entry: ModelEntry) -> str:
    audit, card = entry.audit, entry.card
    parts = [f"<h2>{html.escape(name)}</h2>",
             f"<p>Trained on <b>{html.escape(card.get('training_data') or 'unknown data')}</b>"
             f"{' (SYNTHETIC)' if entry.synthetic else ''}. {html.escape(card.get('description', ''))}</p>",
             f"<p>Accuracy {_pct(audit.accuracy)}; worst race x gender group "
             f"<b>{html.escape(audit.worst_group)}</b> at {_pct(audit.worst_group_accuracy)}; "
             f"best minus worst group {_pct(audit.best_minus_worst_group)}.</p>",
             _table(["class", "accuracy"], [[k, _pct(v)] for k, v in audit.per_class_accuracy.items()]),
             _table(["race / gender", "accuracy", "images"],
                    [[k, _pct(v), audit.race_x_gender_sizes.get(k, 0)]
                     for k, v in audit.race_x_gender_accuracy.items()]),
             _img(entry.figures.get("confusion"), f"{name} confusion matrix"),
             _img(entry.figures.get("heatmaps"), f"{name} mean heatmaps per class")]
    return "\n".join(parts)


def region_rows(labels, per_class: dict) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of one method's region table: a row per class, a column per region."""
    names = list(dict.fromkeys(r for shares in per_class.values() for r in shares))
    rows = [[c, *[_pct(per_class[c].get(r)) for r in names]] for c in labels if c in per_class]
    return ["class", *names], rows


def landmark_sentence(counts: dict[str, int]) -> str:
    """Which landmarks drew the regions, in words, with how many chips each."""
    total = sum(counts.values())
    return "; ".join(f"{n} of {total} images: {LANDMARK_SOURCES.get(source, source)}" for source, n in counts.items())


def _regions_section(name: str, entry: ModelEntry, summary: AuditSummary) -> str:
    regions = summary.regions.get(name)
    if not regions:
        return ""
    parts = [f"<h3>{html.escape(name)}: where on the face</h3>",
             "<p>Each map's mass per face region, normalised by the region's area (so a large region does not "
             "win by its size), averaged over the maps of the mean heatmaps above; each row sums to 100%. "
             f"Landmarks: {html.escape(landmark_sentence(summary.region_landmarks.get(name, {})))}.</p>"]
    for method, per_class in regions.items():
        parts += [f"<p><b>{html.escape(METHOD_TITLES.get(method, method))}</b></p>",
                  _table(*region_rows(entry.audit.labels, per_class))]
    parts.append(_img(entry.figures.get("regions"), f"{name} mean region shares per class"))
    return "\n".join(parts)


def _comparison_section(comparison: Comparison, figure: str | None) -> str:
    rows = [[race, _pct(r.fair), _pct(r.biased), _pct(r.drop)] for race, r in comparison.per_race.items()]
    return "\n".join([
        "<h2>Fair vs census-biased race model</h2>",
        "<p>Both are evaluated on FairFace's balanced val split, so the under-represented races show "
        "what the biased training cost.</p>",
        _table(["race", "fair", "biased", "drop"], rows),
        _img(figure, "fair vs biased accuracy per race"),
    ])


def localization_rows(summary: AuditSummary) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the localization table: one row per model and method, one
    column per class, each cell "mass accuracy / pointing game"; the floor last."""
    classes = list(dict.fromkeys(c for methods in summary.localization.values()
                                 for per_class in methods.values() for c in per_class))
    models = [m for m in summary.localization if m != RANDOM_MODEL]
    if RANDOM_MODEL in summary.localization:
        models.append(RANDOM_MODEL)
    rows = []
    for model in models:
        for method, per_class in summary.localization[model].items():
            cells = [localization_cell(per_class.get(c)) for c in classes]
            shown = "random floor (shuffled maps)" if model == RANDOM_MODEL else model
            rows.append([shown, METHOD_TITLES.get(method, method), *cells])
    return ["model", "method", *classes], rows


def localization_cell(score) -> str:
    """"mass accuracy / pointing game", and how many maps were blank (no positive value)."""
    if score is None:
        return ""
    blank = f" ({score.empty_maps}/{score.images} blank)" if score.empty_maps else ""
    return f"{_pct(score.mass_accuracy)} / {_pct(score.pointing_game)}{blank}"


def randomization_rows(summary: AuditSummary) -> tuple[list[str], list[list[str]]]:
    methods = list(dict.fromkeys(m for checks in summary.randomization.values() for m in checks))
    rows = [[model, *[_rho(checks.get(m)) for m in methods]] for model, checks in summary.randomization.items()]
    return ["model", *[METHOD_TITLES.get(m, m) for m in methods]], rows


def _rho(check) -> str:
    if check is None or check.rank_correlation is None:
        return "n/a"
    return f"{check.rank_correlation:.2f} (n={check.images})"


def _ground_truth_section(summary: AuditSummary) -> str:
    parts = []
    if summary.localization:
        cues = ", ".join(f"{m}: {cue}" for m, cue in summary.localization_cue.items())
        parts += ["<h2>Do the heatmaps point at the cue?</h2>",
                  "<p>The generator knows where it drew each cue, so each map is scored against that mask "
                  f"({html.escape(cues)}): relevance mass accuracy (share of the map's positive mass inside "
                  "the mask) / pointing game (share of maps whose peak lies inside). Each map explains the "
                  "image's true class. The floor is the same maps with their pixels shuffled.</p>",
                  _table(*localization_rows(summary)),
                  _img(summary.figures.get("localization"), "localization per model, method and class")]
    if summary.randomization:
        parts += ["<h2>Model-randomisation sanity check</h2>",
                  "<p>Mean Spearman rank correlation between each map from the trained model and from a copy "
                  "whose top layer is re-initialised (Adebayo et al., 2018). Near 1: the map does not depend "
                  "on what the model learned, so it cannot explain it; low values pass the check.</p>",
                  _table(*randomization_rows(summary))]
    return "\n".join(parts)


def write_report(out: Path, summary: AuditSummary | dict) -> Path:
    """Write report.html and summary.json into `out`; return the HTML path."""
    out = Path(out)
    summary = AuditSummary.coerce(summary)
    summary.save(out)
    warning = ("<p class=warn>SYNTHETIC: these models were trained and evaluated on generated data. "
               "The numbers show that the pipeline works, not how models behave on real faces.</p>"
               if summary.synthetic else "")
    sections = [_model_section(name, entry) + _regions_section(name, entry, summary)
                for name, entry in summary.models.items()]
    sections.insert(0, _ground_truth_section(summary))
    if summary.comparison:
        sections.insert(0, _comparison_section(summary.comparison, summary.figures.get("fair_vs_biased")))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bias audit</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:auto}} table{{border-collapse:collapse;margin:8px 0}}
td,th{{border:1px solid #ccc;padding:2px 8px}} img{{max-width:100%}} .warn{{background:#fee;padding:8px}}</style>
</head><body>
<h1>Bias audit</h1>
{warning}
<p>Data: {html.escape(summary.data)} (val split, {summary.val_images} images).</p>
{''.join(sections)}
</body></html>
"""
    path = out / "report.html"
    path.write_text(page)
    return path
