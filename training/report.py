"""The audit report: one self-contained HTML page beside its PNGs, and
summary.json with the same numbers for the app (schema: models.audit_summary)."""
from __future__ import annotations

import html
from pathlib import Path

from models.audit_summary import (
    CALIBRATION_NOTE,
    CONFORMAL_NOTE,
    INTERVALS_NOTE,
    LANDMARK_SOURCES,
    RANDOM_MODEL,
    AuditSummary,
    Comparison,
    ModelEntry,
    gap_text,
    interval_text,
)
from models.skin_tone import SKIN_TONE_NOTE
from xai.methods import METHOD_TITLES


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _table(header: list[str], rows: list[list[str]], greyed: list[bool] | None = None) -> str:
    """An HTML table; rows marked in `greyed` are drawn grey (too few faces to lean on)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    marks = greyed or [False] * len(rows)
    body = "".join(("<tr class=small>" if grey else "<tr>") + "".join(f"<td>{html.escape(str(c))}</td>" for c in row)
                   + "</tr>" for row, grey in zip(rows, marks))
    return f"<table><tr>{head}</tr>{body}</table>"


def _img(path: str | None, alt: str) -> str:
    return f'<p><img src="{html.escape(path)}" alt="{html.escape(alt)}"></p>' if path else ""


def _model_section(name: str, entry: ModelEntry) -> str:
    audit, card = entry.audit, entry.card
    parts = [f"<h2>{html.escape(name)}</h2>",
             f"<p>Trained on <b>{html.escape(card.get('training_data') or 'unknown data')}</b>"
             f"{' (SYNTHETIC)' if entry.synthetic else ''}. {html.escape(card.get('description', ''))}</p>",
             f"<p>{html.escape(accuracy_sentence(audit))}</p>",
             _table(*class_rows(audit)) if audit.intervals else
             _table(["class", "accuracy"], [[k, _pct(v)] for k, v in audit.per_class_accuracy.items()]),
             *_intervals_parts(audit),
             _img(entry.figures.get("confusion"), f"{name} confusion matrix"),
             *_confidence_parts(name, entry),
             _img(entry.figures.get("heatmaps"), f"{name} mean heatmaps per class")]
    return "\n".join(parts)


def accuracy_sentence(audit) -> str:
    """Overall accuracy; with intervals its n and interval (the worst group is named apart,
    among cells large enough), else the worst of all race x gender groups as before."""
    if audit.intervals is None or audit.intervals.overall is None:
        return (f"Accuracy {_pct(audit.accuracy)}; worst race x gender group {audit.worst_group} at "
                f"{_pct(audit.worst_group_accuracy)}; best minus worst group {_pct(audit.best_minus_worst_group)}.")
    return f"Accuracy {interval_text(audit.intervals.overall)} over {audit.intervals.overall.n} faces."


def class_rows(audit) -> tuple[list[str], list[list[str]]]:
    """(header, rows) per class: accuracy with n and interval, then, where measured, ECE
    before and after and the prediction sets' coverage and mean size (eval half)."""
    header = ["class", "accuracy [95% interval]", "n"]
    calibration, conformal = audit.calibration, audit.conformal
    if calibration and conformal:
        header += ["ECE before", "ECE after", "eval n", "set coverage", "mean set size"]
    rows = []
    for label in audit.labels:
        share = audit.intervals.per_class.get(label)
        row = [label, interval_text(share), share.n if share else 0]
        if calibration and conformal:
            ece, sets = calibration.per_class.get(label), conformal.per_class.get(label)
            row += [_num(ece and ece.ece_before), _num(ece and ece.ece_after), ece.n if ece else 0,
                    _pct(sets and sets.coverage), _num(sets and sets.mean_set_size, 2)]
        rows.append(row)
    return header, rows


def group_rows(table: dict, min_cell: int) -> tuple[list[str], list[list[str]], list[bool]]:
    """(header, rows, greyed) of a group table: greyed where a cell has fewer than min_cell faces."""
    rows = [[group, interval_text(share), share.n] for group, share in table.items()]
    return ["group", "accuracy [95% interval]", "images"], rows, [share.n < min_cell for share in table.values()]


def worst_group_sentence(audit) -> str:
    """The worst race x gender group among cells large enough, and the gap with its interval."""
    intervals = audit.intervals
    if intervals.worst_group is None:
        return (f"No two race x gender groups have {intervals.min_cell} faces or more, so no worst group is "
                "named (every smaller cell is greyed out).")
    return (f"Among race x gender groups of {intervals.min_cell} faces or more: worst {intervals.worst_group} "
            f"{interval_text(intervals.race_x_gender[intervals.worst_group])}, best {intervals.best_group}; "
            f"best minus worst {gap_text(intervals.gap)}.")


def _intervals_parts(audit) -> list[str]:
    if audit.intervals is None:
        return [_table(["race / gender", "accuracy", "images"],
                       [[k, _pct(v), audit.race_x_gender_sizes.get(k, 0)]
                        for k, v in audit.race_x_gender_accuracy.items()])]
    intervals = audit.intervals
    parts = [f"<p>{html.escape(INTERVALS_NOTE.format(min_cell=intervals.min_cell))}</p>",
             f"<p>{html.escape(worst_group_sentence(audit))}</p>",
             _table(*group_rows(intervals.race_x_gender, intervals.min_cell)),
             "<details><summary>race x gender x age</summary>",
             _table(*group_rows(intervals.race_x_gender_x_age, intervals.min_cell)), "</details>"]
    if audit.skin_tone:
        parts += ["<p><b>Skin tone measured from the pixels.</b> " + html.escape(SKIN_TONE_NOTE) + "</p>",
                  _table(*group_rows(audit.skin_tone, intervals.min_cell))]
    return parts


