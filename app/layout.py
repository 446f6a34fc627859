"""The page, top to bottom: Ask, Compare, Audit, How it works; and launching it.

Layout and event wiring only: each tab's components are one dataclass, built
here; what happens on an event lives in app/handlers.py (which returns
{component: value} maps over those dataclasses), the words in app/content.py.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import gradio as gr

from app import a11y, content, views
from app.audit_view import build_audit_tab
from app.components import photo_input
from app.examples import write_examples
from app.handlers import AskHandlers, CompareHandlers, LabHandlers
from app.settings import ASK_EVENTS, CACHE_SWEEP, DEFAULT_CONCURRENCY, DEFAULT_STORE_MB, MAX_UPLOAD, QUEUE_SIZE
from app.stages import StageQueues
from app.store import DEFAULT_RETENTION_S, SessionStore
from vqa.engine import COMPARE_QUESTIONS
from vqa.explain import IG_BASELINE
from vqa.text import MAX_QUESTION_CHARS


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
    heatmaps: dict[str, gr.Image]  # method -> its image, in views.METHODS order
    vqa_heatmap: gr.Image  # the general VQA model's IG map over the photo; not an /ask output
    region_method: gr.Radio  # whose map the region chart shows
    region_plot: gr.Plot
    region_note: gr.Markdown
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
                self.trust, self.vqa_heatmap, self.region_plot, self.region_note]

    @property
    def redrawn(self) -> list:
        """What a new model, opacity or framing redraws."""
        return [self.probabilities, self.trust, *self.heatmaps.values(), self.vqa_heatmap, self.region_plot,
                self.region_note]


@dataclasses.dataclass
class CompareTab:
    photo: gr.Image
    attribute: gr.Radio
    opacity: gr.Slider
    button: gr.Button
    rescan: gr.Button
    verdict: gr.Markdown
    table: gr.Dataframe
    gallery: gr.Gallery

    @property
    def outputs(self) -> list:
        return [self.verdict, self.table, self.gallery]


@dataclasses.dataclass
class LabTab:
    """The Compare tab's bias lab: held-out synthetic images, and the two race models on the one clicked."""

    intro: gr.Markdown
    gallery: gr.Gallery
    verdict: gr.Markdown
    maps: gr.Gallery

    @property
    def outputs(self) -> list:
        return [self.intro, self.gallery, self.verdict, self.maps]


def build_app(engine, examples_dir: str | Path | None = None, retention_s: float = DEFAULT_RETENTION_S,
              share: bool = False, concurrency: int = DEFAULT_CONCURRENCY,
              store_mb: float = DEFAULT_STORE_MB, lab_build: bool = True) -> gr.Blocks:
    """The page. concurrency: workers of each stage queue (app.stages);
    store_mb: the session store's byte budget; lab_build: offer "Build the bias lab"."""
    store = SessionStore(retention_s, max_bytes=int(store_mb * 2**20))
    store.start_sweeper()
    stages = StageQueues(concurrency)
    examples = [str(p) for p in write_examples(examples_dir)]
    with gr.Blocks(title="Face XAI", analytics_enabled=False, delete_cache=CACHE_SWEEP) as demo:
        gr.Markdown(content.INTRO)
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                ask = AskHandlers(engine, store, _ask_tab(examples), stages)
                _wire_ask(ask)
            with gr.Tab("Compare", id="compare"):
                compare = CompareHandlers(engine, _compare_tab(examples, engine), stages)
                lab = LabHandlers(engine, _lab_tab(), stages=stages)
                _wire_compare(compare, lab)
            with gr.Tab("Audit", id="audit"):
                # After "Build the bias lab" the engine re-scans, so that the lab's two race models
                # answer in Compare (and Ask) without a restart, and Compare shows the lab's gallery.
                built = build_audit_tab(engine, on_lab_built=lambda _: engine.reload(), lab_build=lab_build)
                if built is not None:  # lab_build off (app.cli.lab_build_on): no button, no event
                    built.then(lab.show, None, lab.tab.outputs, api_visibility="private", queue=False)
            with gr.Tab("How it works", id="how"):
                gr.Markdown(content.HOW_IT_WORKS, latex_delimiters=content.KATEX_DELIMITERS)
        gr.Markdown(content.privacy(retention_s, CACHE_SWEEP, share=share), elem_id="privacy")
        demo.unload(ask.forget)
        demo.load(lab.show, None, lab.tab.outputs, api_visibility="private", queue=False)  # built since?
    demo.session_store = store  # for the tests and the benchmark in-process; not served
    demo.stage_queues = stages
    return demo


