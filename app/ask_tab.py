"""The Ask tab: a photo and a question in; every model's answer, its heatmaps
and whether to trust them out.

Read top to bottom, as the page is: the tab's components (AskTab) and their
layout (build), the events (wire), what each event does (AskHandlers), then
the words and pictures drawn from a vqa Result, read from its typed records
(FaceResult.records: vqa.result.ModelAnswer, ExplainedMap). The trust panel
under the maps is app/trust_view.py. The /ask API is part of this tab: its
name, inputs, their order and its outputs stay as they are.
"""
from __future__ import annotations

import dataclasses
import functools
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import gradio as gr

from app import trust_view
from app.a11y import faces_alt
from app.cards_view import cards_markdown
from app.common import DEFAULT_OPACITY, METHOD_TITLES, METHODS, percent, problem_lines
from app.components import photo_input
from app.errors import InputError, NoPhotoError, user_errors
from app.faces_view import draw_faces, face_at, face_boxes, face_region
from app.settings import ASK_EVENTS
from app.stages import Dropped, StageQueues
from vqa.confidence import confidence_text
from vqa.explain import IG_BASELINE, Exactness
from vqa.numbers import PAGE_FACES
from vqa.pipeline import AskOptions
from vqa.text import MAX_QUESTION_CHARS

DEFAULT_IG_STEPS = 0  # adaptive IG, exact to IG_TOLERANCE
IG_BASELINES = ("black", "white", "blur")  # xai.baselines' names the page offers
EXAMPLE_QUESTIONS = (
    "Is this a woman?",
    "How old is this person?",
    "Is this person older than 30?",
    "What is this person's race?",
    "Is she East Asian?",
)
REPLACED = "Replaced by your newer question: this page asked again before this answer was complete."
FORGOTTEN = "This answer was dropped before it was complete: its page was closed."


class Replaced(InputError):
    """A newer ask from the same session took this one's place."""


class Forgotten(InputError):
    """The ask's page was closed before its slow stage ran (nobody waits for it)."""


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

    @property
    def chosen_face(self):
        return self.result.faces[self.face]

    @property
    def shown_model(self) -> str | None:
        names = model_names(self.chosen_face)
        if self.model in names:
            return self.model
        return names[0] if names else None


# -- the components and their layout -------------------------------------------

@dataclasses.dataclass
class AskTab:
    photo: gr.Image
    question: gr.Textbox
    methods: gr.CheckboxGroup
    face_number: gr.Number
    ig_steps: gr.Slider
    ig_baseline: gr.Radio
    whole_image: gr.Checkbox
    ask_button: gr.Button
    api_trigger: gr.Button  # hidden: the /ask endpoint's own event
    answer: gr.Markdown
    probabilities: gr.Label
    faces: gr.Image
    second_opinion: gr.Markdown
    cards: gr.Markdown
    trust: gr.Markdown
    model: gr.Dropdown
    opacity: gr.Slider
    whole_photo: gr.Checkbox
    heatmaps: dict[str, gr.Image]  # method -> its image, in METHODS order
    vqa_heatmap: gr.Image  # the general VQA model's IG map over the photo; not an /ask output
    region_method: gr.Radio  # whose map the region chart shows
    region_plot: gr.Plot
    region_note: gr.Markdown
    reliability: gr.Image  # the answering model's reliability diagram, from its audit
    curves: gr.Plot  # each map's deletion and insertion curves against a random map's
    crops: gr.Gallery  # the stability check's crops with what the model said on each
    numbers: gr.Markdown  # the numbers behind those pictures, folded away
    lab_models: gr.Checkbox  # also ask the bias lab's SYNTHETIC models (off: they mean nothing on a real face)
    result_json: gr.JSON
    view: gr.State  # the key of this session's entry in the SessionStore, nothing else

    @property
    def api_inputs(self) -> list:
        """What /ask takes, in its order (the API's names and positions stay)."""
        return [self.photo, self.question, self.methods, self.face_number, self.ig_steps, self.ig_baseline,
                self.whole_image, self.opacity]

    @property
    def api_outputs(self) -> list:
        """What /ask returns (JSON, three heatmaps); the key is not part of the API."""
        return [self.result_json, *self.heatmaps.values(), self.view]

    @property
    def shown(self) -> list:
        """Everything besides the API outputs that an answer redraws."""
        return [self.answer, self.probabilities, self.faces, self.model, self.cards, self.second_opinion,
                self.trust, self.vqa_heatmap, self.region_plot, self.region_note, *self.pictures]

    @property
    def pictures(self) -> list:
        return [self.reliability, self.curves, self.crops, self.numbers]

    @property
    def redrawn(self) -> list:
        """What a new model, opacity or framing redraws."""
        return [self.probabilities, self.trust, *self.heatmaps.values(), self.vqa_heatmap, self.region_plot,
                self.region_note, *self.pictures]


