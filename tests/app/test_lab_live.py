"""The running app over a user cache that holds the bias lab (the session's reduced lab, a real
`python -m training.demo` run) beside the pretrained models: the Audit tab renders the lab's report
and Compare lists both lab models, marked SYNTHETIC, beside GEAR's race model."""
from __future__ import annotations

import json
import urllib.request

import pytest

from tests.app.conftest import start_app
from vqa import lab


@pytest.fixture(scope="module")
def lab_app(facexai_cache, reduced_lab, tmp_path_factory):
    _, built, _ = reduced_lab
    cache = tmp_path_factory.mktemp("lab-app-cache")
    (cache / "models").symlink_to(facexai_cache / "models", target_is_directory=True)  # imported once per session
    (cache / "lab").symlink_to(built.root, target_is_directory=True)
    app = start_app(cache, cache.parent / "lab-app.log", "--no-pretrained")
    yield app, cache
    assert app.stop() == 0


def test_the_audit_tab_renders_the_labs_report(lab_app):
    app, cache = lab_app
    with urllib.request.urlopen(app.url + "config", timeout=30) as response:
        config = json.loads(response.read().decode())
    texts = [c.get("props", {}).get("value") for c in config["components"]]
    report = next(t for t in texts if isinstance(t, str) and t.startswith("## Bias audit"))
    assert "**Synthetic**" in report and "### Fair vs census-biased race model, per race" in report
    assert f"### {lab.FAIR_MODEL}" in report and f"### {lab.BIASED_MODEL}" in report
    assert "### Do the heatmaps point at the cue?" in report
    offered = next(c["props"]["choices"] for c in config["components"]
                   if c.get("props", {}).get("label") == "Audit report")
    assert [choice[0] if isinstance(choice, list) else choice for choice in offered] == [str(cache / "lab" / "audit")]


def test_compare_lists_both_lab_models_beside_the_pretrained_one(lab_app, photo_files):
    from gradio_client import Client, handle_file

    app, _ = lab_app
    client = Client(app.url, verbose=False)
    verdict, table, gallery = client.predict(handle_file(str(photo_files["astronaut"])), "race", 0.5,
                                             api_name="/compare")
    rows = {row[0]: row for row in table["data"]}
    assert set(rows) == {"gear-race", lab.FAIR_MODEL, lab.BIASED_MODEL}
    assert all(rows[name][1].endswith("(SYNTHETIC)") for name in (lab.FAIR_MODEL, lab.BIASED_MODEL))
    assert not rows["gear-race"][1].endswith("(SYNTHETIC)")
    assert len(gallery) == 6 and "race models" in verdict
    client.close()
