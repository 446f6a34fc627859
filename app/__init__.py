"""The Gradio Blocks UI: layout, events and words only; the engine is vqa.Engine (app imports vqa and gradio only).

    cli.py         `python app.py` options, start-up order, --share check
    settings.py    what must be set before gradio is imported (analytics, temp dir, limits)
    layout.py      the page: assembles the tabs, the session store and the stage queues; launch()
    ask_tab.py     the Ask tab (and the /ask API): components, layout, events, handlers, its words
    compare_tab.py the Compare tab (and /compare) with the bias lab's gallery
    audit_tab.py   the Audit tab: the training room's report, and "Build the bias lab"
    how_tab.py     the How it works tab: the teaching text
    trust_view.py  the Ask tab's trust panel: each check's verdict, laid out
    faces_view.py, cards_view.py, common.py: what more than one tab draws
    store.py       where a session's Result lives (server memory, a fixed time from the ask)
    stages.py      the quick and the slow queue of the engine's work
    components.py, errors.py, examples.py, content.py, bench.py
"""
