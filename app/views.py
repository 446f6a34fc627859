"""Turning an engine Result into what the widgets show.

Pure functions of the Result (no Gradio, no ML): the answer sentence, the
gr.Label dict, the heatmap overlays of one model, the comparison table. Kept
apart from the event handlers so each can be tested on its own.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

from app import a11y
from vqa.explain import IG_TOLERANCE, METHOD_NAMES, METHOD_TITLES

DEFAULT_IG_STEPS = 0  # adaptive IG, exact to IG_TOLERANCE
METHODS = METHOD_NAMES
DEFAULT_OPACITY = 0.5
ZOOM = 2.2  # heatmaps show the face and this much context around it


@dataclasses.dataclass
class AskView:
    """What the Ask tab remembers between events: the Result and what is picked."""

    result: Any  # vqa Result
    face: int = 0  # index into result.faces
    model: str | None = None  # whose heatmaps are shown; None: the first answer's

    @property
    def nbytes(self) -> int:
        """What the session store counts against its budget."""
        return self.result.nbytes


def chosen_face(view: AskView):
    return view.result.faces[view.face]


def model_names(face) -> list[str]:
    return [answer.model for answer in face.answers]


def shown_model(view: AskView) -> str | None:
    names = model_names(chosen_face(view))
    if view.model in names:
        return view.model
    return names[0] if names else None


def answer_markdown(result, face_index: int) -> str:
    """One line per model: its answer, confidence and what it was trained on.
    A "general" question: the general VQA model's answer, or how to switch it on."""
    intent = result.intent
    if intent.kind == "unsupported":
        return f"**This app cannot answer that question.** {intent.reason or ''}".strip()
    if intent.kind == "general":
        return general_markdown(result)
    face = result.faces[face_index]
    lines = [f"**{answer.model}**: {answer.text}{_unstable_flag(answer)}" for answer in face.answers]
    if not lines:
        lines.append("No model here answers this question.")
    lines += problem_lines(result)
    notes = list(getattr(intent, "notes", ())) + [n for a in face.answers for n in getattr(a, "notes", ())]
    lines += [f"*Note: {note}*" for note in dict.fromkeys(notes)]
    if ig := ig_line(face):
        lines.append(ig)
    if len(result.faces) > 1:
        lines.append(f"{len(result.faces)} faces found; this is face {face_index + 1} "
                     "(click another box on the photo, or change *Face number*).")
    if line := left_out_line(result):
        lines.append(line)
    return "\n\n".join(lines)


def left_out_line(result) -> str | None:
    """Faces found beyond the ones answered (vqa's max_faces, the largest first)."""
    left = getattr(result, "faces_left_out", 0)
    if not left:
        return None
    return (f"*{left} more face{'s were' if left > 1 else ' was'} found and not answered: the app answers the "
            f"{len(result.faces)} largest faces of a photo. Set *Face number* to ask about one face.*")


def _unstable_flag(answer) -> str:
    stability = getattr(answer, "stability", None)
    if stability is None or stability.stable:
        return ""
    return (f" **Unstable:** only {stability.agreement:.0%} of small changes of the crop give this answer "
            "(see *Can you trust this answer?* below).")


def general_markdown(result) -> str:
    """A question no face model answers: the general VQA model's guess, said to
    be one, with what it was trained on; or, with it off, how to switch it on
    (the engine's problem line)."""
    opinion = result.second_opinion
    lines = []
    if opinion is not None and not opinion.error:
        family = opinion.family or "A general VQA model"
        lines.append(f"**{family}** ({opinion.model}): **{opinion.answer}** ({_percent(opinion.confidence)} "
                     "confident)")
        lines.append("*This is a general visual question answering model's guess: no face model here answers "
                     "this question, and this model was not trained to judge faces. Its training data: "
                     f"{opinion.training_data or 'not stated'}.*")
        if len(opinion.top) > 1:
            lines.append("Its next guesses: " + ", ".join(f"{a} ({_percent(p)})" for a, p in opinion.top[1:]) + ".")
        if line := vqa_map_line(opinion):
            lines.append(line)
    lines += problem_lines(result)
    return "\n\n".join(lines) or "No model here answers this question."


