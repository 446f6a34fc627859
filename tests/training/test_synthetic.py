"""The synthetic generator: FairFace's format, marked synthetic, cues where they are said to be."""
import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from models.labels import FAIRFACE
from training.synthetic import RACE_COLOURS, draw_image, draw_sample, eye_colour, generate, main, read_masks


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


def _race_by_nearest_colour(pixels: np.ndarray) -> int:
    """The nearest-colour rule: the race colour that the most pixels lie close to."""
    flat = pixels.reshape(-1, 1, 3).astype(np.float32)
    near = (np.linalg.norm(flat - np.array(RACE_COLOURS, np.float32)[None], axis=-1) < 45).sum(0)
    return int(near.argmax())


def test_the_race_mask_covers_the_race_cue_and_nothing_else_carries_it():
    rng = np.random.default_rng(5)
    for race in range(len(RACE_COLOURS)):
        pixels, masks = draw_sample(race, race % 2, race, 64, rng)
        inside = masks.race
        assert _race_by_nearest_colour(pixels) == race
        other = (race + 3) % len(RACE_COLOURS)
        recoloured = pixels.copy()
        recoloured[inside] = RACE_COLOURS[other]  # inside the mask: the cue becomes another race
        assert _race_by_nearest_colour(recoloured) == other
        # ... and beyond the other cues (an age colour may resemble a race colour), almost no
        # pixel near the old colour is left: the mask held the whole cue.
        left = np.linalg.norm(recoloured.astype(np.float32) - RACE_COLOURS[race], axis=-1) < 45
        assert (left & ~masks.age & ~masks.gender).sum() < 0.02 * inside.sum()
        noise = pixels.copy()
        noise[~inside] = rng.integers(0, 256, size=((~inside).sum(), 3))  # outside: anything at all
        assert _race_by_nearest_colour(noise) == race


def test_the_gender_and_age_masks_hold_their_cues():
    rng = np.random.default_rng(6)
    pixels, masks = draw_sample(2, 1, 4, 64, rng)
    dark = np.linalg.norm(pixels.astype(np.float32) - 20, axis=-1) < 40  # the stripes
    assert dark[masks.gender].mean() > 0.3 and dark[~masks.gender].mean() < 0.01
    eyes = np.linalg.norm(pixels.astype(np.float32) - eye_colour(4), axis=-1) < 45
    # The band carries the age colour too, so outside the eyes and mouth only the band may have it.
    assert eyes[masks.age].mean() > 0.9 and eyes[~masks.age & ~masks.gender].mean() < 0.01
    assert not (masks.race & masks.age).any() and not (masks.race & masks.gender).any()


def test_generate_writes_masks_in_the_csv_order_and_a_test_split(tmp_path):
    root = generate(tmp_path, n=28, size=32, seed=1, test_n=14)
    test = pd.read_csv(root / "fairface_label_test.csv")
    assert len(test) == 14 and (root / test["file"][0]).is_file()
    files = pd.read_csv(root / "fairface_label_val.csv")["file"].tolist()
    masks = read_masks(root, "val", files[::-1])
    assert set(masks) == {"race", "gender", "age"} and masks["race"].shape == (len(files), 32, 32)
    last = np.asarray(Image.open(root / files[-1]), np.float32)
    colours = np.array(RACE_COLOURS, np.float32)
    fill = last[masks["race"][0]].mean(0)  # the reversed order: row 0 is the last file
    race = pd.read_csv(root / "fairface_label_val.csv")["race"].iloc[-1]
    assert FAIRFACE["race"][np.linalg.norm(colours - fill, axis=1).argmin()] == race
    assert read_masks(root, "val", ["val/none.jpg"]) is None
    assert read_masks(tmp_path / "nowhere", "val", files) is None
