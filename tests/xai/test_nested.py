"""Backbones nested inside the classifier: no "Graph disconnected"."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from xai import GradCAM, GuidedGradCAM, IntegratedGradients
from xai.graph import explained_graph


@pytest.fixture(scope="module")
def nested_resnet():
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((64, 64, 3)),
        keras.applications.ResNet50(include_top=False, weights=None, input_shape=(64, 64, 3)),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(7, activation="softmax"),
    ])


def _reference_cam(backbone, dense, x, target):
    """Grad-CAM by hand: the backbone's own output, an eager tape, the Dense's logit."""
    acts = backbone(x, training=False)
    target = tf.constant(target)
    with tf.GradientTape() as tape:
        tape.watch(acts)
        logit = tf.matmul(tf.reduce_mean(acts, axis=(1, 2)), dense.kernel) + dense.bias
        score = tf.gather(logit, target, batch_dims=1)
    grads = tape.gradient(score, acts).numpy()
    return np.maximum((acts.numpy() * grads.mean(axis=(1, 2))[:, None, None, :]).sum(-1), 0)


def test_naive_sub_model_is_disconnected_but_ours_is_not(nested_resnet):
    inner = nested_resnet.layers[0].get_layer("conv5_block3_out").output
    with pytest.raises(ValueError):  # the failure users of other tools hit
        keras.Model(nested_resnet.inputs, [inner, nested_resnet.outputs[0]])
    x = np.random.default_rng(0).normal(size=(2, 64, 64, 3)).astype(np.float32)
    exp = GradCAM(nested_resnet).explain(x, targets=[3, 5])
    assert exp.layer == "resnet50/conv5_block3_out"
    assert exp.heatmap.shape == (2, 64, 64)
    reference = _reference_cam(nested_resnet.layers[0], nested_resnet.layers[-1], x, [3, 5])
    np.testing.assert_allclose(exp.attributions, reference, rtol=1e-3, atol=1e-5 * reference.max())


def test_flat_graph_reproduces_the_model(nested_resnet):
    graph = explained_graph(nested_resnet, (64, 64, 3), capture=True)
    x = np.random.default_rng(1).normal(size=(2, 64, 64, 3)).astype(np.float32)
    out = graph.model(x)
    np.testing.assert_allclose(keras.ops.softmax(out["logits"]).numpy(), nested_resnet(x).numpy(), atol=1e-5)
    np.testing.assert_allclose(out["activations"].numpy(), nested_resnet.layers[0](x).numpy(), rtol=1e-4, atol=1e-4)


def test_functional_model_calling_a_sub_model():
    keras.utils.set_random_seed(1)
    backbone = keras.Sequential([
        keras.Input((12, 12, 3)),
        keras.layers.Conv2D(4, 3, activation="relu", name="c1"),
        keras.layers.Conv2D(5, 3, activation="relu", name="c2"),
    ], name="backbone")
    inputs = keras.Input((12, 12, 3))
    features = keras.layers.GlobalAveragePooling2D()(backbone(inputs))
    model = keras.Model(inputs, keras.layers.Softmax()(keras.layers.Dense(3, name="head")(features)))
    x = np.random.default_rng(3).normal(size=(2, 12, 12, 3)).astype(np.float32)
    exp = GradCAM(model).explain(x, targets=[0, 2])
    assert exp.layer == "backbone/c2"
    reference = _reference_cam(backbone, model.get_layer("head"), x, [0, 2])
    np.testing.assert_allclose(exp.attributions, reference, rtol=1e-4, atol=1e-6)
    assert GradCAM(model, layer="backbone/c1").explain(x).attributions.shape == (2, 10, 10)
    assert GradCAM(model, layer="c1").explain(x).layer == "backbone/c1"


def test_guided_and_ig_run_through_a_nested_backbone():
    """Guided gates and IG gradients cross the nested model: compared with the
    same layers stacked flat (guided) and with completeness (IG)."""
    keras.utils.set_random_seed(2)
    c1, c2 = keras.layers.Conv2D(4, 3, activation="relu"), keras.layers.Conv2D(5, 3, activation="relu")
    pool, head = keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3, activation="softmax")
    nested = keras.Sequential([keras.Input((10, 10, 3)), keras.Sequential([c1, c2], name="inner"), pool, head])
    flat = keras.Sequential([keras.Input((10, 10, 3)), c1, c2, pool, head])  # the same layer objects
    x = np.random.default_rng(4).normal(size=(2, 10, 10, 3)).astype(np.float32)
    np.testing.assert_allclose(GuidedGradCAM(nested).explain(x, [1, 2]).attributions,
                               GuidedGradCAM(flat).explain(x, [1, 2]).attributions, rtol=1e-5, atol=1e-7)
    ig = IntegratedGradients(nested, steps=16, method="gauss-legendre").explain(x, [1, 2])
    np.testing.assert_allclose(ig.attributions, IntegratedGradients(flat, steps=16, method="gauss-legendre")
                               .explain(x, [1, 2]).attributions, rtol=1e-5, atol=1e-7)