def second_opinion_markdown(result, problem: str | None = None) -> str:
    """Beside the face models' answers: the general VQA model's answer, flagged
    where it contradicts them. `problem`: why it is off (the engine's words)."""
    opinion = result.second_opinion
    if opinion is None:
        return f"*No second opinion: {problem}*" if problem and result.intent.kind != "unsupported" else ""
    if opinion.alone:
        return ""  # it is the answer itself (general_markdown)
    if opinion.error:
        return f"*No second opinion: {opinion.error}*"
    family = opinion.family or "A general VQA model"
    said = f"**Second opinion** from {family} ({opinion.model}): **{opinion.answer}** ({_percent(opinion.confidence)})."
    if opinion.disagrees:
        said += " **It disagrees with the face models' answer.**"
    elif opinion.disagrees is False:
        said += " It agrees with the face models."
    lines = [said, f"*{opinion.provenance}.*"]
    if line := vqa_map_line(opinion):
        lines.append(line)
    return "\n\n".join(lines)


def vqa_map_line(opinion) -> str | None:
    """How exact the general VQA model's IG map is (captum's completeness delta)."""
    if getattr(opinion, "heatmap", None) is None or opinion.ig_delta is None:
        return None
    how = f"captum's Integrated Gradients, {opinion.ig_steps} steps" if opinion.ig_steps else "Integrated Gradients"
    exact = ("exact" if opinion.ig_delta <= IG_TOLERANCE else
             f"only approximate (the aim is {IG_TOLERANCE:.0%}; read it as a rough picture)")
    return (f"*Where it looked (the fourth map, over the whole photo): {how}, of {opinion.explains or 'its answer'};"
            f" completeness error {opinion.ig_delta:.1%}, {exact}.*")


def vqa_heatmap_image(result, opacity: float):
    """The general VQA model's IG map over the photo (PIL), or None when it made none."""
    if getattr(result.second_opinion, "heatmap", None) is None:
        return None
    return result.render_vqa(alpha=float(opacity))


def _percent(p) -> str:
    return "?" if p is None else f"{100 * float(p):.0f}%"


def problem_lines(result) -> list[str]:
    """What the engine could not do (a missing model, a model that failed), in its words."""
    return [f"**Problem:** {problem}" for problem in dict.fromkeys(result.problems)]


def label_value(face, model: str | None) -> dict[str, float] | None:
    """The chosen model's probabilities over its own labels, for gr.Label."""
    for answer in face.answers:
        if answer.model == model:
            return {label: float(p) for label, p in answer.probabilities.items()}
    return None


def heatmap_images(result, face_index: int, model: str | None, opacity: float,
                   whole_photo: bool = False) -> dict[str, Any]:
    """{method: overlay of `model` (None where not computed)} for every
    method, cut to the face unless `whole_photo`: in a whole photo a face is
    often a few dozen pixels wide and the heatmap's detail would be lost."""
    face = result.faces[face_index]
    record = face.record(model) if model else None
    made = record.maps if record is not None else {}
    region = None if whole_photo else face_region(face.box, result.image.shape)
    return {method: result.render(face_index, model, method, opacity, region=region) if method in made else None
            for method in METHODS}


def heatmap_alts(result, face_index: int, model: str | None, whole_photo: bool = False) -> dict[str, str | None]:
    """{method: the alt text of heatmap_images' picture (None where there is none)}: the
    method, the model, its answer and the map's top face regions (app.a11y.heatmap_alt)."""
    face = result.faces[face_index]
    record = face.record(model) if model else None
    made = record.maps if record is not None else {}
    where = "over the whole photo" if whole_photo else "on the face"
    return {method: map_alt(face, model, method, where) if method in made else None for method in METHODS}


def map_alt(face, model: str, method: str, where: str = "on the face") -> str:
    """One map's alt text (and gallery caption): its regions, or why it has none."""
    answer = next((a for a in face.answers if a.model == model), None)
    said = a11y.answer_phrase(answer.answer, answer.confidence, getattr(answer, "evidence", None)) if answer else "?"
    shares = getattr(face, "regions", {}).get(model, {}).get(method)
    return a11y.heatmap_alt(METHOD_TITLES[method], model, said, shares, where=where,
                            regions_missing=None if shares else _regions_missing(face, model))


def _regions_missing(face, model: str) -> str:
    if getattr(face, "regions_note", None):
        return face.regions_note
    if model in getattr(face, "regions", {}):
        return "not measured for this map"
    return "still being measured" if checks_pending(face) else "not measured"


def vqa_heatmap_alt(result, where: str = "over the whole photo") -> str | None:
    """The general VQA model's map: its answer, and where it is drawn (it has no face regions)."""
    opinion = result.second_opinion
    if getattr(opinion, "heatmap", None) is None:
        return None
    return a11y.heatmap_alt(METHOD_TITLES["ig"], f"the general VQA model {opinion.model}",
                            a11y.answer_phrase(opinion.answer, opinion.confidence), where=where)


