"""Deletion / insertion AUC on a model whose curve is known; the randomisation check."""
import keras
import numpy as np
import pytest

from xai import GradCAM, IntegratedGradients
from xai.metrics import deletion_auc, insertion_auc, randomization_rank_correlation, randomized_copy


def _one_pixel_model(batch):
    """p(class 0) = the value of pixel (0, 0), channel 0: only that pixel matters."""
    p = np.clip(batch[:, 0, 0, 0], 0, 1)
    return np.stack([p, 1 - p], axis=1)


@pytest.mark.parametrize("steps", [4, 10])
def test_deletion_and_insertion_auc_match_the_analytic_curve(steps):
    images = np.ones((2, 5, 5, 3), dtype=np.float32)
    right = np.zeros((5, 5)); right[0, 0] = 1.0  # points at the pixel that matters
    wrong = np.ones((5, 5)); wrong[0, 0] = 0.0  # ranks it last
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


def test_auc_accepts_a_keras_model(cnn, images):
    exp = GradCAM(cnn).explain(images[:2])
    aucs = deletion_auc(cnn, images[:2], exp.heatmap, exp.targets, steps=5)
    assert aucs.shape == (2,) and ((aucs >= 0) & (aucs <= 1)).all()


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
    rho = randomization_rank_correlation(cnn, explainer, images, top_layers=2, seed=0)
    assert rho.shape == (4,)
    assert (rho < 0.9).all(), rho  # far from the same ranking


def test_same_weights_give_rank_correlation_one(cnn, images):
    """A 'randomisation' that changes nothing must give rho = 1 (the check's control)."""
    from scipy.stats import spearmanr
    a = GradCAM(cnn).explain(images).heatmap
    clone = keras.models.clone_model(cnn)
    clone.set_weights(cnn.get_weights())
    b = GradCAM(clone).explain(images).heatmap
    assert all(spearmanr(x.ravel(), y.ravel()).statistic > 0.999 for x, y in zip(a, b))
