"""The paper's architecture: flat, frozen where the paper says, softmax over the classes."""
import keras
import numpy as np
import pytest

from models.preprocessing import PREPROCESSORS
from training.architecture import (
    BACKBONE_PREPROCESSING,
    PAPER_FROZEN_LAYERS,
    ArchitectureError,
    backbone_layers,
    build_model,
)


def _is_nested(model):
    return any(isinstance(layer, keras.Model) for layer in model.layers)


@pytest.fixture(scope="module")
def resnet50():
    return build_model(7, backbone="resnet50", input_size=64)


def test_resnet50_is_one_flat_graph_with_its_conv_layers(resnet50):
    assert not _is_nested(resnet50)
    convs = [layer for layer in resnet50.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 53  # ResNet50 without top: 53 convolutions
    assert resnet50.get_layer("conv5_block3_3_conv") in convs


def test_first_14_layers_frozen_and_the_rest_trainable(resnet50):
    layers = backbone_layers(resnet50)
    assert all(not layer.trainable for layer in layers[:PAPER_FROZEN_LAYERS])
    assert all(layer.trainable for layer in layers[PAPER_FROZEN_LAYERS:])
    frozen_weights = sum(layer.count_params() for layer in layers[:PAPER_FROZEN_LAYERS])
    trainable = sum(int(np.prod(w.shape)) for w in resnet50.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in resnet50.non_trainable_weights)
    assert frozen_weights > 0
    # Frozen layers' weights plus the BatchNorm moving statistics elsewhere.
    assert non_trainable >= frozen_weights
    assert trainable + non_trainable == resnet50.count_params()


def test_output_is_softmax_of_the_logits(resnet50):
    x = np.random.default_rng(0).normal(size=(3, 64, 64, 3)).astype("float32")
    probs = resnet50.predict(x, verbose=0)
    logits = keras.Model(resnet50.input, resnet50.get_layer("logits").output).predict(x, verbose=0)
    expected = np.exp(logits - logits.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    assert probs.shape == (3, 7)
    np.testing.assert_allclose(probs, expected, rtol=1e-5, atol=1e-6)
    assert isinstance(resnet50.layers[-1], keras.layers.Softmax)


@pytest.mark.parametrize("backbone", ["mobilenet_v2", "efficientnet_b0", "small_cnn"])
def test_other_backbones_are_flat_and_classify(backbone):
    model = build_model(2, backbone=backbone, input_size=32)
    assert not _is_nested(model)
    assert model.output_shape == (None, 2)
    assert any(isinstance(layer, keras.layers.Conv2D) for layer in model.layers)


def test_small_cnn_trains_everything_by_default_and_all_freezes_the_backbone():
    model = build_model(3, backbone="small_cnn", input_size=32)
    assert all(layer.trainable for layer in model.layers)
    frozen = build_model(3, backbone="small_cnn", input_size=32, frozen_layers="all")
    trainable = {w.path.split("/")[0] for w in frozen.trainable_weights}
    assert trainable == {"head_dense", "logits"}


def test_backbone_weights_load_from_a_file(tmp_path):
    donor = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(32, 32, 3))
    path = tmp_path / "mobilenet_v2_notop.weights.h5"
    donor.save_weights(path)
    model = build_model(2, backbone="mobilenet_v2", weights=path, input_size=32)
    np.testing.assert_array_equal(model.get_layer("Conv1").get_weights()[0], donor.get_layer("Conv1").get_weights()[0])


def test_every_backbone_names_a_known_preprocessing():
    assert set(BACKBONE_PREPROCESSING.values()) <= set(PREPROCESSORS)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"backbone": "vgg16"}, "unknown backbone"),
        ({"num_classes": 1}, "num_classes"),
        ({"input_size": 8}, "input_size"),
        ({"weights": "/no/such/file.h5"}, "not found"),
        ({"backbone": "small_cnn", "weights": "imagenet"}, "no pretrained"),
        ({"backbone": "small_cnn", "frozen_layers": -1}, "frozen_layers"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, words):
    args = {"num_classes": 3, "backbone": "mobilenet_v2", "input_size": 32, **kwargs}
    with pytest.raises(ArchitectureError, match=words):
        build_model(**args)
