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


def test_expected_age_over_any_label_space_takes_each_group_at_its_midpoint():
    probs = np.zeros(9)
    probs[[3, 8]] = 0.5  # "20-29" (24.5) and "more than 70" (70 to 99: 84.5)
    assert expected_age(probs, FAIRFACE_AGE) == pytest.approx((24.5 + 84.5) / 2)
    years = [str(y) for y in range(81)]
    rng = np.random.default_rng(1)
    single = rng.dirichlet(np.ones(81))
    assert expected_age(single, years) == pytest.approx(expected_age(single))


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


# -- one vocabulary for comparing labels across label spaces ------------------

@pytest.mark.parametrize("a, b, same", [
    ("Female", "woman", True), ("Male", "man", True), ("M", "male", True), ("Female", "Male", False),
    ("Asian", "East Asian", True), ("Southeast Asian", "Asian", True),  # UTKFace's class holds FairFace's
    ("Asian", "Indian", False), ("East Asian", "Southeast Asian", False),
    ("Latino_Hispanic", "hispanic", True), ("latino hispanic", "Latino_Hispanic", True),
    ("White", "Black", False), ("Other", "White", False),
])
def test_same_class_across_label_spaces(a, b, same):
    assert labels.same_class(a, b) is same
    assert labels.same_class(b, a) is same


@pytest.mark.parametrize("a, b, overlap", [
    ("30-39", "31-40", True), ("20-29", "31-40", False), ("more than 70", "61+", True),
    ("0-2", "3-9", False), ("33", "30-39", True), ("29", "30-39", False), ("more than 70", "100", True),
    (">30", "30-39", True), ("<18", "20-29", False), ("old", "old", True), ("old", "young", False),
])
def test_age_labels_and_bounds_agree_when_their_years_overlap(a, b, overlap):
    assert labels.ages_overlap(a, b) is overlap
    assert labels.answers_agree(a, b, "age") is overlap


def test_matching_labels_finds_a_class_in_any_label_space():
    assert labels.matching_labels("Female", ("man", "woman")) == (("woman",), False)
    assert labels.matching_labels("Asian", FAIRFACE_RACE) == (("East Asian", "Southeast Asian"), True)
    assert labels.matching_labels("East Asian", UTKFACE_RACE) == ((), False)  # never mapped onto a coarser space
    assert labels.matching_labels("Asian", UTKFACE_RACE) == (("Asian",), False)


def test_age_bound_strings_and_labels_share_one_year_reading():
    assert labels.age_bounds("more than 70") == (70, None) and labels.age_bounds(">30") == (31, None)
    assert labels.age_bounds("<18") == (0, 17) and labels.age_bounds("20-29") == (20, 29)
    for low, high in [(31, None), (0, 17), (20, 29), (33, 33)]:
        assert labels.age_bounds(labels.age_value(low, high)) == (low, high)
    assert labels.label_years("more than 70") == (70, labels.OPEN_GROUP_LAST_YEAR)
    # Counting shared years: "30-39" holds 9 years of "31 and up".
    assert labels.years_overlap((30, 39), (31, None)) == 9 and labels.years_overlap((0, 2), (3, 9)) == 0


def test_known_labels_name_every_class_of_the_bundled_label_spaces():
    assert labels.is_label_of("asian", "race") and labels.is_label_of("woman", "gender")
    assert labels.is_label_of("30", "age") and labels.is_label_of("more than 70", "age")
    assert not labels.is_label_of("blue", "race") and not labels.is_label_of("young", "age")
    assert labels.is_label_of("mixed", "race", [("Mixed", "Other")])  # a model's own label space
    assert labels.is_single_years([str(y) for y in range(81)]) and not labels.is_single_years(FAIRFACE_AGE)


def test_audit_spaces_score_other_label_spaces_on_fairfaces_labels():
    from models.importers.pretrained import GEAR_AGE_LABELS
    from models.labels import (
        FAIRFACE_AGE,
        FAIRFACE_RACE,
        UNIONS,
        UTKFACE_RACE_HOLDS,
        LabelSpaceError,
        audit_space,
    )

    gear = audit_space("race", UTKFACE_RACE)
    assert gear.labels == UTKFACE_RACE and not gear.single_years
    assert [gear.truth[r] for r in FAIRFACE_RACE] == ["White", "Black", "Other", "Asian", "Asian", "Indian", "Other"]
    # The one definition of "Asian" agrees with the vocabulary's union.
    assert {labels.normalize_label(r) for r in UTKFACE_RACE_HOLDS["Asian"]} == set(UNIONS["asian"])
    assert audit_space("gender", ("man", "woman")).truth == {"Male": "man", "Female": "woman"}
    assert audit_space("race", FAIRFACE_RACE).truth == {r: r for r in FAIRFACE_RACE}
    years = audit_space("age", [str(a) for a in range(81)])
    assert years.labels == FAIRFACE_AGE and years.single_years
    probs = np.zeros(81)
    probs[[1, 25, 75]] = [0.2, 0.5, 0.3]
    assert years.to_space(probs).tolist() == pytest.approx([0.2, 0, 0, 0.5, 0, 0, 0, 0, 0.3])
    with pytest.raises(LabelSpaceError, match="'20-29' does not lie inside exactly one"):
        audit_space("age", GEAR_AGE_LABELS)
    with pytest.raises(LabelSpaceError, match="White"):
        audit_space("race", ("Light", "Dark"))
