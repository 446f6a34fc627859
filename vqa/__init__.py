"""The engine between the UI and the models: route a question, answer it with
an honest confidence, explain the answer.

`from vqa import ask, route` — imported lazily so that routing a question
does not load TensorFlow.
"""
from __future__ import annotations

__all__ = ["AskOptions", "Intent", "Result", "ask", "route"]


def __getattr__(name):
    # lazy: keeps start-up light: `import vqa` runs for every vqa.* import (vqa.quiet, first of all)
    if name in ("ask", "AskOptions"):
        from vqa import pipeline

        return getattr(pipeline, name)
    if name == "Result":
        from vqa.result import Result

        return Result
    if name in ("route", "Intent"):
        from vqa import router

        return getattr(router, name)
    if name == "Engine":  # the facade the app and the CLI hold (vqa/engine.py)
        from vqa.engine import Engine
        return Engine
    raise AttributeError(f"module 'vqa' has no attribute {name!r}")
