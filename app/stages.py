"""Two queues for the engine's work, so that a visitor's first answer never
waits behind another visitor's slow maps.

An ask has a quick stage (faces, every model's answer, Grad-CAM: a fraction of
a second) and a slow stage (Guided Grad-CAM, Integrated Gradients, the trust
checks: seconds). Each stage runs in its own pool of `workers` threads: a quick
stage waits only for other quick stages. A slow stage is dropped before it
starts when nobody waits for it any more (the page was closed, or the same
page asked a newer question): `wanted()` is asked at the moment a worker is
free, not when the stage was queued.

The pools' threads are the only threads that run the engine (Compare and the
lab's comparison go through the slow pool too), so the per-thread native
objects (dlib's detectors, see models.faces) number at most the two pools' sizes.
"""
from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class Dropped(Exception):
    """A slow stage that nobody waited for any more was not run."""


class StageQueues:
    def __init__(self, workers: int = 1):
        if workers < 1:
            raise ValueError("each stage needs at least one worker")
        self.workers = workers
        self._quick = ThreadPoolExecutor(workers, thread_name_prefix="quick-stage")
        self._slow = ThreadPoolExecutor(workers, thread_name_prefix="slow-stage")

    def quick(self, fn: Callable[[], T]) -> T:
        """Run `fn` in the quick pool and wait for it."""
        return _submit(self._quick, fn)

    def slow(self, fn: Callable[[], T], wanted: Callable[[], bool] = lambda: True) -> T:
        """Run `fn` in the slow pool and wait for it; Dropped when `wanted()` is
        false once a worker is free for it."""
        def when_wanted():
            if not wanted():
                raise Dropped
            return fn()

        return _submit(self._slow, when_wanted)

    def shutdown(self) -> None:
        self._quick.shutdown(wait=False, cancel_futures=True)
        self._slow.shutdown(wait=False, cancel_futures=True)


def _submit(pool: ThreadPoolExecutor, fn: Callable[[], Any]):
    # gr.Progress finds its event through context variables: the worker runs
    # `fn` in a copy of the caller's context so that progress still reaches the page.
    return pool.submit(contextvars.copy_context().run, fn).result()
