"""Reader for the official FairFace release (or anything in its format).

Layout (https://github.com/joojs/fairface): a root folder with
fairface_label_train.csv and fairface_label_val.csv (columns file, age, gender,
race, service_test; `file` is relative, e.g. "train/1.jpg") and the images of
one padding release: 0.25 (224x224 chips) or 1.25 (448x448 chips, more context).
Every problem is a FairFaceError with a message that says what to fix.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import posixpath
from pathlib import Path, PureWindowsPath

import numpy as np
import pandas as pd
from PIL import Image

from models.labels import FAIRFACE

COLUMNS = ("file", "age", "gender", "race", "service_test")
SPLITS = ("train", "val")
RELEASE_SIZES = {224: 0.25, 448: 1.25}  # image side -> padding of that release
SYNTHETIC_MARKER = "synthetic.json"
_SHOW = 5  # how many offending files/rows an error lists


class FairFaceError(ValueError):
    """The FairFace folder or one of its CSVs cannot be used as it is."""


class MissingCSVError(FairFaceError):
    pass


class EmptyCSVError(FairFaceError):
    pass


class CSVFormatError(FairFaceError):
    pass


class UnknownLabelError(FairFaceError):
    pass


class MissingImagesError(FairFaceError):
    pass


class PaddingError(FairFaceError):
    pass


class FilePathError(FairFaceError):
    """A row's `file` is empty or leads outside the data root (absolute, or up
    through ".."): a CSV must not make training read files elsewhere."""


@dataclasses.dataclass(frozen=True)
class FairFaceSplit:
    """One split: its table (the CSV's columns plus absolute `path`) and provenance."""

    table: pd.DataFrame
    root: Path
    csv_path: Path
    padding: float
    synthetic: bool
    sha256: str  # of the CSV bytes: the data manifest's identity

    def __len__(self) -> int:
        return len(self.table)

    def labels(self, attribute: str) -> np.ndarray:
        """Class ids (index into models.labels.FAIRFACE[attribute])."""
        order = {label: i for i, label in enumerate(FAIRFACE[attribute])}
        return self.table[attribute].map(order).to_numpy(dtype=np.int64)

    def paths(self) -> list[str]:
        return self.table["path"].tolist()

    @property
    def training_data(self) -> str:
        return "Synthetic FairFace-format data" if self.synthetic else "FairFace"


def csv_path(root: str | Path, split: str) -> Path:
    if split not in SPLITS:
        raise FairFaceError(f"split must be one of {SPLITS}, got {split!r}")
    return Path(root) / f"fairface_label_{split}.csv"


def read_split(
    root: str | Path,
    split: str = "train",
    csv: str | Path | None = None,
    padding: float | str = "auto",
) -> FairFaceSplit:
    """Read and check one split. `csv` replaces the official CSV (e.g. a subset
    manifest); image paths stay relative to `root`."""
    root = Path(root)
    path = Path(csv) if csv is not None else csv_path(root, split)
    table = read_table(path)
    _check_files_inside(path, table, root)
    table["path"] = [str(root / f) for f in table["file"]]
    _check_images_exist(table, root)
    synthetic = is_synthetic(root)
    found = _padding(root, table, padding, synthetic)
    return FairFaceSplit(table, root, path, found, synthetic, file_sha256(path))


def read_table(path: Path) -> pd.DataFrame:
    """The CSV with checked columns and labels (no image access)."""
    if not path.is_file():
        raise MissingCSVError(f"FairFace label file not found: {path}")
    try:
        table = pd.read_csv(path, dtype={"file": str, "age": str, "gender": str, "race": str})
    except pd.errors.EmptyDataError:
        raise EmptyCSVError(f"{path} is empty: expected a header {','.join(COLUMNS)} and rows") from None
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise CSVFormatError(f"{path} lacks columns {missing}; FairFace's are {list(COLUMNS)}")
    if table.empty:
        raise EmptyCSVError(f"{path} has a header but no rows")
    for attribute, labels in FAIRFACE.items():
        _check_labels(path, table, attribute, labels)
    return table[list(COLUMNS)].copy()


def _check_labels(path, table, attribute, labels):
    bad = ~table[attribute].isin(labels)
    if bad.any():
        values = sorted(set(table.loc[bad, attribute].astype(str)))[:_SHOW]
        rows = (table.index[bad][:_SHOW] + 2).tolist()  # +2: header line, 1-based
        raise UnknownLabelError(
            f"{path}: {int(bad.sum())} unknown {attribute} label(s) {values} (lines {rows}); "
            f"expected one of {list(labels)}"
        )


def _check_files_inside(path: Path, table: pd.DataFrame, root: Path) -> None:
    bad = [(i, f) for i, f in enumerate(table["file"]) if not _inside(f)]
    if bad:
        rows = ", ".join(f"row {i + 1} (line {i + 2}): {f!r}" for i, f in bad[:_SHOW])
        raise FilePathError(
            f"{path}: {len(bad)} file value(s) are empty or lead outside the data folder {root}: {rows}; "
            "each must be a path relative to that folder, like 'train/1.jpg'"
        )


def _inside(file) -> bool:
    """A relative path that stays under the root however it is read: no
    leading / or drive, no ".." above the root (checked on the text, so a
    symlinked images folder the owner made still reads)."""
    if not isinstance(file, str) or not file.strip():
        return False  # an empty cell reads as NaN
    if posixpath.isabs(file) or PureWindowsPath(file).anchor:
        return False
    return posixpath.normpath(file.replace("\\", "/")).split("/")[0] != ".."


def _check_images_exist(table: pd.DataFrame, root: Path) -> None:
    missing = [f for f, p in zip(table["file"], table["path"]) if not Path(p).is_file()]
    if missing:
        raise MissingImagesError(
            f"{len(missing)} of {len(table)} images missing under {root}, e.g. {missing[:_SHOW]}; "
            "unpack the FairFace image zip (train/ and val/) into that folder"
        )


def is_synthetic(root: Path) -> bool:
    marker = Path(root) / SYNTHETIC_MARKER
    return marker.is_file() and bool(json.loads(marker.read_text()).get("synthetic"))


def _padding(root: Path, table: pd.DataFrame, padding, synthetic: bool) -> float:
    if padding != "auto":
        if float(padding) not in RELEASE_SIZES.values():
            raise PaddingError(f"padding must be 0.25 or 1.25 (FairFace's releases), got {padding}")
        return float(padding)
    if synthetic:
        return float(json.loads((root / SYNTHETIC_MARKER).read_text()).get("padding", 0.25))
    with Image.open(table["path"].iloc[0]) as image:
        side = image.size[0]
    if side not in RELEASE_SIZES:
        raise PaddingError(
            f"cannot tell the padding release from a {side}px image; pass padding=0.25 or 1.25 (--padding)"
        )
    return RELEASE_SIZES[side]


def crop_fraction(padding: float, target_padding: float = 0.25) -> float:
    """Central fraction of a dlib-style chip with `padding` that has the framing
    of one with `target_padding`: the face template spans 1 / (1 + 2 p) of a
    chip's side, so 1.25 -> 0.25 keeps the central 1.5 / 3.5 = 3/7."""
    return (1.0 + 2.0 * target_padding) / (1.0 + 2.0 * padding)


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
