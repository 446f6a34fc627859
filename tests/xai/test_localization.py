"""Heatmaps scored against a ground-truth mask: analytic cases."""
import numpy as np
import pytest

from xai.localization import mass_accuracy, pointing_game, random_floor, shuffled_maps


def _mask():
    mask = np.zeros((1, 8, 8), bool)
    mask[0, 2:5, 1:7] = True  # 18 of 64 pixels
    return mask


def test_a_map_exactly_on_the_mask_scores_one_and_only_outside_zero():
    mask = _mask()
    on = mask.astype(float)
    off = (~mask).astype(float)
    assert mass_accuracy(on, mask).tolist() == [1.0] and pointing_game(on, mask).tolist() == [1.0]
    assert mass_accuracy(off, mask).tolist() == [0.0] and pointing_game(off, mask).tolist() == [0.0]


def test_mass_accuracy_is_the_share_of_positive_mass_inside():
    mask = _mask()
    heat = np.zeros((1, 8, 8))
    heat[0, 3, 3] = 3.0  # inside
    heat[0, 7, 7] = 1.0  # outside
    heat[0, 0, 0] = -5.0  # negative relevance is not mass
    assert mass_accuracy(heat, mask)[0] == pytest.approx(0.75)
    assert pointing_game(heat, mask)[0] == 1.0
    heat[0, 7, 7] = 4.0  # now the peak is outside
    assert pointing_game(heat, mask)[0] == 0.0


def test_constant_and_empty_maps():
    mask = _mask()
    assert pointing_game(np.ones((1, 8, 8)), mask)[0] == pytest.approx(18 / 64)  # tied peaks: the mask's share
    assert mass_accuracy(np.ones((1, 8, 8)), mask)[0] == pytest.approx(18 / 64)
    assert np.isnan(mass_accuracy(np.zeros((1, 8, 8)), mask)[0])  # no positive value: points nowhere
    assert np.isnan(pointing_game(np.zeros((1, 8, 8)), mask)[0])
    assert np.isnan(pointing_game(-np.ones((1, 8, 8)), mask)[0])


def test_the_random_floor_is_near_the_masks_area():
    rng = np.random.default_rng(1)
    masks = np.repeat(_mask(), 400, axis=0)
    heat = masks * 1.0 + 0.05 * rng.random(masks.shape)  # a map that points well
    mass, points = random_floor(heat, masks, seed=2)
    assert mass.mean() == pytest.approx(18 / 64, abs=0.02) and points.mean() == pytest.approx(18 / 64, abs=0.06)
    assert mass_accuracy(heat, masks).mean() > 0.9
    shuffled = shuffled_maps(heat, seed=2)
    assert np.allclose(np.sort(shuffled.ravel()), np.sort(heat.ravel()))  # same values, other places


def test_mismatched_shapes_are_a_clear_error():
    with pytest.raises(ValueError, match="same shape"):
        mass_accuracy(np.zeros((1, 8, 8)), np.zeros((1, 4, 4)))
