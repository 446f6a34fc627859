"""One small synthetic FairFace-format set shared by the training tests."""
import pytest

from tests.training.helpers import FAST_ARGS
from training.synthetic import generate


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory):
    # 48x48 keeps every training test to seconds on two shared cores; 672 train and
    # 192 val images are whole batches of 32, so no step is traced twice for a short batch.
    return generate(tmp_path_factory.mktemp("synthetic_fairface"), n=864, size=48, val_fraction=2 / 9, seed=0)


@pytest.fixture(scope="session")
def four_models(synthetic_root, tmp_path_factory):
    """The four models of `--task all`, trained once for every test that needs them."""
    from training.train import main

    out = tmp_path_factory.mktemp("models")
    results = main(["--task", "all", "--data", str(synthetic_root), "--out", str(out), "--epochs", "4", *FAST_ARGS])
    return {r.name: r for r in results}
