"""One small synthetic FairFace-format set shared by the training tests."""
import pytest

from training.synthetic import generate


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory):
    # 48x48 keeps every training test to seconds on two shared cores.
    return generate(tmp_path_factory.mktemp("synthetic_fairface"), n=840, size=48, val_fraction=0.2, seed=0)
