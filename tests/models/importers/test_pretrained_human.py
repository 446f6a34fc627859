"""The package's other age and gender models (models/importers/human_models.py): parity of each
converted model with an independent execution of its TF.js graph
(tests/models/importers/tfjs_reference.py), the heads that turn regressions into class
probabilities, the cards, and what they say about a real face."""
from __future__ import annotations

import math

import numpy as np
import pytest

from models.importers.human_models import MODELS, NAMES, SCORE_EPSILON, SSRNET_AGE_SIGMA
from models.labels import FAIRFACE_GENDER, expected_age
from tests.helpers import astronaut_image
from tests.models.importers.pretrained_helpers import chip, predict
from tests.models.importers.tfjs_reference import ReferenceGraph

SPECS = {spec.name: spec for spec in MODELS}
# cv2.COLOR_RGB2GRAY's weights (OpenCV's documentation), what face_classification trained on.
CV2_GRAY = np.array([0.299, 0.587, 0.114])


def _inputs(spec) -> np.ndarray:
    """Real and generated crops, preprocessed as the card says: the astronaut chip
    the card asks for, a mirrored wider chip of her, and uniform noise."""
    from models.preprocessing import get_preprocess

    image = astronaut_image()
    size, padding = spec.input.size, spec.input.padding
    noise = np.random.default_rng(7).uniform(0, 255, (size, size, 3))
    pixels = np.stack([chip(image, size, padding), chip(image, size, padding + 0.2)[:, ::-1], noise])
    return get_preprocess(spec.input.preprocessing)(pixels.astype(np.float32))


def _reference_probabilities(spec, graph: ReferenceGraph, x: np.ndarray) -> np.ndarray:
    """What the card's labels should get, from the reference graph's own output and
    each head's definition, computed here in float64."""
    if spec.grayscale:  # the model's stem: RGB / 255 -> 2 * gray - 1
        x = (x.astype(np.float64) @ CV2_GRAY)[..., None] * 2 - 1
    out = graph.run([spec.output], x)[spec.output]
    if spec.head == "age_regression":
        years = np.array([int(label) for label in spec.labels], dtype=np.float64)
        logits = -((years[None] - out) ** 2) / (2 * SSRNET_AGE_SIGMA**2)
        return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    if spec.head == "score":
        p = np.clip(out, SCORE_EPSILON, 1 - SCORE_EPSILON)
        return np.concatenate([p, 1 - p], axis=1)
    if spec.head == "sigmoid":
        return np.concatenate([out, 1 - out], axis=1)
    if spec.head == "reorder":
        softmax = np.exp(out - out.max(axis=1, keepdims=True))
        return (softmax / softmax.sum(axis=1, keepdims=True))[:, list(spec.class_order)]
    return out


@pytest.fixture(scope="module")
def reference_graphs(pretrained):
    folder = pretrained[1] / "human-models-3.0.4"
    return {graph: ReferenceGraph(folder / graph) for graph in {spec.graph for spec in MODELS}}


