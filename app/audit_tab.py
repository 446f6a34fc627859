"""The Audit tab: show the report `python -m training.evaluate` wrote, or say how
to make one; and build the bias lab (`python -m training.demo`) with one button.
Its layout, events and handlers are together in build(), at the end.

The report is read from disk (summary.json, through its schema in vqa.audit,
and its PNG figures); nothing here runs a model, so the tab opens instantly.
The lab is built in a subprocess by vqa.lab, when the operator lets the page do
it (off on a --share link: see cli.lab_build_on). Report folders reach the page
by a label only (REPORT_LAB, MODELS_LABEL); their paths stay on the server.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import gradio as gr
from PIL import Image

from app.common import METHOD_TITLES, percent
from vqa import lab
from vqa.audit import (
    CALIBRATION_NOTE,
    CONFORMAL_NOTE,
    INTERVALS_NOTE,
    LANDMARK_SOURCES,
    RANDOM_MODEL,
    SKIN_TONE_NOTE,
    SUMMARY_FILE,
    AuditSummary,
    gap_text,
    interval_text,
)

SUMMARY = SUMMARY_FILE  # written by training.report.write_report beside report.html

HOW_TO = """\
No audit report found in `{where}`.

An audit measures each model on a labelled test set: accuracy for every race,
gender and age group, confusion matrices, and each group's mean heatmap (faces
are aligned, so the maps can be averaged). To make one:

```bash
# With real FairFace (the two label CSVs plus train/ and val/):
python -m training.train --task all --data fairface/ --out models/mine
python -m training.evaluate --data fairface/ --models models/mine --out models/mine/audit

# Without it, in one command (or the "Build the bias lab" button below): a SYNTHETIC
# set, the fair and the census-biased race model, and their audit, in a few minutes
python -m training.demo

# The same steps by hand, on a generated, SYNTHETIC set in FairFace's format
python -m training.synthetic --out data/fake --n 1400 --size 64
python -m training.train --task all --data data/fake --out models/mine --backbone small_cnn \
    --input-size 64 --batch-size 32 --lr 0.004 --epochs 10
python -m training.evaluate --data data/fake --models models/mine --out models/mine/audit

python app.py --models models/mine
```

