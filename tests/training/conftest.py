"""One small synthetic FairFace-format set shared by the training tests."""
import pytest

from training.synthetic import generate


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory):
    # 64x64 keeps every training test to seconds on two shared cores.
    return generate(tmp_path_factory.mktemp("synthetic_fairface"), n=1120, size=64, val_fraction=0.25, seed=0)
