"""Adaptive Integrated Gradients: exact where it can be, to the tolerance where it
cannot, and honest about how many model evaluations it made."""
import keras
import numpy as np
import pytest

from tests.tiny_models import linear_softmax, with_row_counter
from xai import IntegratedGradients
from xai.adaptive import INITIAL_ALPHAS, PathPoints


def _step_model(steepness=300.0, at=0.37, height=10.0, pixels=16):
    """Logit of class 0 = height * sigmoid(steepness * (mean(x) - at)); class 1 = 0.
    From a black baseline to an all-ones image the score jumps at a = `at`, over
    a stretch of about 1/steepness of the path."""
    model = keras.Sequential([
        keras.Input((4, 4, 1)), keras.layers.Flatten(),
        keras.layers.Dense(1, activation="sigmoid", name="step"),
        keras.layers.Dense(2, activation="softmax", name="head"),
    ])
    model.get_layer("step").set_weights([np.full((pixels, 1), steepness / pixels), np.array([-steepness * at])])
    model.get_layer("head").set_weights([np.array([[height, 0.0]]), np.zeros(2)])
    return model


def test_linear_model_equals_difference_times_weight():
    model, w = linear_softmax()
    x = np.random.default_rng(1).normal(size=(2, 4, 4, 2)).astype(np.float32)
    base = np.random.default_rng(2).normal(size=(4, 4, 2)).astype(np.float32)
    exp = IntegratedGradients(model, tolerance=0.01, baseline=base).explain(x, targets=[2, 0])
    for i, c in enumerate([2, 0]):
        np.testing.assert_allclose(exp.attributions[i], (x[i] - base) * w[:, c].reshape(4, 4, 2), rtol=1e-5, atol=1e-5)
    assert (exp.delta < 1e-5).all()
    # A straight line needs no refinement: the first grid is all it evaluates.
    assert exp.evaluations.tolist() == [len(INITIAL_ALPHAS)] * 2
    assert exp.steps is None and exp.quadrature == "adaptive-trapezoid" and exp.method == "ig"


def _riemann_delta(model, x, m):
    return float(IntegratedGradients(model, steps=m, baseline="black").explain(x, targets=[0]).delta[0])


def test_sharp_step_reaches_one_percent_where_riemann_32_does_not_and_cheaper():
    model = _step_model()
    x = np.ones((1, 4, 4, 1), dtype=np.float32)
    adaptive = IntegratedGradients(model, tolerance=0.01, baseline="black").explain(x, targets=[0])
    assert adaptive.delta[0] <= 0.01
    # The attributions are right, not only their sum: every pixel counts alike here.
    total = 10.0 * (1 / (1 + np.exp(-300 * 0.63)) - 1 / (1 + np.exp(300 * 0.37)))
    np.testing.assert_allclose(adaptive.attributions, total / 16, rtol=0.011)
    assert _riemann_delta(model, x, 32) > 0.01
    riemann_needs = next(m for m in (64, 128, 256, 512, 1024, 2048, 4096) if _riemann_delta(model, x, m) <= 0.01)
    assert adaptive.evaluations[0] < riemann_needs + 2, (adaptive.evaluations[0], riemann_needs)


def test_budget_spent_says_what_delta_was_reached():
    model = _step_model(steepness=3000.0)
    x = np.ones((1, 4, 4, 1), dtype=np.float32)
    exp = IntegratedGradients(model, tolerance=0.001, max_steps=9, baseline="black").explain(x, targets=[0])
    assert exp.evaluations[0] <= 9
    assert exp.delta[0] > 0.001  # not reached, and the delta says so
    assert np.isfinite(exp.delta[0])


@pytest.mark.parametrize("targets, resolved", [([0, 1, 0], 0), (None, 1)])
def test_evaluations_equal_the_rows_the_model_ran(targets, resolved):
    model, counter = with_row_counter(_step_model(steepness=40.0))
    x = np.random.default_rng(3).uniform(0.2, 1.0, (3, 4, 4, 1)).astype(np.float32)
    x[1] = 1.0  # one path with the step on it, two smoother ones: different counts
    exp = IntegratedGradients(model, tolerance=0.01, baseline="black", batch_size=1000).explain(x, targets)
    assert int(counter.rows.numpy()) == int(exp.evaluations.sum())
    # All images' new points of a round share one model call (the batch is large
    # enough not to chunk): rounds = calls, and no more rounds than the longest path's.
    rounds = int(counter.calls.numpy()) - resolved
    assert rounds <= int(exp.evaluations.max()) - len(INITIAL_ALPHAS) + 1
    assert resolved == 0 or exp.evaluations.min() >= len(INITIAL_ALPHAS) + 1


def test_fixed_rule_evaluations_are_its_steps_and_the_two_ends():
    model, counter = with_row_counter(_step_model(steepness=40.0))
    x = np.ones((2, 4, 4, 1), dtype=np.float32)
    exp = IntegratedGradients(model, steps=8, baseline="black").explain(x, targets=[0, 0])
    assert exp.evaluations.tolist() == [10, 10] and exp.steps == 8 and exp.quadrature == "riemann"
    assert int(counter.rows.numpy()) == 20


def test_chunked_rounds_give_the_same_result():
    model = _step_model(steepness=40.0)
    x = np.random.default_rng(4).uniform(0.2, 1.0, (2, 4, 4, 1)).astype(np.float32)
    one = IntegratedGradients(model, tolerance=0.01, baseline="black", batch_size=1000).explain(x, [0, 0])
    chunked = IntegratedGradients(model, tolerance=0.01, baseline="black", batch_size=3).explain(x, [0, 0])
    np.testing.assert_allclose(chunked.attributions, one.attributions, rtol=1e-5, atol=1e-7)
    assert chunked.evaluations.tolist() == one.evaluations.tolist()


def test_settings_that_contradict_each_other_are_refused(cnn):
    with pytest.raises(ValueError, match="not both"):
        IntegratedGradients(cnn, steps=32, tolerance=0.01)
    with pytest.raises(ValueError, match="fixed rule"):
        IntegratedGradients(cnn, method="trapezoid", tolerance=0.01)
    with pytest.raises(ValueError, match="max_steps bounds"):
        IntegratedGradients(cnn, steps=16, max_steps=64)
    with pytest.raises(ValueError, match="tolerance"):
        IntegratedGradients(cnn, tolerance=0)
    with pytest.raises(ValueError, match="max_steps"):
        IntegratedGradients(cnn, max_steps=0)
    with pytest.raises(ValueError, match="at least"):
        IntegratedGradients(cnn, max_steps=3).explain(np.zeros((1, 16, 16, 3)))
    assert IntegratedGradients(cnn).adaptive and not IntegratedGradients(cnn, steps=4).adaptive


def test_path_bookkeeping_matches_the_trapezoid_rule():
    path = PathPoints()
    f = lambda a: np.sin(3 * a)  # noqa: E731
    path.add([1.0, 0.0, 0.5], f(np.array([1.0, 0.0, 0.5])), 3 * np.cos(3 * np.array([1.0, 0.0, 0.5])))
    slopes = 3 * np.cos(3 * np.array([1.0, 0.0, 0.5]))
    estimate = path.weights() @ slopes
    np.testing.assert_allclose(path.weights(), [0.25, 0.25, 0.5])
    assert path.delta() == pytest.approx(abs(estimate - (f(1.0) - f(0.0))) / abs(f(1.0) - f(0.0)))
