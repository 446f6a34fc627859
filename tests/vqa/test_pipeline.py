"""ask(): faces -> chips per card -> predictions -> answers -> heatmaps on the photo."""
import io
import json

import numpy as np
import pytest

from models.faces import NoFaceError, align, detect_faces
from models.intake import ImageError
from vqa import ask
from vqa.explain import ExplainMethodError, parse_methods
from vqa.pipeline import FaceIndexError

ALL = ("gradcam", "guided", "ig")


def _chip_probs(registry, name, image):
    """The model's probabilities computed here, independently of ask()."""
    loaded = registry.get(name)
    card = loaded.card
    chip = align(image, detect_faces(image)[0], size=card.input.size, padding=card.input.padding)
    x = loaded.preprocess(chip.pixels[None])
    return np.asarray(loaded.keras_model(x, training=False))[0].astype(np.float64), chip


def test_astronaut_gets_gender_and_age_answers_with_heatmaps_of_the_photo_shape(pretrained_registry, astronaut):
    result = ask(astronaut, "How old is this person, and is this a man or a woman?",
                 explain=ALL, registry=pretrained_registry, ig_steps=32, ig_baseline="black")
    assert len(result.faces) == 1
    face = result.faces[0]
    by_attribute = {a.attribute: a for a in face.answers}
    assert set(by_attribute) == {"gender", "age"}
    assert by_attribute["gender"].answer == "Female"  # Eileen Collins, in NASA's public-domain portrait
    assert "dlib-models" in by_attribute["age"].provenance
    for model in ("dlib-age", "dlib-gender"):
        for method in ALL:
            heatmap = face.heatmaps[model][method]
            assert heatmap.shape == astronaut.shape[:2]
            assert heatmap.dtype == np.float32 and 0.0 <= heatmap.min() and heatmap.max() <= 1.0
            assert heatmap.max() > 0.0
            # Nothing outside the chip: the photo's corners are far from her face.
            assert heatmap[:20, :20].max() == 0.0 and heatmap[-20:, -20:].max() == 0.0
    x0, y0, x1, y1 = face.box
    peak_y, peak_x = np.unravel_index(np.argmax(face.heatmaps["dlib-age"]["gradcam"]), astronaut.shape[:2])
    assert x0 - (x1 - x0) <= peak_x <= x1 + (x1 - x0) and y0 - (y1 - y0) <= peak_y <= y1 + (y1 - y0)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["faces"][0]["heatmaps"]["dlib-age"]["ig"]["shape"] == list(astronaut.shape[:2])
    for answer in face.answers:
        # The delta reported is the completeness error of IG itself, run here on the same chip.
        reported = data["faces"][0]["heatmaps"][answer.model]["ig"]["ig_delta"]
        assert reported == pytest.approx(_own_ig_delta(pretrained_registry, answer, astronaut), rel=1e-3, abs=1e-6)
    rendered = np.asarray(result.render(0, "dlib-gender", "ig"))
    assert rendered.shape == astronaut.shape
    # Only the part of the photo the model saw is tinted.
    assert np.array_equal(rendered[:20, :20], astronaut[:20, :20])
    assert not np.array_equal(rendered[int(y0):int(y1), int(x0):int(x1)], astronaut[int(y0):int(y1), int(x0):int(x1)])


def _own_ig_delta(registry, answer, image) -> float:
    """xai's IG with the same settings on the same chip, outside ask()."""
    from models.preprocessing import get_preprocess
    from xai import IntegratedGradients

    loaded = registry.get(answer.model)
    _, chip = _chip_probs(registry, answer.model, image)
    explainer = IntegratedGradients(loaded.keras_model, steps=32, baseline="black",
                                    preprocess=get_preprocess(loaded.card.input.preprocessing))
    target = list(loaded.card.labels).index(answer.evidence)
    return float(explainer.explain(loaded.preprocess(chip.pixels[None]), np.array([target])).delta[0])


def test_yes_no_age_equals_the_summed_probabilities(tiny_registry, astronaut):
    result = ask(astronaut, "Is she older than 30?", explain=(), registry=tiny_registry)
    answer = result.faces[0].answers[0]
    probs, _ = _chip_probs(tiny_registry, "age-a", astronaut)
    # 31-39 is 9 of the 10 years of "30-39", then every older group.
    assert answer.p_yes == pytest.approx(0.9 * probs[4] + probs[5:].sum(), abs=1e-6)
    assert list(answer.probabilities.values()) == pytest.approx(probs, abs=1e-6)


def test_each_race_model_answers_separately(tiny_registry, astronaut):
    result = ask(astronaut, "Is she East Asian?", explain=("gradcam",), registry=tiny_registry)
    answers = result.faces[0].answers
    assert [a.model for a in answers] == ["race-a", "race-b"]
    for answer in answers:
        probs, _ = _chip_probs(tiny_registry, answer.model, astronaut)
        assert answer.p_yes == pytest.approx(probs[3], abs=1e-6)
        assert "SYNTHETIC" in answer.text
    assert set(result.faces[0].heatmaps) == {"race-a", "race-b"}


