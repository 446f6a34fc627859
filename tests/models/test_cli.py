"""One pretrained CLI under two names, and quiet start-up for every command line."""
from __future__ import annotations

import os

import pytest

TF_CODE = "import tensorflow as tf; tf.constant(1.0) + 1"


@pytest.mark.parametrize("command", [["-m", "models", "--help"], ["-m", "models", "import", "--help"],
                                     ["-m", "models.pretrained", "--help"]])
def test_help_prints_usage_and_nothing_else(command, run_python):
    out = run_python(*command)
    assert out.returncode == 0 and out.stderr == ""
    assert out.stdout.startswith("usage: python -m models")


def test_both_import_commands_take_the_same_arguments(run_python):
    usages = [run_python("-m", *name, "--help").stdout for name in (["models", "import"], ["models.pretrained"])]
    for usage in usages:
        assert "--cache DIR" in usage and "--downloads DIR" in usage and "--force" in usage
    assert usages[0].split("options:")[1] == usages[1].split("options:")[1]


def test_silence_tf_leaves_stderr_empty_where_tensorflow_would_write_to_it(run_python):
    loud = run_python("-c", TF_CODE)
    assert loud.returncode == 0 and loud.stderr.strip()  # TensorFlow's start-up lines, without the helper
    quiet = run_python("-c", f"from xai.quiet import silence_tf; silence_tf(); import keras; {TF_CODE}")
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_the_quiet_module_imports_no_tensorflow(run_python):
    code = "import sys; from xai.quiet import silence_tf; silence_tf(); print('tensorflow' in sys.modules)"
    assert run_python("-c", code).stdout.strip() == "False"


def test_a_failing_tensorflow_import_still_says_why(tmp_path, run_python):
    """fd 2 is closed off only during TensorFlow's import; its exception still reaches the user."""
    fake = tmp_path / "tensorflow"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('this TensorFlow is broken')\n")
    code = "from xai.quiet import silence_tf; silence_tf(); import tensorflow"
    out = run_python("-c", code, env={"PYTHONPATH": f"{tmp_path}{os.pathsep}{os.getcwd()}"})
    assert out.returncode != 0 and "this TensorFlow is broken" in out.stderr
