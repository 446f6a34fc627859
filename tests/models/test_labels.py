"""Label spaces: DESIGN.md's exact strings and the exact age conversions."""
from __future__ import annotations

import numpy as np
import pytest

from models import labels
from models.labels import (
    FAIRFACE,
    FAIRFACE_AGE,
    FAIRFACE_GENDER,
    FAIRFACE_RACE,
    UTKFACE_RACE,
    age_label_bounds,
    expected_age,
    single_year_ages_to_fairface,
)


def test_exact_strings_of_the_design():
    assert FAIRFACE_RACE == (
        "White", "Black", "Latino_Hispanic", "East Asian", "Southeast Asian", "Indian", "Middle Eastern",
    )
    assert FAIRFACE_GENDER == ("Male", "Female")
    assert FAIRFACE_AGE == (
        "0-2", "3-9", "10-19", "20-29", "30-39", "40-49", "50-59", "60-69", "more than 70",
    )
    assert UTKFACE_RACE == ("White", "Black", "Asian", "Indian", "Other")
    assert FAIRFACE == {"race": FAIRFACE_RACE, "gender": FAIRFACE_GENDER, "age": FAIRFACE_AGE}
    assert labels.ATTRIBUTES == ("race", "gender", "age")


def test_one_hot_single_years_land_in_their_group():
    eye = np.eye(81)
    groups = single_year_ages_to_fairface(eye)
    assert groups.shape == (81, 9)
    np.testing.assert_array_equal(groups.sum(1), 1.0)
    for year in range(81):
        low, high = age_label_bounds(FAIRFACE_AGE[int(groups[year].argmax())])
        assert low <= year and (high is None or year <= high)
    np.testing.assert_array_equal(groups[[2, 3, 9, 10, 69, 70, 80]].argmax(1), [0, 1, 1, 2, 7, 8, 8])


def test_group_sums_are_exact_for_random_distributions():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(81), size=(4, 3))
    groups = single_year_ages_to_fairface(probs)
    assert groups.shape == (4, 3, 9)
    np.testing.assert_allclose(groups.sum(-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(groups[..., 3], probs[..., 20:30].sum(-1), atol=1e-15)
    np.testing.assert_allclose(groups[..., 8], probs[..., 70:].sum(-1), atol=1e-15)


def test_too_few_years_is_refused():
    with pytest.raises(ValueError, match="71"):
        single_year_ages_to_fairface(np.ones(70) / 70)


def test_expected_age():
    assert expected_age(np.eye(81)[33]) == pytest.approx(33.0)
    uniform = np.ones(81) / 81
    assert expected_age(uniform) == pytest.approx(40.0)
    # Unnormalised input is normalised: the mean of 20 and 40.
    two = np.zeros(81)
    two[[20, 40]] = 5.0
    assert expected_age(two) == pytest.approx(30.0)


@pytest.mark.parametrize(
    "label,bounds",
    [("20-29", (20, 29)), ("more than 70", (70, None)), ("61+", (61, None)), ("33", (33, 33)), (" 0-2 ", (0, 2))],
)
def test_age_label_bounds(label, bounds):
    assert age_label_bounds(label) == bounds


def test_every_fairface_age_label_parses_and_groups_tile_the_years():
    bounds = [age_label_bounds(label) for label in FAIRFACE_AGE]
    for (_, high), (next_low, _) in zip(bounds, bounds[1:]):
        assert next_low == high + 1
    assert bounds[0][0] == 0 and bounds[-1][1] is None
    with pytest.raises(ValueError, match="not an age label"):
        age_label_bounds("old")
