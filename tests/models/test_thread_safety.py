"""The face pipeline's native objects from several worker threads at once (the app
answers from a pool of them). The threaded runs happen in a child process
(tests/thread_stress.py): a heap corruption aborts the process, and that must fail
a test, not end the test session."""
from __future__ import annotations

import threading
import time

import pytest

from models import faces
from models.threads import built_once, per_thread
from tests.thread_stress import describe, run_child

THREADS = 8


def _on_threads(call, threads: int = THREADS) -> list:
    """call() twice on each of `threads` threads released at once: [(first, second)] per thread."""
    start = threading.Barrier(threads)
    got: list = [None] * threads

    def work(i: int) -> None:
        start.wait()
        got[i] = (call(), call())

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return got


class _Model:
    """Something to build: slow enough that threads asking at once overlap."""

    built: list[_Model] = []

    def __init__(self):
        time.sleep(0.05)
        _Model.built.append(self)


def test_built_once_builds_one_instance_when_threads_ask_at_once():
    _Model.built = []
    model = built_once(_Model)
    got = _on_threads(model)
    assert len(_Model.built) == 1  # lru_cache would build up to one per thread here
    assert all(first is second is _Model.built[0] for first, second in got)


def test_per_thread_gives_each_thread_its_own_copy_of_one_build():
    _Model.built = []
    model = per_thread(_Model)
    got = _on_threads(model)
    assert len(_Model.built) == 1  # built once, then copied
    assert all(first is second for first, second in got)  # a thread keeps its copy
    mine = [first for first, _ in got]
    assert len({id(m) for m in mine}) == THREADS  # alive together, so distinct ids are distinct objects
    assert not any(m is _Model.built[0] for m in mine)  # the build itself is never handed out
    assert all(isinstance(m, _Model) for m in mine)


def test_the_face_module_gives_each_thread_a_hog_detector_and_shares_the_predictors(astronaut):
    detectors = _on_threads(faces._dlib_detector, threads=2)
    assert detectors[0][0] is detectors[0][1] and detectors[0][0] is not detectors[1][0]
    # a copy finds what the original does
    runs = [d.run(astronaut, 1, 0.0) for d, _ in detectors]
    assert [list(r[1]) for r in runs] == [list(runs[0][1])] * 2 and len(runs[0][0]) >= 1
    predictors = _on_threads(faces._shape_predictor, threads=2)
    assert predictors[0][0] is predictors[1][0]  # documented safe to share: one for all


@pytest.mark.slow  # a child process of threads
def test_dlibs_hog_detector_and_5_point_predictor_from_threads_agree_with_one_thread():
    """2 threads and 4 threads, each detecting and landmarking photos of 1 to 6 faces
    with the objects models.faces hands out. Before the per-thread detector, the
    shared one aborted the child ("free(): invalid pointer", SIGABRT)."""
    for threads, calls in ((2, 16), (4, 12)):
        run = run_child("dlib", threads=threads, calls=calls, timeout=300)
        assert run.returncode == 0, describe(run)
        assert ", 0 differed" in run.stdout


@pytest.mark.slow  # a child process of threads
def test_detect_faces_from_four_threads_gives_what_one_thread_gives():
    """detect_faces with HOG, MTCNN and dlib's CNN, 4 threads x 12 calls: the same
    boxes, landmarks and scores as one thread's, and the child lives."""
    run = run_child("detect", timeout=600)
    assert run.returncode == 0, describe(run)
    assert "4 threads x 12 calls" in run.stdout and ", 0 differed" in run.stdout

