"""vqa.lab's guards around the build (vqa/lab/driver.py): a hard deadline kept by a watchdog,
one build at a time.

The full build runs in tests/vqa/lab/test_build.py; these run in seconds."""
import sys
import threading
import time

import pytest

from vqa import lab
from vqa.lab import driver

SILENT = [sys.executable, "-c", "import time; time.sleep(60)"]  # prints nothing, never exits by itself


def test_a_silent_child_is_killed_at_the_deadline():
    heard = []
    start = time.monotonic()
    finished = lab.run_with_deadline(SILENT, 1.5, heard.append)
    took = time.monotonic() - start
    assert finished.timed_out and finished.returncode != 0
    assert 1.5 <= took < 5 and heard == []


def test_the_kill_reaches_what_the_child_started():
    # The grandchild inherits the output pipe: killing the child alone would leave the
    # reading loop waiting for the grandchild's 60 s.
    start = time.monotonic()
    finished = lab.run_with_deadline(["bash", "-c", "sleep 60 & sleep 60"], 1.0)
    assert finished.timed_out and time.monotonic() - start < 5


def test_a_child_that_ends_in_time_is_heard_line_by_line():
    heard = []
    code = "import sys; print('one'); print('two', file=sys.stderr); sys.exit(3)"
    finished = lab.run_with_deadline([sys.executable, "-c", code], 30, heard.append)
    assert finished == lab.Finished(3, False)
    assert [line.strip() for line in heard] == ["one", "two"]


def test_a_build_past_its_deadline_is_one_readable_error(tmp_path):
    # The real demo cannot import TensorFlow, let alone train, within a second.
    start = time.monotonic()
    with pytest.raises(lab.LabBuildError, match="ran out of time: it was stopped after 1 s"):
        lab.build_lab(root=tmp_path, timeout=1)
    assert time.monotonic() - start < 6


def test_a_second_build_while_one_runs_is_refused(tmp_path, monkeypatch):
    entered, release = threading.Event(), threading.Event()
    calls = []

    def slow_run(command, deadline_s, on_line, **kwargs):  # stands in for the demo's minutes
        calls.append(deadline_s)
        entered.set()
        release.wait(10)
        on_line('lab: {"fraction": 1.0, "step": "done", "message": "done"}\n')
        return lab.Finished(0, False)

    monkeypatch.setattr(driver, "run_with_deadline", slow_run)
    results = []
    first = threading.Thread(target=lambda: results.append(lab.build_lab(root=tmp_path)))
    first.start()
    assert entered.wait(10)
    try:
        with pytest.raises(lab.LabBuildError, match="already being built"):
            lab.build_lab(root=tmp_path)
    finally:
        release.set()
        first.join(10)
    assert results == [lab.lab(tmp_path)]
    assert calls == [lab.BUILD_DEADLINE_S]  # no timeout given: the default deadline, not none
    assert lab.build_lab(root=tmp_path) == lab.lab(tmp_path)  # the lock is given back after a build


def test_the_lock_is_given_back_after_a_failed_build(tmp_path, monkeypatch):
    monkeypatch.setattr(driver, "run_with_deadline", lambda *args, **kwargs: lab.Finished(2, False))
    for _ in range(2):  # the second is not "already being built"
        with pytest.raises(lab.LabBuildError, match="exit status 2"):
            lab.build_lab(root=tmp_path)


# Runs the lab's child processes against a deadline: not in the fast loop (pytest -m "not slow").
pytestmark = pytest.mark.slow