def build(examples: list[str]) -> AskTab:
    """The tab's components, laid out as the page shows them (inside a gr.Tab)."""
    with gr.Row():
        with gr.Column(scale=1):
            photo = photo_input(label="Photo", elem_id="ask-photo")
            gr.Examples(examples, inputs=photo, label="Example photos", cache_examples=False)
            question = gr.Textbox(label="Question", placeholder="How old is this person?",
                                  max_length=MAX_QUESTION_CHARS, elem_id="ask-question")
            gr.Examples([[q] for q in EXAMPLE_QUESTIONS], inputs=question, label="Example questions",
                        cache_examples=False)
            ask_button = gr.Button("Ask", variant="primary", elem_id="ask-button")
            # /ask's trigger for API clients: the page's button runs ask_page instead,
            # which also draws the tab in the same update. Never shown.
            api_trigger = gr.Button("Ask (API)", visible=False)
            with gr.Accordion("Method settings", open=False):
                methods = gr.CheckboxGroup([(METHOD_TITLES[m], m) for m in METHODS], value=list(METHODS),
                                           label="Heatmaps to compute")
                face_number = gr.Number(value=PAGE_FACES.every, minimum=PAGE_FACES.every, precision=0,
                                        label="Face number", info=PAGE_FACES.help)
                ig_steps = gr.Slider(0, 128, value=DEFAULT_IG_STEPS, step=8, label="Integrated Gradients steps (m)",
                                     info="0: adaptive, as many as it takes to be exact to 1%; "
                                          "m > 0: the fixed m-step sum (more: more exact, slower)")
                ig_baseline = gr.Radio(list(IG_BASELINES), value=IG_BASELINE, label="IG baseline x'",
                                       info="blur: a blurred copy of the face, which can credit dark pixels too")
                whole_image = gr.Checkbox(False, label="No face found? Analyse the whole picture as one face")
                lab_models = gr.Checkbox(False, label="Also ask the bias lab's SYNTHETIC race models (trained on "
                                                      "cartoon faces: their answers about a real photo mean nothing)")
        with gr.Column(scale=1):
            answer = gr.Markdown(elem_id="ask-answer")
            probabilities = gr.Label(num_top_classes=5, label="Probabilities of the model shown",
                                     elem_id="ask-label")
            faces = gr.Image(label="Faces found (click one to ask about it)", interactive=False,
                             format="png", elem_id="ask-faces")
            second_opinion = gr.Markdown()
            reliability = gr.Image(label="How often this model is right when it is this sure (its audit's "
                                         "reliability diagram)", interactive=False, format="png",
                                   elem_id="ask-reliability")
            with gr.Accordion("Model cards: what answered, trained on what", open=False):
                cards = gr.Markdown()
    with gr.Row():
        model = gr.Dropdown(choices=[], label="Heatmaps of model", interactive=True)
        opacity = gr.Slider(0.0, 1.0, value=DEFAULT_OPACITY, step=0.05, label="Heatmap opacity")
        whole_photo = gr.Checkbox(False, label="Show the maps on the whole photo", elem_id="whole-photo")
    with gr.Row(elem_id="ask-heatmaps"):
        heatmaps = {m: gr.Image(label=METHOD_TITLES[m], interactive=False, format="png",
                                elem_id=f"heatmap-{m}") for m in METHODS}
        # Shown only when the general VQA model made a map (--vqa-model, with IG asked for).
        vqa_heatmap = gr.Image(label="General VQA model: Integrated Gradients over the photo", interactive=False,
                               format="png", elem_id="heatmap-vqa", visible=False)
    with gr.Row():
        curves = gr.Plot(label="Does each map beat a random map? Its deletion and insertion curves",
                         elem_id="ask-curves")
        crops = gr.Gallery(label="Does the answer survive small changes of the crop?", columns=7, height="auto",
                           allow_preview=False, format="png", elem_id="ask-crops")
    trust = gr.Markdown(elem_id="ask-trust")
    with gr.Accordion("The numbers behind the pictures", open=False):
        numbers = gr.Markdown(elem_id="ask-numbers")
    with gr.Accordion("Where on the face: the map's weight per region, checked by greying each out", open=True):
        region_method = gr.Radio([(METHOD_TITLES[m], m) for m in METHODS], value=METHODS[0],
                                 label="Region chart of the map")
        region_plot = gr.Plot(label="Face regions", elem_id="ask-regions")
        region_note = gr.Markdown(elem_id="ask-regions-note")
    with gr.Accordion("The answer as JSON (what the /ask API returns)", open=False):
        result_json = gr.JSON(label="result")
    view = gr.State(None)
    return AskTab(photo=photo, question=question, methods=methods, face_number=face_number, ig_steps=ig_steps,
                  ig_baseline=ig_baseline, whole_image=whole_image, ask_button=ask_button, api_trigger=api_trigger,
                  answer=answer, probabilities=probabilities, faces=faces, second_opinion=second_opinion,
                  cards=cards, trust=trust, model=model, opacity=opacity, whole_photo=whole_photo,
                  heatmaps=heatmaps, vqa_heatmap=vqa_heatmap, region_method=region_method, region_plot=region_plot,
                  region_note=region_note, reliability=reliability, curves=curves, crops=crops, numbers=numbers,
                  lab_models=lab_models, result_json=result_json, view=view)