def ig_line(face) -> str | None:
    """How exact each model's Integrated Gradients sum was: its completeness
    error delta, and the steps or model evaluations it took."""
    igs = {model: methods["ig"] for model, methods in _infos(face).items() if "ig" in methods}
    if not igs:
        return None
    if all(ig.get("ig_evaluations") is not None for ig in igs.values()):
        errors = ", ".join(f"{model} {ig['ig_delta']:.1%} ({ig['ig_evaluations']} model evaluations)"
                           for model, ig in igs.items())
        return f"*Integrated Gradients: completeness error {errors}.*"
    steps = sorted({ig.get("ig_steps") for ig in igs.values() if ig.get("ig_steps")})
    how = f"m={'/'.join(str(m) for m in steps)} steps" if steps else "adaptive steps"
    errors = ", ".join(f"{model} {ig['ig_delta']:.1%}" for model, ig in igs.items() if ig.get("ig_delta") is not None)
    return f"*Integrated Gradients, {how}: completeness error {errors} (more steps make it smaller).*"


def _infos(face) -> dict[str, dict[str, dict]]:
    """model -> method -> the heatmap's facts as plain dicts (a HeatmapInfo's to_dict() or a dict)."""
    return {model: {method: info.to_dict() if hasattr(info, "to_dict") else dict(info)
                    for method, info in methods.items()}
            for model, methods in face.heatmap_info.items()}


def trust_markdown(face, model: str | None) -> str:
    """"Can you trust this?": for the answer of `model`, how stable it is under
    small changes of the crop; for each of its heatmaps, how exact it is
    (Integrated Gradients' completeness), whether it beats a random map at
    finding the pixels the model uses (deletion and insertion curves), and
    whether its face regions agree with occluding them."""
    answer = next((a for a in getattr(face, "answers", ()) if a.model == model), None) if model else None
    stability = stability_markdown(answer) if answer is not None else None
    infos = _infos(face).get(model, {}) if model else {}
    if not infos and not stability:
        return ""
    lines = [PENDING] if checks_pending(face) else []
    if stability:
        lines += [f"#### Can you trust this answer? ({model})", stability]
    if infos:
        lines.append(f"#### Can you trust these maps? ({model})")
    checks = getattr(face, "region_checks", {}).get(model, {})
    for method in METHODS:
        if method not in infos:
            continue
        info = infos[method]
        region = getattr(checks.get(method), "text", None)
        said = [line for line in (_exactness(info), _faithfulness(info), region) if line]
        if not said:
            said = ["not measured for this map."]
        lines.append(f"**{METHOD_TITLES[method]}**: " + " ".join(said))
    return "\n\n".join(lines)


PENDING = ("*Still measuring: the answer's stability, each map's faithfulness and its face regions come with the "
           "slower maps.*")


def checks_pending(face) -> bool:
    """A face answered without any trust check yet: the app's quick first
    stage (vqa.Engine.ask_stages); the app always asks for the checks after."""
    answers = list(getattr(face, "answers", ()))
    return bool(answers) and all(getattr(a, "stability", None) is None for a in answers) and not any(
        info.get("faithfulness") for methods in _infos(face).values() for info in methods.values())


def stability_markdown(answer) -> str | None:
    """The answer re-asked on variants of the crop: agreement, the range of its
    probability, and (when they differ) what each variant said, as a table."""
    stability = getattr(answer, "stability", None)
    if stability is None:
        return None
    lines = [f"**Stability**: {stability.text}"]
    if not stability.stable and stability.variants:
        rows = ["| variant of the crop | its answer | its confidence | P(" + _cell(stability.answer) + ") |",
                "|---|---|---|---|"]
        rows += [f"| {_cell(v.name)} | {_cell(v.answer)}{'' if v.agrees else ' (differs)'} | "
                 f"{_percent(v.confidence) if v.confidence is not None else '-'} | "
                 f"{_percent(v.probability) if v.probability is not None else '-'} |" for v in stability.variants]
        lines.append("\n".join(rows))
    if stability.skipped:
        lines.append("*Not tried: " + "; ".join(stability.skipped) + ".*")
    return "\n\n".join(lines)


def _cell(text) -> str:
    return str(text).replace("|", "/")


