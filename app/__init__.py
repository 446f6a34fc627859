"""The Gradio Blocks UI: layout and event wiring only; the engine is vqa.Engine (app imports vqa and gradio only).

    cli.py        `python app.py` options, start-up order, --share check
    settings.py   what must be set before gradio is imported (analytics, temp dir, limits)
    store.py      where a session's Result lives (server memory, a fixed time from the ask)
    layout.py     the page (Ask, Compare, Audit, How it works) and its events
    handlers.py   what each event does, over vqa.Engine
    views.py      a vqa Result as widget values (answers, labels, overlays, comparisons)
    faces_view.py, cards_view.py, audit_view.py, components.py, errors.py,
    examples.py, content.py, bench.py
"""
