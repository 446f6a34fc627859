"""How the native model objects are built for worker threads (the app answers
from several at once): each is built once, under a lock, and then either shared
or copied once per thread. docs/models.md, "Thread safety", lists which object
gets which and why.

    @built_once                 # one instance for every thread
    def _mtcnn(): ...

    @per_thread                 # one instance per thread
    def _dlib_detector(): ...
"""
from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

__all__ = ["built_once", "per_thread"]


def built_once(build: Callable[[], T]) -> Callable[[], T]:
    """`build()`'s one instance, made on the first call. Unlike functools.lru_cache,
    threads that ask at once wait for the one build instead of each building their
    own (a model file read and its memory several times over)."""
    lock = threading.Lock()
    made: list[T] = []

    @functools.wraps(build)
    def instance() -> T:
        if not made:
            with lock:
                if not made:
                    made.append(build())
        return made[0]

    return instance


def per_thread(build: Callable[[], T], copy_of: Callable[[T], T] = copy.deepcopy) -> Callable[[], T]:
    """This thread's own instance: a copy (`copy_of`) of the one `build()` made once.

    For objects that keep working state between calls and must not run on two
    threads at once. Copying is what makes that cheap: dlib's HOG detector takes
    0.25-0.35 s to build and 1-2 ms to deepcopy (a pickle round trip), and worker
    pools retire idle threads, so new threads keep coming. The instance built
    first is never run, only copied; a thread's copy goes when the thread ends.
    """
    prototype = built_once(build)
    lock = threading.Lock()
    local = threading.local()

    @functools.wraps(build)
    def instance() -> T:
        mine = getattr(local, "instance", None)
        if mine is None:
            original = prototype()
            with lock:  # copying reads the prototype: one copy at a time
                mine = local.instance = copy_of(original)
        return mine

    return instance
