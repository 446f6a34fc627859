"""app/store.py: the session store keeps an answer a fixed time after the ask, and its
sweeper logs counts, never keys."""
from __future__ import annotations

from app.store import SessionStore


def test_the_store_expires_a_fixed_time_after_the_ask_whatever_is_read_or_replaced():
    now = [0.0]
    store = SessionStore(2, clock=lambda: now[0])
    first, second = ["first stage"], ["second stage"]
    store.put("k", first)
    now[0] = 1.5
    assert store.replace("k", second, expected=first) and store.get("k") is second  # a later stage, same expiry
    assert not store.replace("k", ["stale"], expected=first)  # an older ask cannot overwrite a newer one
    now[0] = 1.99
    assert store.get("k") is second and len(store) == 1
    now[0] = 2.0
    assert store.get("k") is None and len(store) == 0
    assert not store.replace("k", ["too late"], expected=second) and store.sweep() == 1
    store.put("k", "a new ask")  # a new question counts from itself
    now[0] = 3.9
    assert store.get("k") == "a new ask"
    store.pop("k")
    assert store.get("k") is None


def test_the_sweeper_drops_an_entry_at_its_expiry_and_logs_only_counts(caplog):
    import logging
    import time

    caplog.set_level(logging.INFO, logger="facexai.app.store")
    store = SessionStore(0.3)
    store.start_sweeper()
    store.put("ask:secret-session", object())
    time.sleep(0.8)
    messages = [r.getMessage() for r in caplog.records if r.name == "facexai.app.store"]
    assert messages == ["session store: kept, 1 held, 0.0 MB", "session store: dropped 1 (expired), 0 held, 0.0 MB"]
    assert "secret-session" not in caplog.text
