"""The Ask tab's trust panel: "Can you trust this answer?" and "Can you trust
these maps?" for the model shown, and the region chart under it.

Every verdict here is the check's own (vqa.stability.Stability,
vqa.explain.Exactness, xai.metrics.Faithfulness, vqa.occlusion.RegionCheck:
each has an `outcome` and says it in `text`); this module only lays them out,
read from the face's typed records (vqa.result.ModelAnswer, ExplainedMap).
"""
from __future__ import annotations

from typing import Any

from PIL import Image

from app import a11y
from app.common import METHOD_TITLES, METHODS, cell, percent

PENDING = ("*Still measuring: the answer's stability, each map's faithfulness and its face regions come with the "
           "slower maps.*")
NOT_MEASURED = "not measured for this map."


def trust_markdown(face, model: str | None) -> str:
    """For the answer of `model`: how stable it is under small changes of the
    crop; for each of its maps: how exact it is (Integrated Gradients), whether
    it beats a random map, and whether its face regions agree with occluding them."""
    record = face.record(model) if model else None
    if record is None:
        return ""
    stability = stability_markdown(record.answer)
    if not record.maps and not stability:
        return ""
    lines = [PENDING] if checks_pending(face) else []
    if stability:
        lines += [f"#### Can you trust this answer? ({model})", stability]
    if record.maps:
        lines.append(f"#### Can you trust these maps? ({model})")
    for method, explained in record.maps.items():
        lines.append(f"**{METHOD_TITLES[method]}**: " + " ".join(map_checks(explained) or [NOT_MEASURED]))
    return "\n\n".join(lines)


def map_checks(explained) -> list[str]:
    """The sentences of the checks a map (vqa.result.ExplainedMap) has had, in the panel's order."""
    checks = (explained.info.exactness, explained.info.faithfulness, explained.region_check)
    return [check.text for check in checks if check is not None]


def checks_pending(face) -> bool:
    """A face answered without any trust check yet: the app's quick first
    stage (vqa.Engine.ask_stages); the app always asks for the checks after."""
    records = face.records
    return bool(records) and all(r.answer.stability is None for r in records) and not any(
        explained.info.faithfulness is not None for r in records for explained in r.maps.values())


def stability_markdown(answer) -> str | None:
    """The answer re-asked on variants of the crop: its verdict and, when they
    differ, what each variant said, as a table."""
    stability = answer.stability
    if stability is None:
        return None
    lines = [f"**Stability**: {stability.text}"]
    if not stability.stable and stability.variants:
        rows = [f"| variant of the crop | its answer | its confidence | P({cell(stability.answer)}) |",
                "|---|---|---|---|"]
        rows += [f"| {cell(v.name)} | {cell(v.answer)}{'' if v.agrees else ' (differs)'} | "
                 f"{percent(v.confidence, missing='-')} | {percent(v.probability, missing='-')} |"
                 for v in stability.variants]
        lines.append("\n".join(rows))
    if stability.skipped:
        lines.append("*Not tried: " + "; ".join(stability.skipped) + ".*")
    return "\n\n".join(lines)


def region_figure(result, face_index: int, model: str | None, method: str) -> tuple[Any, str]:
    """(matplotlib Figure or None, a note): where on the face the `method` map
    of `model` rests, beside the occlusion check; the note says why not, when
    there is no chart (no landmarks, the check off, the map not made)."""
    if not result.faces or model is None:
        return None, ""
    face = result.faces[face_index]
    record = face.record(model)
    if record is None or record.occlusion is None:
        why = face.regions_note or "the regions check has not run for this answer yet (it comes with the slower maps)"
        return None, f"*No face regions for {model}: {why}.*"
    if method not in record.maps:
        made = ", ".join(METHOD_TITLES[m] for m in METHODS if m in record.maps)
        return None, f"*No {METHOD_TITLES.get(method, method)} map was made for {model}; regions of: {made}.*"
    return result.region_chart(face_index, model, method), region_note(record.maps[method])


def region_note(explained) -> str:
    """Under the region chart: how to read it, and the region check's verdict."""
    check = explained.region_check
    return ("Blue: the share of the map's weight per face region (per pixel of the region); orange: the share of "
            "the score's drop when that region is greyed out." + (f" {check.text}" if check is not None else ""))


# -- pictures where people would rather look than read ----------------------------

