"""What the bias lab's build made, read from its folders (models.cache.LabFolders):
the two synthetic race models, the audit, and a gallery of held-out test images."""
from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

from models.audit_summary import SUMMARY_FILE, AuditSummary, SummaryError
from models.cache import LAB_BIASED_MODEL, LAB_FAIR_MODEL, LabFolders, lab_dir
from models.labels import FAIRFACE_RACE

# The model names and the folder layout are models.cache's, shared with training.demo.
FAIR_MODEL, BIASED_MODEL = LAB_FAIR_MODEL, LAB_BIASED_MODEL
TEST_CSV = "fairface_label_test.csv"

__all__ = ["BIASED_MODEL", "FAIR_MODEL", "GalleryImage", "Lab", "TEST_CSV", "class_accuracy", "gallery", "lab",
           "lab_dir", "summary"]


@dataclasses.dataclass(frozen=True)
class Lab(LabFolders):
    @property
    def ready(self) -> bool:
        """Both race models and the audit are there."""
        return ((self.report / SUMMARY_FILE).is_file()
                and all((self.models / f"{name}.keras").is_file() for name in (FAIR_MODEL, BIASED_MODEL)))


@dataclasses.dataclass(frozen=True)
class GalleryImage:
    path: Path
    race: str  # the true class, for the race models
    gender: str
    age: str


def lab(root: str | Path | None = None) -> Lab:
    return Lab(Path(root) if root is not None else lab_dir())


def gallery(n_per_class: int = 3, root: str | Path | None = None) -> list[GalleryImage]:
    """Up to n_per_class held-out test images of each race (never trained or tuned on), in
    FairFace's race order; empty before the lab is built."""
    where = lab(root)
    table = where.data / TEST_CSV
    if not table.is_file():
        return []
    with table.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    picked = []
    for race in FAIRFACE_RACE:
        mine = [r for r in rows if r["race"] == race][:n_per_class]
        picked += [GalleryImage(where.data / r["file"], r["race"], r["gender"], r["age"]) for r in mine]
    return picked


def summary(root: str | Path | None = None) -> AuditSummary | None:
    """The lab's audit, or None before it is built (or if it cannot be read)."""
    try:
        return AuditSummary.load(lab(root).report)
    except (OSError, SummaryError):
        return None


def class_accuracy(root: str | Path | None = None) -> dict[str, dict[str, float | None]]:
    """{model: {class: accuracy}} of each lab model on the balanced val split (empty before the build)."""
    audit = summary(root)
    if audit is None:
        return {}
    return {name: dict(entry.audit.per_class_accuracy) for name, entry in audit.models.items()}
