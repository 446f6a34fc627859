"""Resume after a kill: a real training process is SIGKILLed after an epoch;
the rerun continues from the last finished epoch, with its counters."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from tests.training.helpers import FAST_ARGS
from training.train import main

ROOT = Path(__file__).resolve().parents[2]


def _args(data, out, epochs):
    # The census-biased subset is a quarter of the images: short epochs, same code path.
    return ["--task", "race", "--biased", "--data", str(data), "--out", str(out), "--epochs", str(epochs), *FAST_ARGS,
            "--cache", "file"]  # the default cache, so the resumed run reuses (or rebuilds) it on disk


def _epochs_backed_up(out: Path) -> int:
    meta = out / "checkpoints" / "synthetic_race_biased" / "training_metadata.json"
    try:
        return json.loads(meta.read_text())["epoch"]
    except (OSError, ValueError, KeyError):
        return 0


def _kill_after_epochs(data, out, epochs_done, limit_s=240):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "training.train", *_args(data, out, 8)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + limit_s
    try:
        while _epochs_backed_up(out) < epochs_done:
            assert proc.poll() is None, "training ended before it could be killed"
            assert time.monotonic() < deadline, "training made no progress"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    return proc.returncode


def test_resume_after_kill_continues_from_the_last_finished_epoch(synthetic_root, tmp_path):
    assert _kill_after_epochs(synthetic_root, tmp_path, 1) == -signal.SIGKILL
    done = _epochs_backed_up(tmp_path)
    before = pd.read_csv(tmp_path / "synthetic_race_biased_log.csv")
    assert done >= 1 and not (tmp_path / "synthetic_race_biased.keras").exists()

    (result,) = main(_args(synthetic_root, tmp_path, 8))
    after = pd.read_csv(result.log)
    assert result.resumed_from == done
    assert after["epoch"].tolist() == list(range(8))  # each epoch once: none lost, none repeated
    pd.testing.assert_frame_equal(after.iloc[:done], before.iloc[:done])  # finished epochs were not redone
    assert result.card.metrics["epochs_run"] == 8


def _callbacks(backup_dir):
    from training.resume import ResumableBackup

    reduce = keras.callbacks.ReduceLROnPlateau(patience=10, factor=0.5)
    stop = keras.callbacks.EarlyStopping(patience=30, restore_best_weights=True)
    return reduce, stop, ResumableBackup(backup_dir, {"reduce_lr": reduce, "early_stopping": stop})


class _Interrupt(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 2:
            raise KeyboardInterrupt


class _Record(keras.callbacks.Callback):
    def __init__(self, reduce, stop):
        super().__init__()
        self.reduce, self.stop, self.seen = reduce, stop, {}

    def on_train_begin(self, logs=None):
        self.seen = {"reduce": (self.reduce.wait, self.reduce.best),
                     "stop": (self.stop.wait, self.stop.best, self.stop.best_epoch),
                     "best_weights": self.stop.best_weights}

    def on_epoch_begin(self, epoch, logs=None):
        self.seen.setdefault("first_epoch", epoch)


def test_patience_counters_and_best_weights_survive_an_interruption(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4)), rng.normal(size=(64, 1))  # noise: val loss wanders, counters move
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Nadam(0.05), "mse")
    reduce, stop, backup = _callbacks(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, validation_split=0.5, epochs=6, verbose=0, callbacks=[reduce, stop, backup, _Interrupt()])
    expected = {"reduce": (reduce.wait, reduce.best), "stop": (stop.wait, stop.best, stop.best_epoch)}
    best_weights = [w.copy() for w in stop.best_weights]

    reduce, stop, backup = _callbacks(tmp_path)  # a fresh process would start from scratch
    record = _Record(reduce, stop)
    model.fit(x, y, validation_split=0.5, epochs=6, verbose=0, callbacks=[reduce, stop, backup, record])
    assert record.seen["first_epoch"] == 3
    assert record.seen["reduce"] == pytest.approx(expected["reduce"])
    assert record.seen["stop"] == pytest.approx(expected["stop"])
    for restored, saved in zip(record.seen["best_weights"], best_weights):
        np.testing.assert_array_equal(restored, saved)


# Trains and resumes in child processes: not in the fast loop (pytest -m "not slow").
pytestmark = pytest.mark.slow
