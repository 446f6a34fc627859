"""Mean heatmaps of aligned images; IG baselines."""
import numpy as np
import pytest

from xai.aggregate import mean_heatmap, mean_heatmap_by_class
from xai.baselines import make_baseline


def test_mean_heatmap_is_the_pixelwise_mean():
    maps = np.random.default_rng(0).uniform(size=(5, 6, 7)).astype(np.float32)
    np.testing.assert_allclose(mean_heatmap(maps), maps.mean(0), rtol=1e-6)
    np.testing.assert_allclose(mean_heatmap(list(maps)), maps.mean(0), rtol=1e-6)


def test_mean_heatmap_by_class():
    maps = np.stack([np.full((2, 2), v) for v in (0.0, 1.0, 0.5, 0.25)])
    means = mean_heatmap_by_class(maps, ["a", "b", "a", "b"])
    np.testing.assert_allclose(means["a"], 0.25)
    np.testing.assert_allclose(means["b"], 0.625)


def test_mean_heatmap_rejects_unaligned_or_empty():
    with pytest.raises(ValueError, match="align"):
        mean_heatmap([np.zeros((2, 2)), np.zeros((3, 3))])
    with pytest.raises(ValueError, match="no heatmaps"):
        mean_heatmap([])
    with pytest.raises(ValueError, match="NaN"):
        mean_heatmap(np.full((1, 2, 2), np.nan))
    with pytest.raises(ValueError, match="label"):
        mean_heatmap_by_class(np.zeros((2, 2, 2)), ["a"])


def test_blur_baseline_smooths_but_keeps_constants():
    rng = np.random.default_rng(1)
    images = rng.uniform(size=(2, 32, 32, 3)).astype(np.float32)
    blurred = make_baseline("blur", images)
    assert blurred.shape == images.shape
    assert blurred.std(axis=(1, 2)).max() < images.std(axis=(1, 2)).min() / 3
    flat = np.full((1, 8, 8, 3), 0.3, dtype=np.float32)
    np.testing.assert_allclose(make_baseline("blur", flat), flat, rtol=1e-6)


def test_pixel_space_baselines_with_keras_preprocessing():
    from keras.applications import resnet50
    images = np.zeros((1, 4, 4, 3), dtype=np.float32)
    black = make_baseline("black", images, preprocess=lambda p: resnet50.preprocess_input(p.copy()))
    np.testing.assert_allclose(black[0, 0, 0], [-103.939, -116.779, -123.68], rtol=1e-5)  # minus the BGR means
    np.testing.assert_allclose(make_baseline("white", images), 1.0)
