"""Turning an engine Result into what the widgets show.

Pure functions of the Result (no Gradio, no ML): the answer sentence, the
gr.Label dict, the heatmap overlays of one model, the comparison table. Kept
apart from the event handlers so each can be tested on its own.
"""
from __future__ import annotations

import dataclasses
from typing import Any

METHODS = ("gradcam", "guided", "ig")
METHOD_TITLES = {"gradcam": "Grad-CAM", "guided": "Guided Grad-CAM", "ig": "Integrated Gradients"}
DEFAULT_OPACITY = 0.5
ZOOM = 2.2  # heatmaps show the face and this much context around it


@dataclasses.dataclass
class AskView:
    """What the Ask tab remembers between events: the Result and what is picked."""

    result: Any  # vqa Result
    face: int = 0  # index into result.faces
    model: str | None = None  # whose heatmaps are shown; None: the first answer's


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
    """One line per model: its answer, confidence and what it was trained on."""
    intent = result.intent
    if intent.kind == "unsupported":
        return f"**This app cannot answer that question.** {intent.reason or ''}".strip()
    face = result.faces[face_index]
    lines = [f"**{answer.model}**: {answer.text}" for answer in face.answers]
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
    return "\n\n".join(lines)


def problem_lines(result) -> list[str]:
    """What the engine could not do (a missing model, a model that failed), in its words."""
    return [f"⚠️ {problem}" for problem in dict.fromkeys(result.problems)]


def label_value(face, model: str | None) -> dict[str, float] | None:
    """The chosen model's probabilities over its own labels, for gr.Label."""
    for answer in face.answers:
        if answer.model == model:
            return {label: float(p) for label, p in answer.probabilities.items()}
    return None


def heatmap_images(result, face_index: int, model: str | None, opacity: float) -> list:
    """[Grad-CAM, Guided Grad-CAM, IG] overlays of `model` (None where not
    computed), cut to the face: in a whole photo a face is often a few dozen
    pixels wide and the heatmap's detail would be lost."""
    face = result.faces[face_index]
    made = face.heatmaps.get(model, {}) if model else {}
    region = face_region(face.box, result.image.shape)
    return [result.render(face_index, model, method, opacity).crop(region) if method in made else None
            for method in METHODS]


def ig_line(face) -> str | None:
    """How exact each model's Integrated Gradients sum was: its completeness
    error delta, which more steps make smaller."""
    igs = {model: methods["ig"] for model, methods in face.heatmap_info.items() if "ig" in methods}
    if not igs:
        return None
    steps = "/".join(str(m) for m in sorted({ig["ig_steps"] for ig in igs.values()}))
    errors = ", ".join(f"{model} {ig['ig_delta']:.1%}" for model, ig in igs.items())
    return f"*Integrated Gradients, m={steps} steps: completeness error {errors} (more steps make it smaller).*"


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


def comparison_rows(face) -> list[list]:
    """Model, trained on, answer, confidence, top probability: one row each."""
    rows = []
    for answer in face.answers:
        top = max(answer.probabilities.items(), key=lambda item: item[1])
        rows.append([
            answer.model,
            (answer.card.training_data or "not stated") + (" (SYNTHETIC)" if answer.card.synthetic else ""),
            answer.answer,
            None if answer.confidence is None else round(float(answer.confidence), 3),
            f"{top[0]} {top[1]:.2f}",
        ])
    return rows


def agreement_markdown(face, attribute: str) -> str:
    """Whether the models agree, in one glance. Label spaces differ (UTKFace's
    "Asian", GEAR's age bins), so answers are compared by meaning: the same
    class, a class inside a broader one, or overlapping age ranges."""
    answers = [a for a in face.answers if a.confidence is not None]
    if not answers:
        return f"No model answers **{attribute}** here."
    pairs = [(a, b) for i, a in enumerate(answers) for b in answers[i + 1:]]
    if all(_compatible(a.answer, b.answer, attribute) for a, b in pairs):
        said = " / ".join(dict.fromkeys(a.answer for a in answers))
        return f"✅ **All {len(answers)} {attribute} models agree: {said}.**"
    groups: dict[str, list[str]] = {}
    for answer in answers:
        groups.setdefault(answer.answer, []).append(answer.model)
    parts = "; ".join(f"**{label}**: {', '.join(models)}" for label, models in groups.items())
    return f"⚠️ **The {attribute} models disagree.** {parts}"


# A broader class that contains finer ones in another label space.
BROADER = {"asian": {"east asian", "southeast asian"}}
SAME = {"man": "male", "woman": "female"}


def _compatible(a: str, b: str, attribute: str) -> bool:
    if attribute == "age":
        return _ages_overlap(a, b)
    a, b = _canonical(a), _canonical(b)
    return a == b or b in BROADER.get(a, ()) or a in BROADER.get(b, ())


def _ages_overlap(a: str, b: str) -> bool:
    from models.labels import age_label_bounds

    try:
        (low_a, high_a), (low_b, high_b) = age_label_bounds(a), age_label_bounds(b)
    except ValueError:
        return a == b
    return low_a <= (high_b if high_b is not None else 10**6) and low_b <= (high_a if high_a is not None else 10**6)


def _canonical(label: str) -> str:
    text = label.strip().lower().replace("_", " ")
    return SAME.get(text, text)
