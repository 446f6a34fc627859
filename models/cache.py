"""Where imported pretrained models and other downloads live on this machine.

One folder per user, outside the repository, so that a model imported once is
found again by every later run (the app, the CLI, the tests' own temp caches).
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

ENV_VAR = "FACEXAI_CACHE"


def cache_dir() -> Path:
    """`$FACEXAI_CACHE`, else `~/.cache/facexai` (not created here)."""
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "facexai"


def models_dir() -> Path:
    """The cache's model folder: `<cache_dir()>/models` (not created here)."""
    return cache_dir() / "models"


def lab_dir() -> Path:
    """The bias lab's folder (`python -m training.demo`): `<cache_dir()>/lab` (not created here)."""
    return cache_dir() / "lab"


# The bias lab's two race models, as training.demo names them and vqa.lab finds them.
LAB_FAIR_MODEL, LAB_BIASED_MODEL = "synthetic_race", "synthetic_race_biased"
# The start of each of training.demo's progress lines on stdout (`lab: {json}`), which
# vqa.lab's driver reads from the subprocess: defined here, where both may import it.
LAB_PROGRESS_PREFIX = "lab: "


@dataclasses.dataclass(frozen=True)
class LabFolders:
    """The bias lab's layout under its root: written by training.demo, read by vqa.lab."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def report(self) -> Path:
        return self.root / "audit"
