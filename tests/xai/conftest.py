"""Fixtures for the xai tests."""
import numpy as np
import pytest

from tests.tiny_models import relu_cnn, small_smooth_cnn


@pytest.fixture(scope="session")
def smooth_cnn():
    return small_smooth_cnn()


@pytest.fixture(scope="session")
def cnn():
    return relu_cnn()


@pytest.fixture
def images():
    return np.random.default_rng(0).uniform(0, 1, (4, 16, 16, 3)).astype(np.float32)