def calibration_sentence(entry: ModelEntry) -> str:
    calibration, conformal = entry.audit.calibration, entry.audit.conformal
    return (f"Temperature T = {calibration.temperature:.2f}, fitted on {calibration.fit_images} faces; on the other "
            f"{calibration.eval_images}: ECE {_num(calibration.ece_before)} before, {_num(calibration.ece_after)} "
            f"after. Prediction sets at alpha = {conformal.alpha:g}: coverage {_pct(conformal.coverage)}, mean "
            f"size {_num(conformal.mean_set_size, 2)} labels.")


def when_said_rows(entry: ModelEntry) -> tuple[list[str], list[list[str]]]:
    """When the model said X, how often it was right: r of n, with the interval."""
    rows = [[label, f"{share.count} of {share.n}" if share.n else "never said",
             interval_text(share)] for label, share in entry.audit.calibration.when_said.items()]
    return ["when it said", "it was right", "share [95% interval]"], rows


def _confidence_parts(name: str, entry: ModelEntry) -> list[str]:
    if entry.audit.calibration is None or entry.audit.conformal is None:
        return []
    return [f"<h3>{html.escape(name)}: confidence you can check</h3>",
            f"<p>{html.escape(CALIBRATION_NOTE)}</p>", f"<p>{html.escape(CONFORMAL_NOTE)}</p>",
            f"<p><b>{html.escape(calibration_sentence(entry))}</b></p>",
            _table(*when_said_rows(entry)),
            _img(entry.figures.get("reliability"), f"{name} reliability diagram")]


def _num(value, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


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


def _comparison_section(comparison: Comparison, figure: str | None, summary: AuditSummary | None = None) -> str:
    parts = ["<h2>Fair vs census-biased race model</h2>",
             "<p>Both are evaluated on FairFace's balanced val split, so the under-represented races show "
             "what the biased training cost.</p>",
             _table(*comparison_rows(comparison, summary)),
             _img(figure, "fair vs biased accuracy per race")]
    sets = set_size_rows(summary, comparison) if summary else None
    if sets:
        parts += ["<p>Mean prediction-set size per race (eval half): the biased model's sets are the large "
                  "ones for the races it rarely saw, where it does not know.</p>", _table(*sets)]
    return "\n".join(parts)


def comparison_rows(comparison: Comparison, summary: AuditSummary | None) -> tuple[list[str], list[list[str]]]:
    """Per race: fair, biased and the drop; with intervals, each accuracy's interval and n."""
    shares = [_per_class_intervals(summary, name) for name in (comparison.fair_model, comparison.biased_model)]
    if not all(shares):
        return ["race", "fair", "biased", "drop"], [[race, _pct(r.fair), _pct(r.biased), _pct(r.drop)]
                                                   for race, r in comparison.per_race.items()]
    rows = [[race, interval_text(shares[0].get(race)), interval_text(shares[1].get(race)), _pct(r.drop),
             shares[0][race].n if race in shares[0] else 0] for race, r in comparison.per_race.items()]
    return ["race", "fair [95% interval]", "biased [95% interval]", "drop", "n"], rows


def _per_class_intervals(summary: AuditSummary | None, name: str | None) -> dict | None:
    entry = summary.models.get(name) if summary and name else None
    return entry.audit.intervals.per_class if entry and entry.audit.intervals else None


def set_size_rows(summary: AuditSummary, comparison: Comparison) -> tuple[list[str], list[list[str]]] | None:
    """(header, rows): per race, each model's mean set size and coverage; None unless both have sets."""
    names = (comparison.fair_model, comparison.biased_model)
    conformal = [summary.models[n].audit.conformal if n in summary.models else None for n in names]
    if any(c is None for c in conformal):
        return None
    rows = [[race, *[f"{_num(c.per_class[race].mean_set_size, 2)} ({_pct(c.per_class[race].coverage)})"
                     if race in c.per_class else "n/a" for c in conformal]] for race in comparison.per_race]
    return ["race", "fair: mean set size (coverage)", "biased: mean set size (coverage)"], rows


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
        sections.insert(0, _comparison_section(summary.comparison, summary.figures.get("fair_vs_biased"), summary))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bias audit</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:auto}} table{{border-collapse:collapse;margin:8px 0}}
td,th{{border:1px solid #ccc;padding:2px 8px}} img{{max-width:100%}} .warn{{background:#fee;padding:8px}}
tr.small{{color:#999}}</style>
</head><body>
<h1>Bias audit</h1>
{warning}
<p>Data: {html.escape(summary.data)} (val split, {summary.val_images} images).</p>
{_skipped(summary)}
{''.join(sections)}
</body></html>
"""
    path = out / "report.html"
    path.write_text(page)
    return path


def _skipped(summary: AuditSummary) -> str:
    if not summary.skipped:
        return ""
    items = "".join(f"<li>{html.escape(name)}: {html.escape(why)}</li>" for name, why in summary.skipped.items())
    return f"<p>Not audited:</p><ul>{items}</ul>"
