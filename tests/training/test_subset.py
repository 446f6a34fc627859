"""The census-biased subset: exact proportions, the largest possible, deterministic."""
import numpy as np
import pandas as pd
import pytest

from models.labels import FAIRFACE_RACE
from training.fairface import FairFaceError, read_split, read_table
from training.subset import CENSUS_2019, biased_subset, normalised, subset_counts, write_manifest

# FairFace 0.25 train split, images per race (fairface_label_train.csv).
FAIRFACE_TRAIN = {
    "White": 16527, "Latino_Hispanic": 13367, "Indian": 12319, "East Asian": 12287,
    "Black": 12233, "Southeast Asian": 10795, "Middle Eastern": 9216,
}


def _table(counts):
    races = [r for r, n in counts.items() for _ in range(n)]
    return pd.DataFrame({"file": [f"train/{i}.jpg" for i in range(1, len(races) + 1)], "age": "20-29",
                         "gender": "Male", "race": races, "service_test": False})


@pytest.mark.parametrize("available", [FAIRFACE_TRAIN, {r: 100 for r in FAIRFACE_RACE},
                                       {r: 977 + 13 * i for i, r in enumerate(FAIRFACE_RACE)}])
def test_proportions_exact_to_one_image_and_subset_is_largest(available):
    counts = subset_counts(available)
    total = sum(counts.values())
    shares = normalised(CENSUS_2019)
    for race, share in shares.items():
        assert abs(counts[race] - share * total) < 1.0
        assert counts[race] <= available[race]
    # One more image overall would need more of the limiting race than exist.
    assert any(np.floor(share * (total + 1)) > available[r] or np.ceil(share * (total + 1)) > available[r]
               for r, share in shares.items())


def test_real_fairface_numbers_are_limited_by_white():
    counts = subset_counts(FAIRFACE_TRAIN)
    assert counts["White"] <= 16527 and counts["White"] >= 16527 - 1
    assert sum(counts.values()) == int(16527 / (60 / 99.5))


def test_subset_is_deterministic_and_seed_dependent():
    table = _table({r: 200 for r in FAIRFACE_RACE})
    a, b, c = biased_subset(table, seed=1), biased_subset(table, seed=1), biased_subset(table, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not a["file"].equals(c["file"])
    assert a["file"].is_unique and set(a["file"]) <= set(table["file"])
    assert a["race"].value_counts().to_dict() == subset_counts({r: 200 for r in FAIRFACE_RACE})


def test_missing_race_is_a_clear_error():
    with pytest.raises(FairFaceError, match="Indian"):
        subset_counts({r: 100 for r in FAIRFACE_RACE if r != "Indian"})


def test_manifest_round_trips_through_the_reader(synthetic_root, tmp_path):
    train = read_split(synthetic_root, "train")
    subset = biased_subset(train.table, seed=0)
    path = write_manifest(subset, tmp_path / "biased_train.csv")
    again = read_split(synthetic_root, "train", csv=path)
    assert again.table["file"].tolist() == subset["file"].tolist()
    assert again.sha256 != train.sha256
    assert list(read_table(path).columns) == ["file", "age", "gender", "race", "service_test"]
