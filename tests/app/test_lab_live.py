"""The running app over a user cache that holds the bias lab (the session's reduced lab, a real
`python -m training.demo` run) beside the pretrained models: the Audit tab renders the lab's report
and Compare lists both lab models, marked SYNTHETIC, beside GEAR's race model."""
from __future__ import annotations

import json
import urllib.request

import pytest

from app.audit_tab import REPORT_LAB
from models.cache import LAB_BIASED_MODEL, LAB_FAIR_MODEL
from tests.app.helpers import start_app
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
    assert [choice[0] if isinstance(choice, list) else choice for choice in offered] == [REPORT_LAB]


def test_compare_of_a_real_photo_leaves_the_lab_models_to_their_gallery(lab_app, photo_files):
    """The lab's SYNTHETIC race models are listed (Look for new models, the lab gallery),
    but a real photo's comparison asks only the models trained on real faces: the lab's
    answers about it would mean nothing (they answer on the lab's own test images)."""
    from gradio_client import Client, handle_file

    app, _ = lab_app
    client = Client(app.url, verbose=False)
    verdict, table, gallery = client.predict(handle_file(str(photo_files["astronaut"])), "race", 0.5,
                                             api_name="/compare")
    rows = {row[0]: row for row in table["data"]}
    assert set(rows) == {"gear-race"} and not rows["gear-race"][1].endswith("(SYNTHETIC)")
    assert len(gallery) == 2 and "Only one race model answers real photos here (gear-race)" in verdict
    assert "were trained on SYNTHETIC" in verdict and "installed" not in verdict  # the lab's two, named
    assert LAB_FAIR_MODEL in verdict and LAB_BIASED_MODEL in verdict
    client.close()


@pytest.mark.browser
def test_a_click_on_a_lab_image_shows_both_models_side_by_side_in_the_page(lab_app, reduced_lab):
    """In a real headless Chromium (as tests/app/test_browser.py): the gallery's select event reaches the
    handler with the clicked image, and both models' answers, accuracies and four maps come back."""
    from playwright.sync_api import sync_playwright

    from tests.app.helpers import CHROMIUM, CHROMIUM_ARGS

    app, _ = lab_app
    _, built, _ = reduced_lab
    images = lab.gallery(3, root=built.root)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            page.goto(app.url)
            page.get_by_role("tab", name="Compare").click()
            thumbnails = page.locator("#lab-gallery button img")
            thumbnails.first.wait_for(timeout=60_000)
            assert thumbnails.count() == len(images)
            thumbnails.nth(len(images) - 1).click()  # the last race's last image
            verdict = page.locator("#lab-verdict")
            verdict.get_by_text("True race").wait_for(timeout=180_000)
            text = verdict.inner_text()
            assert f"True race: {images[-1].race}" in text
            assert lab.FAIR_MODEL in text and lab.BIASED_MODEL in text and "accuracy on" in text
            page.locator("#lab-maps img").nth(3).wait_for(timeout=60_000)
            assert "Traceback" not in page.locator("body").inner_text()
        finally:
            browser.close()
