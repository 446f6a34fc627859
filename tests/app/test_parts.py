"""The app's parts on their own, without a server: fast, and each checks a
property that a wrong implementation would break."""
from __future__ import annotations

import socket

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from app import cli, content
from app.cards_view import card_markdown
from app.errors import UNEXPECTED, InputError, user_errors
from app.examples import example_photos, no_face, two_faces
from app.faces_view import CHOSEN, OTHER, draw_faces, face_at, face_region
from app.store import SessionStore
from models.cards import ModelCard

# -- face picker --------------------------------------------------------------

def test_face_at_picks_the_box_under_the_click_and_the_inner_of_nested_boxes():
    boxes = [(0, 0, 100, 100), (40, 40, 60, 60), (150, 0, 200, 50)]
    assert face_at(boxes, 10, 10) == 0
    assert face_at(boxes, 50, 50) == 1  # inside both: the smaller, inner face
    assert face_at(boxes, 175, 25) == 2
    assert face_at(boxes, 120, 120) is None


def test_draw_faces_outlines_the_chosen_face_in_gold_and_the_rest_in_blue():
    image = np.zeros((120, 240, 3), np.uint8)
    drawn = np.asarray(draw_faces(image, [(10, 10, 60, 60), (130, 20, 200, 90)], chosen=1))
    assert tuple(drawn[35, 10]) == OTHER  # left edge of box 1
    assert tuple(drawn[55, 130]) == CHOSEN  # left edge of box 2
    assert drawn[100:, :].max() == 0  # nothing drawn outside the boxes


# -- a face's square --------------------------------------------------------

@pytest.mark.parametrize("box, shape", [((179, 83, 267, 171), (512, 512, 3)),
                                        ((0, 0, 40, 50), (300, 200, 3)),
                                        ((150, 250, 199, 299), (300, 200, 3))])
def test_face_region_is_a_square_inside_the_photo_around_the_face(box, shape):
    left, top, right, bottom = face_region(box, shape)
    assert right - left == bottom - top  # square
    assert 0 <= left and 0 <= top and right <= shape[1] and bottom <= shape[0]
    assert left <= box[0] and top <= box[1] and right >= box[2] and bottom >= box[3]


def test_face_region_never_exceeds_a_small_photo():
    assert face_region((10, 10, 90, 60), (64, 100, 3)) == (18, 0, 82, 64)


# -- cards --------------------------------------------------------------------

def test_card_markdown_shows_provenance_and_warns_about_synthetic_training():
    card = ModelCard(name="race-fair", attribute="race", labels=("A", "B|C"), training_data="FairFace",
                     metrics={"accuracy": 0.6612}, synthetic=True)
    text = card_markdown(card)
    assert "FairFace" in text and "0.661" in text
    assert "synthetic data" in text
    assert "B\\|C" in text  # a pipe in a label must not break the table
    real = card_markdown(ModelCard(name="g", attribute="gender", labels=("Male", "Female")))
    assert "synthetic" not in real


# -- errors -------------------------------------------------------------------

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
    assert "KeyError" in line and "handler" in line and "test_parts.py:" in line  # what and where, for the operator
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
    assert "fromnumeric.py" in lines[0] and "test_parts.py" in lines[1] and "leaky" in lines[1]
    assert not any("secret" in line or "reshape array" in line for line in lines)


def test_the_handlers_own_sentences_still_reach_the_person():
    from app import ask_tab

    @user_errors
    def ask(question):
        return ask_tab._asked("photo.png", question)

    with pytest.raises(gr.Error, match="Type a question"):
        ask("   ")


# -- the photo box ------------------------------------------------------------

def _data_url(image: Image.Image) -> str:
    import base64
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def test_the_photo_box_hands_a_data_url_to_the_engine_undecoded(monkeypatch):
    """Webcam frames and pasted images may come as a data URL and no path:
    gr.Image's own preprocess would decode them with PIL before any size check."""
    from gradio.data_classes import ImageData

    from app.components import photo_input
    from vqa.engine import MAX_UPLOAD_PIXELS, load_image

    def decodes(*args, **kwargs):
        raise AssertionError("gr.Image's preprocess decoded the photo")

    monkeypatch.setattr(gr.Image, "preprocess", decodes)
    box = photo_input()
    pixels = np.random.default_rng(3).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    url = _data_url(Image.fromarray(pixels))
    value = box.preprocess(ImageData(url=url))
    assert value == url
    np.testing.assert_array_equal(load_image(value, max_pixels=MAX_UPLOAD_PIXELS), pixels)  # what the engine does
    assert box.preprocess(ImageData(path="/tmp/upload.png", url=url)) == "/tmp/upload.png"  # a file: its path
    assert box.preprocess(None) is None