def region_figure(result, face_index: int, model: str | None, method: str) -> tuple[Any, str]:
    """(matplotlib Figure or None, a note): where on the face the `method` map
    of `model` rests, beside the occlusion check; the note says why not, when
    there is no chart (no landmarks, the check off, the map not made)."""
    if not result.faces or model is None:
        return None, ""
    face = result.faces[face_index]
    if model not in getattr(face, "regions", {}):
        why = face.regions_note or "the regions check has not run for this answer yet (it comes with the slower maps)"
        return None, f"*No face regions for {model}: {why}.*"
    if method not in face.regions[model]:
        made = ", ".join(METHOD_TITLES[m] for m in METHODS if m in face.regions[model])
        return None, f"*No {METHOD_TITLES.get(method, method)} map was made for {model}; regions of: {made}.*"
    return result.region_chart(face_index, model, method), region_note(face, model, method)


def region_note(face, model: str, method: str) -> str:
    check = face.region_checks.get(model, {}).get(method)
    return ("Blue: the share of the map's weight per face region (per pixel of the region); orange: the share of "
            "the score's drop when that region is greyed out." + (f" {check.text}" if check is not None else ""))


def _exactness(info: dict) -> str | None:
    """Integrated Gradients' completeness: its attributions should add up to
    the change in the model's score from the baseline to the photo."""
    delta = info.get("ig_delta")
    if delta is None:
        return None
    evaluations = info.get("ig_evaluations")
    cost = (f", after {evaluations} evaluations of the model" if evaluations is not None
            else f", with {info['ig_steps']} steps" if info.get("ig_steps") else "")
    if delta <= IG_TOLERANCE:
        return (f"Exact: its pixel contributions add up to the change in the model's score (from the baseline to "
                f"this photo) to within {delta:.1%}{cost}.")
    return (f"Approximate: its pixel contributions add up to the change in the model's score only to within "
            f"{delta:.1%}{cost} (the aim is {IG_TOLERANCE:.0%}); read it as a rough picture.")


def _faithfulness(info: dict) -> str | None:
    """Deletion: remove the top pixels first; a faithful map makes the score
    fall faster than a random order (lower area). Insertion: add them first;
    the score should rise faster (higher area)."""
    scores = info.get("faithfulness") or {}
    needed = ("deletion_auc", "random_deletion_auc", "insertion_auc", "random_insertion_auc")
    if any(scores.get(key) is None for key in needed):
        return None
    if any(math.isnan(float(scores[key])) for key in needed):
        return ("Whether it beats a random map cannot be told: the model's score hardly changes whatever part "
                "of the face is removed, so these tests say nothing about this map.")
    deletion = scores["deletion_auc"] < scores["random_deletion_auc"]
    insertion = scores["insertion_auc"] > scores["random_insertion_auc"]
    numbers = (f"(deletion area {scores['deletion_auc']:.2f} against {scores['random_deletion_auc']:.2f} for a "
               f"random map, lower is better; insertion {scores['insertion_auc']:.2f} against "
               f"{scores['random_insertion_auc']:.2f}, higher is better)")
    if deletion and insertion:
        verdict = ("removing the pixels it marks first changes the answer faster than removing random pixels, "
                   "and adding them back first restores it faster: it points at pixels the model uses")
    elif deletion or insertion:
        verdict = ("it beats a random map on one test only ("
                   + ("deletion" if deletion else "insertion") + "): it is only partly faithful to the model")
    else:
        verdict = "it is no better than a random map at finding the pixels the model uses: do not read much into it"
    return f"{verdict[:1].upper()}{verdict[1:]} {numbers}."


def face_region(box, image_shape, zoom: float = ZOOM) -> tuple[int, int, int, int]:
    """A square `zoom` times the face's larger side, centred on it, inside the photo."""
    height, width = image_shape[:2]
    x0, y0, x1, y1 = (float(v) for v in box)
    side = min(max(x1 - x0, y1 - y0) * zoom, width, height)
    left = min(max((x0 + x1 - side) / 2, 0), width - side)
    top = min(max((y0 + y1 - side) / 2, 0), height - side)
    return round(left), round(top), round(left + side), round(top + side)


def boxes(result) -> list[tuple[float, float, float, float]]:
    return [tuple(float(v) for v in face.box) for face in result.faces]