A synthetic data set only shows the machinery; its numbers say nothing about
real faces.
"""

LAB_BUILD_OFF = ("Building the bias lab from this page is off: the app was started with a public `--share` "
                 "link, and a build trains models on this server for minutes. Whoever runs the app can build it "
                 "with `python -m training.demo` (then click *Look again*), or restart the app with "
                 "`--allow-lab-build` to bring the button back.")
LAB_BUILD_NOTE = ("Builds a SYNTHETIC data set, trains a fair and a census-biased race model on it and "
                  "audits both, in a few minutes on a laptop; a second click reuses what is there.")
# What the report dropdown shows instead of a folder's path (which would tell every
# visitor where the server keeps its files).
REPORT_LAB = "bias lab (SYNTHETIC)"
MODELS_LABEL = "--models folder"


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


def read_report(folder: str | Path | None, shown_as: str | None = None) -> tuple[str, list]:
    """(Markdown text, [(figure, caption)]) of the audit in `folder`, named `shown_as` in the
    text (default: the folder's path)."""
    name = shown_as or (str(folder) if folder else "the --models folder")
    report = find_report(Path(folder)) if folder else None
    if report is None:
        return HOW_TO.format(where=name), []
    try:
        summary = AuditSummary.load(report)
        return summary_markdown(summary), _figures(Path(folder), summary)
    except (ValueError, KeyError, TypeError, OSError) as err:
        why = str(err).replace(str(folder), name)  # the errors name the file; the label stands for its folder
        return f"The audit in `{name}` could not be read ({type(err).__name__}: {why}).", []


def summary_markdown(summary: AuditSummary | dict) -> str:
    summary = AuditSummary.coerce(summary)
    parts = ["## Bias audit"]
    if summary.synthetic:
        parts.append("> **Synthetic**: these models were trained and evaluated on generated data. "
                     "The numbers show that the pipeline works, not how models behave on real faces.")
    parts.append(f"Test faces: {summary.val_images} from the balanced val split of `{summary.data}`.")
    if summary.skipped:
        parts.append("Not audited: " + "; ".join(f"**{name}**: {why}" for name, why in summary.skipped.items()))
    if summary.comparison:
        parts.append(_comparison(summary.comparison, summary))
    if summary.localization:
        parts.append(localization_markdown(summary))
    if summary.randomization:
        parts.append(randomization_markdown(summary))
    parts += [_model(name, entry) + regions_markdown(summary, name) for name, entry in summary.models.items()]
    return "\n\n".join(parts)


def _comparison(comparison, summary: AuditSummary | None = None) -> str:
    models = [summary.models.get(n) if summary else None for n in (comparison.fair_model, comparison.biased_model)]
    if all(m is not None and m.audit.intervals is not None for m in models):
        fair, biased = (m.audit.intervals.per_class for m in models)
        rows = [f"| {race} | {interval_text(fair.get(race))} | {interval_text(biased.get(race))} | "
                f"{percent(r.drop, 1)} | {fair[race].n if race in fair else 0} |"
                for race, r in comparison.per_race.items()]
        head = ["| race | fair [95% interval] | biased [95% interval] | drop | n |", "|---|---|---|---|---|"]
    else:
        rows = [f"| {race} | {percent(r.fair, 1)} | {percent(r.biased, 1)} | {percent(r.drop, 1)} |"
                for race, r in comparison.per_race.items()]
        head = ["| race | fair | biased | drop |", "|---|---|---|---|"]
    lines = ["### Fair vs census-biased race model, per race", *head, *rows]
    if all(m is not None and m.audit.conformal is not None for m in models):
        fair, biased = (m.audit.conformal.per_class for m in models)
        lines += ["", "Mean prediction-set size per race (coverage), eval half: the biased model's sets are the "
                  "large ones for the races it rarely saw, where it does not know.", "",
                  "| race | fair | biased |", "|---|---|---|"]
        lines += [f"| {race} | {_sets(fair.get(race))} | {_sets(biased.get(race))} |" for race in comparison.per_race]
    return "\n".join(lines)


def _sets(cell) -> str:
    if cell is None or cell.mean_set_size is None:
        return "n/a"
    return f"{cell.mean_set_size:.2f} ({percent(cell.coverage, 1)})"


def localization_markdown(summary: AuditSummary) -> str:
    """Per model x method x class: mass accuracy / pointing game, the shuffled-map floor last."""
    classes = list(dict.fromkeys(c for methods in summary.localization.values()
                                 for per_class in methods.values() for c in per_class))
    models = [m for m in summary.localization if m != RANDOM_MODEL]
    models += [RANDOM_MODEL] if RANDOM_MODEL in summary.localization else []
    lines = ["### Do the heatmaps point at the cue?",
             "The generator knows where it drew each cue, so each map (explaining the image's true class) is "
             "scored against that mask: **mass accuracy** (share of the map's positive mass inside) / "
             "**pointing game** (share of maps whose peak is inside). The floor: the same maps, pixels shuffled.",
             "", "| model | method | " + " | ".join(classes) + " |", "|---|---|" + "---|" * len(classes)]
    for model in models:
        shown = "random floor" if model == RANDOM_MODEL else model
        for method, per_class in summary.localization[model].items():
            cells = [_score(per_class.get(c)) for c in classes]
            lines.append(f"| {shown} | {METHOD_TITLES.get(method, method)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _score(score) -> str:
    if score is None:
        return ""
    blank = f" ({score.empty_maps}/{score.images} blank)" if score.empty_maps else ""
    return f"{percent(score.mass_accuracy, 1)} / {percent(score.pointing_game, 1)}{blank}"


def randomization_markdown(summary: AuditSummary) -> str:
    methods = list(dict.fromkeys(m for checks in summary.randomization.values() for m in checks))
    lines = ["### Model-randomisation sanity check",
             "Mean rank correlation between each map from the trained model and from a copy whose top layer "
             "is re-initialised (Adebayo et al., 2018). Near 1: the map ignores what the model learned.",
             "", "| model | " + " | ".join(METHOD_TITLES.get(m, m) for m in methods) + " |",
             "|---|" + "---|" * len(methods)]
    for model, checks in summary.randomization.items():
        cells = ["n/a" if (c := checks.get(m)) is None or c.rank_correlation is None
                 else f"{c.rank_correlation:.2f} (n={c.images})" for m in methods]
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _model(name: str, entry) -> str:
    audit, card = entry.audit, entry.card
    synthetic = " (synthetic)" if card.get("synthetic") else ""
    if audit.intervals is None or audit.intervals.overall is None:  # a summary written before intervals
        accuracy = (f"Accuracy {percent(audit.accuracy, 1)}; worst race × gender group **{audit.worst_group}** "
                    f"at {percent(audit.worst_group_accuracy, 1)} "
                    f"(best minus worst: {percent(audit.best_minus_worst_group, 1)}).")
    else:
        accuracy = f"Accuracy {interval_text(audit.intervals.overall)} over {audit.intervals.overall.n} faces."
    lines = [f"### {name}", f"Trained on **{card.get('training_data') or 'unknown data'}**{synthetic}. {accuracy}", ""]
    if audit.intervals is None:
        lines += ["| class | accuracy |", "|---|---|"]
        lines += [f"| {label} | {percent(value, 1)} |" for label, value in audit.per_class_accuracy.items()]
        return "\n".join(lines)
    lines += _class_table(audit) + ["", _intervals(audit)]
    if audit.calibration is not None and audit.conformal is not None:
        lines += ["", confidence_markdown(name, audit)]
    if audit.skin_tone:
        lines += ["", skin_tone_markdown(audit)]
    return "\n".join(lines)


def _class_table(audit) -> list[str]:
    """Per class: accuracy [95% interval] and n; with calibration, ECE before / after and the sets (eval half)."""
    calibrated = audit.calibration is not None and audit.conformal is not None
    header = "| class | accuracy [95% interval] | n |" + (
        " ECE before | ECE after | set coverage | mean set size |" if calibrated else "")
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for label in audit.labels:
        share = audit.intervals.per_class.get(label)
        row = f"| {label} | {interval_text(share)} | {share.n if share else 0} |"
        if calibrated:
            ece, sets = audit.calibration.per_class.get(label), audit.conformal.per_class.get(label)
            row += (f" {_num(ece and ece.ece_before)} | {_num(ece and ece.ece_after)} | "
                    f"{percent(sets and sets.coverage, 1)} | {_num(sets and sets.mean_set_size, 2)} |")
        lines.append(row)
    return lines


def _intervals(audit) -> str:
    """The race x gender cells with n and interval; small cells greyed (italic, marked) and not ranked."""
    intervals = audit.intervals
    if intervals.worst_group is None:
        verdict = f"No two race × gender groups have {intervals.min_cell} faces or more, so no worst group is named."
    else:
        verdict = (f"Among groups of {intervals.min_cell}+ faces: worst **{intervals.worst_group}** "
                   f"{interval_text(intervals.race_x_gender[intervals.worst_group])}, best {intervals.best_group}; "
                   f"best minus worst {gap_text(intervals.gap)}.")
    small = sum(cell.n < intervals.min_cell for cell in intervals.race_x_gender_x_age.values())
    lines = [INTERVALS_NOTE.format(min_cell=intervals.min_cell), "", verdict, "",
             "| race / gender | accuracy [95% interval] | n |", "|---|---|---|"]
    lines += [_cell(group, cell, intervals.min_cell) for group, cell in intervals.race_x_gender.items()]
    lines += ["", f"Race × gender × age: {len(intervals.race_x_gender_x_age)} cells, {small} of them under "
              f"{intervals.min_cell} faces (the full table is in report.html)."]
    return "\n".join(lines)


def _cell(group: str, cell, min_cell: int) -> str:
    if cell.n < min_cell:  # greyed: too few faces to lean on
        return " | ".join(["", *[f"<span style='color:#999'>*{text}*</span>"
                                 for text in (group, interval_text(cell), f"{cell.n} (under {min_cell})")], ""]).strip()
    return f"| {group} | {interval_text(cell)} | {cell.n} |"


def confidence_markdown(name: str, audit) -> str:
    """Temperature, ECE before / after, the sets' coverage, and "when it said X it was right r of n times"."""
    calibration, conformal = audit.calibration, audit.conformal
    lines = [f"#### {name}: confidence you can check", CALIBRATION_NOTE, "", CONFORMAL_NOTE, "",
             f"**Temperature T = {calibration.temperature:.2f}** (fitted on {calibration.fit_images} faces); on the "
             f"other {calibration.eval_images}: ECE {_num(calibration.ece_before)} before, "
             f"{_num(calibration.ece_after)} after. Sets at alpha = {conformal.alpha:g}: coverage "
             f"{percent(conformal.coverage, 1)}, mean size {_num(conformal.mean_set_size, 2)} labels.", "",
             "| when it said | it was right | share [95% interval] |", "|---|---|---|"]
    lines += [f"| {label} | {share.count} of {share.n} | "
              f"{interval_text(share)} |" for label, share in calibration.when_said.items()]
    return "\n".join(lines)


def skin_tone_markdown(audit) -> str:
    min_cell = audit.intervals.min_cell if audit.intervals else 30
    lines = ["#### Skin tone measured from the pixels (ITA°)", SKIN_TONE_NOTE, "",
             "| ITA category | accuracy [95% interval] | n |", "|---|---|---|"]
    lines += [_cell(category, cell, min_cell) for category, cell in audit.skin_tone.items()]
    return "\n".join(lines)


def _num(value, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def regions_markdown(summary: AuditSummary, name: str) -> str:
    """Where on the face the model's mean heatmaps rest: per method a table of classes x
    face regions (area-normalised shares, each row 100%), and the landmarks' source in words."""
    regions = summary.regions.get(name)
    if not regions:
        return ""
    counts = summary.region_landmarks.get(name, {})
    total = sum(counts.values())
    sources = "; ".join(f"{n} of {total} images: {LANDMARK_SOURCES.get(source, source)}"
                        for source, n in counts.items())
    lines = ["", "", f"#### {name}: where on the face",
             "Each map's mass per face region, normalised by the region's area, averaged over the maps of "
             f"the mean heatmaps; each row sums to 100%. Landmarks: {sources or 'not recorded'}."]
    labels = summary.models[name].audit.labels
    for method, per_class in regions.items():
        names = list(dict.fromkeys(r for shares in per_class.values() for r in shares))
        lines += ["", f"**{METHOD_TITLES.get(method, method)}**", "",
                  "| class | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        lines += [f"| {c} | " + " | ".join(percent(per_class[c].get(r), 1) for r in names) + " |"
                  for c in labels if c in per_class]
    return "\n".join(lines)


def _figures(folder: Path, summary: AuditSummary) -> list:
    named = [(summary.figures.get("fair_vs_biased"), "fair vs biased accuracy per race"),
             (summary.figures.get("localization"), "do the heatmaps point at the cue? (grey: random floor)")]
    for name, entry in summary.models.items():
        named += [(entry.figures.get("confusion"), f"{name}: confusion matrix"),
                  (entry.figures.get("reliability"), f"{name}: reliability before and after temperature scaling"),
                  (entry.figures.get("heatmaps"), f"{name}: mean heatmaps per class"),
                  (entry.figures.get("regions"), f"{name}: where on the face (mean region shares per class)")]
    # Opened here so Gradio serves copies from its cache, never paths on the server;
    # only file names inside the report folder are followed.
    return [(Image.open(folder / Path(file).name).convert("RGB"), caption)
            for file, caption in named if file and (folder / Path(file).name).is_file()]


def report_folders(models_dir: Path | None) -> list[str]:
    """The report folders offered: those of the app's --models folder, then the lab's own."""
    return [str(p) for p in report_choices(models_dir).values()]


def report_choices(models_dir: Path | None) -> dict[str, Path]:
    """{label: folder} of the report folders offered, in report_dirs' order and then the lab's.
    Only the labels reach the page."""
    found = report_dirs(models_dir)
    built = lab.lab().report
    if find_report(built) is not None and built not in found:
        found.append(built)
    choices: dict[str, Path] = {}
    for folder in found:
        choices.setdefault(report_label(folder, models_dir), folder)
    return choices


def report_label(folder: Path, models_dir: Path | None) -> str:
    """How the page names a report folder: by what it is, never by where it is."""
    here = folder.resolve()
    if here == lab.lab().report.resolve():
        return REPORT_LAB
    if models_dir is not None and here == models_dir.resolve():
        return MODELS_LABEL
    if models_dir is not None and here.parent == models_dir.resolve():
        return f"{MODELS_LABEL}: {folder.name}"
    return folder.as_posix()  # out/audit or audit: relative to where the app was started


def build_the_lab(progress=None) -> tuple[str, lab.Lab | None]:
    """What the "Build the bias lab" button does: (a status line, the lab or None)."""
    def hear(fraction: float, message: str) -> None:
        if progress is not None:
            progress(fraction, desc=message)

    try:
        built = lab.build_lab(progress=hear)
    except lab.LabBuildError as err:
        return f"**The bias lab could not be built.** {err}", None
    return (f"**The bias lab is ready** (SYNTHETIC data): the fair and the census-biased race models answer in "
            f"Compare, and their audit is below as *{REPORT_LAB}*."), built


def build(backend, on_lab_built: Callable[[lab.Lab], None] | None = None, lab_build: bool = True):
    """The tab. `on_lab_built(lab)` runs after the button built the lab (the engine's reload,
    so that Compare lists the two models without a restart). Returns the button's event, for
    what else should follow a build (Compare's lab gallery); None with `lab_build` off, when
    there is no button and no event that could start a build (not even by fn_index)."""
    models_dir = getattr(backend, "models_dir", None)
    choices = report_choices(models_dir)
    labels = list(choices)
    gr.Markdown("How accurate is each model for each group? The fair and the census-biased race "
                "models, measured on the same test faces.")
    with gr.Row():
        folder = gr.Dropdown(labels, value=labels[0] if labels else None, label="Audit report", scale=4)
        refresh = gr.Button("Look again", scale=1)
        build = gr.Button("Build the bias lab", variant="primary", scale=1, elem_id="audit-build-lab") \
            if lab_build else None
    status = gr.Markdown(LAB_BUILD_NOTE if lab_build else LAB_BUILD_OFF, elem_id="audit-lab-status")
    report = gr.Markdown(read_report(choices[labels[0]], labels[0])[0] if labels else read_report(None)[0])
    # Filled on page load (below), so that the figures' server-side copies are not in the page's config.
    gallery = gr.Gallery(label="Fair vs biased, localization, confusion matrices, mean heatmaps and "
                               "their face regions",
                         columns=2, object_fit="contain", height="auto")

    def show(label: str | None):
        return read_report(report_choices(models_dir).get(label), label)

    def rescan(chosen: str | None = None):
        found = list(report_choices(models_dir))
        chosen = chosen if chosen in found else (found[0] if found else None)
        return {folder: gr.update(choices=found, value=chosen), **dict(zip((report, gallery), show(chosen)))}

    folder.input(show, folder, [report, gallery], api_visibility="private", queue=False)
    refresh.click(rescan, folder, [folder, report, gallery], api_visibility="private", queue=False)
    # No triggers and no inputs: gr.on runs on each page load, so a lab built since start-up
    # (by this page, another one or a terminal) is offered at once.
    gr.on(None, rescan, None, [folder, report, gallery], api_visibility="private", queue=False)
    if build is None:
        return None

    def build_clicked(progress=gr.Progress()):
        message, built = build_the_lab(progress)
        if built is not None and on_lab_built is not None:
            on_lab_built(built)
        return {status: message, **rescan(REPORT_LAB if built else None)}

    return build.click(build_clicked, None, [status, folder, report, gallery], api_visibility="private",
                       concurrency_limit=1, concurrency_id="build-lab")
