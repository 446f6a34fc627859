"""The page, top to bottom: the introduction, the four tabs (Ask, Compare,
Audit, How it works), the privacy note; and launching it.

Each tab is one module that holds its components, their layout, its events
and its handlers (app/ask_tab.py, compare_tab.py, audit_tab.py, how_tab.py);
this module only assembles them around the shared pieces: the session store
(app/store.py) and the two stage queues (app/stages.py).
"""
from __future__ import annotations

from pathlib import Path

import gradio as gr

from app import a11y, ask_tab, audit_tab, compare_tab, content, how_tab
from app.examples import write_examples
from app.settings import CACHE_SWEEP, DEFAULT_CONCURRENCY, DEFAULT_STORE_MB, MAX_UPLOAD, QUEUE_SIZE
from app.stages import StageQueues
from app.store import DEFAULT_RETENTION_S, SessionStore


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
                ask = ask_tab.AskHandlers(engine, store, ask_tab.build(examples), stages)
                ask_tab.wire(ask)
            with gr.Tab("Compare", id="compare"):
                compare = compare_tab.CompareHandlers(engine, compare_tab.build(examples, engine), stages)
                lab = compare_tab.LabHandlers(engine, compare_tab.build_lab(), stages=stages)
                compare_tab.wire(compare, lab)
            with gr.Tab("Audit", id="audit"):
                # After "Build the bias lab" the engine re-scans, so that the lab's two race models
                # answer in Compare (and Ask) without a restart, and Compare shows the lab's gallery.
                built = audit_tab.build(engine, on_lab_built=lambda _: engine.reload(), lab_build=lab_build)
                if built is not None:  # lab_build off (app.cli.lab_build_on): no button, no event
                    built.then(lab.show, None, lab.tab.outputs, api_visibility="private", queue=False)
            with gr.Tab("How it works", id="how"):
                how_tab.build()
        gr.Markdown(content.privacy(retention_s, CACHE_SWEEP, share=share), elem_id="privacy")
        demo.unload(ask.forget)
        demo.load(lab.show, None, lab.tab.outputs, api_visibility="private", queue=False)  # built since?
    demo.session_store = store  # for the tests and the benchmark in-process; not served
    demo.stage_queues = stages
    return demo


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
