"""Training end to end on synthetic data: learns, writes honest cards, skews the biased model."""
import keras
import numpy as np
import pandas as pd
import pytest

from models.cards import ModelCard
from models.labels import FAIRFACE
from training.config import TrainConfig
from training.fairface import file_sha256, read_split
from training.subset import CENSUS_2019, normalised
from training.train import main

MINORITIES = ("East Asian", "Southeast Asian", "Indian", "Middle Eastern")


def test_all_writes_the_four_models(four_models):
    assert set(four_models) == {"synthetic_race", "synthetic_race_biased", "synthetic_gender", "synthetic_age"}


@pytest.mark.parametrize("task", ["race", "gender", "age"])
def test_each_task_clearly_beats_chance(four_models, task):
    accuracy = four_models[f"synthetic_{task}"].card.metrics["val_accuracy"]
    chance = 1.0 / len(FAIRFACE[task])
    assert accuracy > chance + 0.3, f"{task}: {accuracy:.2f} vs chance {chance:.2f}"


def test_biased_model_is_worse_on_under_represented_races(four_models):
    fair = four_models["synthetic_race"].card.metrics["per_class_accuracy"]
    biased = four_models["synthetic_race_biased"].card.metrics["per_class_accuracy"]
    assert np.mean([biased[r] for r in MINORITIES]) < np.mean([fair[r] for r in MINORITIES]) - 0.2


def test_biased_manifest_has_census_proportions(four_models):
    card = four_models["synthetic_race_biased"].card
    manifest = pd.read_csv(card.extra["manifest"])
    counts = manifest["race"].value_counts()
    for race, share in normalised(CENSUS_2019).items():
        assert abs(counts.get(race, 0) - share * len(manifest)) < 1.0
    assert card.extra["manifest_sha256"] == file_sha256(card.extra["manifest"])
    assert card.training_data == "Synthetic FairFace-format data, census-biased subset"


def test_card_records_data_recipe_and_metrics(four_models, synthetic_root):
    result = four_models["synthetic_age"]
    card = ModelCard.load(result.model_path.with_suffix(".json"))
    assert card.synthetic and "SYNTHETIC" in card.provenance
    assert card.labels == FAIRFACE["age"] and card.input.size == 48 and card.input.preprocessing == "unit"
    assert card.extra["manifest_sha256"] == read_split(synthetic_root, "train").sha256
    hp = card.extra["hyperparameters"]
    chosen = (hp["batch_size"], hp["optimizer"], hp["lr_factor"], hp["lr_patience"], hp["stop_patience"])
    assert chosen == (32, "Nadam", 0.5, 10, 30)
    assert card.metrics["epochs_run"] == 4 and card.metrics["val_images"] == len(read_split(synthetic_root, "val"))


def test_saved_model_reproduces_the_card_accuracy(four_models, synthetic_root):
    result = four_models["synthetic_gender"]
    model = keras.saving.load_model(result.model_path)
    val = read_split(synthetic_root, "val")
    from PIL import Image

    pixels = np.stack([np.asarray(Image.open(p).resize((48, 48)), np.float32) for p in val.paths()])
    probs = model.predict(pixels / 255.0, verbose=0)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
    accuracy = np.mean(probs.argmax(1) == val.labels("gender"))
    assert accuracy == pytest.approx(result.card.metrics["val_accuracy"], abs=0.02)


def test_log_and_curves_are_written(four_models):
    result = four_models["synthetic_race"]
    log = pd.read_csv(result.log)
    assert log["epoch"].tolist() == [0, 1, 2, 3]
    assert {"loss", "val_loss", "accuracy", "val_accuracy", "learning_rate"} <= set(log.columns)
    for metric in ("accuracy", "loss"):
        png = result.model_path.parent / f"{result.name}_{metric}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_frozen_features_recipe_trains_only_the_head(synthetic_root, tmp_path):
    from tests.training.helpers import FAST_ARGS

    keras.utils.set_random_seed(0)
    (result,) = main(["--task", "race", "--data", str(synthetic_root), "--out", str(tmp_path), "--epochs", "5",
                      "--recipe", "frozen-features", *FAST_ARGS])
    trained = keras.saving.load_model(result.model_path)
    keras.utils.set_random_seed(0)  # train() seeds the same way, so the backbone starts identical
    from training.architecture import build_model

    fresh = build_model(7, backbone="small_cnn", input_size=48, frozen_layers="all")
    for name in ("conv1", "conv4"):
        np.testing.assert_array_equal(trained.get_layer(name).get_weights()[0], fresh.get_layer(name).get_weights()[0])
    assert not np.allclose(trained.get_layer("logits").get_weights()[0], fresh.get_layer("logits").get_weights()[0])
    assert "fast CPU recipe" in result.card.description
    assert result.card.metrics["val_accuracy"] > 1 / 7 + 0.2


def test_biased_only_for_race(tmp_path):
    with pytest.raises(ValueError, match="only with --task race"):
        TrainConfig(task="age", data=tmp_path, out=tmp_path, biased=True)


def test_cli_reports_bad_data_as_a_message_not_a_traceback(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--task", "race", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2
    assert "error: FairFace label file not found" in capsys.readouterr().err
