"""The bias lab's build, for the app, which may not import training: run
`python -m training.demo` in a subprocess, follow its progress lines
(models.cache.LAB_PROGRESS_PREFIX, then JSON) and stop it at a hard deadline.

    built = build_lab(progress=lambda fraction, desc: ...)   # a vqa.progress.Progress
    built.models, built.report      # folders: the registry's and the Audit tab's
                                    # (one build at a time per process; stopped after BUILD_DEADLINE_S)
"""
from __future__ import annotations

import collections
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from models.cache import LAB_PROGRESS_PREFIX as PROGRESS_PREFIX
from vqa.lab.folders import Lab, lab
from vqa.progress import Progress, report

_PROJECT = Path(__file__).resolve().parents[2]  # where `python -m training.demo` is importable from
# The default demo takes a few minutes on a laptop; past this, something is stuck (or the machine is
# far too slow for a page's button), and the run is stopped rather than left holding a core.
BUILD_DEADLINE_S = 600.0
# One build per process: a second would train the same models into the same folders at the same time.
_BUILDING = threading.Lock()

__all__ = ["BUILD_DEADLINE_S", "PROGRESS_PREFIX", "Finished", "LabBuildError", "LabProgress", "build_lab",
           "parse_progress", "run_with_deadline"]


class LabBuildError(RuntimeError):
    """The demo run failed; the message holds its last lines."""


@dataclasses.dataclass(frozen=True)
class LabProgress:
    fraction: float
    step: str
    message: str
    extra: dict = dataclasses.field(default_factory=dict)


def parse_progress(line: str) -> LabProgress | None:
    """One of the demo's `lab: {json}` lines, or None for any other output."""
    if not line.startswith(PROGRESS_PREFIX):
        return None
    try:
        data = json.loads(line[len(PROGRESS_PREFIX):])
        return LabProgress(float(data.pop("fraction")), str(data.pop("step")), str(data.pop("message")), data)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def build_lab(progress: Progress | None = None, root: str | Path | None = None,
              args: tuple[str, ...] = (), timeout: float | None = None) -> Lab:
    """Run the demo (reusing what is there) and return the lab; LabBuildError if it fails, if
    another build is running in this process, or if it runs past `timeout` seconds (default
    BUILD_DEADLINE_S, from the start). `progress(fraction, desc)` hears each step; `args`
    are extra demo flags."""
    if not _BUILDING.acquire(blocking=False):
        raise LabBuildError("the bias lab is already being built (someone clicked first); when that build "
                            "is done, click \"Look again\" to see its report")
    try:
        return _build(progress, lab(root), args, BUILD_DEADLINE_S if timeout is None else timeout)
    finally:
        _BUILDING.release()


def _build(progress: Progress | None, where: Lab, args: tuple[str, ...],
           deadline_s: float) -> Lab:
    command = [sys.executable, "-m", "training.demo", "--out", str(where.root), *args]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_PROJECT), os.environ.get("PYTHONPATH")])),
           "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}
    tail: collections.deque[str] = collections.deque(maxlen=12)
    done = None

    def hear(line: str) -> None:
        nonlocal done
        event = parse_progress(line)
        if event is None:
            tail.append(line.rstrip())
            return
        report(progress, event.fraction, event.message)
        done = event if event.step == "done" else done

    finished = run_with_deadline(command, deadline_s, hear, cwd=_PROJECT, env=env)
    last = next((line for line in reversed(tail) if line.strip()), "no output")
    if finished.timed_out:
        raise LabBuildError(f"building the bias lab ran out of time: it was stopped after {deadline_s:g} s "
                            f"(last output: {last}); run `python -m training.demo` in a terminal to see where "
                            "it stops")
    if finished.returncode != 0 or done is None:
        raise LabBuildError(f"building the bias lab failed (exit status {finished.returncode}): {last}")
    return where


class Finished(NamedTuple):
    returncode: int
    timed_out: bool  # the watchdog stopped it at the deadline


def run_with_deadline(command: Sequence[str], deadline_s: float, on_line: Callable[[str], None] = lambda line: None,
                      cwd: str | Path | None = None, env: dict[str, str] | None = None) -> Finished:
    """Run `command`, handing each line of its output (stdout and stderr) to `on_line`, and kill it
    with everything it started once `deadline_s` seconds have passed since the start.

    The deadline is kept by a watchdog thread, not by the reading loop: a child that prints
    nothing never wakes that loop up. The child gets its own process group so that the kill
    reaches its children too (which would otherwise keep the output pipe, and the loop, open).
    """
    process = subprocess.Popen(list(command), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, bufsize=1, start_new_session=True)
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        _kill_group(process)

    watchdog = threading.Timer(deadline_s, expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        for line in process.stdout:
            on_line(line)
        returncode = process.wait()
    finally:
        watchdog.cancel()
        if process.poll() is None:  # the caller gave up (a cancelled request): stop the run we started
            _kill_group(process)
            process.wait()
        process.stdout.close()
    # A child that ended on its own just as the watchdog fired did not run out of time.
    return Finished(returncode, expired.is_set() and returncode != 0)


def _kill_group(process: subprocess.Popen) -> None:
    if process.poll() is not None:  # already reaped: its id may belong to someone else by now
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the child leads its own group (start_new_session)
    except (AttributeError, ProcessLookupError, PermissionError):  # no process groups here, or already gone
        process.kill()