def curves_figure(face, model: str | None):
    """Each map's deletion and insertion curves (solid) against the random map's
    (dashed), on one scale: a faithful map's deletion curve falls faster than the
    random one and its insertion curve rises faster. None when no map was scored."""
    record = face.record(model) if model else None
    scored = {m: e.info.faithfulness for m, e in (record.maps.items() if record else ())
              if e.info.faithfulness is not None and e.info.faithfulness.deletion_curve}
    if not scored:
        return None
    from matplotlib.figure import Figure  # lazy: keeps start-up free of matplotlib

    figure = Figure(figsize=(7.5, 2.8), layout="constrained")
    axes = figure.subplots(1, 2, sharey=True)
    colours = dict(zip(METHODS, ("tab:blue", "tab:orange", "tab:green")))
    for axis, (kind, what) in zip(axes, (("deletion", "share of the face blurred, most important first"),
                                         ("insertion", "share of the face restored, most important first"))):
        for method, scores in scored.items():
            curve = getattr(scores, f"{kind}_curve")
            steps = [i / (len(curve) - 1) for i in range(len(curve))]
            axis.plot(steps, curve, color=colours[method], label=METHOD_TITLES[method])
        random_curve = getattr(next(iter(scored.values())), f"random_{kind}_curve")
        axis.plot(steps, random_curve, color="black", linestyle="--", label="a random map")
        axis.set(title=f"{kind.capitalize()} ({'lower' if kind == 'deletion' else 'higher'} is better)",
                 xlabel=what, ylim=(-0.05, 1.05))
    axes[0].set_ylabel("the model's score, scaled")
    axes[1].legend(fontsize="small", loc="lower right")
    return figure


def crop_strip(face, model: str | None) -> list[tuple[Any, str]] | None:
    """The stability check as pictures: the crop answered, then each nearby crop with
    what the model said on it. None without a stability check."""
    record = face.record(model) if model else None
    stability = record.answer.stability if record else None
    if stability is None or stability.thumbnail is None:
        return None
    strip = [(stability.thumbnail, f"this crop: {stability.answer}")]
    strip += [(v.thumbnail, f"{v.name}: {v.answer}" + ("" if v.agrees else " (differs)"))
              for v in stability.variants if v.thumbnail is not None]
    return strip


def reliability_image(face, model: str | None):
    """The answering model's reliability diagram from its audit (a PIL copy, so that
    Gradio serves no server path), or None when it has no calibration."""
    record = face.record(model) if model else None
    calibration = record.answer.calibration if record else None
    if calibration is None or calibration.figure is None:
        return None

    with Image.open(calibration.figure) as image:
        return image.convert("RGB")


def _pair(mine: float | None, random: float | None) -> str:
    """An area and the random map's beside it; "-" where the score never moved (nan)."""
    return "-" if mine is None or mine != mine else f"{mine:.3f} ({random:.3f})"


def numbers_markdown(face, model: str | None) -> str:
    """The numbers behind the pictures, one table: each map's curves' areas against the
    random map's and its exactness; the stability variants' probabilities."""
    record = face.record(model) if model else None
    if record is None:
        return ""
    rows = ["| map | deletion area (random) | insertion area (random) | IG completeness error |",
            "|---|---|---|---|"]
    for method, explained in record.maps.items():
        scores = explained.info.faithfulness
        rows.append(f"| {METHOD_TITLES[method]} | "
                    + (f"{_pair(scores.deletion_auc, scores.random_deletion_auc)} | "
                       f"{_pair(scores.insertion_auc, scores.random_insertion_auc)} | " if scores else "- | - | ")
                    + f"{percent(explained.info.ig_delta, 2, '-')} |")
    stability = record.answer.stability
    if stability is not None:
        rows += ["", f"| crop | answer | P({cell(stability.answer)}) |", "|---|---|---|"]
        rows += [f"| {cell(v.name)} | {cell(v.answer)} | {percent(v.probability, 1, '-')} |"
                 for v in stability.variants]
    return "\n".join(rows)


# -- alt texts: what a screen reader says of each map ---------------------------------

def heatmap_alts(result, face_index: int, model: str | None, whole_photo: bool = False) -> dict[str, str | None]:
    """{method: the alt text of heatmap_images' picture (None where there is none)}: the
    method, the model, its answer and the map's top face regions (app.a11y.heatmap_alt)."""
    face = result.faces[face_index]
    record = face.record(model) if model else None
    made = record.maps if record is not None else {}
    where = "over the whole photo" if whole_photo else "on the face"
    return {method: map_alt(face, model, method, where) if method in made else None for method in METHODS}


def map_alt(face, model: str, method: str, where: str = "on the face") -> str:
    """One map's alt text: its regions, or why it has none."""
    record = face.record(model)
    answer = record.answer if record else None
    said = a11y.answer_phrase(answer.answer, answer.confidence, answer.evidence) if answer else "?"
    shares = record.maps[method].regions if record and method in record.maps else None
    return a11y.heatmap_alt(METHOD_TITLES[method], model, said, shares, where=where,
                            regions_missing=None if shares else _regions_missing(face, record))


def _regions_missing(face, record) -> str:
    if face.regions_note:
        return face.regions_note
    if record is not None and record.occlusion is not None:
        return "not measured for this map"
    return "still being measured" if checks_pending(face) else "not measured"


def vqa_heatmap_alt(result, where: str = "over the whole photo") -> str | None:
    """The general VQA model's map: its answer, and where it is drawn (it has no face regions)."""
    said = result.general_answer
    if getattr(said, "heatmap", None) is None:
        return None
    return a11y.heatmap_alt(METHOD_TITLES["ig"], f"the general VQA model {said.model}",
                            a11y.answer_phrase(said.answer, said.confidence), where=where)