# -- the events ------------------------------------------------------------------

def wire(handlers: AskHandlers) -> None:
    tab = handlers.tab
    redraw = dict(fn=handlers.rerender, inputs=[tab.view, tab.model, tab.opacity, tab.whole_photo,
                                                tab.region_method],
                  outputs=tab.redrawn, api_visibility="private", queue=False)
    # Both ask events wait on the stage queues (app.stages), which bound the engine's
    # work; Gradio lets ASK_EVENTS of them in so that a newcomer's quick stage is queued
    # there, beside (not behind) other visitors' slow stages.
    tab.api_trigger.click(handlers.ask, tab.api_inputs, tab.api_outputs, api_name="ask", concurrency_id="ask",
                          concurrency_limit=ASK_EVENTS,
                          api_description="Answer a question about the face(s) in a photo: JSON and three heatmaps.")
    # The page: one update per stage draws everything (no second round trip); a newer
    # question from the page starts at once and replaces the older ask.
    gr.on([tab.ask_button.click, tab.question.submit], handlers.ask_page,
          [*tab.api_inputs, tab.whole_photo, tab.region_method, tab.lab_models], [*tab.api_outputs, *tab.shown],
          api_visibility="private", concurrency_id="ask", concurrency_limit=ASK_EVENTS, trigger_mode="multiple")
    tab.model.input(**redraw)
    tab.opacity.release(**redraw)
    tab.whole_photo.input(**redraw)
    tab.region_method.input(**redraw)
    tab.faces.select(handlers.pick_face, [tab.view, tab.opacity, tab.whole_photo, tab.region_method],
                     [*tab.shown, *tab.heatmaps.values()], api_visibility="private", queue=False)


# -- what each event does ----------------------------------------------------------

