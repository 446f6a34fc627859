"""Deletion / insertion AUC on a model whose curve is known; the randomisation check."""
import keras
import numpy as np
import pytest

from tests.tiny_models import positive_linear, with_row_counter
from xai import GradCAM, IntegratedGradients
from xai.metrics import Faithfulness, deletion_auc, faithfulness, insertion_auc, randomization, randomized_copy


def _one_pixel_model(batch):
    """p(class 0) = the value of pixel (0, 0), channel 0: only that pixel matters."""
    p = np.clip(batch[:, 0, 0, 0], 0, 1)
    return np.stack([p, 1 - p], axis=1)


@pytest.mark.parametrize("steps", [4, 10])
def test_deletion_and_insertion_auc_match_the_analytic_curve(steps):
    images = np.ones((2, 5, 5, 3), dtype=np.float32)
    right = np.zeros((5, 5))
    right[0, 0] = 1.0  # points at the pixel that matters
    wrong = np.ones((5, 5))
    wrong[0, 0] = 0.0  # ranks it last
    maps = np.stack([right, wrong])
    # Deletion with the right map: p = [1, 0, 0, ...] -> area 1/(2 steps); the wrong
    # map keeps p = 1 until the last step -> 1 - 1/(2 steps). Insertion mirrors it.
    np.testing.assert_allclose(deletion_auc(_one_pixel_model, images, maps, [0, 0], steps=steps),
                               [0.5 / steps, 1 - 0.5 / steps], rtol=1e-6)
    np.testing.assert_allclose(insertion_auc(_one_pixel_model, images, maps, [0, 0], steps=steps, baseline="black"),
                               [1 - 0.5 / steps, 0.5 / steps], rtol=1e-6)


def test_auc_rejects_mismatched_heatmaps():
    with pytest.raises(ValueError, match="same size"):
        deletion_auc(_one_pixel_model, np.ones((1, 5, 5, 3)), np.ones((1, 4, 4)), [0])
    with pytest.raises(ValueError, match="target"):
        insertion_auc(_one_pixel_model, np.ones((1, 5, 5, 3)), np.ones((1, 5, 5)), [0, 1])


def _deletion_reference(model, image, heatmap, target, steps):
    """RISE's deletion AUC written out: black out the most important pixels (ties in
    raster order) a fraction s/steps at a time, read p(target) with Keras's own
    predict, and sum the curve with the trapezoid rule."""
    order = np.argsort(-heatmap.ravel(), kind="stable")
    curve = []
    for s in range(steps + 1):
        removed = image.copy().reshape(-1, image.shape[-1])
        removed[order[:round(s / steps * order.size)]] = 0.0
        curve.append(model.predict(removed.reshape(image.shape)[None], verbose=0)[0, target])
    return sum((a + b) / 2 for a, b in zip(curve, curve[1:])) / steps


def test_auc_accepts_a_keras_model(cnn, images):
    exp = GradCAM(cnn).explain(images[:2])
    aucs = deletion_auc(cnn, images[:2], exp.heatmap, exp.targets, steps=5)
    expected = [_deletion_reference(cnn, image, heat, target, 5)
                for image, heat, target in zip(images[:2], exp.heatmap, exp.targets)]
    assert aucs.shape == (2,)
    np.testing.assert_allclose(aucs, expected, atol=1e-5)


def test_randomized_copy_reinitialises_only_the_top_layers(cnn):
    copy = randomized_copy(cnn, top_layers=1, seed=3)
    for original, clone in zip(cnn.layers[:-1], copy.layers[:-1]):
        for a, b in zip(original.get_weights(), clone.get_weights()):
            np.testing.assert_array_equal(a, b)
    assert not np.allclose(cnn.layers[-1].get_weights()[0], copy.layers[-1].get_weights()[0])
    with pytest.raises(ValueError, match="top_layers"):
        randomized_copy(cnn, top_layers=99)


@pytest.mark.parametrize("explainer", [GradCAM, lambda m: IntegratedGradients(m, steps=8)])
def test_reinitialising_the_model_changes_the_map(cnn, images, explainer):
    rho = randomization.randomization_rank_correlation(cnn, explainer, images, top_layers=2, seed=0)
    assert rho.shape == (4,)
    assert (rho < 0.9).all(), rho  # far from the same ranking


