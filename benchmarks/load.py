"""The load benchmark: N visitors asking K questions each of one live app.

    python -m benchmarks.load --users 8 --asks 3 [--concurrency 2] [--repo DIR] [--json]

It starts `python app.py` (from --repo, this checkout by default, so that an
older checkout can be measured the same way) on 127.0.0.1, warms it with one
ask of each kind, then runs N gradio_client clients in parallel, each with its
own session, each asking K questions one after the other with every map
(Grad-CAM, Guided Grad-CAM, Integrated Gradients): race, gender and age in
turn, on generated photos in turn: the astronaut, and a six-face group photo at
2560 px. It prints the time to the first update (the answers with Grad-CAM)
and to the last (everything), p50 / p95 / max, the errors, whether the server
died, its peak resident memory and its memory after warm-up, and the most the
session store held (from its log lines). Traffic goes to 127.0.0.1 only and
every loop is bounded by N x K and a deadline per ask.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

QUESTIONS = ("What is this person's race?", "Is this a woman?", "How old is this person?")
METHODS = ["gradcam", "guided", "ig"]
ASK_DEADLINE_S = 600.0
GROUP_CANVAS = (1772, 2560)  # (height, width): a six-face group photo at 2560 px


@dataclasses.dataclass
class Ask:
    user: int
    photo: str
    question: str
    first_s: float | None = None
    last_s: float | None = None
    error: str | None = None


def photos(folder: Path) -> dict[str, Path]:
    """The astronaut and a generated six-face group photo, written as PNG."""
    from PIL import Image

    from app.examples import example_photos
    from benchmarks.photos import GROUP_SCALES, group_photo
    from models.faces import detect_faces

    astronaut = example_photos()["astronaut"]
    (face,) = detect_faces(astronaut)
    written = {}
    six = group_photo(astronaut, face, list(GROUP_SCALES[:6]), GROUP_CANVAS).pixels
    for name, pixels in {"astronaut": astronaut, "six faces": six}.items():
        path = folder / f"{name.replace(' ', '-')}.png"
        Image.fromarray(pixels).save(path)
        written[name] = path
    return written


class RssMonitor(threading.Thread):
    """The app process tree's resident memory, sampled every `every` seconds."""

    def __init__(self, pid: int, every: float = 0.1):
        super().__init__(daemon=True, name="rss-monitor")
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, int]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        import psutil

        try:
            process = psutil.Process(self.pid)
            while not self._halt.is_set():
                rss = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
                self.samples.append((time.monotonic(), rss))
                self._halt.wait(self.every)
        except psutil.Error:  # the process ended: what was sampled stays
            return

    def stop(self) -> None:
        self._halt.set()
        self.join(5)

    def peak(self, since: float = 0.0) -> int:
        return max((rss for t, rss in self.samples if t >= since), default=0)

    def at(self, when: float) -> int:
        before = [rss for t, rss in self.samples if t <= when]
        return before[-1] if before else 0


def ask_once(client, photo: Path, question: str) -> tuple[float, float]:
    """(seconds to the first update, seconds to the last) of one /ask with every map."""
    from gradio_client import handle_file

    started = time.perf_counter()
    job = client.submit(handle_file(str(photo)), question, METHODS, api_name="/ask")
    first = None
    while not job.done():
        if first is None and job.outputs():
            first = time.perf_counter() - started
        if time.perf_counter() - started > ASK_DEADLINE_S:
            job.cancel()
            raise TimeoutError(f"no answer within {ASK_DEADLINE_S:g} s")
        time.sleep(0.005)
    job.result()  # raises the app's error, if any
    last = time.perf_counter() - started
    return (last if first is None else first), last


def one_user(url: str, user: int, asks: int, photo_list: list[tuple[str, Path]]) -> list[Ask]:
    from gradio_client import Client

    client = Client(url, verbose=False)
    done = []
    for k in range(asks):
        name, photo = photo_list[(user + k) % len(photo_list)]
        question = QUESTIONS[(user + k) % len(QUESTIONS)]
        record = Ask(user, name, question)
        try:
            record.first_s, record.last_s = ask_once(client, photo, question)
        except Exception as err:  # noqa: BLE001 - every failure is counted and shown
            record.error = f"{type(err).__name__}: {' '.join(str(err).split())[:160]}"
        done.append(record)
    client.close()
    return done


def start_app(repo: Path, port: int, concurrency: int, log: Path) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--concurrency", str(concurrency)],
                                cwd=repo, stdout=out, stderr=subprocess.STDOUT, env={**os.environ},
                                start_new_session=True)


