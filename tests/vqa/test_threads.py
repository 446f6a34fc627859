"""vqa.Engine answering from four worker threads at once, as the app's pool does:
the same answers, boxes and stability checks as one thread gives, and no crash.
Run in a child process (tests/thread_stress.py) so that a heap abort fails this
test instead of ending the session."""
from __future__ import annotations

import pytest

from tests.thread_stress import describe, run_child


@pytest.mark.slow
def test_the_engine_answers_from_four_threads_as_from_one(pretrained_import):
    """4 threads x 12 asks (explain=(), the stability check on: HOG, the 5-point
    predictor, MTCNN, dlib's and GEAR's Keras models), each ask followed by a
    detect_faces call, on the astronaut and generated group photos. On the code
    before per-thread detectors the child aborted (SIGABRT, "free(): invalid pointer")."""
    root, _, _, _ = pretrained_import
    run = run_child("engine", env={"FACEXAI_CACHE": str(root)}, timeout=600)
    assert run.returncode == 0, describe(run)
    assert "4 threads x 12 calls" in run.stdout and ", 0 differed" in run.stdout
