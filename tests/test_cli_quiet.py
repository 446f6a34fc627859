"""Every command line prints only what it has to say (issue 12.7): --help is the
usage and nothing else, and no TensorFlow, absl or CUDA start-up line reaches
stderr, also where the module imports Keras before its main() runs."""
import pytest

BENCHMARKS = ["benchmarks.xai", "benchmarks.models", "benchmarks.vqa", "benchmarks.app", "benchmarks.training"]
CLIS = ["models", "training.train", "training.evaluate", "training.demo", "training.synthetic", *BENCHMARKS,
        # the benchmarks' old names, kept as aliases (docs/benchmarks.md)
        "xai.bench", "models.bench", "vqa.bench", "app.bench", "training.bench"]


@pytest.mark.parametrize("module", CLIS)
def test_help_is_the_usage_and_nothing_else(module, run_python):
    # run_python leaves out the test session's own quiet settings: they must not be what silences the child.
    run = run_python("-m", module, "--help")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("usage: "), run.stdout[:200]
    assert run.stderr == ""


def test_training_train_imports_keras_before_main_and_is_still_quiet(run_python):
    # training/train.py imports keras at the top: without the package's "-m"
    # hook TensorFlow would print its oneDNN and CPU-feature lines here.
    code = "import sys; sys.argv = ['-m']; import training; import keras, tensorflow as tf; tf.constant(1.0) + 1"
    quiet = run_python("-c", code)
    loud = run_python("-c", code.replace("sys.argv = ['-m']; ", ""))
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    assert loud.returncode == 0 and loud.stderr != ""  # the check above can fail: TF does write here

