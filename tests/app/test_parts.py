"""The app's parts on their own, without a server: fast, and each checks a
property that a wrong implementation would break."""
from __future__ import annotations

import json
import socket
import types

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from app import cli, content, views
from app.audit_view import HOW_TO, read_report, report_dirs
from app.cards_view import card_markdown
from app.errors import UNEXPECTED, InputError, user_errors
from app.examples import example_photos, no_face, two_faces
from app.faces_view import CHOSEN, OTHER, draw_faces, face_at
from app.store import SessionStore
from models.cards import ModelCard
from tests.app.conftest import audit_summary
from tests.vqa.test_agreement import AGREEMENT_CASES
from vqa.agreement import agreement
from vqa.engine import Comparison

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


# -- views of a Result --------------------------------------------------------

@pytest.mark.parametrize("box, shape", [((179, 83, 267, 171), (512, 512, 3)),
                                        ((0, 0, 40, 50), (300, 200, 3)),
                                        ((150, 250, 199, 299), (300, 200, 3))])
def test_face_region_is_a_square_inside_the_photo_around_the_face(box, shape):
    left, top, right, bottom = views.face_region(box, shape)
    assert right - left == bottom - top  # square
    assert 0 <= left and 0 <= top and right <= shape[1] and bottom <= shape[0]
    assert left <= box[0] and top <= box[1] and right >= box[2] and bottom >= box[3]


def test_face_region_never_exceeds_a_small_photo():
    assert views.face_region((10, 10, 90, 60), (64, 100, 3)) == (18, 0, 82, 64)


def _answer(model, answer, confidence, labels=("Male", "Female"), probs=(0.2, 0.8)):
    card = ModelCard(name=model, attribute="gender", labels=labels, training_data=f"{model} data")
    return types.SimpleNamespace(model=model, answer=answer, confidence=confidence, card=card,
                                 probabilities=dict(zip(labels, probs, strict=True)),
                                 text=f"{answer} [{card.provenance}]", notes=())


def comparison(answers, attribute="gender") -> Comparison:
    result = types.SimpleNamespace(faces=[types.SimpleNamespace(answers=list(answers))])
    return Comparison(attribute=attribute, result=result, agreement=agreement(answers, attribute))


def test_agreement_sees_man_and_male_as_the_same_answer_and_flags_a_real_split():
    agree = comparison([_answer("a", "Female", 0.8), _answer("b", "woman", 0.9)])
    assert "agree: Female / woman" in views.agreement_markdown(agree)
    split = comparison([_answer("a", "Female", 0.8), _answer("b", "Male", 0.7)])
    text = views.agreement_markdown(split)
    assert "disagree" in text and "**Female**: a" in text and "**Male**: b" in text


def _face(*answers):
    return types.SimpleNamespace(answers=[_answer(f"m{i}", label, 0.9) for i, label in enumerate(answers)])


@pytest.mark.parametrize("attribute, answers, agree", AGREEMENT_CASES)
def test_agreement_compares_answers_across_label_spaces_by_meaning(attribute, answers, agree):
    text = views.agreement_markdown(comparison(_face(*answers).answers, attribute))
    assert ("agree:" in text) is agree and ("disagree" in text) is not agree


def test_one_model_is_not_an_agreement_and_the_verdict_says_how_to_add_another():
    text = views.agreement_markdown(comparison([_answer("gear-race", "White", 0.9)], "race"))
    assert "agree" not in text
    assert "Only one race model" in text and "gear-race" in text
    assert "python -m training.demo" in text and "python -m training.train" in text


def _vqa(answer, error=None):
    from vqa.general import GeneralAnswer

    return GeneralAnswer("tiny-vilt", answer=answer, confidence=None if error else 0.4, top=((answer, 0.4),),
                         family="ViLT", kind="classifier", training_data="VQAv2", error=error)


def vqa_comparison(answers, vqa, attribute="race") -> Comparison:
    result = types.SimpleNamespace(faces=[types.SimpleNamespace(answers=list(answers))], general_answer=vqa)
    return Comparison.of(attribute, result)


@pytest.mark.parametrize("said, vqa, verdict", [
    (("East Asian", "Southeast Asian"), "asian", "it agrees with every face model"),  # UTKFace-style word, one union
    (("East Asian", "White"), "asian", "it agrees with m0 and not with m1"),
    (("White", "Black"), "asian", "it disagrees with every face model"),
    (("White",), "white", "it agrees with the face model"),
    (("White", "Black"), "blue", "which names no race class, so it is not compared"),
])
def test_the_general_vqa_model_is_one_more_row_and_its_own_sentence(said, vqa, verdict):
    compared = vqa_comparison(_face(*said).answers, _vqa(vqa))
    text = views.agreement_markdown(compared)
    assert f"The general VQA model (ViLT) says **{vqa}**" in text and verdict in text
    assert ("Only one race model" in text) is (len(said) == 1)  # the VQA model is not a second race model
    rows = views.comparison_rows(compared.face, compared.vqa)
    assert [row[0] for row in rows] == [f"m{i}" for i in range(len(said))] + ["tiny-vilt"]
    assert rows[-1] == ["tiny-vilt", "VQAv2 (general VQA model, not trained on faces)", vqa, 0.4, f"{vqa} 0.40"]