def _unchanged_copy(model, top_layers=1, seed=0):
    """A 'randomisation' that changes nothing: the same weights in a clone."""
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


def _assert_control_holds(cnn, images):
    """With nothing re-initialised, the metric itself must give rho = 1 for every image."""
    rho = randomization.randomization_rank_correlation(cnn, GradCAM, images)
    assert rho.shape == (len(images),) and (rho > 0.999).all(), rho


def test_same_weights_give_rank_correlation_one(cnn, images, monkeypatch):
    """The check's control, through randomization_rank_correlation itself."""
    monkeypatch.setattr(randomization, "randomized_copy", _unchanged_copy)
    _assert_control_holds(cnn, images)


def _off_by_one(model, explainer, images, targets=None, top_layers=1, seed=0):
    """The real metric with a plausible bug: each map compared with the next image's."""
    from scipy.stats import spearmanr
    a = explainer(model).explain(images, targets).heatmap
    scrambled = randomization.randomized_copy(model, top_layers, seed)
    b = np.roll(explainer(scrambled).explain(images, targets).heatmap, 1, 0)
    return np.asarray([spearmanr(p.ravel(), q.ravel()).statistic for p, q in zip(a, b)])


@pytest.mark.parametrize("broken", [_off_by_one, lambda *a, **k: np.zeros(4, dtype=np.float32)],
                         ids=["off-by-one", "constant"])
def test_the_control_fails_when_the_metric_is_broken(cnn, images, monkeypatch, broken):
    monkeypatch.setattr(randomization, "randomized_copy", _unchanged_copy)
    monkeypatch.setattr(randomization, "randomization_rank_correlation", broken)
    with pytest.raises(AssertionError):
        _assert_control_holds(cnn, images)


def test_true_relevance_beats_random_and_its_reverse_does_worse():
    model, x, relevance = positive_linear()
    maps = {"true": relevance[None], "reverse": -relevance[None]}
    scored = faithfulness(model, x, maps, [0], fill="black")
    true, reverse = scored["true"][0], scored["reverse"][0]
    assert true.random_deletion_auc == reverse.random_deletion_auc  # one random map for both
    assert true.deletion_auc < true.random_deletion_auc < reverse.deletion_auc
    assert true.insertion_auc > true.random_insertion_auc > reverse.insertion_auc
    assert true.better_than_random is True and true.verdict.startswith("Better than random")
    assert reverse.better_than_random is False and reverse.verdict.startswith("No better")
    assert (true.outcome, reverse.outcome) == ("better", "no better")
    assert "it points at pixels the model uses" in true.text and true.brief.startswith("yes (deletion ")
    assert reverse.text.startswith("It is no better than a random map") and reverse.brief.startswith("no (deletion ")


def linear_deletion_curve(relevance: np.ndarray, steps: int) -> np.ndarray:
    """The closed form of deletion with a black fill on positive_linear's logit: after the
    top k pixels go, the scaled score is 1 - their share of w . x (steps + 1 points)."""
    order = np.sort(relevance.ravel())[::-1]
    counts = np.rint(np.linspace(0, order.size, steps + 1)).astype(int)
    return 1 - np.array([order[:c].sum() for c in counts]) / order.sum()


def test_logit_curves_match_the_linear_model_exactly():
    """Deletion with a black fill on a linear logit: after deleting the top k
    pixels the scaled score is 1 - (their share of w . x), known in closed form."""
    model, x, relevance = positive_linear(seed=1)
    steps = 4
    result = faithfulness(model, x, relevance[None], [0], steps=steps, fill="black")[0]
    curve = linear_deletion_curve(relevance, steps)
    assert result.deletion_auc == pytest.approx(np.trapezoid(curve, dx=1 / steps), abs=1e-5)
    assert result.insertion_auc == pytest.approx(np.trapezoid(1 - curve, dx=1 / steps), abs=1e-5)


