"""Where a session's photo and everything made from it live: server memory,
for a fixed time counted from the ask.

gr.State would keep a value for an hour after the browser leaves and restart
its timer on every update (gradio/state_holder.py), so the page holds only a
key and the Result stays here. An entry expires `retention_s` after the ask
that made it: later stages of the same ask and clicks that redraw it do not
move that time. A sweeper thread wakes at the next expiry and drops what is
due; the page's unload event drops a session's entry at once.

The store also has a byte budget: it counts the bytes of the arrays each
value holds (its `nbytes`: the photo, the chips, the chip-resolution maps) and,
when a new value would pass the budget, drops the oldest entries first (by the
time of their ask), logging one line with counts only.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from app.settings import DEFAULT_STORE_MB

log = logging.getLogger("facexai.app.store")

DEFAULT_RETENTION_S = 900


def nbytes(value: Any) -> int:
    """The bytes a stored value holds, as it reports them (0 when it does not say)."""
    return int(getattr(value, "nbytes", 0) or 0)


class SessionStore:
    def __init__(self, retention_s: float = DEFAULT_RETENTION_S, clock: Callable[[], float] = time.monotonic,
                 max_bytes: int = DEFAULT_STORE_MB * 2**20):
        if retention_s <= 0:
            raise ValueError("the retention must be a positive number of seconds")
        if max_bytes <= 0:
            raise ValueError("the store's byte budget must be positive")
        self.retention_s = float(retention_s)
        self.max_bytes = int(max_bytes)
        self._clock = clock
        # key -> (expires at, value, its bytes); dicts keep insertion order, and a
        # new ask re-inserts its key, so the first entry is always the oldest ask.
        self._entries: dict[str, tuple[float, Any, int]] = {}
        self._changed = threading.Condition()
        self._sweeper: threading.Thread | None = None

    def put(self, key: str, value: Any) -> None:
        """A new ask: the value is kept for retention_s from now."""
        size = nbytes(value)
        with self._changed:
            self._entries.pop(key, None)
            evicted = self._make_room(size, keep=None)
            self._entries[key] = (self._clock() + self.retention_s, value, size)
            self._changed.notify_all()
        self._report("kept", evicted)

    def replace(self, key: str, value: Any, expected: Any) -> bool:
        """A later stage of the same ask: the new value keeps the old expiry.
        False (and nothing stored) if the entry has expired meanwhile, or is no
        longer `expected` (a newer ask from the same page took its place, or the
        budget evicted it)."""
        size = nbytes(value)
        with self._changed:
            entry = self._live(key)
            if entry is None or entry[1] is not expected:
                return False
            evicted = self._make_room(size - entry[2], keep=key)
            self._entries[key] = (entry[0], value, size)
        if evicted:
            self._report("grew", evicted)
        return True

    @property
    def bytes_held(self) -> int:
        with self._changed:
            return sum(size for _, _, size in self._entries.values())

    def _make_room(self, size: int, keep: str | None) -> int:
        """Drop the oldest entries (not `keep`) until `size` more bytes fit; how many were dropped."""
        held = sum(entry[2] for entry in self._entries.values())
        dropped = 0
        for key in list(self._entries):
            if held + size <= self.max_bytes:
                break
            if key == keep:
                continue
            held -= self._entries.pop(key)[2]
            dropped += 1
        return dropped

    def get(self, key: str | None) -> Any:
        """The value, or None when absent or expired (reading does not extend it)."""
        with self._changed:
            entry = self._live(key)
            return None if entry is None else entry[1]

    def pop(self, key: str | None) -> None:
        with self._changed:
            dropped = self._entries.pop(key, None) if key else None
        if dropped is not None:
            self._report("dropped 1 (page closed)")

    def sweep(self) -> int:
        """Drop every expired entry now; returns how many."""
        with self._changed:
            now = self._clock()
            due = [key for key, (expires, _, _) in self._entries.items() if expires <= now]
            for key in due:
                del self._entries[key]
        if due:
            self._report(f"dropped {len(due)} (expired)")
        return len(due)

    def __len__(self) -> int:
        with self._changed:
            now = self._clock()
            return sum(expires > now for expires, _, _ in self._entries.values())

    def start_sweeper(self) -> threading.Thread:
        """A daemon thread that sweeps at each entry's expiry."""
        if self._sweeper is None:
            self._sweeper = threading.Thread(target=self._sweep_forever, name="session-sweeper", daemon=True)
            self._sweeper.start()
        return self._sweeper

    def _sweep_forever(self) -> None:
        while True:
            with self._changed:
                soonest = min((expires for expires, _, _ in self._entries.values()), default=None)
                wait = None if soonest is None else max(0.0, soonest - self._clock())
                if wait is None or wait > 0:
                    self._changed.wait(timeout=wait)
            self.sweep()

    def _live(self, key: str | None):
        entry = self._entries.get(key) if key else None
        if entry is not None and entry[0] <= self._clock():
            return None
        return entry

    def _report(self, what: str, evicted: int = 0) -> None:
        # Only counts and sizes: never the key, the photo or the question.
        if evicted:
            log.info("session store: over its %d MB budget, dropped the %d oldest", self.max_bytes // 2**20, evicted)
        log.info("session store: %s, %d held, %.1f MB", what, len(self), self.bytes_held / 2**20)
