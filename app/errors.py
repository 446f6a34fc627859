"""Every failure a person can cause becomes a gr.Error with a readable message.

The engine and models.intake raise ValueError subclasses whose messages are
written for people (no face found, not an image, too large). Anything else is
a bug: it is logged here with its traceback for the operator, and the person
sees one calm sentence, never the traceback.
"""
from __future__ import annotations

import functools
import logging
from typing import Callable

import gradio as gr

log = logging.getLogger("facexai.app")

UNEXPECTED = "Something went wrong while analysing this photo. The error was logged; please try another photo."


def user_errors(fn: Callable) -> Callable:
    """Wrap an event handler so that no exception reaches Gradio unexplained."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except ValueError as err:  # the engine's and intake's documented, readable errors
            raise gr.Error(_sentence(str(err) or type(err).__name__), title=_title(err),
                           print_exception=False) from None
        except MemoryError:
            raise gr.Error("This photo needs more memory than the app has; try a smaller one.") from None
        except Exception:
            log.exception("unexpected error in %s", fn.__name__)
            raise gr.Error(UNEXPECTED) from None

    return wrapper


def _title(err: Exception) -> str:
    # "NoFaceError" -> "No face"; shown as the heading of the error box.
    name = type(err).__name__.removesuffix("Error") or "Error"
    words = "".join(" " + c.lower() if c.isupper() else c for c in name).strip()
    return words[:1].upper() + words[1:] if words != "value" else "Cannot answer"


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]
