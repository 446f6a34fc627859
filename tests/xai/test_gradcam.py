"""Grad-CAM and Guided Grad-CAM against hand computations on nets with set weights."""
import keras
import numpy as np
import pytest

from tests.tiny_models import small_smooth_cnn
from xai import GradCAM, GuidedGradCAM


def _conv_flatten_net(seed=3):
    """x (4,4,2) -> Conv2D(3, 2x2, relu) -> (3,3,3) -> Flatten -> Dense(2, softmax)."""
    rng = np.random.default_rng(seed)
    model = keras.Sequential([
        keras.Input((4, 4, 2)),
        keras.layers.Conv2D(3, 2, activation="relu", name="conv"),
        keras.layers.Flatten(),
        keras.layers.Dense(2, activation="softmax", name="head"),
    ])
    kernel, bias = rng.normal(size=(2, 2, 2, 3)), rng.normal(size=3) * 0.1
    dense, dense_bias = rng.normal(size=(27, 2)), rng.normal(size=2)
    model.get_layer("conv").set_weights([kernel, bias])
    model.get_layer("head").set_weights([dense, dense_bias])
    return model, kernel, bias, dense, dense_bias


def _conv_valid(x, kernel, bias):
    kh, kw = kernel.shape[:2]
    h, w = x.shape[0] - kh + 1, x.shape[1] - kw + 1
    out = np.empty((h, w, kernel.shape[3]))
    for i in range(h):
        for j in range(w):
            out[i, j] = np.tensordot(x[i:i + kh, j:j + kw], kernel, axes=3) + bias
    return out


def _bilinear(img, size):
    """Reference bilinear resize with half-pixel centres (what TF2 and PIL use)."""
    def coords(n_out, n_in):
        src = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, src - lo
    r0, r1, fr = coords(size[0], img.shape[0])
    c0, c1, fc = coords(size[1], img.shape[1])
    top = img[r0][:, c0] * (1 - fc) + img[r0][:, c1] * fc
    bottom = img[r1][:, c0] * (1 - fc) + img[r1][:, c1] * fc
    return top * (1 - fr[:, None]) + bottom * fr[:, None]


def test_gradcam_equals_hand_computation():
    model, kernel, bias, dense, dense_bias = _conv_flatten_net()
    x = np.random.default_rng(4).normal(size=(1, 4, 4, 2)).astype(np.float32)
    exp = GradCAM(model).explain(x, targets=[1])

    acts = np.maximum(_conv_valid(x[0], kernel, bias), 0)
    logits = acts.ravel() @ dense + dense_bias
    alpha = dense[:, 1].reshape(3, 3, 3).mean(axis=(0, 1))  # d logit_1 / dA, spatially averaged
    cam = np.maximum((acts * alpha).sum(axis=-1), 0)

    assert exp.layer == "conv"
    np.testing.assert_allclose(exp.scores, [logits[1]], rtol=1e-5)
    np.testing.assert_allclose(exp.attributions[0], cam, rtol=1e-5, atol=1e-6)
    expected = _bilinear(cam, (4, 4))
    np.testing.assert_allclose(exp.heatmap[0], expected / expected.max(), rtol=1e-5, atol=1e-6)


