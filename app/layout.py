"""The page, top to bottom: Ask, Compare, Audit, How it works; and launching it.

Layout and event wiring only: what happens on an event lives in
app/handlers.py, the words in app/content.py.
"""
from __future__ import annotations

from pathlib import Path

import gradio as gr

from app import content, views
from app.audit_view import build_audit_tab
from app.components import photo_input
from app.examples import write_examples
from app.handlers import COMPARE_QUESTIONS, Handlers
from app.settings import CACHE_SWEEP, MAX_UPLOAD, QUEUE_SIZE
from vqa.text import MAX_QUESTION_CHARS

STATE_TTL_S = 900  # a session's Result (which holds the photo) is dropped after this


def build_app(backend, examples_dir: str | Path | None = None) -> gr.Blocks:
    handlers = Handlers(backend)
    examples = [str(p) for p in write_examples(examples_dir)]
    with gr.Blocks(title="Face XAI", analytics_enabled=False, delete_cache=CACHE_SWEEP) as demo:
        gr.Markdown(content.INTRO)
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                _ask_tab(handlers, examples)
            with gr.Tab("Compare", id="compare"):
                _compare_tab(handlers, examples, backend)
            with gr.Tab("Audit", id="audit"):
                build_audit_tab(backend)
            with gr.Tab("How it works", id="how"):
                gr.Markdown(content.HOW_IT_WORKS, latex_delimiters=content.KATEX_DELIMITERS)
        gr.Markdown(content.PRIVACY)
    return demo


def _ask_tab(handlers: Handlers, examples: list[str]) -> None:
    with gr.Row():
        with gr.Column(scale=1):
            photo = photo_input(label="Photo", elem_id="ask-photo")
            gr.Examples(examples, inputs=photo, label="Example photos", cache_examples=False)
            question = gr.Textbox(label="Question", placeholder="How old is this person?",
                                  max_length=MAX_QUESTION_CHARS, elem_id="ask-question")
            gr.Examples([[q] for q in content.EXAMPLE_QUESTIONS], inputs=question,
                        label="Example questions", cache_examples=False)
            ask_button = gr.Button("Ask", variant="primary", elem_id="ask-button")
            with gr.Accordion("Method settings", open=False):
                methods = gr.CheckboxGroup([(views.METHOD_TITLES[m], m) for m in views.METHODS],
                                           value=list(views.METHODS), label="Heatmaps to compute")
                face_number = gr.Number(value=0, minimum=0, precision=0, label="Face number",
                                        info="0: every face; 1: the largest only, 2: the next...")
                ig_steps = gr.Slider(8, 128, value=32, step=8, label="Integrated Gradients steps (m)",
                                     info="more steps: a more exact map, slower")
                ig_baseline = gr.Radio(["black", "white", "blur"], value="black", label="IG baseline x'")
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
    with gr.Row():
        heatmaps = [gr.Image(label=views.METHOD_TITLES[m], interactive=False, format="png",
                             elem_id=f"heatmap-{m}") for m in views.METHODS]
    with gr.Accordion("The answer as JSON (what the /ask API returns)", open=False):
        result_json = gr.JSON(label="result")
    view = gr.State(None, time_to_live=STATE_TTL_S)

    ask_inputs = [photo, question, methods, face_number, ig_steps, ig_baseline, whole_image, opacity]
    ask_outputs = [result_json, *heatmaps, view]
    shown = [answer, probabilities, faces, model, cards, second_opinion]
    gr.on([ask_button.click, question.submit], handlers.ask, ask_inputs, ask_outputs, api_name="ask",
          api_description="Answer a question about the face(s) in a photo: JSON and three heatmaps.",
          concurrency_id="engine").success(handlers.show_answer, view, shown, api_visibility="private", queue=False)
    redraw = dict(fn=handlers.rerender, inputs=[view, model, opacity], outputs=[probabilities, *heatmaps, view],
                  api_visibility="private", queue=False)
    model.input(**redraw)
    opacity.release(**redraw)
    faces.select(handlers.pick_face, [view, opacity], [*shown, *heatmaps, view],
                 api_visibility="private", queue=False)


def _compare_tab(handlers: Handlers, examples: list[str], backend) -> None:
    gr.Markdown("Every model that answers one attribute, on the same face. Where they disagree, "
                "look at what each was trained on and where each looked.")
    with gr.Row():
        with gr.Column(scale=1):
            photo = photo_input(label="Photo", elem_id="compare-photo")
            gr.Examples(examples, inputs=photo, label="Example photos", cache_examples=False)
            available = [a for a in COMPARE_QUESTIONS if a in backend.attributes()] or list(COMPARE_QUESTIONS)
            attribute = gr.Radio(list(COMPARE_QUESTIONS), value=available[0], label="Attribute")
            opacity = gr.Slider(0.0, 1.0, value=views.DEFAULT_OPACITY, step=0.05, label="Heatmap opacity")
            button = gr.Button("Compare", variant="primary", elem_id="compare-button")
        with gr.Column(scale=2):
            verdict = gr.Markdown(label="verdict", elem_id="compare-verdict")
            table = gr.Dataframe(headers=["model", "trained on", "answer", "confidence", "top class"],
                                 label="answers", interactive=False, wrap=True)
            gallery = gr.Gallery(label="Where each model looked", columns=2, format="png")
    button.click(handlers.compare, [photo, attribute, opacity], [verdict, table, gallery],
                 api_name="compare", concurrency_id="engine")


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, share: bool = False,
           concurrency: int = 2, block: bool = True):
    """Serve with a bounded queue: `concurrency` engine calls at once, the rest wait."""
    demo.queue(default_concurrency_limit=concurrency, max_size=QUEUE_SIZE)
    return demo.launch(server_name=host, server_port=port, share=share, max_file_size=MAX_UPLOAD,
                       show_error=False, footer_links=["api"], prevent_thread_lock=not block,
                       ssr_mode=False)