def _ask_tab(examples: list[str]) -> AskTab:
    with gr.Row():
        with gr.Column(scale=1):
            photo = photo_input(label="Photo", elem_id="ask-photo")
            gr.Examples(examples, inputs=photo, label="Example photos", cache_examples=False)
            question = gr.Textbox(label="Question", placeholder="How old is this person?",
                                  max_length=MAX_QUESTION_CHARS, elem_id="ask-question")
            gr.Examples([[q] for q in content.EXAMPLE_QUESTIONS], inputs=question,
                        label="Example questions", cache_examples=False)
            ask_button = gr.Button("Ask", variant="primary", elem_id="ask-button")
            # /ask's trigger for API clients: the page's button runs ask_page instead,
            # which also draws the tab in the same update. Never shown.
            api_trigger = gr.Button("Ask (API)", visible=False)
            with gr.Accordion("Method settings", open=False):
                methods = gr.CheckboxGroup([(views.METHOD_TITLES[m], m) for m in views.METHODS],
                                           value=list(views.METHODS), label="Heatmaps to compute")
                face_number = gr.Number(value=0, minimum=0, precision=0, label="Face number",
                                        info="0: every face; 1: the largest only, 2: the next...")
                ig_steps = gr.Slider(0, 128, value=views.DEFAULT_IG_STEPS, step=8,
                                     label="Integrated Gradients steps (m)",
                                     info="0: adaptive, as many as it takes to be exact to 1%; "
                                          "m > 0: the fixed m-step sum (more: more exact, slower)")
                ig_baseline = gr.Radio(["black", "white", "blur"], value=IG_BASELINE, label="IG baseline x'",
                                       info="blur: a blurred copy of the face, which can credit dark pixels too")
                whole_image = gr.Checkbox(False, label="No face found? Analyse the whole picture as one face")
        with gr.Column(scale=1):
            answer = gr.Markdown(elem_id="ask-answer")
            probabilities = gr.Label(num_top_classes=5, label="Probabilities of the model shown",
                                     elem_id="ask-label")
            faces = gr.Image(label="Faces found (click one to ask about it)", interactive=False,
                             format="png", elem_id="ask-faces")
            second_opinion = gr.Markdown()
            with gr.Accordion("Model cards: what answered, trained on what", open=False):
                cards = gr.Markdown()
    with gr.Row():
        model = gr.Dropdown(choices=[], label="Heatmaps of model", interactive=True)
        opacity = gr.Slider(0.0, 1.0, value=views.DEFAULT_OPACITY, step=0.05, label="Heatmap opacity")
        whole_photo = gr.Checkbox(False, label="Show the maps on the whole photo", elem_id="whole-photo")
    with gr.Row(elem_id="ask-heatmaps"):
        heatmaps = {m: gr.Image(label=views.METHOD_TITLES[m], interactive=False, format="png",
                                elem_id=f"heatmap-{m}") for m in views.METHODS}
        # Shown only when the general VQA model made a map (--vqa-model, with IG asked for).
        vqa_heatmap = gr.Image(label="General VQA model: Integrated Gradients over the photo", interactive=False,
                               format="png", elem_id="heatmap-vqa", visible=False)
    trust = gr.Markdown(elem_id="ask-trust")
    with gr.Accordion("Where on the face: the map's weight per region, checked by greying each out", open=True):
        region_method = gr.Radio([(views.METHOD_TITLES[m], m) for m in views.METHODS], value=views.METHODS[0],
                                 label="Region chart of the map")
        region_plot = gr.Plot(label="Face regions", elem_id="ask-regions")
        region_note = gr.Markdown(elem_id="ask-regions-note")
    with gr.Accordion("The answer as JSON (what the /ask API returns)", open=False):
        result_json = gr.JSON(label="result")
    view = gr.State(None)
    return AskTab(photo=photo, question=question, methods=methods, face_number=face_number, ig_steps=ig_steps,
                  ig_baseline=ig_baseline, whole_image=whole_image, ask_button=ask_button, api_trigger=api_trigger,
                  answer=answer,
                  probabilities=probabilities, faces=faces, second_opinion=second_opinion, cards=cards,
                  trust=trust, model=model, opacity=opacity, whole_photo=whole_photo, heatmaps=heatmaps,
                  vqa_heatmap=vqa_heatmap, region_method=region_method, region_plot=region_plot,
                  region_note=region_note, result_json=result_json, view=view)


