"""Worker threads against the face pipeline, run in a child process.

A native object shared unsafely by threads corrupts the heap and glibc aborts the
whole process ("free(): corrupted unsorted chunks"): inside pytest that would kill
the test session instead of failing a test. So the tests start this module as a
child (`run_child`) and read its exit status: 0 when every threaded call gave what
the same call gives on one thread, 1 with the differences on stderr, a negative
status (the signal) when the process died.

    python -X faulthandler -m tests.thread_stress dlib|detect|engine [--threads 4] [--calls 12]

The photos are skimage's astronaut and generated group photos (benchmarks.photos.group_photo,
as tests/models/test_group_detection.py makes them): no photo of a real person is stored.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("dlib", "detect", "engine")
QUESTIONS = ("Is this a woman?", "How old is this person?")
# Results are compared after rounding floats to this many decimals: a race shows
# as a crash, a missing face or a wrong box, not as a last-bit difference.
DECIMALS = 6


# -- the parent's side -------------------------------------------------------

def run_child(scenario: str, *, threads: int = 4, calls: int = 12, env: dict[str, str] | None = None,
              timeout: float = 600) -> subprocess.CompletedProcess:
    """This module run as a child process on `scenario`, on this checkout's code."""
    command = [sys.executable, "-X", "faulthandler", "-m", "tests.thread_stress", scenario,
               "--threads", str(threads), "--calls", str(calls)]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})},
                          timeout=timeout)


def describe(run: subprocess.CompletedProcess, lines: int = 20) -> str:
    """How the child ended (its exit status, or the signal that killed it), what
    it said before faulthandler's thread dump (glibc's message), and its stderr's tail."""
    if run.returncode < 0:
        ended = f"killed by {signal.Signals(-run.returncode).name}"
    else:
        ended = f"exit status {run.returncode}"
    said = [line for line in run.stderr.strip().splitlines() if not line.startswith("Extension modules:")]
    dump = next((i for i, line in enumerate(said) if line.startswith(("Thread 0x", "Current thread 0x"))), len(said))
    head = said[:min(dump, 5)]
    tail = said[max(dump, len(said) - lines):]
    return "\n".join([f"child {ended}; stdout: {run.stdout.strip()[-500:]!r}", *head, "stderr tail:", *tail])


# -- the child's side --------------------------------------------------------

