"""One visitor in a real browser: how long until the answer shows, and until everything has.

    python -m benchmarks.browser [--asks 5] [--question "What is this person's race?"]

It starts `python app.py` on 127.0.0.1 (the pretrained models already in the
cache), opens the page in headless Chromium (Debian's, driven by Playwright),
uploads the astronaut, types the question and clicks Ask, once to warm up and
then --asks times. It prints, from the click, the time until the answer is on
the page (the first stage) and until the trust panel holds Integrated
Gradients' exactness and the stability check (everything), p50 and max.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 300_000


def one_ask(page, photo: Path, question: str, model: str) -> tuple[float, float]:
    page.reload()
    page.wait_for_selector("#ask-button")
    page.locator("#ask-photo input[type=file]").set_input_files(str(photo))
    page.wait_for_function("[...document.querySelectorAll('#ask-photo img')].length > 0", timeout=TIMEOUT_MS)
    page.locator("#ask-question textarea").fill(question)
    started = time.perf_counter()
    page.locator("#ask-button").click()
    page.wait_for_function(f"document.querySelector('#ask-answer').innerText.includes({model!r})",
                           timeout=TIMEOUT_MS, polling=10)
    first = time.perf_counter() - started
    page.wait_for_function("(t => t.includes('Integrated Gradients') && t.includes('Stability'))"
                           "(document.querySelector('#ask-trust').innerText)", timeout=TIMEOUT_MS, polling=10)
    return first, time.perf_counter() - started


def run(asks: int, question: str, model: str, concurrency: int) -> list[tuple[float, float]]:
    from PIL import Image
    from playwright.sync_api import sync_playwright

    from app.examples import example_photos
    from benchmarks.app import free_port, wait_until_up
    from benchmarks.load import import_models, start_app

    repo = Path(__file__).resolve().parents[1]
    import_models(repo)
    with tempfile.TemporaryDirectory(prefix="facexai-browser-") as folder:
        photo = Path(folder) / "astronaut.png"
        Image.fromarray(example_photos()["astronaut"]).save(photo)
        port = free_port()
        process = start_app(repo, port, concurrency, Path(folder) / "app.log")
        try:
            wait_until_up(f"http://127.0.0.1:{port}/", process)
            with sync_playwright() as playwright:
                import shutil

                browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                                     args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 1600})
                page.goto(f"http://127.0.0.1:{port}/")
                one_ask(page, photo, question, model)  # warm: models loaded, graphs traced
                times = [one_ask(page, photo, question, model) for _ in range(asks)]
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=60)
    return times


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(prog="python -m benchmarks.browser", description=__doc__.split("\n\n")[0])
    parser.add_argument("--asks", type=int, default=5)
    parser.add_argument("--question", default="What is this person's race?")
    parser.add_argument("--model", default="gear-race", help="a model whose name in the answer means it is shown")
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args(argv)
    from vqa.quiet import silence_tf

    silence_tf()
    times = run(args.asks, args.question, args.model, args.concurrency)
    firsts, lasts = [t[0] for t in times], [t[1] for t in times]
    print(f"one visitor in headless Chromium, warm, {args.question!r}, {args.asks} asks "
          f"(load average at the end {' / '.join(f'{v:.1f}' for v in os.getloadavg())})")
    print(f"  {'seconds from the click':<32}{'p50':>8}{'max':>8}")
    print(f"  {'the answer on the page':<32}{statistics.median(firsts):8.2f}{max(firsts):8.2f}")
    print(f"  {'everything (IG, checks)':<32}{statistics.median(lasts):8.2f}{max(lasts):8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