def test_the_upload_cap_is_models_limits_one_as_gradio_reads_it():
    from gradio.utils import _parse_file_size

    from app.settings import MAX_UPLOAD
    from vqa.engine import MAX_UPLOAD_BYTES

    assert _parse_file_size(MAX_UPLOAD) == MAX_UPLOAD_BYTES == 10 * 1024 * 1024


# -- examples -----------------------------------------------------------------

def test_example_photos_are_made_not_committed():
    photos = example_photos()
    assert list(photos) == ["astronaut", "two_faces", "no_face"]
    face = photos["astronaut"]
    pair = two_faces(face)
    assert pair.shape == (face.shape[0], 2 * face.shape[1], 3)
    assert np.array_equal(pair[:, face.shape[1]:], face[:, ::-1])  # the mirror image


def test_the_no_face_example_has_no_face_and_the_two_faces_example_has_two():
    from models.faces import NoFaceError, detect_faces

    with pytest.raises(NoFaceError):
        detect_faces(no_face())
    assert len(detect_faces(example_photos()["two_faces"])) == 2


# -- command line -------------------------------------------------------------

def test_cli_defaults_follow_the_space_environment(monkeypatch):
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7999")
    args = cli.build_parser().parse_args([])
    assert (args.host, args.port, args.share, args.models, args.vqa_model) == ("0.0.0.0", 7999, False, None, None)
    args = cli.build_parser().parse_args(["--port", "8000", "--share", "--models", "m", "--vqa-model", "dandelin/vilt"])
    assert (args.port, args.share, str(args.models), args.vqa_model) == (8000, True, "m", "dandelin/vilt")


def test_share_check_tells_an_open_port_from_a_closed_one():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert cli.share_server_reachable(listener.getsockname(), timeout=2)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        address = closed.getsockname()  # bound, never listening: refused
        assert not cli.share_server_reachable(address, timeout=2)


def test_share_without_internet_says_so_and_serves_locally(monkeypatch, capsys):
    monkeypatch.setattr(cli, "share_server_reachable", lambda *a, **k: False)
    assert cli._share_or_explain() is False
    assert "serving on this machine only" in capsys.readouterr().out


def test_bad_arguments_are_refused_before_anything_loads(tmp_path, capsys):
    assert cli.main(["--models", str(tmp_path / "missing")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert cli.main(["--concurrency", "0"]) == 2


# -- second opinion -----------------------------------------------------------

def test_a_second_opinion_that_cannot_load_is_switched_off_once_with_the_reason(tmp_path, monkeypatch):
    from vqa import Engine, general

    def unavailable(model):
        raise general.GeneralVqaUnavailable(f"no ViLT model folder at {model}")

    monkeypatch.setattr(general, "load", unavailable)  # as vqa.general says when weights are missing
    messages = []
    engine = Engine(include_cache=False, second_opinion=str(tmp_path / "no-vilt-here"), progress=messages.append)
    engine.check_general_vqa()
    assert engine.second_opinion is None  # no retry (and no delay) on every question
    assert engine.second_opinion_problem and "Second opinion off" in messages[0]


# -- privacy --------------------------------------------------------------------

def test_the_privacy_text_states_the_retention_and_the_share_relay_exactly():
    text = content.privacy(900, (60, 300))
    assert "**15 minutes from the moment you ask**" in text and "5 minutes old" in text
    assert "never your photo or your question" in text and "share relay" not in text
    assert "**2 seconds from the moment you ask**" in content.privacy(2, (60, 300))
    assert "share relay" in content.privacy(2, (60, 300), share=True)
    assert "share relay" in cli.build_parser().format_help()


def test_the_retention_is_a_setting_with_a_sane_default(capsys):
    assert cli.build_parser().parse_args([]).retention == 900
    assert cli.build_parser().parse_args(["--retention", "2"]).retention == 2
    assert cli.main(["--retention", "0"]) == 2
    assert "--retention" in capsys.readouterr().err


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


def test_app_help_prints_usage_and_nothing_else():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "KERAS_"))}
    done = subprocess.run([sys.executable, "app.py", "--help"], cwd=Path(__file__).resolve().parents[2], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("usage: python app.py") and "--retention SECONDS" in done.stdout


def test_a_port_in_use_is_one_readable_line_and_exit_status_1(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("TF_", "KERAS_"))},
           "FACEXAI_CACHE": str(tmp_path / "cache")}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "app.py", "--port", str(port), "--no-pretrained"],
                              cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True,
                              timeout=300)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"cannot serve on 127.0.0.1:{port}: "), done.stderr
    assert "Traceback" not in done.stderr + done.stdout