def comparison_rows(face, vqa=None) -> list[list]:
    """Model, trained on, answer, confidence, top probability: one row each;
    the general VQA model (a vqa.general.SecondOpinion that answered) last."""
    rows = []
    for answer in face.answers:
        top = max(answer.probabilities.items(), key=lambda item: item[1])
        rows.append([
            answer.model,
            _trained_on(answer.card),
            answer.answer,
            None if answer.confidence is None else round(float(answer.confidence), 3),
            f"{top[0]} {top[1]:.2f}",
        ])
    if vqa is not None and not vqa.error:
        top = f"{vqa.top[0][0]} {vqa.top[0][1]:.2f}" if vqa.top else ""
        rows.append([vqa.model, f"{vqa.training_data or 'not stated'} (general VQA model, not trained on faces)",
                     vqa.answer, None if vqa.confidence is None else round(float(vqa.confidence), 3), top])
    return rows


def models_markdown(cards, problems) -> str:
    """The models the engine has, per attribute (SYNTHETIC where trained on generated data), and the files
    it skipped."""
    lines = []
    for attribute in ("race", "gender", "age"):
        names = [card.name + (" (SYNTHETIC)" if card.synthetic else "") for card in cards
                 if card.attribute == attribute]
        lines.append(f"**{attribute}**: {', '.join(names) if names else 'no model yet'}")
    return "\n\n".join(["Models found:", *lines, *(f"**Problem:** {p}" for p in problems)])


def agreement_markdown(comparison) -> str:
    """Whether the models agree, in one glance (a vqa.engine.Comparison). With
    one model there is nothing to compare: say so, and how to add another.
    The general VQA model, when on, gets its own sentence: it is not a face model."""
    agreement, attribute = comparison.agreement, comparison.attribute
    if not agreement.count:
        verdict = f"No model answers **{attribute}** here."
    elif agreement.count == 1:
        (model, _), = agreement.answers
        verdict = (f"**Only one {attribute} model is installed ({model}), so there is nothing to compare it "
                   f"with.** To add a second: {comparison.how_to_add()}.")
    elif agreement.agree:
        said = " / ".join(agreement.said)
        who = "Both" if agreement.count == 2 else f"All {agreement.count}"
        verdict = f"**{who} {attribute} models agree: {said}.**"
    else:
        parts = "; ".join(f"**{label}**: {', '.join(models)}" for label, models in agreement.groups.items())
        verdict = f"**The {attribute} models disagree.** {parts}"
    vqa = vqa_markdown(comparison)
    return f"{verdict}\n\n{vqa}" if vqa else verdict


def vqa_markdown(comparison) -> str:
    """The general VQA model's answer beside the face models': whom it agrees with, by meaning."""
    vqa = getattr(comparison, "vqa", None)
    if vqa is None:
        return ""
    if vqa.error:
        return f"*The general VQA model could not answer: {vqa.error}*"
    said = f"The general VQA model ({vqa.family or vqa.model}) says **{vqa.answer}**"
    agrees_with = comparison.vqa_agrees_with
    if not comparison.agreement.count:
        return f"{said}."
    if agrees_with is None:
        return f"{said}, which names no {comparison.attribute} class, so it is not compared."
    others = [model for model, _ in comparison.agreement.answers if model not in agrees_with]
    if not agrees_with:
        return f"{said}: it disagrees with every face model."
    if not others:
        return f"{said}: it agrees with {'the face model' if len(agrees_with) == 1 else 'every face model'}."
    return f"{said}: it agrees with {', '.join(agrees_with)} and not with {', '.join(others)}."


def comparison_maps(comparison, opacity: float) -> list[tuple[Any, str]]:
    """Grad-CAM and Integrated Gradients of every face model, cut to the face,
    then the general VQA model's Integrated Gradients (over the whole photo, cut alike)."""
    result, face = comparison.result, comparison.face
    region = face_region(face.box, result.image.shape)
    maps = []
    for model in comparison.models:
        record = face.record(model)
        for method in ("gradcam", "ig"):
            if record is not None and method in record.maps:
                maps.append((result.render(0, model, method, opacity, region=region), map_alt(face, model, method)))
    vqa = comparison.vqa
    if vqa is not None and vqa.heatmap is not None:
        # The caption is the picture's alt text too (Gradio's gallery uses it as such).
        maps.append((result.render_vqa(opacity).crop(region),
                     vqa_heatmap_alt(result, where="around the face, cut from its map over the whole photo")))
    return maps


# -- the bias lab in the Compare tab -------------------------------------------

