"""FairFace reader: the official layout reads; every kind of bad input is a typed, clear error."""

import pandas as pd
import pytest
from PIL import Image

from models.labels import FAIRFACE
from training import fairface
from training.fairface import (
    CSVFormatError,
    EmptyCSVError,
    FairFaceError,
    FilePathError,
    MissingCSVError,
    MissingImagesError,
    PaddingError,
    UnknownLabelError,
    crop_fraction,
    read_split,
)


def _official(tmp_path, side=224, n=4):
    """A tiny folder in FairFace's release layout with plain grey images."""
    (tmp_path / "train").mkdir()
    rows = []
    for i in range(1, n + 1):
        Image.new("RGB", (side, side), (128, 128, 128)).save(tmp_path / f"train/{i}.jpg")
        rows.append({"file": f"train/{i}.jpg", "age": "20-29", "gender": "Female", "race": "East Asian",
                     "service_test": True})
    pd.DataFrame(rows).to_csv(tmp_path / "fairface_label_train.csv", index=False)
    return tmp_path


def test_reads_official_layout_and_detects_the_padding_release(tmp_path):
    split = read_split(_official(tmp_path), "train")
    assert len(split) == 4 and not split.synthetic
    assert split.padding == 0.25
    assert split.labels("race").tolist() == [FAIRFACE["race"].index("East Asian")] * 4
    assert split.training_data == "FairFace"
    assert split.sha256 == fairface.file_sha256(tmp_path / "fairface_label_train.csv")


def test_448_pixel_images_are_the_1_25_release(tmp_path):
    assert read_split(_official(tmp_path, side=448), "train").padding == 1.25


def test_unknown_image_size_asks_for_the_padding(tmp_path):
    root = _official(tmp_path, side=300)
    with pytest.raises(PaddingError, match="--padding"):
        read_split(root, "train")
    assert read_split(root, "train", padding=1.25).padding == 1.25


def test_synthetic_set_reads_with_all_labels_and_is_marked(synthetic_root):
    split = read_split(synthetic_root, "val")
    assert split.synthetic and split.training_data.startswith("Synthetic")
    for attribute, labels in FAIRFACE.items():
        ids = split.labels(attribute)
        assert ids.min() >= 0 and ids.max() < len(labels)
    assert set(split.table["race"]) == set(FAIRFACE["race"])


def test_missing_csv(tmp_path):
    with pytest.raises(MissingCSVError, match="fairface_label_val.csv"):
        read_split(tmp_path, "val")


def test_empty_csv_and_header_only_csv(tmp_path):
    path = tmp_path / "fairface_label_train.csv"
    path.write_text("")
    with pytest.raises(EmptyCSVError, match="empty"):
        read_split(tmp_path, "train")
    path.write_text("file,age,gender,race,service_test\n")
    with pytest.raises(EmptyCSVError, match="no rows"):
        read_split(tmp_path, "train")


def test_missing_columns(tmp_path):
    (tmp_path / "fairface_label_train.csv").write_text("file,age\ntrain/1.jpg,20-29\n")
    with pytest.raises(CSVFormatError, match=r"\['gender', 'race', 'service_test'\]"):
        read_split(tmp_path, "train")


def test_unknown_labels_name_the_value_and_line(tmp_path):
    root = _official(tmp_path)
    table = pd.read_csv(root / "fairface_label_train.csv")
    table.loc[2, "race"] = "Asian"  # UTKFace's label, not FairFace's
    table.to_csv(root / "fairface_label_train.csv", index=False)
    with pytest.raises(UnknownLabelError, match=r"race label\(s\) \['Asian'\] \(lines \[4\]\)"):
        read_split(root, "train")


def test_missing_images_list_the_first_few(tmp_path):
    root = _official(tmp_path, n=8)
    for i in (2, 3, 4, 5, 6, 7):
        (root / f"train/{i}.jpg").unlink()
    with pytest.raises(MissingImagesError) as err:
        read_split(root, "train")
    message = str(err.value)
    assert message.startswith("6 of 8 images missing")
    assert "train/2.jpg" in message and "train/6.jpg" in message and "train/7.jpg" not in message


@pytest.mark.parametrize(
    "bad",
    ["../../etc/passwd", "/etc/passwd", "train/../../secret.jpg", "..\\..\\etc\\passwd", "C:/Windows/win.ini", ""],
    ids=["dot-dot", "absolute", "dot-dot-inside", "backslashes", "drive", "empty"],
)
def test_files_outside_the_data_root_are_refused_with_their_row_and_value(tmp_path, bad):
    (tmp_path / "data").mkdir()
    root = _official(tmp_path / "data")
    # A real file where the path leads, so that only the check can refuse it.
    (tmp_path / "secret.jpg").write_bytes((root / "train/1.jpg").read_bytes())
    table = pd.read_csv(root / "fairface_label_train.csv")
    table.loc[2, "file"] = bad
    table.to_csv(root / "fairface_label_train.csv", index=False)
    with pytest.raises(FilePathError) as err:
        read_split(root, "train")
    message = str(err.value)
    assert "1 file value(s)" in message and "row 3 (line 4)" in message
    assert (repr(bad) if bad else "nan") in message


def test_relative_files_that_stay_inside_still_read(tmp_path):
    root = _official(tmp_path)
    table = pd.read_csv(root / "fairface_label_train.csv")
    table.loc[0, "file"] = "./train/1.jpg"
    table.loc[1, "file"] = "train/../train/2.jpg"
    table.to_csv(root / "fairface_label_train.csv", index=False)
    assert len(read_split(root, "train")) == 4


def test_all_errors_are_value_errors():
    for cls in (MissingCSVError, EmptyCSVError, CSVFormatError, UnknownLabelError, MissingImagesError, PaddingError,
                FilePathError):
        assert issubclass(cls, FairFaceError) and issubclass(cls, ValueError)


def test_crop_fraction_of_the_1_25_release_is_three_sevenths():
    assert crop_fraction(1.25) == pytest.approx(3 / 7)
    assert crop_fraction(0.25) == 1.0
