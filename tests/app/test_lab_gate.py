"""A shared app holds: the bias lab is built from the page only where the operator allows it, and
the Audit tab names report folders without their server paths and rescans them on page load."""
from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
import pytest

from app import audit_tab, layout
from app.audit_tab import LAB_BUILD_OFF, MODELS_LABEL, REPORT_LAB
from app.cli import build_parser, lab_build_on
from vqa import Engine, lab

BUILD_BUTTON = "audit-build-lab"


# -- who may build ------------------------------------------------------------------------------

@pytest.mark.parametrize(("argv", "on"), [
    ([], True),                                       # the operator's own machine
    (["--share"], False),                             # a public link: any visitor could start it
    (["--share", "--allow-lab-build"], True),         # unless the operator says so
    (["--allow-lab-build"], True),
])
def test_the_cli_decides_whether_the_page_may_build_the_lab(argv, on):
    args = build_parser().parse_args(argv)
    assert lab_build_on(args.share, args.allow_lab_build, environ={}) is on


def test_a_hugging_face_space_is_a_shared_server_too():
    space = {"SPACE_ID": "someone/face-xai"}  # what the Space runtime sets
    assert lab_build_on(False, False, environ=space) is False
    assert lab_build_on(False, True, environ=space) is True


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An empty user cache (the lab would be built at <cache>/lab), and a working folder without reports."""
    root = tmp_path / "cache"
    monkeypatch.setenv("FACEXAI_CACHE", str(root))
    monkeypatch.chdir(tmp_path)
    return root


def _app(tmp_path, models_dir=None, **kwargs) -> gr.Blocks:
    engine = Engine(models_dir, import_pretrained=False)
    return layout.build_app(engine, examples_dir=tmp_path / "examples", **kwargs)


def _builds(demo: gr.Blocks) -> list:
    return [f for f in demo.fns.values() if f.fn is not None and f.fn.__name__ == "build_clicked"]


def _markdowns(config: dict) -> list[str]:
    return [c["props"]["value"] for c in config["components"]
            if c.get("type") == "markdown" and isinstance(c.get("props", {}).get("value"), str)]


def test_an_app_built_as_under_share_has_no_build_event_and_says_why(tmp_path, cache):
    demo = _app(tmp_path, share=True, lab_build=False)
    config = demo.get_config_file()
    assert _builds(demo) == []  # nothing a client could call by fn_index
    assert BUILD_BUTTON not in {c.get("props", {}).get("elem_id") for c in config["components"]}
    assert "build_clicked" not in {d.get("api_name") for d in config["dependencies"]}
    assert LAB_BUILD_OFF in _markdowns(config) and "--allow-lab-build" in LAB_BUILD_OFF


def test_with_allow_lab_build_the_button_builds(tmp_path, cache):
    demo = _app(tmp_path, share=True, lab_build=True)
    config = demo.get_config_file()
    (build,) = _builds(demo)
    button = next(c for c in config["components"] if c.get("props", {}).get("elem_id") == BUILD_BUTTON)
    assert [target for target, _ in build.targets] == [button["id"]]
    assert LAB_BUILD_OFF not in _markdowns(config)


# -- no server paths on the page ----------------------------------------------------------------

def _plant_report(folder: Path) -> None:
    """A report as training.evaluate leaves it (its own writer)."""
    from tests.app.helpers import audit_summary
    from training.report import write_report
    from vqa.audit import AuditSummary

    folder.mkdir(parents=True)
    write_report(folder, AuditSummary.from_dict(audit_summary()))


def _load_event(demo: gr.Blocks, output_label: str):
    """The page-load event whose outputs include the component labelled `output_label`."""
    return next(f for f in demo.fns.values() if any(event == "load" for _, event in f.targets)
                and output_label in {getattr(o, "label", None) for o in f.outputs})


def test_report_folders_reach_the_page_by_label_never_by_path(tmp_path, cache):
    models = tmp_path / "my-models"
    _plant_report(models / "audit")
    _plant_report(lab.lab().report)
    demo = _app(tmp_path, models_dir=models, share=True, lab_build=False)
    config = demo.config  # what /config serves
    dropdown = next(c for c in config["components"] if c.get("props", {}).get("label") == "Audit report")
    assert [choice[0] for choice in dropdown["props"]["choices"]] == [f"{MODELS_LABEL}: audit", REPORT_LAB]

    loaded = _load_event(demo, "Audit report").fn()  # what a page load shows
    shown = [loaded[k] for k in loaded if isinstance(loaded[k], str)]
    shown += [json.dumps(v) for v in loaded.values() if isinstance(v, dict) and "choices" in v]
    assert any(text.startswith("## Bias audit") for text in shown)
    page = json.dumps(config, default=str) + "".join(shown)  # default=str: as /config's ORJSONResponse does
    for secret in (str(models), str(models.resolve()), str(lab.lab().report), str(cache), str(Path.home())):
        assert secret not in page, secret


def test_a_chosen_label_shows_its_folders_report_and_an_unknown_one_shows_none(tmp_path, cache):
    models = tmp_path / "my-models"
    _plant_report(models / "audit")
    with gr.Blocks() as demo:
        audit_tab.build(Engine(models, import_pretrained=False))
    show = next(f.fn for f in demo.fns.values() if f.fn.__name__ == "show")
    text, _ = show(f"{MODELS_LABEL}: audit")
    assert text.startswith("## Bias audit")
    text, figures = show(str(models / "audit"))  # a path typed by a client is not a label
    assert text == audit_tab.HOW_TO.format(where=str(models / "audit")) and figures == []


# -- a fresh page sees a lab built since start-up -------------------------------------------------

def test_a_page_load_offers_a_lab_built_after_the_tab_was(tmp_path, cache):
    with gr.Blocks() as demo:
        audit_tab.build(Engine(None, include_cache=False, import_pretrained=False))
    load = _load_event(demo, "Audit report").fn
    before = load()
    assert not any(isinstance(v, str) and v.startswith("## Bias audit") for v in before.values())
    _plant_report(lab.lab().report)  # as a build (this page's, another's, a terminal's) leaves it
    after = load()
    texts = [v for v in after.values() if isinstance(v, str)]
    choices = next(v for v in after.values() if isinstance(v, dict) and "choices" in v)
    assert any(t.startswith("## Bias audit") and "**Synthetic**" in t for t in texts)
    assert choices["value"] == REPORT_LAB and choices["choices"] == [REPORT_LAB]