def test_a_score_that_does_not_move_cannot_be_judged():
    model, x, relevance = positive_linear()
    model.get_layer("head").set_weights([np.zeros((64, 2)), np.array([3.0, 0.0])])
    result = faithfulness(model, x, relevance[None], [0])[0]
    assert result.better_than_random is None and "Cannot tell" in result.verdict
    assert result.outcome == "cannot tell" and "cannot be told" in result.text
    assert result.brief == "cannot tell (the score hardly changes)"
    assert result.to_dict()["deletion_auc"] is None


def test_faithfulness_to_dict_has_the_json_keys():
    f = Faithfulness(0.2, 0.7, 0.4, 0.5)
    d = f.to_dict()
    assert {"deletion_auc", "insertion_auc", "random_deletion_auc", "random_insertion_auc",
            "better_than_random", "verdict"} <= set(d)
    assert d["better_than_random"] is True


def test_all_curves_of_all_maps_are_one_model_call():
    model, x, relevance = positive_linear(seed=2)
    counted, counter = with_row_counter(model)
    maps = {"a": relevance[None], "b": -relevance[None], "c": relevance.T[None]}
    faithfulness(counted, x, maps, [0], steps=5)
    # Both ends once, then deletion and insertion's inner points for 3 maps and the random one.
    assert int(counter.calls.numpy()) == 1
    assert int(counter.rows.numpy()) == 2 + 2 * 4 * (3 + 1)


def test_the_batch_size_bounds_memory_not_the_scores():
    """A server scores in small batches (xai.defaults.FAITHFULNESS_BATCH_SIZE) to bound
    its peak memory: the curves must not depend on it."""
    from xai.defaults import FAITHFULNESS_BATCH_SIZE

    model, x, relevance = positive_linear(seed=3)
    images = np.concatenate([x, x[:, ::-1]])
    maps = {"a": np.stack([relevance, relevance[::-1]]), "b": np.stack([relevance.T, -relevance])}
    whole = faithfulness(model, images, maps, [0, 0], batch_size=128)
    for batch_size in (FAITHFULNESS_BATCH_SIZE, 5):
        small = faithfulness(model, images, maps, [0, 0], batch_size=batch_size)
        for name in maps:
            for mine, reference in zip(small[name], whole[name]):
                assert mine.to_dict() == pytest.approx(reference.to_dict(), rel=1e-5)


def test_the_curves_are_what_the_aucs_sum_and_the_linear_model_draws():
    """The drawn curves: steps + 1 points from 'nothing removed' to 'all removed', whose
    trapezoid is the AUC; on the linear model, the closed form of the deletion curve."""
    model, x, relevance = positive_linear(seed=1)
    steps = 4
    result = faithfulness(model, x, relevance[None], [0], steps=steps, fill="black")[0]
    expected = linear_deletion_curve(relevance, steps)
    np.testing.assert_allclose(result.deletion_curve, expected, atol=1e-5)
    for curve, auc in ((result.deletion_curve, result.deletion_auc), (result.insertion_curve, result.insertion_auc),
                       (result.random_deletion_curve, result.random_deletion_auc),
                       (result.random_insertion_curve, result.random_insertion_auc)):
        assert len(curve) == steps + 1 and np.trapezoid(curve, dx=1 / steps) == pytest.approx(auc, abs=1e-9)
    assert tuple(result.to_dict()["deletion_curve"]) == result.deletion_curve  # in the JSON too


@pytest.mark.parametrize("aucs, outcome, better", [
    ((0.2, 0.7, 0.4, 0.5), "better", True),  # lower deletion, higher insertion than random
    ((0.2, 0.3, 0.4, 0.5), "partly", False),  # deletion only
    ((0.6, 0.7, 0.4, 0.5), "partly", False),  # insertion only
    ((0.6, 0.3, 0.4, 0.5), "no better", False),
    ((0.4, 0.5, 0.4, 0.5), "no better", False),  # a tie is not better
])
def test_the_outcome_is_the_two_comparisons_with_the_random_map(aucs, outcome, better):
    result = Faithfulness(*aucs)
    assert result.outcome == outcome and result.better_than_random is better
    if outcome == "partly":
        which = "deletion" if aucs[0] < aucs[2] else "insertion"
        assert f"one test only ({which})" in result.text and result.brief.startswith("partly (")
