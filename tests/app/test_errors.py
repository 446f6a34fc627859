"""app/errors.py: a readable error reaches the person as its own sentence; a bug is
logged in one line, without the person's words or photo, and shown as UNEXPECTED."""
from __future__ import annotations

import gradio as gr
import numpy as np
import pytest

from app.errors import UNEXPECTED, InputError, user_errors


def test_readable_errors_become_gr_error_with_their_message():
    from vqa.engine import NoFaceError

    @user_errors
    def handler():
        raise NoFaceError("no face found in this 256x256 photo")

    with pytest.raises(gr.Error) as caught:
        handler()
    assert caught.value.message == "No face found in this 256x256 photo"
    assert caught.value.title == "No face"


def test_a_bug_is_logged_in_one_line_without_its_message_and_the_person_sees_no_traceback(caplog):
    @user_errors
    def handler(photo, question):
        raise KeyError(f"internal detail about {question!r} and {photo[:4]!r}")

    with pytest.raises(gr.Error) as caught:
        handler(b"\x89PNG\r\n secret pixels", "Is she my neighbour?")
    assert caught.value.message == UNEXPECTED and "internal detail" not in caught.value.message
    records = [r for r in caplog.records if r.name == "facexai.app"]
    assert len(records) == 1
    line = records[0].getMessage()
    assert "\n" not in line and records[0].exc_info is None  # one line, no traceback
    assert "KeyError" in line and "handler" in line and "test_errors.py:" in line  # what and where, for the operator
    assert "neighbour" not in line and "PNG" not in line and "secret" not in line


def test_a_streaming_handler_turns_a_readable_error_into_gr_error():
    from vqa.engine import NoFaceError

    @user_errors
    def stream():
        yield 1
        raise NoFaceError("no face found")

    updates = stream()
    assert next(updates) == 1
    with pytest.raises(gr.Error, match="No face found"):
        next(updates)


def test_readable_errors_keep_their_text():
    from vqa.engine import ImageTooLargeError
    from vqa.lab import LabBuildError

    for error in (InputError("face numbers start at 1"), ImageTooLargeError("this photo has 90 MP; the cap is 40"),
                  LabBuildError("the bias lab is already being built")):
        @user_errors
        def handler(error=error):
            raise error

        with pytest.raises(gr.Error) as caught:
            handler()
        assert caught.value.message == str(error)[:1].upper() + str(error)[1:]


def test_a_plain_value_error_from_deep_inside_is_unexpected_and_logged_without_its_text(caplog):
    @user_errors
    def handler():
        np.reshape(np.zeros(3), (2, 2))  # numpy's own ValueError, message and all
        raise AssertionError("not reached")

    @user_errors
    def leaky():
        raise ValueError("secret internals at /srv/cache")

    for fn in (handler, leaky):
        with pytest.raises(gr.Error) as caught:
            fn()
        assert caught.value.message == UNEXPECTED
    lines = [r.getMessage() for r in caplog.records if r.name == "facexai.app" and r.levelname == "ERROR"]
    assert len(lines) == 2 and all("ValueError" in line for line in lines)
    assert "fromnumeric.py" in lines[0] and "test_errors.py" in lines[1] and "leaky" in lines[1]
    assert not any("secret" in line or "reshape array" in line for line in lines)


def test_the_handlers_own_sentences_still_reach_the_person():
    from app import ask_tab

    @user_errors
    def ask(question):
        return ask_tab._asked("photo.png", question)

    with pytest.raises(gr.Error, match="Type a question"):
        ask("   ")
