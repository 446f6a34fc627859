"""Event handlers: call the engine, keep the Result server-side, hand views to widgets.

Each handler returns (or yields) a {component: value} map over its tab's
dataclass (app/layout.py); a component left out keeps its value. Every public
method is wrapped by app.errors.user_errors, so a person sees a sentence,
never a traceback. The photo is decoded by the engine, not here.
"""
from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Iterator

import gradio as gr

from app import views
from app.a11y import faces_alt
from app.cards_view import cards_markdown
from app.errors import InputError, user_errors
from app.faces_view import draw_faces, face_at
from app.stages import Dropped, StageQueues
from app.views import DEFAULT_IG_STEPS, METHODS, AskView
from vqa.explain import IG_BASELINE


class NoPhotoError(InputError):
    """The person asked before giving a photo."""


REPLACED = "Replaced by your newer question: this page asked again before this answer was complete."
FORGOTTEN = ("This answer was forgotten before it was complete: the page was closed, its time in memory ran out, "
             "or the server needed the room for newer questions. Please ask again.")


class Replaced(InputError):
    """A newer ask from the same session took this one's place."""


class Forgotten(InputError):
    """The ask's stored result went (page closed, expired, evicted) before its slow stage."""


class AskHandlers:
    """The Ask tab. Engine work runs in `stages` (app.stages.StageQueues): the
    quick stage and the slow stage each in their own pool."""

    def __init__(self, engine, store, tab, stages: StageQueues | None = None):
        self.engine, self.store, self.tab = engine, store, tab
        self.stages = stages or StageQueues()
        self._latest: dict[str, object] = {}  # session key -> the token of its newest ask
        self._latest_lock = threading.Lock()

    @user_errors
    def ask(self, photo, question, methods=METHODS, face_number=0, ig_steps=DEFAULT_IG_STEPS,
            ig_baseline=IG_BASELINE, whole_image=False, opacity=views.DEFAULT_OPACITY,
            request: gr.Request = None, progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
        """The /ask endpoint: JSON and the three heatmaps of the first answering
        model, first with the answer and Grad-CAM, then with everything.

        face_number 0 answers for every face found (so the picker can switch
        faces without asking again); k answers for the k-th largest only.
        """
        for key, view in self._stages(photo, question, methods, face_number, ig_steps, ig_baseline, whole_image,
                                      request, progress):
            yield self._api_update(key, view, opacity)

    @user_errors
    def ask_page(self, photo, question, methods=METHODS, face_number=0, ig_steps=DEFAULT_IG_STEPS,
                 ig_baseline=IG_BASELINE, whole_image=False, opacity=views.DEFAULT_OPACITY, whole_photo=False,
                 region_method=METHODS[0], request: gr.Request = None,
                 progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
        """The Ask button on the page: what /ask returns and everything the tab
        shows, in one update per stage (no second round trip to draw the answer)."""
        for key, view in self._stages(photo, question, methods, face_number, ig_steps, ig_baseline, whole_image,
                                      request, progress):
            update = self._api_update(key, view, opacity, whole_photo, alt_texts=True)
            yield {**update, **self._shown(view, whole_photo, region_method, opacity)}

    def _stages(self, photo, question, methods, face_number, ig_steps, ig_baseline, whole_image, request,
                progress) -> Iterator[tuple[str, views.AskView]]:
        """The ask in its two stages, each in its queue; (session key, the stored view) after each.
        A newer ask from the same session wins: this one then ends with Replaced
        (never with a silently shortened answer)."""
        if photo is None:
            raise NoPhotoError("Add a photo first: upload one, use the webcam, paste one, or pick an example.")
        stages = self.engine.ask_stages(
            photo, _question(question), explain=tuple(methods or ()), face_index=_face_index(face_number),
            ig_steps=int(ig_steps), ig_baseline=ig_baseline, whole_image=bool(whole_image), progress=progress,
        )
        key, token = _session_key(request), object()
        with self._latest_lock:
            self._latest[key] = token
        try:
            result = self.stages.quick(lambda: next(stages))
            self._check_current(key, token)
            view = views.AskView(result=result)
            self.store.put(key, view)  # the retention is counted from here
            if result.intent.kind == "unsupported":
                gr.Warning(result.intent.reason or "This question is outside what the models can answer.")
            yield key, view
            while True:
                kept = view
                try:
                    result = self.stages.slow(lambda: next(stages, None),
                                              wanted=functools.partial(self._wanted, key, token, kept))
                except Dropped:
                    self._check_current(key, token)
                    raise Forgotten(FORGOTTEN) from None
                if result is None:
                    return
                # A face or model picked while the slow maps were made stays picked.
                view = views.AskView(result=result, face=kept.face, model=kept.model)
                self._check_current(key, token)
                if not self.store.replace(key, view, expected=kept):
                    raise Forgotten(FORGOTTEN)
                yield key, view
        finally:
            stages.close()
            with self._latest_lock:
                if self._latest.get(key) is token:
                    del self._latest[key]

    def _wanted(self, key: str, token: object, kept: views.AskView) -> bool:
        """Someone still waits for this ask's slow stage: it is the session's newest, and its entry is still there."""
        return self._latest.get(key) is token and self.store.get(key) is kept

    def _check_current(self, key: str, token: object) -> None:
        if self._latest.get(key) is not token:
            raise Replaced(REPLACED)

    def _api_update(self, key: str, view: views.AskView, opacity: float, whole_photo: bool = False,
                    alt_texts: bool = False) -> dict:
        return {self.tab.result_json: view.result.to_dict(), self.tab.view: key,
                **self._heatmaps(view, opacity, whole_photo, alt_texts=alt_texts)}

    @user_errors
    def show_answer(self, key: str | None, whole_photo: bool = False, region_method: str = METHODS[0],
                    opacity: float = views.DEFAULT_OPACITY):
        """Everything the Ask tab shows besides the /ask outputs: the answer,
        the second opinion and its map, the trust panel and the region chart."""
        view = self.store.get(key)
        if view is None:
            return {}
        return self._shown(view, whole_photo, region_method, opacity)

    def _shown(self, view: views.AskView, whole_photo: bool, region_method: str, opacity: float) -> dict:
        tab, result = self.tab, view.result
        common = {tab.second_opinion: views.second_opinion_markdown(result, self.engine.second_opinion_problem),
                  **self._vqa_heatmap(view, opacity)}
        if not result.faces:
            answer = views.answer_markdown(result, 0) if result.intent.kind in ("unsupported", "general") else ""
            return {tab.answer: answer, tab.probabilities: None, tab.faces: None, tab.cards: "", tab.trust: "",
                    tab.model: gr.update(choices=[], value=None), tab.region_plot: None, tab.region_note: "",
                    **common}
        face = views.chosen_face(view)
        model = views.shown_model(view)
        return {
            tab.answer: views.answer_markdown(result, view.face),
            tab.probabilities: views.label_value(face, model),
            tab.faces: gr.update(value=draw_faces(result.image, views.boxes(result), view.face),
                                 alt_text=faces_alt(len(result.faces), view.face)),
            tab.model: gr.update(choices=views.model_names(face), value=model),
            tab.cards: cards_markdown([answer.card for answer in face.answers]),
            tab.trust: views.trust_markdown(face, model),
            **self._regions(view, region_method),
            **common,
        }

    @user_errors
    def rerender(self, key: str | None, model: str | None, opacity: float, whole_photo: bool = False,
                 region_method: str = METHODS[0]):
        """New model, opacity, framing or region map: redraw from the stored Result, no recomputation."""
        view = self.store.get(key)
        if view is None:
            return {}
        if not view.result.faces:
            return self._vqa_heatmap(view, opacity)
        view.model = model  # the entry's expiry stays where the ask put it
        face, shown = views.chosen_face(view), views.shown_model(view)
        return {self.tab.probabilities: views.label_value(face, shown),
                self.tab.trust: views.trust_markdown(face, shown),
                **self._heatmaps(view, opacity, whole_photo), **self._vqa_heatmap(view, opacity),
                **self._regions(view, region_method)}

    @user_errors
    def pick_face(self, key: str | None, opacity: float, whole_photo: bool, region_method: str = METHODS[0],
                  evt: gr.SelectData = None):
        """A click on the boxed photo shows the face under it: every face was
        already answered, so this only redraws."""
        view = self.store.get(key)
        if view is None or evt is None or evt.index is None:
            return {}
        hit = face_at(views.boxes(view.result), *evt.index[:2])
        if hit is None:
            return {}
        view.face = hit
        return {**self.show_answer(key, whole_photo, region_method, opacity),
                **self._heatmaps(view, opacity, whole_photo)}

    def forget(self, request: gr.Request = None) -> None:
        """The page was closed: drop its Result now rather than at its expiry."""
        self.store.pop(_session_key(request, new=False))

    def _vqa_heatmap(self, view: AskView, opacity: float) -> dict:
        image = views.vqa_heatmap_image(view.result, opacity)
        return {self.tab.vqa_heatmap: gr.update(value=image, visible=image is not None,
                                                alt_text=views.vqa_heatmap_alt(view.result))}

    def _regions(self, view: AskView, method: str) -> dict:
        figure, note = views.region_figure(view.result, view.face, views.shown_model(view), method or METHODS[0])
        return {self.tab.region_plot: figure, self.tab.region_note: note}

    def _heatmaps(self, view: AskView, opacity: float, whole_photo: bool, alt_texts: bool = True) -> dict:
        """{component: picture}: for the page each with its alt text (a screen reader's only way to
        it); for /ask plain images (an update would reach its clients as a dict, not an image)."""
        faces = bool(view.result.faces)
        model = views.shown_model(view) if faces else None
        images = (views.heatmap_images(view.result, view.face, model, float(opacity), whole_photo=bool(whole_photo))
                  if faces else dict.fromkeys(METHODS))
        if not alt_texts:
            return {self.tab.heatmaps[method]: image for method, image in images.items()}
        alts = views.heatmap_alts(view.result, view.face, model, bool(whole_photo)) if faces else {}
        return {self.tab.heatmaps[method]: gr.update(value=image, alt_text=alts.get(method))
                for method, image in images.items()}


class CompareHandlers:
    def __init__(self, engine, tab, stages: StageQueues | None = None):
        self.engine, self.tab = engine, tab
        self.stages = stages or StageQueues()

    @user_errors
    def compare(self, photo, attribute, opacity=views.DEFAULT_OPACITY,
                progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
        """Every model for `attribute` on the largest face, side by side, and the
        general VQA model as one more row when it is on."""
        if photo is None:
            raise NoPhotoError("Add a photo first: upload one, use the webcam, paste one, or pick an example.")
        comparison = self.stages.slow(lambda: self.engine.compare(photo, attribute, progress=progress))
        result, face = comparison.result, comparison.face
        verdict = "\n\n".join([views.agreement_markdown(comparison), *views.problem_lines(result)])
        return {self.tab.verdict: verdict, self.tab.table: views.comparison_rows(face, comparison.vqa),
                self.tab.gallery: views.comparison_maps(comparison, float(opacity))}

    @user_errors
    def rescan(self):
        """Models trained since start-up (python -m training.demo, training.train) join without a restart."""
        self.engine.reload()
        return {self.tab.verdict: views.models_markdown(self.engine.cards(), self.engine.problems)}


class LabHandlers:
    """The Compare tab's bias lab: a gallery of held-out synthetic test images;
    a click shows the fair and the census-biased model side by side on it."""

    def __init__(self, engine, tab, per_class: int = views.LAB_PER_CLASS, stages: StageQueues | None = None):
        self.engine, self.tab, self.per_class = engine, tab, per_class
        self.stages = stages or StageQueues()

    @user_errors
    def show(self):
        """The gallery when the lab is built; otherwise a line on how to build it."""
        images = self.engine.lab_gallery(self.per_class)
        tab = self.tab
        if not images:
            return {tab.intro: views.LAB_MISSING, tab.gallery: gr.update(value=None, visible=False),
                    tab.verdict: "", tab.maps: gr.update(value=None, visible=False)}
        return {tab.intro: views.LAB_INTRO, tab.gallery: gr.update(value=views.lab_gallery_items(images), visible=True)}

    @user_errors
    def pick(self, opacity=views.DEFAULT_OPACITY, evt: gr.SelectData = None):
        """A click on a gallery image: both lab models' answers, confidences, maps and class accuracy."""
        images = self.engine.lab_gallery(self.per_class)
        index = evt.index if evt is not None else None
        if isinstance(index, (list, tuple)):
            index = index[0]
        if index is None or not 0 <= int(index) < len(images):
            return {}
        compared = self.stages.slow(lambda: self.engine.compare_lab(images[int(index)]))
        return {self.tab.verdict: views.lab_markdown(compared),
                self.tab.maps: gr.update(value=views.lab_maps(compared, float(opacity)), visible=True)}


def _session_key(request, new: bool = True) -> str | None:
    """The browser session's id (what the page's unload names); a fresh one
    for a call without a session."""
    session = getattr(request, "session_hash", None) if request is not None else None
    if session:
        return f"ask:{session}"
    return f"ask:{uuid.uuid4().hex}" if new else None


def _question(question) -> str:
    # Too long or off-topic questions are the router's to explain (as "unsupported").
    text = (question or "").strip()
    if not text:
        raise InputError("Type a question, for example \"How old is this person?\"")
    return text


def _face_index(face_number) -> int | None:
    """0 or empty: every face; k: the k-th largest (the engine counts from 0)."""
    if face_number is None or int(face_number) == 0:
        return None
    if int(face_number) < 0:
        raise InputError("Face numbers start at 1 (the largest face); 0 means every face.")
    return int(face_number) - 1
