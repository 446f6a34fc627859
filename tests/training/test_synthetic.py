"""The synthetic generator: FairFace's format, marked synthetic, cues where they are said to be."""
import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from models.labels import FAIRFACE
from training.synthetic import RACE_COLOURS, draw_image, eye_colour, generate, main


def test_cli_writes_fairface_layout_with_markers(tmp_path, capsys):
    main(["--out", str(tmp_path), "--n", "28", "--size", "64", "--seed", "3"])
    assert "SYNTHETIC" in capsys.readouterr().out
    train = pd.read_csv(tmp_path / "fairface_label_train.csv")
    val = pd.read_csv(tmp_path / "fairface_label_val.csv")
    assert list(train.columns) == ["file", "age", "gender", "race", "service_test"]
    assert len(train) + len(val) == 28
    assert train["file"].tolist() == [f"train/{i}.jpg" for i in range(1, len(train) + 1)]
    for attribute, labels in FAIRFACE.items():
        assert set(train[attribute]) <= set(labels)
    assert json.loads((tmp_path / "synthetic.json").read_text())["synthetic"] is True
    assert "not faces" in (tmp_path / "SYNTHETIC.md").read_text()
    assert Image.open(tmp_path / "val/1.jpg").size == (64, 64)


def test_race_colour_covers_the_most_pixels():
    rng = np.random.default_rng(0)
    colours = np.array(RACE_COLOURS, np.float32)
    for race in range(len(RACE_COLOURS)):
        for age in (0, 1, 8):  # age colours share the picture; the face must still dominate
            pixels = draw_image(race, age % 2, age, 64, rng).reshape(-1, 1, 3).astype(np.float32)
            near = (np.linalg.norm(pixels - colours[None], axis=-1) < 45).sum(0)
            assert near.argmax() == race and near[race] > 0.15 * 64 * 64


def test_age_colours_are_distinct():
    colours = np.array([eye_colour(i) for i in range(len(FAIRFACE["age"]))], float)
    distances = np.linalg.norm(colours[:, None] - colours[None], axis=-1)
    assert distances[~np.eye(len(colours), dtype=bool)].min() > 40


def test_races_are_balanced_and_bad_sizes_rejected(tmp_path):
    root = generate(tmp_path, n=140, size=32)
    counts = pd.read_csv(root / "fairface_label_train.csv")["race"].value_counts()
    assert counts.max() - counts.min() <= 7
    with pytest.raises(ValueError, match="n >= 14"):
        generate(tmp_path / "x", n=5)