def test_heatmaps_explain_the_answered_class_from_a_black_photo(tiny_registry, astronaut):
    import keras

    result = ask(astronaut, "What race is she?", explain=("gradcam", "ig"), registry=tiny_registry,
                 ig_baseline="black")
    face = result.faces[0]
    for answer in face.answers:
        info = face.heatmap_info[answer.model]
        assert info["gradcam"].target == info["ig"].target == answer.answer == answer.evidence
        # IG's "black" baseline is a black photo run through the card's
        # preprocessing (ResNet50's for race-b), not a zero model input.
        loaded = tiny_registry.get(answer.model)
        logits = keras.Model(loaded.keras_model.inputs[0], loaded.keras_model.get_layer("logits").output)
        black = loaded.preprocess(np.zeros((1, 32, 32, 3)))
        target = list(loaded.card.labels).index(answer.evidence)
        assert info["ig"].baseline_score == pytest.approx(float(logits(black)[0, target]), abs=1e-5)
        assert np.isfinite(info["ig"].ig_delta)


def test_unsupported_question_answers_nothing_and_skips_detection(tiny_registry, faceless):
    result = ask(faceless, "Is he a criminal?", registry=tiny_registry)
    assert result.faces == [] and result.intent.kind == "unsupported"
    assert "will not guess" in result.to_dict()["intent"]["reason"]


def test_no_face_is_a_readable_error_and_whole_image_analyses_it(tiny_registry, faceless):
    with pytest.raises(NoFaceError, match="whole image"):
        ask(faceless, "How old is this person?", registry=tiny_registry)
    result = ask(faceless, "How old is this person?", registry=tiny_registry, whole_image=True,
                 explain=("gradcam",))
    assert result.faces[0].face.whole_image
    assert result.faces[0].heatmaps["age-a"]["gradcam"].shape == faceless.shape[:2]


def test_face_index_out_of_range(tiny_registry, astronaut):
    with pytest.raises(FaceIndexError, match="1 face"):
        ask(astronaut, "How old?", registry=tiny_registry, face_index=3)
    assert ask(astronaut, "How old?", registry=tiny_registry, face_index=0, explain=()).faces[0].index == 0


def test_bad_inputs_are_typed_errors(tiny_registry, astronaut):
    with pytest.raises(ImageError):
        ask(io.BytesIO(b"not an image"), "How old?", registry=tiny_registry)
    with pytest.raises(ExplainMethodError, match="lime"):
        ask(astronaut, "How old?", explain=("lime",), registry=tiny_registry)


def test_missing_attribute_model_is_reported_not_raised(tiny_dir, astronaut, tmp_path):
    from models.registry import load_registry

    for suffix in (".keras", ".json"):
        (tmp_path / f"age-a{suffix}").write_bytes((tiny_dir / f"age-a{suffix}").read_bytes())
    only_age = load_registry(tmp_path, include_cache=False)
    result = ask(astronaut, "Is this an old woman?", explain=(), registry=only_age)
    assert [a.attribute for a in result.faces[0].answers] == ["age"]
    assert any("No model answers gender" in p for p in result.problems)


def test_progress_is_reported_up_to_done(tiny_registry, astronaut):
    seen = []
    ask(astronaut, "gender?", explain=(), registry=tiny_registry,
        progress=lambda fraction, desc: seen.append((fraction, desc)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


@pytest.mark.parametrize("spec, expected", [
    ("gradcam,IG", ("gradcam", "ig")), (["Guided Grad-CAM", "cam"], ("gradcam", "guided")),
    (None, ()), ("none", ()), (("ig", "integrated_gradients"), ("ig",)),
])
def test_parse_methods(spec, expected):
    assert parse_methods(spec) == expected


def test_a_card_can_name_the_grad_cam_layer(tiny_dir, astronaut, tmp_path):
    import dataclasses

    from models.cards import ModelCard
    from models.registry import load_registry

    card = ModelCard.load(tiny_dir / "gender-a.json")
    (tmp_path / "gender-a.keras").write_bytes((tiny_dir / "gender-a.keras").read_bytes())
    dataclasses.replace(card, extra={"gradcam_layer": "conv2"}).save(tmp_path / "gender-a.json")
    result = ask(astronaut, "gender?", explain=("gradcam",), registry=load_registry(tmp_path, include_cache=False))
    assert result.faces[0].heatmap_info["gender-a"]["gradcam"].layer.endswith("conv2")
    default = ask(astronaut, "gender?", explain=("gradcam",), registry=load_registry(tiny_dir, include_cache=False))
    assert default.faces[0].heatmap_info["gender-a"]["gradcam"].layer.endswith("conv4")