def _wire_ask(handlers: AskHandlers) -> None:
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
          [*tab.api_inputs, tab.whole_photo, tab.region_method], [*tab.api_outputs, *tab.shown],
          api_visibility="private", concurrency_id="ask", concurrency_limit=ASK_EVENTS, trigger_mode="multiple")
    tab.model.input(**redraw)
    tab.opacity.release(**redraw)
    tab.whole_photo.input(**redraw)
    tab.region_method.input(**redraw)
    tab.faces.select(handlers.pick_face, [tab.view, tab.opacity, tab.whole_photo, tab.region_method],
                     [*tab.shown, *tab.heatmaps.values()], api_visibility="private", queue=False)


def _compare_tab(examples: list[str], engine) -> CompareTab:
    gr.Markdown("Every model that answers one attribute, on the same face. Where they disagree, "
                "look at what each was trained on and where each looked.")
    with gr.Row():
        with gr.Column(scale=1):
            photo = photo_input(label="Photo", elem_id="compare-photo")
            gr.Examples(examples, inputs=photo, label="Example photos", cache_examples=False)
            available = [a for a in COMPARE_QUESTIONS if a in engine.attributes()] or list(COMPARE_QUESTIONS)
            attribute = gr.Radio(list(COMPARE_QUESTIONS), value=available[0], label="Attribute")
            opacity = gr.Slider(0.0, 1.0, value=views.DEFAULT_OPACITY, step=0.05, label="Heatmap opacity")
            button = gr.Button("Compare", variant="primary", elem_id="compare-button")
            rescan = gr.Button("Look for new models", size="sm", elem_id="compare-rescan")
        with gr.Column(scale=2):
            verdict = gr.Markdown(label="verdict", elem_id="compare-verdict")
            table = gr.Dataframe(headers=["model", "trained on", "answer", "confidence", "top class"],
                                 label="answers", interactive=False, wrap=True)
            gallery = gr.Gallery(label="Where each model looked", columns=2, format="png", elem_id="compare-gallery")
    return CompareTab(photo=photo, attribute=attribute, opacity=opacity, button=button, rescan=rescan,
                      verdict=verdict, table=table, gallery=gallery)


def _lab_tab() -> LabTab:
    gr.Markdown("### The bias lab: the fair and the census-biased race model on the same face")
    intro = gr.Markdown(elem_id="lab-intro")
    gallery = gr.Gallery(label="Held-out synthetic test images (click one)", columns=7, height="auto",
                         allow_preview=False, visible=False, format="png", elem_id="lab-gallery")
    verdict = gr.Markdown(elem_id="lab-verdict")
    maps = gr.Gallery(label="Where each looked: the fair model left, the biased one right", columns=2,
                      height="auto", visible=False, format="png", elem_id="lab-maps")
    return LabTab(intro=intro, gallery=gallery, verdict=verdict, maps=maps)


def _wire_compare(handlers: CompareHandlers, lab: LabHandlers) -> None:
    tab = handlers.tab
    tab.button.click(handlers.compare, [tab.photo, tab.attribute, tab.opacity], tab.outputs,
                     api_name="compare", concurrency_id="engine")
    rescanned = tab.rescan.click(handlers.rescan, None, [tab.verdict], api_visibility="private",
                                 concurrency_id="engine")
    rescanned.then(lab.show, None, lab.tab.outputs, api_visibility="private", queue=False)
    lab.tab.gallery.select(lab.pick, [tab.opacity], [lab.tab.verdict, lab.tab.maps], api_visibility="private",
                           concurrency_id="engine")


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, share: bool = False,
           concurrency: int = DEFAULT_CONCURRENCY, block: bool = True):
    """Serve with a bounded queue (QUEUE_SIZE waiting at most); events without a
    limit of their own run `concurrency` at once. The engine's work itself is
    bounded by the stage queues that build_app made. The theme, CSS and script are
    app.a11y's (contrast, and names Gradio's markup leaves out)."""
    demo.queue(default_concurrency_limit=concurrency, max_size=QUEUE_SIZE)
    return demo.launch(server_name=host, server_port=port, share=share, max_file_size=MAX_UPLOAD,
                       show_error=False, footer_links=["api"], prevent_thread_lock=not block,
                       ssr_mode=False, **a11y.launch_options())
