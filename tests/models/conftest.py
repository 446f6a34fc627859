"""Fixtures for the models tests: one real face photo, generated models elsewhere."""
from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """skimage's astronaut (Eileen Collins, public domain NASA photo), 512x512 RGB."""
    from skimage.data import astronaut as load

    return np.ascontiguousarray(load())
