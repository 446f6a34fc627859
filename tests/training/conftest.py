"""One small synthetic FairFace-format set shared by the training tests."""
import pytest

from training.synthetic import generate


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory):
    # 48x48 keeps every training test to seconds on two shared cores.
    return generate(tmp_path_factory.mktemp("synthetic_fairface"), n=840, size=48, val_fraction=0.2, seed=0)


# Small-CPU settings: small_cnn at 48 px, no augmentation, 5 epochs. The paper's
# recipe is unchanged otherwise (Nadam, categorical cross-entropy, callbacks).
FAST_ARGS = ["--backbone", "small_cnn", "--input-size", "48", "--batch-size", "32", "--lr", "0.004",
             "--rotation", "0", "--no-hflip", "--no-vflip", "--cache", "memory"]


@pytest.fixture(scope="session")
def four_models(synthetic_root, tmp_path_factory):
    """The four models of `--task all`, trained once for every test that needs them."""
    from training.train import main

    out = tmp_path_factory.mktemp("models")
    results = main(["--task", "all", "--data", str(synthetic_root), "--out", str(out), "--epochs", "5", *FAST_ARGS])
    return {r.name: r for r in results}
