"""Benchmark the app as a person meets it: cold start, then /ask latency.

    python -m benchmarks.app [--asks 20] [--json]

Cold start is timed from launching `python app.py` to (a) the page answering
and (b) the first /ask answered, once the pretrained models are already in the
cache (importing them is a one-off, done by the engine before timing starts).
Then /ask is called `--asks` times per heatmap setting and p50 / p95 printed,
with each setting's ratio to answering without heatmaps, all in this one run.
Numbers depend on the machine and on whatever else runs on it.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUESTION = "Is this a woman?"
SETTINGS = {"no heatmaps": [], "Grad-CAM": ["gradcam"], "Grad-CAM + Guided": ["gradcam", "guided"],
            "all three (IG at the default)": ["gradcam", "guided", "ig"]}
COLD_GOAL_S = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _photo(folder: Path) -> Path:
    from PIL import Image

    from app.examples import example_photos

    path = folder / "astronaut.png"
    Image.fromarray(example_photos()["astronaut"]).save(path)
    return path


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"app.py did not answer within {timeout} s")


def _ask(client, photo: Path, methods: list[str]) -> tuple[float, float]:
    """(seconds to the first update, the answer with its Grad-CAM; seconds to the last)."""
    from gradio_client import handle_file

    started = time.perf_counter()
    job = client.submit(handle_file(str(photo)), QUESTION, methods, api_name="/ask")
    while not job.outputs() and not job.done():
        time.sleep(0.002)
    first = time.perf_counter() - started
    job.result()
    return first, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default), q in [0, 100]."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def run(asks: int, log: Path) -> dict:
    from gradio_client import Client

    from vqa import Engine

    Engine().load()  # imports the pretrained models: a one-off, not part of the cold start
    photo = _photo(log.parent)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=REPO,
                                   stdout=out, stderr=subprocess.STDOUT, env={**os.environ})
    try:
        wait_until_up(url, process)
        page_up = time.perf_counter() - started
        client = Client(url, verbose=False)
        _ask(client, photo, [])
        first_answer = time.perf_counter() - started
        _ask(client, photo, SETTINGS["all three (IG at the default)"])  # trace the heatmap graphs once
        timings = {name: [_ask(client, photo, methods) for _ in range(asks)] for name, methods in SETTINGS.items()}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    return {"cold_start_s": {"page": page_up, "first_answer": first_answer, "goal": COLD_GOAL_S},
            "asks": asks, "latency_s": {name: [total for _, total in runs] for name, runs in timings.items()},
            "first_update_s": {name: [first for first, _ in runs] for name, runs in timings.items()}}


def table(report: dict) -> str:
    cold = report["cold_start_s"]
    lines = [
        f"cold start (pretrained models already imported), goal <= {cold['goal']:.0f} s:",
        f"  page answering        {cold['page']:7.2f} s",
        f"  first /ask answered   {cold['first_answer']:7.2f} s",
        "",
        f"/ask latency, {report['asks']} calls each, one client (s); first: the answer with its Grad-CAM",
        f"  {'heatmaps':<30}{'p50':>8}{'p95':>8}{'first p50':>11}{'p50 / no heatmaps':>20}",
    ]
    base = statistics.median(report["latency_s"]["no heatmaps"])
    for name, values in report["latency_s"].items():
        p50, p95 = percentile(values, 50), percentile(values, 95)
        first = percentile(report["first_update_s"][name], 50)
        lines.append(f"  {name:<30}{p50:8.3f}{p95:8.3f}{first:11.3f}{p50 / base:19.1f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.app", description=__doc__.split("\n\n")[0])
    parser.add_argument("--asks", type=int, default=20, help="calls per heatmap setting (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print the raw numbers as JSON too")
    args = parser.parse_args(argv)
    from vqa.quiet import silence_tf

    silence_tf()
    if args.asks < 2:
        parser.error("--asks must be at least 2 for a p95")
    with tempfile.TemporaryDirectory(prefix="facexai-bench-") as folder:
        report = run(args.asks, Path(folder) / "app.log")
    print(table(report))
    if args.json:
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