def test_a_vqa_model_that_failed_is_said_and_gets_no_row():
    compared = vqa_comparison(_face("White", "White").answers, _vqa(None, error="no VQA model folder at x"))
    assert "could not answer: no VQA model folder at x" in views.agreement_markdown(compared)
    assert len(views.comparison_rows(compared.face, compared.vqa)) == 2
    assert compared.vqa_agrees_with is None


def test_models_found_marks_synthetic_ones():
    cards = [ModelCard(name="gear-race", attribute="race", labels=("White", "Black"), training_data="UTKFace"),
             ModelCard(name="synthetic_race", attribute="race", labels=("White", "Black"), training_data="lab",
                       synthetic=True)]
    text = views.models_markdown(cards, ["x.keras: broken"])
    assert "**race**: gear-race, synthetic_race (SYNTHETIC)" in text and "**gender**: no model yet" in text
    assert "**Problem:** x.keras: broken" in text


def _drawable_by_dejavu(text: str) -> set[str]:
    """Characters DejaVu Sans (where the page's font stack falls back on this
    machine; IBM Plex Sans covers less) has no glyph for."""
    from fontTools.ttLib import TTFont
    from matplotlib import font_manager

    cmap = TTFont(font_manager.findfont("DejaVu Sans")).getBestCmap()
    return {c for c in text if ord(c) not in cmap and c not in "\n"}


def test_every_verdict_and_problem_line_uses_glyphs_the_page_can_draw():
    texts = [views.agreement_markdown(comparison([_answer("a", "Female", 0.8), _answer("b", "woman", 0.9)])),
             views.agreement_markdown(vqa_comparison(_face("White", "Black").answers, _vqa("asian"))),
             views.agreement_markdown(vqa_comparison(_face("White").answers, _vqa("blue"))),
             views.LAB_MISSING, views.LAB_INTRO,
             views.agreement_markdown(comparison([_answer("a", "Female", 0.8), _answer("b", "Male", 0.7)])),
             views.agreement_markdown(comparison([_answer("a", "Female", 0.8)])),
             *views.problem_lines(types.SimpleNamespace(problems=["No model answers race yet."]))]
    for text in texts:
        assert not _drawable_by_dejavu(text), text
    assert _drawable_by_dejavu("\u2705") == {"\u2705"}  # the check mark shown before: the test can fail


def test_answer_markdown_names_each_model_and_says_what_could_not_be_done():
    intent = types.SimpleNamespace(kind="open", reason=None, notes=())
    face = types.SimpleNamespace(answers=[_answer("a", "Female", 0.8)], heatmap_info={})
    result = types.SimpleNamespace(intent=intent, faces=[face, face],
                                   problems=["No model answers race yet.", "No model answers race yet."])
    text = views.answer_markdown(result, 1)
    assert "**a**: Female [a, trained on a data]" in text
    assert text.count("No model answers race yet.") == 1
    assert "2 faces found; this is face 2" in text
    unsupported = types.SimpleNamespace(intent=types.SimpleNamespace(kind="unsupported", reason="Not a face question."),
                                        faces=[], problems=[])
    assert views.answer_markdown(unsupported, 0) == "**This app cannot answer that question.** Not a face question."


def test_comparison_rows_keep_each_model_and_its_training_data():
    synthetic = _answer("b", "cannot answer", None)
    synthetic.card = ModelCard(name="b", attribute="gender", labels=("Male", "Female"), training_data="b data",
                               synthetic=True)
    face = types.SimpleNamespace(answers=[_answer("a", "Female", 0.8), synthetic])
    assert views.comparison_rows(face) == [["a", "a data", "Female", 0.8, "Female 0.80"],
                                           ["b", "b data (SYNTHETIC)", "cannot answer", None, "Female 0.80"]]


def test_label_value_is_the_chosen_models_probabilities():
    face = types.SimpleNamespace(answers=[_answer("a", "Female", 0.8), _answer("b", "Male", 0.6, probs=(0.6, 0.4))])
    assert views.label_value(face, "b") == {"Male": 0.6, "Female": 0.4}
    assert views.label_value(face, "nobody") is None


def test_the_answer_reports_each_models_ig_completeness_error():
    info = {"a": {"gradcam": {"layer": "conv"}, "ig": {"ig_delta": 0.0123, "ig_steps": 32}},
            "b": {"ig": {"ig_delta": 0.25, "ig_steps": 32}}, "c": {"gradcam": {"layer": "conv"}}}
    face = types.SimpleNamespace(answers=[_answer("a", "Female", 0.8)], heatmap_info=info)
    result = types.SimpleNamespace(intent=types.SimpleNamespace(kind="open", reason=None, notes=()),
                                   faces=[face], problems=[])
    assert ("*Integrated Gradients, m=32 steps: completeness error a 1.2%, b 25.0% "
            "(more steps make it smaller).*") in views.answer_markdown(result, 0)
    face.heatmap_info = {"c": info["c"]}
    assert "Integrated Gradients" not in views.answer_markdown(result, 0)


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
    from app import handlers

    @user_errors
    def ask(question):
        return handlers._question(question)

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


