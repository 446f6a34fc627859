"""GEAR rebuilt in Keras vs an independent execution of the original TF.js graph
(tests/models/importers/tfjs_reference.py: a float64 numpy interpreter that shares no code
with models/importers/tfjs_graph.py)."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import astronaut_image
from tests.models.importers.pretrained_helpers import chip
from tests.models.importers.tfjs_reference import ReferenceGraph, conv2d, depthwise_conv2d, pool

OUTPUTS = {"gear-age": "age_output", "gear-gender": "gender_output", "gear-race": "race_output"}


@pytest.fixture(scope="module")
def reference_run(pretrained):
    """Two inputs (our astronaut chip and noise) and the reference graph's outputs on them."""
    rng = np.random.default_rng(11)
    face = chip(astronaut_image(), 198, 0.14)[None].astype(np.float32) / 255.0
    images = np.concatenate([face, rng.uniform(0, 1, (1, 198, 198, 3)).astype(np.float32)])
    graph = ReferenceGraph(pretrained[1] / "human-models-3.0.4" / "gear.json")
    return images, graph.run(list(OUTPUTS.values()), images)


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("padding, stride", [("VALID", 1), ("SAME", 1), ("SAME", 2), ("VALID", 2)])
def test_reference_interpreter_convolution_and_pooling_match_tensorflow(padding, stride):
    """The interpreter's own loops against TensorFlow's kernels (tf.nn), on odd and even sizes."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x, k = rng.normal(size=(2, 7, 6, 3)), rng.normal(size=(3, 3, 3, 4))
    attr = {"padding": {"s": _b64(padding)}, "strides": {"list": {"i": [1, stride, stride, 1]}},
            "ksize": {"list": {"i": [1, 3, 3, 1]}}}
    strides = [1, stride, stride, 1]
    np.testing.assert_allclose(conv2d(x, k, attr), tf.nn.conv2d(x, k, strides, padding).numpy(), rtol=1e-10)
    np.testing.assert_allclose(depthwise_conv2d(x, k[..., :1], attr),
                               tf.nn.depthwise_conv2d(x, k[..., :1], strides, padding).numpy(), rtol=1e-10)
    for op, tf_pool in (("MaxPool", tf.nn.max_pool2d), ("AvgPool", tf.nn.avg_pool2d)):
        # TensorFlow's CPU pooling kernels are float32 ones.
        expected = tf_pool(x.astype(np.float32), 3, stride, padding).numpy()
        np.testing.assert_allclose(pool(x, attr, op), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_converted_gear_matches_the_reference_graph(pretrained, reference_run, name):
    import keras

    images, outputs = reference_run
    model = keras.saving.load_model(pretrained[0] / f"{name}.keras", compile=False)
    ours = np.asarray(model(images, training=False))
    expected = outputs[OUTPUTS[name]]
    print(f"{name}: max |keras - reference| = {np.abs(ours - expected).max():.2e}")
    np.testing.assert_allclose(ours, expected, atol=1e-4, rtol=0)