LAB_PER_CLASS = 3  # gallery images per race
LAB_SHOWN_SIZE = 192  # the lab's images are 32-64 px: shown larger, pixels kept sharp
LAB_MISSING = ("**No bias lab yet.** Click *Build the bias lab* in the Audit tab (or run `python -m training.demo`), "
               "then *Look for new models* here: a gallery of held-out synthetic faces appears, on which the fair "
               "and the census-biased race model can be compared.")
LAB_INTRO = ("**The bias lab** (SYNTHETIC data): held-out test images the models never trained or were tuned on, a "
             "few per race. Click one to see the fair and the census-biased race model side by side.")


def lab_gallery_items(images) -> list[tuple[Any, str]]:
    """(image, caption) per vqa.lab.GalleryImage, opened here so that Gradio serves copies, not server paths."""
    from PIL import Image

    return [(_enlarged(Image.open(image.path).convert("RGB")), f"{image.race} (test image {i + 1})")
            for i, image in enumerate(images)]


def lab_markdown(compared) -> str:
    """The fair and the biased model on one lab image (a vqa.engine.LabComparison): a table, one column each."""
    answers = {answer.model: answer for answer in compared.answers}
    names = list(compared.accuracy)
    infos = _infos(compared.comparison.face)
    race = compared.image.race

    def row(title, cell):
        return f"| {title} | " + " | ".join(cell(name) for name in names) + " |"

    def said(name, field):
        answer = answers.get(name)
        if answer is None or answer.confidence is None:
            return "no answer"
        return answer.answer if field == "answer" else f"{float(answer.confidence):.1%}"

    def ig_error(name):
        delta = infos.get(name, {}).get("ig", {}).get("ig_delta")
        return "n/a" if delta is None else f"{delta:.1%}"

    lines = [f"**True race: {race}** (a SYNTHETIC test image; the numbers say nothing about real faces).", "",
             "| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names),
             row("trained on", lambda n: _trained_on(answers[n].card) if n in answers else "not found"),
             row("answer", lambda n: said(n, "answer")),
             row("confidence", lambda n: said(n, "confidence")),
             row(f"accuracy on {race} (lab's balanced val split)",
                 lambda n: "n/a" if compared.accuracy[n] is None else f"{compared.accuracy[n]:.1%}"),
             row("Integrated Gradients completeness error", ig_error),
             *(row(f"{METHOD_TITLES[method]} beats a random map?", lambda n, m=method: _beats_random(infos, n, m))
               for method in ("gradcam", "ig"))]
    verdict = compared.comparison.agreement
    if verdict.count == 2:
        lines += ["", "Both models say the same." if verdict.agree else "**The two models disagree on this image.**"]
    return "\n".join(lines)


def lab_maps(compared, opacity: float) -> list[tuple[Any, str]]:
    """Grad-CAM then Integrated Gradients, the fair model left and the biased one right (two columns)."""
    result, face = compared.comparison.result, compared.comparison.face
    maps = []
    for method in ("gradcam", "ig"):
        for name in compared.accuracy:
            if method in face.heatmap_info.get(name, {}):
                maps.append((_enlarged(result.render(0, name, method, opacity)),
                             map_alt(face, name, method, where="on the whole test image")))
    return maps


def _beats_random(infos: dict, model: str, method: str) -> str:
    """One cell: does the map beat a random one at deletion (lower area) and insertion (higher)?"""
    scores = infos.get(model, {}).get(method, {}).get("faithfulness") or {}
    needed = ("deletion_auc", "random_deletion_auc", "insertion_auc", "random_insertion_auc")
    if any(scores.get(key) is None for key in needed):
        return "not measured"
    if any(math.isnan(float(scores[key])) for key in needed):
        return "cannot tell (the score hardly changes)"
    deletion = scores["deletion_auc"] < scores["random_deletion_auc"]
    insertion = scores["insertion_auc"] > scores["random_insertion_auc"]
    verdict = "yes" if deletion and insertion else "partly" if deletion or insertion else "no"
    return (f"{verdict} (deletion {scores['deletion_auc']:.2f} vs {scores['random_deletion_auc']:.2f}, "
            f"insertion {scores['insertion_auc']:.2f} vs {scores['random_insertion_auc']:.2f})")


def _trained_on(card) -> str:
    return (card.training_data or "not stated") + (" (SYNTHETIC)" if card.synthetic else "")


def _enlarged(image):
    from PIL import Image

    scale = max(1, LAB_SHOWN_SIZE // max(image.size))
    return image.resize((image.width * scale, image.height * scale), Image.NEAREST)
