"""training.confidence and the audit of models of other label spaces: the fit/eval split,
intervals and the worst group against hand counts, and a GEAR-shaped 5-race model and a
dlib-shaped single-year age model audited on FairFace's 7 races and 9 age groups."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from models.calibration import difference_interval, proportion
from models.cards import InputContract, ModelCard
from models.importers.pretrained import GEAR_AGE_LABELS
from models.labels import FAIRFACE_AGE, UTKFACE_RACE
from training.confidence import fit_eval_split, intervals
from training.evaluate import evaluate

SIZE = 48


def test_the_split_halves_every_class_and_is_seeded():
    y = np.repeat(np.arange(4), [10, 7, 1, 20])
    fit = fit_eval_split(y, seed=3)
    assert [int(fit[y == c].sum()) for c in range(4)] == [5, 3, 0, 10]  # a class of one face: in the eval half
    assert (fit_eval_split(y, seed=3) == fit).all() and (fit_eval_split(y, seed=4) != fit).any()


def test_intervals_count_by_hand_and_leave_small_cells_out_of_the_worst_group():
    # 40 White / Male (30 right), 35 Black / Female (14 right), 10 Indian / Male (0 right: too few to rank).
    table = pd.DataFrame({"race": ["White"] * 40 + ["Black"] * 35 + ["Indian"] * 10,
                          "gender": ["Male"] * 40 + ["Female"] * 35 + ["Male"] * 10,
                          "age": ["20-29"] * 85})
    correct = np.array([True] * 30 + [False] * 10 + [True] * 14 + [False] * 21 + [False] * 10)
    y = np.repeat([0, 1, 2], [40, 35, 10])
    result = intervals(correct, y, ("White", "Black", "Indian"), table)
    assert result.race_x_gender["White / Male"] == proportion(30, 40)
    assert result.race_x_gender["Indian / Male"].n == 10 and result.race_x_gender["Indian / Male"].accuracy == 0.0
    assert result.worst_group == "Black / Female" and result.best_group == "White / Male"  # not Indian / Male
    assert result.gap.value == pytest.approx(30 / 40 - 14 / 35)
    expected = difference_interval(proportion(30, 40), proportion(14, 35))
    assert (result.gap.low, result.gap.high) == pytest.approx(expected)
    assert result.overall == proportion(44, 85) and result.per_class["Indian"] == proportion(0, 10)
    assert set(result.race_x_gender_x_age) == {"White / Male / 20-29", "Black / Female / 20-29",
                                               "Indian / Male / 20-29"}


def _constant_model(name: str, attribute: str, labels, favourite: int, padding: float, folder) -> None:
    """A model that gives every face the same probabilities (most on `favourite`), saved with its card."""
    import keras

    logits = np.zeros(len(labels))
    logits[favourite] = 3.0
    inputs = keras.Input((SIZE, SIZE, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(inputs)
    dense = keras.layers.Dense(len(labels), kernel_initializer="zeros",
                               bias_initializer=keras.initializers.Constant(logits))(pooled)
    model = keras.Model(inputs, keras.layers.Softmax()(dense))
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / f"{name}.keras")
    ModelCard(name=name, attribute=attribute, labels=tuple(labels), training_data="test",
              input=InputContract(size=SIZE, padding=padding, preprocessing="unit")).save(folder / f"{name}.json")


@pytest.fixture(scope="module")
def other_spaces(synthetic_root, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pretrained_shaped")
    _constant_model("gear-race", "race", UTKFACE_RACE, UTKFACE_RACE.index("Asian"), 0.14, folder)
    _constant_model("dlib-age", "age", [str(a) for a in range(81)], 25, 0.2, folder)
    _constant_model("gear-age", "age", GEAR_AGE_LABELS, 0, 0.14, folder)
    out = tmp_path_factory.mktemp("audit_other_spaces")
    return evaluate(synthetic_root, folder, out, heatmaps=False), out


def test_a_gear_shaped_race_model_is_scored_through_the_equivalences_against_a_hand_count(other_spaces,
                                                                                        synthetic_root):
    summary, out = other_spaces
    val = pd.read_csv(synthetic_root / "fairface_label_val.csv")
    audit = summary["models"]["gear-race"]["audit"]
    assert audit["labels"] == list(UTKFACE_RACE)
    # It always says Asian: right exactly on the East and Southeast Asian faces.
    asian = val["race"].isin(["East Asian", "Southeast Asian"])
    assert audit["accuracy"] == pytest.approx(asian.mean())
    counts = {"White": (val["race"] == "White").sum(), "Black": (val["race"] == "Black").sum(),
              "Asian": asian.sum(), "Indian": (val["race"] == "Indian").sum(),
              "Other": val["race"].isin(["Latino_Hispanic", "Middle Eastern"]).sum()}
    assert np.array(audit["confusion_matrix"])[:, UTKFACE_RACE.index("Asian")].tolist() == [
        counts[label] for label in UTKFACE_RACE]
    assert audit["per_class_accuracy"] == {label: float(label == "Asian") for label in UTKFACE_RACE}
    assert {c: v["n"] for c, v in audit["intervals"]["per_class"].items()} == counts
    rows = pd.read_csv(out / "predictions.csv")
    gear = rows[rows["model"] == "gear-race"]
    mapped = val["race"].map({"White": "White", "Black": "Black", "East Asian": "Asian", "Southeast Asian": "Asian",
                              "Indian": "Indian", "Latino_Hispanic": "Other", "Middle Eastern": "Other"})
    assert gear["true_label"].tolist() == mapped.tolist() and set(gear["predicted_label"]) == {"Asian"}
    # The same probabilities for every face: each class's threshold admits its label for all, so every set is all five.
    assert set(gear["set"]) == {"|".join(UTKFACE_RACE)}
    assert audit["conformal"]["mean_set_size"] == 5 and audit["conformal"]["coverage"] == 1.0
    assert gear[[f"p_{label}" for label in UTKFACE_RACE]].sum(axis=1).to_numpy() == pytest.approx(1.0)
    assert gear["p_20-29"].isna().all() and rows.loc[rows["model"] == "dlib-age", "p_Asian"].isna().all()


def test_a_single_year_age_model_is_summed_into_fairfaces_groups(other_spaces, synthetic_root):
    summary, out = other_spaces
    val = pd.read_csv(synthetic_root / "fairface_label_val.csv")
    audit = summary["models"]["dlib-age"]["audit"]
    assert audit["labels"] == list(FAIRFACE_AGE)
    assert audit["accuracy"] == pytest.approx((val["age"] == "20-29").mean())  # year 25 is in 20-29
    rows = pd.read_csv(out / "predictions.csv")
    dlib = rows[rows["model"] == "dlib-age"]
    assert set(dlib["predicted_label"]) == {"20-29"} and dlib["true_label"].tolist() == val["age"].tolist()
    for labels in dlib["set"].str.split("|"):  # contiguous ranges of age groups
        index = [FAIRFACE_AGE.index(label) for label in labels]
        assert index == list(range(index[0], index[-1] + 1))


def test_a_model_whose_labels_do_not_nest_is_skipped_with_the_reason(other_spaces):
    summary, out = other_spaces
    assert "gear-age" not in summary["models"]
    assert "20-29" in summary["skipped"]["gear-age"] and "none of them" in summary["skipped"]["gear-age"]
    assert "gear-age" in (out / "report.html").read_text()
    assert json.loads((out / "summary.json").read_text())["skipped"] == summary["skipped"]