# -- audit --------------------------------------------------------------------

def test_audit_shows_what_training_evaluate_wrote(tmp_path):
    from training.report import write_report

    audit = tmp_path / "audit"
    audit.mkdir()
    write_report(audit, audit_summary())  # the training room's own writer: same files, same names
    Image.new("RGB", (8, 6), (255, 0, 0)).save(audit / "race-fair_confusion.png")
    Image.new("RGB", (4, 4), (0, 255, 0)).save(audit / "fair_vs_biased.png")
    assert report_dirs(tmp_path) == [audit]
    text, figures = read_report(audit)
    assert "| Black | 60.0% | 30.0% | 30.0% |" in text  # fair vs biased, per race
    assert "worst race × gender group **Black / Female** at 60.0%" in text
    assert "| White | 90.0% |" in text
    assert "Synthetic" in text  # never shown as real-world numbers
    assert [caption for _, caption in figures] == ["fair vs biased accuracy per race", "race-fair: confusion matrix"]
    assert figures[1][0].size == (8, 6)


def test_audit_figures_never_leave_the_report_folder(tmp_path):
    summary = audit_summary(synthetic=False)
    summary["figures"]["fair_vs_biased"] = "../../etc/secret.png"  # a tampered summary
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    text, figures = read_report(tmp_path)
    assert "Synthetic" not in text
    assert figures == []  # neither file is in the folder


def test_an_absent_or_broken_audit_explains_itself(tmp_path):
    text, figures = read_report(tmp_path)
    assert text == HOW_TO.format(where=tmp_path) and "training.evaluate" in text and figures == []
    (tmp_path / "summary.json").write_text("{not json")
    text, figures = read_report(tmp_path)
    assert "could not be read" in text and figures == []


def test_audit_offers_only_folders_the_app_was_pointed_at(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no out/audit or audit here
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "summary.json").write_text(json.dumps(audit_summary()))  # a real report, in the wrong place
    assert read_report(elsewhere)[0] != HOW_TO.format(where=elsewhere)  # it would be read if offered
    assert report_dirs(None) == []
    assert report_dirs(tmp_path / "models") == []
    (tmp_path / "models").mkdir()
    assert report_dirs(tmp_path / "models") == []  # a sibling of the models folder is not offered either


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


# -- can you trust this map? ----------------------------------------------------

def _trust_face(**infos):
    return types.SimpleNamespace(answers=[_answer("a", "Female", 0.8)], heatmap_info={"a": infos})


def test_trust_panel_says_a_map_that_beats_random_points_at_what_the_model_uses():
    faithful = {"deletion_auc": 0.2, "random_deletion_auc": 0.5, "insertion_auc": 0.7, "random_insertion_auc": 0.4}
    text = views.trust_markdown(_trust_face(gradcam={"layer": "conv", "faithfulness": faithful}), "a")
    assert "Can you trust these maps?" in text and "**Grad-CAM**" in text
    assert "points at pixels the model uses" in text and "0.20 against 0.50" in text


def test_trust_panel_says_a_map_no_better_than_random_is_so():
    unfaithful = {"deletion_auc": 0.6, "random_deletion_auc": 0.5, "insertion_auc": 0.3, "random_insertion_auc": 0.4}
    text = views.trust_markdown(_trust_face(gradcam={"faithfulness": unfaithful}), "a")
    assert "no better than a random map" in text
    half = {**unfaithful, "deletion_auc": 0.1}
    assert "one test only (deletion)" in views.trust_markdown(_trust_face(gradcam={"faithfulness": half}), "a")


def test_trust_panel_reports_integrated_gradients_exactness_in_words():
    exact = views.trust_markdown(_trust_face(ig={"ig_delta": 0.004, "ig_evaluations": 37}), "a")
    assert "Exact: " in exact and "within 0.4%, after 37 evaluations of the model" in exact
    rough = views.trust_markdown(_trust_face(ig={"ig_delta": 0.79, "ig_steps": 32}), "a")
    assert "Approximate: " in rough and "only to within 79.0%, with 32 steps (the aim is 1%)" in rough


def test_trust_panel_says_when_the_curves_cannot_tell():
    flat = {"deletion_auc": float("nan"), "random_deletion_auc": float("nan"), "insertion_auc": float("nan"),
            "random_insertion_auc": float("nan")}
    text = views.trust_markdown(_trust_face(gradcam={"faithfulness": flat}), "a")
    assert "cannot be told" in text and "random map" in text


def test_trust_panel_tolerates_maps_without_measurements():
    text = views.trust_markdown(_trust_face(gradcam={"layer": "conv"}), "a")
    assert "**Grad-CAM**: not measured for this map." in text
    assert views.trust_markdown(_trust_face(), "a") == ""
    assert views.trust_markdown(_trust_face(gradcam={}), None) == ""


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
