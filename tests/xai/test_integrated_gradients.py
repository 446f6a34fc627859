"""Integrated Gradients: exact on linear models, complete on smooth ones."""
import numpy as np
import pytest

from tests.tiny_models import linear_softmax
from xai import IntegratedGradients
from xai.quadrature import METHODS, nodes


@pytest.mark.parametrize("method", METHODS)
def test_linear_model_attribution_is_exactly_difference_times_weight(method):
    model, w = linear_softmax()
    x = np.random.default_rng(1).normal(size=(2, 4, 4, 2)).astype(np.float32)
    exp = IntegratedGradients(model, steps=5, method=method, batch_size=3, baseline="black").explain(x, targets=[2, 0])
    for i, c in enumerate([2, 0]):
        expected = x[i] * w[:, c].reshape(4, 4, 2)  # black baseline: x' = 0
        np.testing.assert_allclose(exp.attributions[i], expected, rtol=1e-5, atol=1e-6)
    assert (exp.delta < 1e-5).all()


def test_preprocess_puts_named_baselines_in_pixel_space():
    model, w = linear_softmax()
    x = np.random.default_rng(2).normal(size=(1, 4, 4, 2)).astype(np.float32)
    to_input = lambda pixels: pixels / 127.5 - 1.0  # noqa: E731 (MobileNet-style scaling)
    black = IntegratedGradients(model, steps=3, baseline="black", preprocess=to_input).explain(x, targets=[1])
    white = IntegratedGradients(model, steps=3, baseline="white", preprocess=to_input).explain(x, targets=[1])
    np.testing.assert_allclose(black.attributions[0], (x[0] + 1.0) * w[:, 1].reshape(4, 4, 2), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(white.attributions[0], (x[0] - 1.0) * w[:, 1].reshape(4, 4, 2), rtol=1e-5, atol=1e-5)


def test_array_and_blur_baselines():
    model, w = linear_softmax()
    x = np.random.default_rng(3).normal(size=(2, 4, 4, 2)).astype(np.float32)
    base = np.full((4, 4, 2), 0.25, dtype=np.float32)
    exp = IntegratedGradients(model, steps=2, baseline=base).explain(x, targets=[0, 0])
    np.testing.assert_allclose(exp.attributions, (x - base) * w[:, 0].reshape(4, 4, 2), rtol=1e-5, atol=1e-5)


def _ig_delta(model, x, method, steps):
    return IntegratedGradients(model, steps=steps, method=method, batch_size=16, baseline="black").explain(x).delta


def test_completeness_below_one_percent_at_the_benchmarks_step_counts():
    """The steps `python -m benchmarks.xai` reports as enough give delta < 1% on new images."""
    from benchmarks.xai import smooth_cnn, steps_to_converge
    model = smooth_cnn()
    found_on = np.random.default_rng(1).uniform(0, 1, (4, 32, 32, 3)).astype(np.float32)
    fresh = np.random.default_rng(7).uniform(0, 1, (2, 32, 32, 3)).astype(np.float32)
    needed = {m: steps_to_converge(model, found_on, m, tolerance=0.01) for m in METHODS}
    for method, steps in needed.items():
        assert steps is not None, method
        assert (_ig_delta(model, fresh, method, steps) < 0.01).all(), (method, steps)
    # Known property of quadrature on a smooth path: higher order needs fewer points.
    assert needed["gauss-legendre"] <= needed["trapezoid"] <= needed["riemann"], needed


def test_riemann_error_shrinks_with_steps(smooth_cnn):
    x = np.random.default_rng(5).uniform(0, 1, (1, 16, 16, 3)).astype(np.float32)
    coarse, fine = _ig_delta(smooth_cnn, x, "riemann", 2), _ig_delta(smooth_cnn, x, "riemann", 16)
    assert fine[0] < coarse[0]


def test_chunking_does_not_change_the_result(smooth_cnn):
    x = np.random.default_rng(6).uniform(0, 1, (3, 16, 16, 3)).astype(np.float32)
    one = IntegratedGradients(smooth_cnn, steps=8, batch_size=24).explain(x)
    chunked = IntegratedGradients(smooth_cnn, steps=8, batch_size=5).explain(x)
    np.testing.assert_allclose(chunked.attributions, one.attributions, rtol=1e-4, atol=1e-6)


def test_batch_of_four_equals_four_single_calls(cnn, images):
    ig = IntegratedGradients(cnn, steps=4)
    batch = ig.explain(images)
    singles = [ig.explain(images[i:i + 1]) for i in range(4)]
    assert batch.heatmap.shape == images.shape[:3]
    assert batch.attributions.shape == images.shape
    np.testing.assert_allclose(batch.attributions, np.concatenate([s.attributions for s in singles]),
                               rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(batch.delta, np.concatenate([s.delta for s in singles]), rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize("degree", range(0, 8))
def test_gauss_legendre_is_exact_for_polynomials_up_to_degree_2m_minus_1(degree):
    alphas, weights = nodes("gauss-legendre", 4)
    assert weights @ alphas**degree == pytest.approx(1.0 / (degree + 1), rel=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_quadrature_weights_sum_to_one(method):
    alphas, weights = nodes(method, 7)
    assert weights.sum() == pytest.approx(1.0) and alphas.min() >= 0 and alphas.max() == pytest.approx(1.0, abs=0.05)


def test_riemann_nodes_are_the_papers():
    alphas, weights = nodes("riemann", 4)
    np.testing.assert_allclose(alphas, [0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(weights, 0.25)