def test_guided_gradcam_equals_hand_computation():
    """x (3,3,1) -> Conv2D(4, 3x3, relu) -> (1,1,4) -> Flatten -> Dense(2): the
    guided gradient is K (relu(w_c) * [z > 0]); the CAM is one positive number."""
    rng = np.random.default_rng(5)
    model = keras.Sequential([
        keras.Input((3, 3, 1)),
        keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
        keras.layers.Flatten(),
        keras.layers.Dense(2, activation="softmax", name="head"),
    ])
    kernel, bias = rng.normal(size=(3, 3, 1, 4)), np.array([0.5, -0.2, 0.3, 0.1])
    dense = np.array([[1.0, -1.0], [-2.0, 1.0], [0.5, 0.5], [1.5, -0.5]])
    model.get_layer("conv").set_weights([kernel, bias])
    model.get_layer("head").set_weights([dense, np.zeros(2)])
    x = rng.normal(size=(1, 3, 3, 1)).astype(np.float32)
    z = x[0].ravel() @ kernel.reshape(9, 4) + bias
    assert (z > 0).any()
    target = 0
    guided = kernel.reshape(9, 4) @ (np.maximum(dense[:, target], 0) * (z > 0))
    cam = max(float(np.maximum(z, 0) @ dense[:, target]), 0.0)  # 1x1 map: alpha_k = w_kc

    exp = GuidedGradCAM(model).explain(x, targets=[target])
    np.testing.assert_allclose(exp.extra["guided_backprop"][0].ravel(), guided, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(exp.attributions[0].ravel(), guided * cam, rtol=1e-5, atol=1e-6)
    assert exp.heatmap.shape == (1, 3, 3)


@pytest.mark.parametrize("head", ["dense_softmax", "softmax_layer", "logits"])
def test_softmax_head_is_explained_at_the_logit(head):
    """Same weights, three ways to end the model: the CAM (of the logit) is the same."""
    reference = GradCAM(small_smooth_cnn(head="logits")).explain(
        np.random.default_rng(1).uniform(size=(2, 16, 16, 3)), targets=[1, 2])
    exp = GradCAM(small_smooth_cnn(head=head)).explain(
        np.random.default_rng(1).uniform(size=(2, 16, 16, 3)), targets=[1, 2])
    np.testing.assert_allclose(exp.attributions, reference.attributions, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(exp.scores, reference.scores, rtol=1e-5)


@pytest.mark.parametrize("method", [GradCAM, GuidedGradCAM])
def test_batch_of_four_equals_four_single_calls(cnn, images, method):
    batch = method(cnn).explain(images)
    singles = [method(cnn).explain(images[i:i + 1]) for i in range(4)]
    assert batch.heatmap.shape == images.shape[:3]
    assert batch.heatmap.dtype == np.float32
    assert 0.0 <= batch.heatmap.min() and batch.heatmap.max() <= 1.0
    np.testing.assert_allclose(batch.heatmap, np.concatenate([s.heatmap for s in singles]), atol=1e-5)
    np.testing.assert_array_equal(batch.targets, [s.targets[0] for s in singles])


def test_default_target_is_the_predicted_class(cnn, images):
    exp = GradCAM(cnn).explain(images)
    np.testing.assert_array_equal(exp.targets, np.argmax(cnn(images).numpy(), axis=1))


def test_explicit_layer_and_last_conv_default(cnn, images):
    assert GradCAM(cnn).explain(images[:1]).layer == "relu2"
    exp = GradCAM(cnn, layer="conv1").explain(images[:1])
    assert exp.layer == "conv1" and exp.attributions.shape == (1, 16, 16)


def test_a_pooled_1x1_map_is_not_the_default_layer():
    """dlib's age net pools with keepdims before its Dense: a (1, 1, k) output is
    4-D but has no location, so the default skips it for the conv map above."""
    model = keras.Sequential([
        keras.Input((8, 8, 3)),
        keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
        keras.layers.GlobalAveragePooling2D(keepdims=True, name="pool"),
        keras.layers.Flatten(),
        keras.layers.Dense(2, activation="softmax", name="head"),
    ])
    x = np.random.default_rng(0).normal(size=(1, 8, 8, 3)).astype("float32")
    exp = GradCAM(model).explain(x)
    assert exp.layer == "conv" and exp.heatmap.shape == (1, 8, 8)
    assert np.ptp(exp.heatmap[0]) > 0  # a 1x1 map upsampled would be constant


def test_targets_change_the_map(cnn, images):
    a = GradCAM(cnn).explain(images[:1], targets=[0]).attributions
    b = GradCAM(cnn).explain(images[:1], targets=[1]).attributions
    assert not np.allclose(a, b)


def test_upsampling_matches_tensorflow_bilinear_resize():
    import tensorflow as tf

    from xai.gradcam import upsample
    maps = np.random.default_rng(6).uniform(size=(2, 7, 5)).astype(np.float32)
    expected = tf.image.resize(maps[..., None], (224, 160), method="bilinear").numpy()[..., 0]
    np.testing.assert_allclose(upsample(maps, (224, 160)), expected, rtol=1e-5, atol=1e-6)