def hammer(tasks: list[tuple[str, Callable[[], Any]]], threads: int, calls: int) -> list[str]:
    """Each task once on this thread (the reference), then `threads` threads that
    each run `calls` tasks at once (thread i starts at task i, so different tasks
    overlap). Returns one line per threaded call that differed or raised."""
    reference = [_rounded(task()) for _, task in tasks]
    problems: list[str] = []
    start = threading.Barrier(threads)

    def work(i: int) -> None:
        start.wait()
        for k in range(calls):
            name, task = tasks[(i + k) % len(tasks)]
            try:
                got = _rounded(task())
            except Exception as err:  # noqa: BLE001 - any error on a thread is a finding
                problems.append(f"thread {i}, call {k} ({name}) raised {type(err).__name__}: {err}")
                continue
            if got != reference[(i + k) % len(tasks)]:
                problems.append(f"thread {i}, call {k} ({name}) differs from one thread: {got!r:.300}")

    workers = [threading.Thread(target=work, args=(i,), name=f"worker-{i}") for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return problems


def _rounded(value: Any) -> Any:
    import numpy as np

    if isinstance(value, (float, np.floating)):
        return round(float(value), DECIMALS)
    if isinstance(value, np.ndarray):
        return _rounded(value.tolist())
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


def photos() -> dict[str, Any]:
    """The astronaut, her face's square tile (benchmarks.photos.face_tile: 0.05 MP, for the
    CNN, at seconds per megapixel) and generated group photos of 2, 4 and 6 of her face
    (80-180 px), from 0.4 to 3.1 MP: one face, several, and a photo at the size HOG
    scans as is."""
    import numpy as np

    from benchmarks.photos import GROUP_SCALES, face_tile, group_photo
    from models.faces import detect_faces
    from tests.helpers import astronaut_image

    original = astronaut_image()
    (face,) = detect_faces(original)
    groups = {2: (500, 800), 4: (800, 1200), 6: (1536, 2048)}
    out = {"astronaut": original, "face tile": np.ascontiguousarray(face_tile(original, face)[0])}
    out.update({f"group of {n}": group_photo(original, face, GROUP_SCALES[:n], canvas).pixels
                for n, canvas in groups.items()})
    return out


def _faces(found) -> list[dict]:
    return [{"detector": f.detector, "box": f.box, "landmarks": f.landmarks, "score": f.score} for f in found]


def dlib_tasks() -> list[tuple[str, Callable[[], Any]]]:
    """dlib's HOG detector and 5-point predictor as models.faces hands them out,
    called directly: detection at the photo's size, then landmarks on every box."""
    import dlib

    from models import faces

    def detect_and_landmark(image):
        rects, scores, _ = faces._dlib_detector().run(image, 0, 0.0)
        predictor = faces._shape_predictor()
        return [((r.left(), r.top(), r.right(), r.bottom()), score,
                 [(p.x, p.y) for p in predictor(image, dlib.rectangle(r.left(), r.top(), r.right(), r.bottom()))
                  .parts()])
                for r, score in zip(rects, scores)]

    return [(name, lambda image=image: detect_and_landmark(image)) for name, image in photos().items()]


def detect_tasks() -> list[tuple[str, Callable[[], Any]]]:
    """models.faces.detect_faces with each detector: HOG on every photo, MTCNN on two,
    dlib's CNN on the face tile."""
    from models.faces import detect_faces

    pictures = photos()
    tasks = [(f"dlib on {name}", lambda image=image: _faces(detect_faces(image))) for name, image in pictures.items()]
    tasks += [(f"mtcnn on {name}", lambda image=pictures[name]: _faces(detect_faces(image, "mtcnn")))
              for name in ("astronaut", "group of 4")]
    tasks.insert(3, ("dlib-cnn on face tile", lambda: _faces(detect_faces(pictures["face tile"], "dlib-cnn"))))
    return tasks


def engine_tasks() -> list[tuple[str, Callable[[], Any]]]:
    """vqa.Engine().ask(photo, question, explain=()) on the pretrained models of the
    cache ($FACEXAI_CACHE): HOG, the 5-point predictor, the stability check's MTCNN and
    the Keras models; each ask followed by a detect_faces call on a group of 4."""
    from models.faces import detect_faces
    from vqa import Engine

    engine = Engine(import_pretrained=False)
    if not engine.attributes():
        raise SystemExit(f"no pretrained models in the cache {os.environ.get('FACEXAI_CACHE')!r}: {engine.problems}")

    def ask(image, question):
        result = engine.ask(image, question, explain=()).to_dict()
        result.pop("timings_s")
        for face in result["faces"]:
            face.pop("timings_s")
        return result

    pictures = photos()
    asked = ("astronaut", "group of 2")

    def ask_then_detect(name, question):
        # another photo's faces found while other threads ask
        return ask(pictures[name], question), _faces(detect_faces(pictures["group of 4"]))

    return [(f"ask {question!r} of {name}, detect_faces on group of 4",
             lambda name=name, question=question: ask_then_detect(name, question))
            for question in QUESTIONS for name in asked]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.thread_stress", description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=SCENARIOS)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--calls", type=int, default=12)
    args = parser.parse_args(argv)
    from xai.quiet import silence_tf

    silence_tf()
    tasks = {"dlib": dlib_tasks, "detect": detect_tasks, "engine": engine_tasks}[args.scenario]()
    problems = hammer(tasks, args.threads, args.calls)
    print(f"{args.scenario}: {args.threads} threads x {args.calls} calls over {len(tasks)} tasks, "
          f"{len(problems)} differed", flush=True)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
