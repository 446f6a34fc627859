"""One progress type for every long call in vqa: `progress(fraction, desc)`.

`fraction` is how far the call has got, in [0, 1], or None where there is no
telling (loading a model, a line of the engine's start-up); `desc` says it in
words. Both are passed by position, so gr.Progress fits as it is, and so does
any two-argument function, whatever it names its arguments.

The edges adapt to it: a caller with a one-line message callback (`print`,
logging's `info`, `list.append`, what Engine(progress=...) takes) wraps it
with `from_messages`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

__all__ = ["Progress", "from_messages", "report"]


class Progress(Protocol):
    def __call__(self, fraction: float | None, desc: str, /) -> object: ...


def from_messages(hear: Callable[[str], object]) -> Progress:
    """A one-line-message callback heard as a Progress: it gets the words only."""

    def progress(fraction: float | None, desc: str) -> None:
        hear(desc)

    return progress


def report(progress: Progress | None, fraction: float | None, desc: str) -> None:
    """Tell `progress`, where there is one."""
    if progress is not None:
        progress(fraction, desc)
