"""The Gradio Blocks UI: layout and event wiring only; the engine is vqa/.

    cli.py        `python app.py` options, start-up order, --share check
    settings.py   what must be set before gradio is imported (analytics, temp dir, limits)
    startup.py    pretrained import, registry, model warm-up, second-opinion check
    layout.py     the page (Ask, Compare, Audit, How it works) and its events
    handlers.py   what each event does, over vqa.ask
    views.py      a vqa Result as widget values (answers, labels, overlays, comparisons)
    faces_view.py, cards_view.py, audit_view.py, components.py, errors.py,
    examples.py, content.py, bench.py
"""
