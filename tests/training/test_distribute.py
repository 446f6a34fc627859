"""tf.distribute: MirroredStrategy over two logical CPUs gives the same step as one
device (the global batch is split, not multiplied) and trains end to end."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from training.distribute import StrategyError, choose_strategy, tf_config_workers

ROOT = Path(__file__).resolve().parents[2]


def test_mirrored_over_two_logical_cpus(synthetic_root, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run([sys.executable, str(Path(__file__).with_name("_mirrored_worker.py")), str(synthetic_root),
                           str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    assert report["max_step_change"] > 1e-2  # the SGD step moved the weights...
    # ...identically on one device and on two; a sum over replicas instead of the
    # global mean would differ by as much as the step itself.
    assert report["max_step_difference"] < 1e-6
    assert report["epochs_run"] == 1 and report["val_accuracy"] > 1 / 7
    assert (tmp_path / "synthetic_race_biased.keras").is_file()


def test_tf_config_counts_workers(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", json.dumps(
        {"cluster": {"worker": ["a:1", "b:2"], "chief": ["c:3"]}, "task": {"type": "chief", "index": 0}}))
    assert tf_config_workers() == 3
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(StrategyError, match="not valid JSON"):
        tf_config_workers()


def test_multiworker_without_tf_config_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(StrategyError, match="TF_CONFIG"):
        choose_strategy("multiworker")
    with pytest.raises(StrategyError, match="unknown strategy"):
        choose_strategy("tpu")


def test_auto_is_the_default_strategy_on_one_cpu(monkeypatch):
    import tensorflow as tf

    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert choose_strategy("auto").num_replicas_in_sync == 1
    assert choose_strategy("default") is tf.distribute.get_strategy()


# Trains on several devices in a child process: not in the fast loop (pytest -m "not slow").
pytestmark = pytest.mark.slow