def import_models(repo: Path) -> None:
    """The measured checkout imports its own pretrained models into the cache, once,
    before timing (an older checkout imports what it knew)."""
    # The command, not a Python path: `python -m models.pretrained` is the one name every
    # checkout has (the importers' modules moved into models/importers/ later).
    subprocess.run([sys.executable, "-m", "models.pretrained"], cwd=repo, check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


def run(users: int, asks: int, concurrency: int, repo: Path, folder: Path) -> dict:
    from gradio_client import Client

    from benchmarks.app import free_port, wait_until_up

    import_models(repo)
    photo_list = list(photos(folder).items())
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = folder / "app.log"
    process = start_app(repo, port, concurrency, log)
    monitor = RssMonitor(process.pid)
    monitor.start()
    try:
        wait_until_up(url, process)
        warm = Client(url, verbose=False)
        for question in QUESTIONS:  # load the models, trace every graph once
            for _, photo in photo_list:
                ask_once(warm, photo, question)
        warm.close()
        warmed = time.monotonic()
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(users) as pool:
            runs = [a for batch in pool.map(lambda u: one_user(url, u, asks, photo_list), range(users))
                    for a in batch]
        wall = time.perf_counter() - started
        ended = time.monotonic()
        alive = process.poll() is None
    finally:
        monitor.stop()
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
    output = log.read_text(errors="replace")
    return {"users": users, "asks": asks, "concurrency": concurrency, "repo": str(repo), "wall_s": wall,
            "alive": alive, "exit_status": process.returncode, "asks_run": [dataclasses.asdict(a) for a in runs],
            "rss_after_warmup_mb": monitor.at(warmed) / 2**20, "rss_peak_mb": monitor.peak() / 2**20,
            "rss_end_mb": monitor.at(ended) / 2**20, "store": store_figures(output),
            "crash_lines": [line for line in output.splitlines() if _CRASH.search(line)][:5],
            "load_average": os.getloadavg()}


_CRASH = re.compile(r"corrupted|double free|Segmentation|Aborted|free\(\)|core dumped", re.I)
_HELD = re.compile(r"session store: .*?(\d+) held(?:, ([\d.]+) MB)?")


def store_figures(output: str) -> dict:
    """The most entries and megabytes the session store said it held, from its log lines."""
    held = [(int(m.group(1)), float(m.group(2) or 0)) for m in map(_HELD.search, output.splitlines()) if m]
    return {"max_entries": max((n for n, _ in held), default=0), "max_mb": max((mb for _, mb in held), default=0.0),
            "evictions": output.count("over its")}


def _stats(values: list[float]) -> str:
    from benchmarks.app import percentile

    if not values:
        return f"{'-':>8}{'-':>8}{'-':>8}"
    return f"{percentile(values, 50):8.2f}{percentile(values, 95):8.2f}{max(values):8.2f}"


def table(report: dict) -> str:
    runs = report["asks_run"]
    ok = [r for r in runs if r["error"] is None]
    errors = [r for r in runs if r["error"] is not None]
    lines = [f"{report['users']} clients x {report['asks']} asks (every map), --concurrency "
             f"{report['concurrency']}, {report['wall_s']:.0f} s wall, load average at the end "
             + " / ".join(f"{v:.1f}" for v in report["load_average"]),
             f"  {'seconds':<34}{'p50':>8}{'p95':>8}{'max':>8}",
             f"  {'first update (answers + Grad-CAM)':<34}{_stats([r['first_s'] for r in ok])}",
             f"  {'last update (everything)':<34}{_stats([r['last_s'] for r in ok])}"]
    for photo in sorted({r["photo"] for r in ok}):
        mine = [r for r in ok if r["photo"] == photo]
        lines.append(f"    {photo + ': first':<32}{_stats([r['first_s'] for r in mine])}")
        lines.append(f"    {photo + ': last':<32}{_stats([r['last_s'] for r in mine])}")
    store = report["store"]
    lines += [f"  asks answered {len(ok)} of {len(runs)}; errors {len(errors)}; server "
              + ("alive" if report["alive"] else f"DIED (exit status {report['exit_status']})"),
              f"  server memory: {report['rss_after_warmup_mb']:.0f} MB after warm-up, peak "
              f"{report['rss_peak_mb']:.0f} MB, {report['rss_end_mb']:.0f} MB at the end",
              f"  session store: at most {store['max_entries']} answers, {store['max_mb']:.1f} MB; "
              f"{store['evictions']} evictions"]
    lines += [f"  error: {r['error']}" for r in errors[:5]]
    lines += [f"  server log: {line}" for line in report["crash_lines"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=8, metavar="N", help="visitors at once (default: %(default)s)")
    parser.add_argument("--asks", type=int, default=3, metavar="K", help="questions each (default: %(default)s)")
    parser.add_argument("--concurrency", type=int, default=2, help="the app's --concurrency (default: %(default)s)")
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1],
                        help="the checkout whose app.py is measured (default: this one)")
    parser.add_argument("--json", action="store_true", help="print the raw numbers as JSON too")
    args = parser.parse_args(argv)
    if args.users < 1 or args.asks < 1:
        parser.error("--users and --asks must be at least 1")
    from vqa.quiet import silence_tf

    silence_tf()
    with tempfile.TemporaryDirectory(prefix="facexai-load-") as folder:
        report = run(args.users, args.asks, args.concurrency, args.repo.resolve(), Path(folder))
    print(table(report))
    if args.json:
        print(json.dumps(report, indent=2))
    return 0 if report["alive"] else 1


if __name__ == "__main__":
    sys.exit(main())