class AskHandlers:
    """The Ask tab's events, each returning a {component: value} map. Engine
    work runs in `stages` (app.stages.StageQueues): the quick stage and the
    slow stage each in their own pool. The Result lives in `store` (app.store),
    the page holds its key."""

    def __init__(self, engine, store, tab: AskTab, stages: StageQueues | None = None):
        self.engine, self.store, self.tab = engine, store, tab
        self.stages = stages or StageQueues()
        self._latest: dict[str, object] = {}  # session key -> the token of its newest ask
        self._closed: set[str] = set()  # sessions whose page closed while an ask ran
        self._latest_lock = threading.Lock()

    @user_errors
    def ask(self, photo, question, methods=METHODS, face_number=PAGE_FACES.every, ig_steps=DEFAULT_IG_STEPS,
            ig_baseline=IG_BASELINE, whole_image=False, opacity=DEFAULT_OPACITY,
            request: gr.Request = None, progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
        """The /ask endpoint: JSON and the three heatmaps of the first answering
        model, first with the answer and Grad-CAM, then with everything.

        face_number (vqa.numbers.PAGE_FACES): 0 answers for every face found (so
        the picker can switch faces without asking again); k for the k-th largest only.
        """
        question = _asked(photo, question)
        options = self.options(methods, face_number, ig_steps, ig_baseline, whole_image)
        for key, view in self._stages(photo, question, options, request, progress):
            yield self._api_update(key, view, opacity)

    @user_errors
    def ask_page(self, photo, question, methods=METHODS, face_number=PAGE_FACES.every, ig_steps=DEFAULT_IG_STEPS,
                 ig_baseline=IG_BASELINE, whole_image=False, opacity=DEFAULT_OPACITY, whole_photo=False,
                 region_method=METHODS[0], lab_models=False, request: gr.Request = None,
                 progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
        """The Ask button on the page: what /ask returns and everything the tab
        shows, in one update per stage (no second round trip to draw the answer).
        lab_models: the visitor opted in to the bias lab's SYNTHETIC models' answers."""
        question = _asked(photo, question)
        options = self.options(methods, face_number, ig_steps, ig_baseline, whole_image)
        for key, view in self._stages(photo, question, options, request, progress, bool(lab_models)):
            update = self._api_update(key, view, opacity, whole_photo, alt_texts=True)
            yield {**update, **self._shown(view, whole_photo, region_method, opacity)}

    def options(self, methods, face_number, ig_steps, ig_baseline, whole_image) -> AskOptions:
        """The page's Method settings as the engine's AskOptions, with this engine's general VQA model."""
        return AskOptions(methods=tuple(methods or ()), face_index=PAGE_FACES.index(face_number),
                          ig_steps=int(ig_steps), ig_baseline=ig_baseline, whole_image=bool(whole_image),
                          general_vqa=self.engine.general_vqa_model)

    def _stages(self, photo, question: str, options: AskOptions, request, progress,
                lab_models: bool = False) -> Iterator[tuple[str, AskView]]:
        """The ask in its two stages, each in its queue; (session key, the stored view) after each.
        A newer ask from the same session wins: this one then ends with Replaced
        (never with a silently shortened answer)."""
        stages = self.engine.ask_stages(photo, question, options=options, progress=progress, lab_models=lab_models)
        key, token = _session_key(request), object()
        with self._latest_lock:
            self._latest[key] = token
        try:
            result = self.stages.quick(lambda: next(stages))
            self._check_current(key, token)
            view = AskView(result=result)
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
                    raise Replaced(REPLACED) from None  # not reached: dropped means no longer current
                if result is None:
                    return
                # A face or model picked while the slow maps were made stays picked.
                view = AskView(result=result, face=kept.face, model=kept.model)
                self._check_current(key, token)
                # Kept only while the first stage's entry is: past its retention (or evicted for
                # room) the whole answer still goes to the caller waiting for it, and nowhere else.
                self.store.replace(key, view, expected=kept)
                yield key, view
        finally:
            stages.close()
            with self._latest_lock:
                if self._latest.get(key) is token:
                    del self._latest[key]
                self._closed.discard(key)

    def _wanted(self, key: str, token: object, kept: AskView) -> bool:
        """Someone still waits for this ask's slow stage: it is the session's newest ask and
        its page is open (forget() takes a closed page's asks off _latest)."""
        return self._latest.get(key) is token

    def _check_current(self, key: str, token: object) -> None:
        """Replaced when a newer ask of the session took this one's place; Forgotten when its page closed."""
        if self._latest.get(key) is not token:
            raise Forgotten(FORGOTTEN) if key in self._closed else Replaced(REPLACED)

    def _api_update(self, key: str, view: AskView, opacity: float, whole_photo: bool = False,
                    alt_texts: bool = False) -> dict:
        return {self.tab.result_json: view.result.to_dict(), self.tab.view: key,
                **self._heatmaps(view, opacity, whole_photo, alt_texts=alt_texts)}

    @user_errors
    def show_answer(self, key: str | None, whole_photo: bool = False, region_method: str = METHODS[0],
                    opacity: float = DEFAULT_OPACITY):
        """Everything the Ask tab shows besides the /ask outputs: the answer,
        the second opinion and its map, the trust panel and the region chart."""
        view = self.store.get(key)
        if view is None:
            return {}
        return self._shown(view, whole_photo, region_method, opacity)

    def _shown(self, view: AskView, whole_photo: bool, region_method: str, opacity: float) -> dict:
        tab, result = self.tab, view.result
        common = {tab.second_opinion: second_opinion_markdown(result, self.engine.general_vqa_problem),
                  **self._vqa_heatmap(view, opacity)}
        if not result.faces:
            answer = answer_markdown(result, 0) if result.intent.kind in ("unsupported", "general") else ""
            return {tab.answer: answer, tab.probabilities: None, tab.faces: None, tab.cards: "", tab.trust: "",
                    tab.model: gr.update(choices=[], value=None), tab.region_plot: None, tab.region_note: "",
                    tab.reliability: None, tab.curves: None, tab.crops: None, tab.numbers: "", **common}
        face, model = view.chosen_face, view.shown_model
        return {
            tab.answer: answer_markdown(result, view.face),
            tab.probabilities: label_value(face, model),
            tab.faces: gr.update(value=draw_faces(result.image, face_boxes(result), view.face),
                                 alt_text=faces_alt(len(result.faces), view.face)),
            tab.model: gr.update(choices=model_names(face), value=model),
            tab.cards: cards_markdown([record.answer.card for record in face.records]),
            tab.trust: trust_view.trust_markdown(face, model),
            **self._regions(view, region_method),
            **self._pictures(face, model),
            **common,
        }

    def _pictures(self, face, model: str | None) -> dict:
        tab = self.tab
        return {tab.reliability: trust_view.reliability_image(face, model),
                tab.curves: trust_view.curves_figure(face, model), tab.crops: trust_view.crop_strip(face, model),
                tab.numbers: trust_view.numbers_markdown(face, model)}

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
        face, shown = view.chosen_face, view.shown_model
        return {self.tab.probabilities: label_value(face, shown),
                self.tab.trust: trust_view.trust_markdown(face, shown),
                **self._heatmaps(view, opacity, whole_photo), **self._vqa_heatmap(view, opacity),
                **self._regions(view, region_method), **self._pictures(face, shown)}

    @user_errors
    def pick_face(self, key: str | None, opacity: float, whole_photo: bool, region_method: str = METHODS[0],
                  evt: gr.SelectData = None):
        """A click on the boxed photo shows the face under it: every face was
        already answered, so this only redraws."""
        view = self.store.get(key)
        if view is None or evt is None or evt.index is None:
            return {}
        hit = face_at(face_boxes(view.result), *evt.index[:2])
        if hit is None:
            return {}
        view.face = hit
        return {**self.show_answer(key, whole_photo, region_method, opacity),
                **self._heatmaps(view, opacity, whole_photo)}

    def forget(self, request: gr.Request = None) -> None:
        """The page was closed: drop its Result now rather than at its expiry, and its
        ask's slow stage before it runs."""
        key = _session_key(request, new=False)
        self.store.pop(key)
        with self._latest_lock:
            if self._latest.pop(key, None) is not None:
                self._closed.add(key)

    def _vqa_heatmap(self, view: AskView, opacity: float) -> dict:
        image = vqa_heatmap_image(view.result, opacity)
        return {self.tab.vqa_heatmap: gr.update(value=image, visible=image is not None,
                                                alt_text=trust_view.vqa_heatmap_alt(view.result))}

    def _regions(self, view: AskView, method: str) -> dict:
        figure, note = trust_view.region_figure(view.result, view.face, view.shown_model, method or METHODS[0])
        return {self.tab.region_plot: figure, self.tab.region_note: note}

    def _heatmaps(self, view: AskView, opacity: float, whole_photo: bool, alt_texts: bool = True) -> dict:
        """{component: picture}: for the page each with its alt text (a screen reader's only way to
        it); for /ask plain images (an update would reach its clients as a dict, not an image)."""
        faces = bool(view.result.faces)
        model = view.shown_model if faces else None
        images = (heatmap_images(view.result, view.face, model, float(opacity), whole_photo=bool(whole_photo))
                  if faces else dict.fromkeys(METHODS))
        if not alt_texts:
            return {self.tab.heatmaps[method]: image for method, image in images.items()}
        alts = trust_view.heatmap_alts(view.result, view.face, model, bool(whole_photo)) if faces else {}
        return {self.tab.heatmaps[method]: gr.update(value=image, alt_text=alts.get(method))
                for method, image in images.items()}


def _session_key(request, new: bool = True) -> str | None:
    """The browser session's id (what the page's unload names); a fresh one
    for a call without a session."""
    session = getattr(request, "session_hash", None) if request is not None else None
    if session:
        return f"ask:{session}"
    return f"ask:{uuid.uuid4().hex}" if new else None


def _asked(photo, question) -> str:
    """The question to ask, once there is a photo and a question at all."""
    if photo is None:
        raise NoPhotoError()
    # Too long or off-topic questions are the router's to explain (as "unsupported").
    text = (question or "").strip()
    if not text:
        raise InputError("Type a question, for example \"How old is this person?\"")
    return text


# -- the words and pictures of a Result ----------------------------------------------

def model_names(face) -> list[str]:
    return [record.model for record in face.records]


def answer_markdown(result, face_index: int) -> str:
    """One line per model: its answer, confidence and what it was trained on.
    A "general" question: the general VQA model's answer, or how to switch it on."""
    intent = result.intent
    if intent.kind == "unsupported":
        return f"**This app cannot answer that question.** {intent.reason or ''}".strip()
    if intent.kind == "general":
        return general_markdown(result)
    face = result.faces[face_index]
    answers = [record.answer for record in face.records]
    lines = [answer_line(answer) for answer in answers]
    if not lines:
        lines.append("No model here answers this question.")
    lines += problem_lines(result)
    notes = list(intent.notes) + [note for answer in answers for note in answer.notes]
    lines += [f"*Note: {note}*" for note in dict.fromkeys(notes)]
    if ig := ig_line(face):
        lines.append(ig)
    if len(result.faces) > 1:
        lines.append(f"{len(result.faces)} faces found; this is face {PAGE_FACES.number(face_index)} "
                     "(click another box on the photo, or change *Face number*).")
    if line := left_out_line(result):
        lines.append(line)
    return "\n\n".join(lines)


def left_out_line(result) -> str | None:
    """Faces found beyond the ones answered (vqa's max_faces, the largest first)."""
    left = result.faces_left_out
    if not left:
        return None
    return (f"*{left} more face{'s were' if left > 1 else ' was'} found and not answered: the app answers the "
            f"{len(result.faces)} largest faces of a photo. Set *Face number* to ask about one face.*")


def answer_line(answer) -> str:
    """One model's answer: an unstable answer says so before any percentage, then the
    answer with its provenance, then what its calibration says (or that it has none)."""
    headline = answer.stability.headline if answer.stability is not None else None
    first = f"**{headline}** " if headline else ""
    return f"**{answer.model}**: {first}{answer.text} *{confidence_text(answer)}*"


def unstable_flag(answer) -> str:
    """Beside an answer the stability check found unstable: its flag, pointing at the trust panel."""
    flag = answer.stability.flag if answer.stability is not None else None
    return f" **Unstable:** {flag} (see *Can you trust this answer?* below)." if flag else ""


def general_markdown(result) -> str:
    """A question no face model answers: the general VQA model's guess, said to
    be one, with what it was trained on; or, with it off, how to switch it on
    (the engine's problem line)."""
    opinion = result.general_answer
    lines = []
    if opinion is not None and not opinion.error:
        family = opinion.family or "A general VQA model"
        lines.append(f"**{family}** ({opinion.model}): **{opinion.answer}** "
                     f"({percent(opinion.confidence, missing='?')} confident)")
        lines.append("*This is a general visual question answering model's guess: no face model here answers "
                     "this question, and this model was not trained to judge faces. Its training data: "
                     f"{opinion.training_data or 'not stated'}.*")
        if len(opinion.top) > 1:
            lines.append("Its next guesses: " + ", ".join(f"{a} ({percent(p, missing='?')})"
                                                          for a, p in opinion.top[1:]) + ".")
        if line := vqa_map_line(opinion):
            lines.append(line)
    lines += problem_lines(result)
    return "\n\n".join(lines) or "No model here answers this question."


def second_opinion_markdown(result, problem: str | None = None) -> str:
    """Beside the face models' answers: the general VQA model's answer, flagged
    where it contradicts them. `problem`: why it is off (the engine's words)."""
    opinion = result.general_answer
    if opinion is None:
        return f"*No second opinion: {problem}*" if problem and result.intent.kind != "unsupported" else ""
    if opinion.alone:
        return ""  # it is the answer itself (general_markdown)
    if opinion.error:
        return f"*No second opinion: {opinion.error}*"
    family = opinion.family or "A general VQA model"
    said = (f"**Second opinion** from {family} ({opinion.model}): **{opinion.answer}** "
            f"({percent(opinion.confidence, missing='?')}).")
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
    if opinion.heatmap is None or opinion.ig_delta is None:
        return None
    how = f"captum's Integrated Gradients, {opinion.ig_steps} steps" if opinion.ig_steps else "Integrated Gradients"
    exactness = Exactness(opinion.ig_delta, steps=opinion.ig_steps)
    return (f"*Where it looked (the fourth map, over the whole photo): {how}, of {opinion.explains or 'its answer'};"
            f" completeness error {percent(opinion.ig_delta, 1)}, {exactness.brief}.*")


def vqa_heatmap_image(result, opacity: float):
    """The general VQA model's IG map over the photo (PIL), or None when it made none."""
    if result.general_answer is None or result.general_answer.heatmap is None:
        return None
    return result.render_general(alpha=float(opacity))


def label_value(face, model: str | None) -> dict[str, float] | None:
    """The chosen model's probabilities over its own labels, for gr.Label."""
    record = face.record(model) if model else None
    if record is None:
        return None
    return {label: float(p) for label, p in record.answer.probabilities.items()}


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


def ig_line(face) -> str | None:
    """How exact each model's Integrated Gradients sum was: its completeness
    error delta, and the model evaluations (or the steps) it took."""
    igs = {record.model: record.maps["ig"].info for record in face.records if "ig" in record.maps}
    if not igs:
        return None
    if all(info.ig_evaluations is not None for info in igs.values()):
        errors = ", ".join(f"{model} {percent(info.ig_delta, 1)} ({info.ig_evaluations} model evaluations)"
                           for model, info in igs.items())
        return f"*Integrated Gradients: completeness error {errors}.*"
    steps = sorted({info.ig_steps for info in igs.values() if info.ig_steps})
    how = f"m={'/'.join(str(m) for m in steps)} steps" if steps else "adaptive steps"
    errors = ", ".join(f"{model} {percent(info.ig_delta, 1)}" for model, info in igs.items()
                       if info.ig_delta is not None)
    return f"*Integrated Gradients, {how}: completeness error {errors} (more steps make it smaller).*"