@pytest.fixture(scope="module")
def loaded(pretrained):
    import keras

    import models.graph_layers  # noqa: F401  (registers SSR-Net's layers)

    return {name: keras.saving.load_model(pretrained[0] / f"{name}.keras", compile=False) for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_converted_model_matches_the_reference_graph(loaded, reference_graphs, name):
    spec = SPECS[name]
    x = _inputs(spec)
    ours = np.asarray(loaded[name](x, training=False), dtype=np.float64)
    expected = _reference_probabilities(spec, reference_graphs[spec.graph], x)
    print(f"{name}: max |keras - reference| = {np.abs(ours - expected).max():.2e}")
    np.testing.assert_allclose(ours, expected, atol=1e-4, rtol=0)


@pytest.mark.parametrize("name, head_layer, atol", [("ssrnet-age", "age_logits", 1e-3),
                                                     ("ssrnet-gender", "score_logits", 1e-5)])
def test_ssrnet_regressions_match_the_reference_before_their_heads(loaded, reference_graphs, name, head_layer, atol):
    """SSR-Net's own number (years; a gender score), read at the head's input."""
    import keras

    spec, model = SPECS[name], loaded[name]
    x = _inputs(spec)
    regression = keras.Model(model.inputs[0], model.get_layer(head_layer).input)
    ours = np.asarray(regression(x), dtype=np.float64)
    expected = reference_graphs[spec.graph].run([spec.output], x)[spec.output]
    print(f"{name}: {expected.ravel()} max |keras - reference| = {np.abs(ours - expected).max():.2e}")
    np.testing.assert_allclose(ours, expected, atol=atol, rtol=0)


def test_ssrnet_age_keeps_the_regressed_age_as_its_expected_age(loaded, reference_graphs):
    """The normal spread is centred on SSR-Net's number: the expected age over the 101
    single years is the regressed age (truncation at 0 and 100 is negligible here)."""
    spec = SPECS["ssrnet-age"]
    x = _inputs(spec)
    regressed = reference_graphs[spec.graph].run([spec.output], x)[spec.output][:, 0]
    probabilities = np.asarray(loaded["ssrnet-age"](x), dtype=np.float64)
    # Three sigmas from either end, the cut-off tail moves the mean by under sigma * phi(3) = 0.04 years.
    assert np.all((regressed > 3 * SSRNET_AGE_SIGMA) & (regressed < 100 - 3 * SSRNET_AGE_SIGMA)), regressed
    np.testing.assert_allclose(expected_age(probabilities, spec.labels), regressed, atol=0.04)
    # Its spread is the published error: a normal's mean absolute deviation is sigma * sqrt(2 / pi).
    years = np.arange(101)
    deviation = (probabilities * np.abs(years[None] - regressed[:, None])).sum(axis=1)
    np.testing.assert_allclose(deviation, 6.959, atol=0.05)


def test_age_head_is_one_dense_layer_and_its_logits_follow_the_age():
    """The Dense form of the normal: softmax equals exp(-(k - a)^2 / 2 sigma^2) normalised,
    and every year's logit grows with the age at k / sigma^2 (so xai explains the age)."""
    import keras

    from models.importers.human_models import age_distribution_head

    years = list(range(101))
    age = keras.Input(shape=(1,))
    model = keras.Model(age, age_distribution_head(age, years, 5.0))
    a = np.array([[3.0], [37.5], [99.2]], np.float32)
    k = np.arange(101, dtype=np.float64)
    normal = np.exp(-((k[None] - a) ** 2) / 50.0)
    # float32 logits of size a * k / sigma^2 (up to 400 here) carry errors of about 1e-5 relative.
    np.testing.assert_allclose(np.asarray(model(a)), normal / normal.sum(axis=1, keepdims=True), atol=1e-5)
    dense = model.get_layer("age_logits")
    np.testing.assert_allclose(dense.kernel.numpy()[0], k / 25.0, rtol=1e-6)


def test_cards_say_labels_training_data_terms_and_the_input_contract(pretrained):
    from models.cards import ModelCard
    from models.importers.human_models import card_text
    from models.importers.pretrained import HUMAN_MODELS_PACKAGE

    text = card_text()
    for spec in MODELS:
        card = ModelCard.load(pretrained[0] / f"{spec.name}.json")
        assert card.labels == spec.labels and card.attribute == spec.attribute
        assert card.input == spec.input
        family = text[spec.family]
        assert card.training_data == family["all"]["training_data"] and card.training_data
        assert card.license == family["all"]["license"] and "MIT" in card.license
        assert card.description == family[spec.name]["description"]
        assert HUMAN_MODELS_PACKAGE in card.source and spec.graph in card.source and "{" not in card.source
        assert card.extra["crop"] == family["all"]["extra"]["crop"]
    cards = {name: ModelCard.load(pretrained[0] / f"{name}.json") for name in NAMES}
    assert cards["ssrnet-age"].labels == tuple(str(year) for year in range(101))
    assert cards["faceres-age"].labels == tuple(str(year) for year in range(1, 101))
    assert all(cards[n].labels == FAIRFACE_GENDER for n in NAMES if n.endswith("gender"))
    assert cards["ssrnet-age"].extra["age_sigma_years"] == pytest.approx(6.959 * math.sqrt(math.pi / 2), abs=0.01)
    assert {cards[n].input.preprocessing for n in NAMES} == {"bgr", "unit", "resnet50"}
    # Models that share training data say so in the same words (vqa.agreement groups by them).
    assert cards["ssrnet-gender"].training_data.split(" (")[0] == cards["minixception-gender"].training_data.split(
        " (")[0] == "IMDB-WIKI"
    assert cards["faceres-gender"].training_data == cards["faceres-deep-gender"].training_data


def test_the_registry_lists_three_or_more_models_per_question_and_loads_them(pretrained):
    from models.registry import load_registry

    registry = load_registry(pretrained[0], include_cache=False)
    assert registry.problems == []
    ages, genders = registry.for_attribute("age"), registry.for_attribute("gender")
    assert len(ages) >= 3 and len(genders) >= 3
    assert {n for n in NAMES if n.endswith("-age")} <= {m.name for m in ages}
    model = registry.get("ssrnet-gender")  # custom layers: loads through the handle
    assert model.predict(np.zeros((1, 64, 64, 3), np.uint8)).shape == (1, 2) and model.error is None


def test_every_model_answers_the_astronaut_in_a_plausible_way(pretrained):
    """Acceptance on a real face (Eileen Collins, NASA portrait): each age model's expected
    age is adult; the gender models may disagree (that is the point), but most say Female."""
    image = astronaut_image()
    female = []
    for name in NAMES:
        probabilities, card = predict(pretrained[0], name, image)
        assert probabilities.sum() == pytest.approx(1.0, abs=1e-5)
        if card.attribute == "age":
            assert 25 <= expected_age(probabilities, card.labels) <= 45, name
        else:
            female.append(probabilities[card.labels.index("Female")] > 0.5)
    assert sum(female) > len(female) / 2, female


def test_ssrnet_gender_fed_rgb_instead_of_its_training_bgr_says_male(pretrained):
    """Why the card's preprocessing is 'bgr': SSR-Net was trained on cv2.imread's BGR
    images; fed RGB (as Human feeds it) it calls the astronaut male."""
    import keras

    import models.graph_layers  # noqa: F401

    spec = SPECS["ssrnet-gender"]
    model = keras.saving.load_model(pretrained[0] / "ssrnet-gender.keras", compile=False)
    rgb = chip(astronaut_image(), spec.input.size, spec.input.padding)[None].astype(np.float32)
    male_bgr, male_rgb = (float(model(x)[0, 0]) for x in (rgb[..., ::-1], rgb))
    assert male_bgr < 0.5 < male_rgb


def test_xai_explains_every_model_on_the_astronaut(pretrained):
    """Grad-CAM (on the card's layer, if it names one) and Integrated Gradients run on
    each model's own chip; IG's attributions add up to the logit's change (completeness).
    Grad-CAM is empty only where the explained logit is flat: SSR-Net's gender score on
    this face is exactly 0 (all its ReLU stage outputs are off), clipped, so no gradient."""
    from models.registry import load_registry
    from xai import GradCAM, IntegratedGradients

    registry = load_registry(pretrained[0], include_cache=False)
    image = astronaut_image()
    for name in NAMES:
        handle = registry.get(name)
        x = handle.preprocess(chip(image, handle.card.input.size, handle.card.input.padding)[None])
        cam = GradCAM(handle.keras_model, layer=handle.card.extra.get("gradcam_layer")).explain(x)
        ig = IntegratedGradients(handle.keras_model).explain(x)
        assert np.isfinite(cam.heatmap).all() and np.isfinite(ig.attributions).all(), name
        assert ig.delta[0] < 0.05, (name, ig.delta)
        flat = np.abs(_input_gradient(handle.keras_model, x, int(cam.targets[0]))).max() == 0.0
        assert (np.abs(cam.attributions).max() == 0) == flat, name
        assert flat == (name == "ssrnet-gender"), name


def _input_gradient(model, x, target: int):
    """d P(target) / d input, traced as a graph: TensorFlow 2.21's eager gradient of a
    1x1 stride-2 SAME convolution (the mini-Xception has them) crashes the process
    (double free); xai traces its gradients too."""
    import tensorflow as tf

    @tf.function
    def gradient(inputs):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            probability = model(inputs)[0, target]
        return tape.gradient(probability, inputs)

    return gradient(tf.constant(x)).numpy()


def test_a_model_that_fails_to_convert_is_reported_and_the_others_are_written(pretrained, tmp_path, monkeypatch):
    from models.importers import human_models
    from models.importers.pretrained import import_human_models
    from models.importers.tfjs_graph import TfjsConversionError

    build = human_models.build

    def failing(spec, folder, graph=None):
        if spec.name == "faceres-age":
            raise TfjsConversionError("node 'x': TF.js op Foo is not supported")
        return build(spec, folder, graph)

    monkeypatch.setattr(human_models, "build", failing)
    messages = []
    paths = import_human_models(tmp_path / "models", messages.append, downloads=pretrained[1])
    assert [p.stem for p in paths] == [n for n in NAMES if n != "faceres-age"]
    assert "faceres-age not imported: node 'x': TF.js op Foo is not supported" in messages
    assert not (tmp_path / "models" / "faceres-age.keras").exists()
