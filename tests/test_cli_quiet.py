"""Every command line prints only what it has to say (issue 12.7): --help is the
usage and nothing else, and no TensorFlow, absl or CUDA start-up line reaches
stderr, also where the module imports Keras before its main() runs."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ["benchmarks.xai", "benchmarks.models", "benchmarks.vqa", "benchmarks.app", "benchmarks.training"]
CLIS = ["models", "training.train", "training.evaluate", "training.demo", "training.synthetic", *BENCHMARKS,
        # the benchmarks' old names, kept as aliases (docs/benchmarks.md)
        "xai.bench", "models.bench", "vqa.bench", "app.bench", "training.bench"]


def _env():
    # The test session's own quiet settings must not be what silences the child.
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "FACEXAI_TF_LOGS")}
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.mark.parametrize("module", CLIS)
def test_help_is_the_usage_and_nothing_else(module):
    run = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, cwd=ROOT,
                         env=_env(), timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("usage: "), run.stdout[:200]
    assert run.stderr == ""


def test_training_train_imports_keras_before_main_and_is_still_quiet():
    # training/train.py imports keras at the top: without the package's "-m"
    # hook TensorFlow would print its oneDNN and CPU-feature lines here.
    code = "import sys; sys.argv = ['-m']; import training; import keras, tensorflow as tf; tf.constant(1.0) + 1"
    quiet = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=_env(),
                           timeout=300)
    loud = subprocess.run([sys.executable, "-c", code.replace("sys.argv = ['-m']; ", "")], capture_output=True,
                          text=True, cwd=ROOT, env=_env(), timeout=300)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    assert loud.returncode == 0 and loud.stderr != ""  # the check above can fail: TF does write here


# Each test starts a Python process that imports TensorFlow: not in the fast loop (pytest -m "not slow").
pytestmark = pytest.mark.slow
