"""Every failure a person can cause becomes a gr.Error with a readable message.

Only the error classes whose messages are written for people show their text
(READABLE: the engine's documented ones, no face found, not an image, too
large..., and the handlers' own InputError). Anything else, a plain ValueError
from deep inside numpy included, is a bug: it is logged in one line for the
operator, naming the exception's type and where it was raised, but not its
message or the handler's arguments, which can hold the question, image data or
the server's paths; the person sees one calm sentence, never the traceback.
"""
from __future__ import annotations

import functools
import inspect
import logging
import traceback
from collections.abc import Callable

import gradio as gr

from vqa.engine import (
    AttributeChoiceError,
    ExplainMethodError,
    FaceIndexError,
    ImageError,
    LabMissingError,
    NoFaceError,
)
from vqa.lab import LabBuildError
from vqa.pipeline import CheckError

log = logging.getLogger("facexai.app")


class InputError(ValueError):
    """A handler's own refusal of what a person sent (no photo, an empty question),
    worded for that person."""


NO_PHOTO = "Add a photo first: upload one, use the webcam, paste one, or pick an example."


class NoPhotoError(InputError):
    """The person asked (or compared) before giving a photo."""

    def __init__(self, message: str = NO_PHOTO):
        super().__init__(message)


READABLE = (ImageError, NoFaceError, FaceIndexError, ExplainMethodError, CheckError, LabMissingError, LabBuildError,
            AttributeChoiceError, InputError)


UNEXPECTED = ("Something went wrong while analysing this photo. What kind of error and where it happened "
              "were logged (not your photo or question); please try another photo.")


def user_errors(fn: Callable) -> Callable:
    """Wrap an event handler (a function or a generator) so that no exception
    reaches Gradio unexplained."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def streaming(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception as err:  # noqa: BLE001 - every exception becomes a sentence
                raise _readable(err, fn.__name__) from None

        return streaming

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as err:  # noqa: BLE001
            raise _readable(err, fn.__name__) from None

    return wrapper


def _readable(err: Exception, handler: str) -> gr.Error:
    if isinstance(err, gr.Error):
        return err
    if isinstance(err, READABLE):
        return gr.Error(_sentence(str(err) or type(err).__name__), title=_title(err), print_exception=False)
    if isinstance(err, MemoryError):
        return gr.Error("This photo needs more memory than the app has; try a smaller one.", print_exception=False)
    log.error("unexpected %s in handler %s, raised at %s", type(err).__name__, handler, where(err))
    return gr.Error(UNEXPECTED, print_exception=False)


def where(err: BaseException) -> str:
    """The innermost frames of the traceback as file:line:function, newest last."""
    frames = traceback.extract_tb(err.__traceback__)[-3:]
    return " <- ".join(f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}:{frame.name}"
                       for frame in reversed(frames)) or "unknown"


def _title(err: Exception) -> str:
    # "NoFaceError" -> "No face"; shown as the heading of the error box.
    name = type(err).__name__.removesuffix("Error") or "Error"
    words = "".join(" " + c.lower() if c.isupper() else c for c in name).strip()
    return words[:1].upper() + words[1:] if words not in ("value", "input") else "Cannot answer"


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]
