"""Event handlers: decode the photo, call the engine, hand views to widgets.

Each public method is bound to one event in app/layout.py and wrapped by
app.errors.user_errors, so a person sees a sentence, never a traceback.
"""
from __future__ import annotations

import gradio as gr

from app import views
from app.cards_view import cards_markdown
from app.errors import user_errors
from app.faces_view import draw_faces, face_at
from app.settings import MAX_PIXELS
from app.views import METHODS, AskView

COMPARE_QUESTIONS = {
    "race": "What is this person's race?",
    "gender": "What is this person's gender?",
    "age": "How old is this person?",
}


class NoPhotoError(ValueError):
    """The person asked before giving a photo."""


class Handlers:
    def __init__(self, backend):
        self.backend = backend

    # -- Ask tab ---------------------------------------------------------------

    @user_errors
    def ask(self, photo, question, methods=METHODS, face_number=0, ig_steps=32, ig_baseline="black",
            whole_image=False, opacity=views.DEFAULT_OPACITY, progress=gr.Progress()):
        """The /ask endpoint: JSON, three heatmaps of the first answering model, state.

        face_number 0 answers for every face found (so the picker can switch
        faces without asking again); k answers for the k-th largest only.
        """
        image = _load(photo)
        question = _question(question)
        result = self.backend.ask(
            image, question, explain=tuple(methods or ()), face_index=_face_index(face_number),
            ig_steps=int(ig_steps), ig_baseline=ig_baseline, whole_image=bool(whole_image),
            progress=progress,
        )
        view = AskView(result=result)
        if result.intent.kind == "unsupported":
            gr.Warning(result.intent.reason or "This question is outside what the models can answer.")
        heatmaps = self._heatmaps(view, opacity)
        return [result.to_dict(), *heatmaps, view]

    @user_errors
    def show_answer(self, view: AskView | None):
        """Everything the Ask tab shows besides the /ask outputs."""
        if view is None:
            return [gr.skip()] * 6
        result = view.result
        if not result.faces:
            return ["" if result.intent.kind != "unsupported" else views.answer_markdown(result, 0),
                    None, None, gr.update(choices=[], value=None), "", self._second_opinion(result)]
        face = views.chosen_face(view)
        model = views.shown_model(view)
        faces_image = draw_faces(result.image, views.boxes(result), view.face)
        return [
            views.answer_markdown(result, view.face),
            views.label_value(face, model),
            faces_image,
            gr.update(choices=views.model_names(face), value=model),
            cards_markdown([answer.card for answer in face.answers]),
            self._second_opinion(result),
        ]

    @user_errors
    def rerender(self, view: AskView | None, model: str | None, opacity: float):
        """New opacity or model: redraw from the stored Result, no recomputation."""
        if view is None or not view.result.faces:
            return [gr.skip()] * 4 + [view]
        view.model = model
        face = views.chosen_face(view)
        return [views.label_value(face, views.shown_model(view)), *self._heatmaps(view, opacity), view]

    @user_errors
    def pick_face(self, view: AskView | None, opacity: float, evt: gr.SelectData):
        """A click on the boxed photo shows the face under it: every face was
        already answered, so this only redraws."""
        if view is None or evt is None or evt.index is None:
            return [gr.skip()] * 10
        hit = face_at(views.boxes(view.result), *evt.index[:2])
        if hit is None:
            return [gr.skip()] * 10
        view.face = hit
        return [*self.show_answer(view), *self._heatmaps(view, opacity), view]

    def _second_opinion(self, result) -> str:
        if result.second_opinion:
            return f"**Second opinion** from a general-purpose VQA model: {result.second_opinion.text}"
        if self.backend.second_opinion_problem:
            return f"*No second opinion: {self.backend.second_opinion_problem}*"
        return ""

    def _heatmaps(self, view: AskView, opacity: float) -> list:
        if not view.result.faces:
            return [None] * len(METHODS)
        return views.heatmap_images(view.result, view.face, views.shown_model(view), float(opacity))

    # -- Compare tab -----------------------------------------------------------

    @user_errors
    def compare(self, photo, attribute, opacity=views.DEFAULT_OPACITY, progress=gr.Progress()):
        """Every model for `attribute` on the largest face, side by side."""
        if attribute not in COMPARE_QUESTIONS:
            raise ValueError(f"choose one of {', '.join(COMPARE_QUESTIONS)}")
        result = self.backend.ask(_load(photo), COMPARE_QUESTIONS[attribute], explain=("gradcam", "ig"),
                                  face_index=0, progress=progress)
        face = result.faces[0]
        region = views.face_region(face.box, result.image.shape)
        gallery = []
        for model in views.model_names(face):
            for method in ("gradcam", "ig"):
                if method in face.heatmaps.get(model, {}):
                    caption = f"{model} · {views.METHOD_TITLES[method]}"
                    gallery.append((result.render(0, model, method, float(opacity)).crop(region), caption))
        verdict = "\n\n".join([views.agreement_markdown(face, attribute), *views.problem_lines(result)])
        return verdict, views.comparison_rows(face), gallery


def _load(photo):
    from models.intake import load_image

    if photo is None:
        raise NoPhotoError("Add a photo first: upload one, use the webcam, paste one, or pick an example.")
    return load_image(photo, max_pixels=MAX_PIXELS)


def _question(question) -> str:
    # Too long or off-topic questions are the router's to explain (as "unsupported").
    text = (question or "").strip()
    if not text:
        raise ValueError("Type a question, for example \"How old is this person?\"")
    return text


def _face_index(face_number) -> int | None:
    """0 or empty: every face; k: the k-th largest (the engine counts from 0)."""
    if face_number is None or int(face_number) == 0:
        return None
    if int(face_number) < 0:
        raise ValueError("Face numbers start at 1 (the largest face); 0 means every face.")
    return int(face_number) - 1
