"""Resume after a kill: Keras' BackupAndRestore plus the state it forgets.

BackupAndRestore saves weights, optimizer state and the epoch, but not the
patience counters of ReduceLROnPlateau / EarlyStopping nor EarlyStopping's best
weights, so a resumed run would forget how long it has waited and which epoch
was best. This subclass saves those beside each backup (keyed by epoch, so a
kill between the two writes cannot pair a backup with another epoch's state),
and trims the CSV log to the epochs the backup has.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import keras
import numpy as np

_STATE_ATTRS = ("wait", "best", "best_epoch", "cooldown_counter", "stopped_epoch")


class ResumableBackup(keras.callbacks.BackupAndRestore):
    """Put it LAST in the callback list: its on_train_begin must run after
    the other callbacks have reset themselves."""

    def __init__(self, backup_dir, stateful: dict[str, keras.callbacks.Callback], csv_log: str | Path | None = None):
        super().__init__(backup_dir=str(backup_dir), double_checkpoint=True)
        self.stateful = stateful
        self.csv_log = Path(csv_log) if csv_log else None
        self.resumed_from = 0  # epochs already done when this run began
        self._saved_best_epoch = None

    def _save_model(self):
        Path(self.backup_dir).mkdir(parents=True, exist_ok=True)
        epoch = self._current_epoch
        state = {name: _attrs(cb) for name, cb in self.stateful.items()}
        _write_json(self._state_path(epoch), {"epoch": epoch, "callbacks": state})
        self._save_best_weights()
        super()._save_model()
        stale = self._state_path(epoch - 2)
        stale.unlink(missing_ok=True)

    def _load_model(self):
        super()._load_model()
        epoch = int(getattr(self.model, "_initial_epoch", 0) or 0)
        state_path = self._state_path(epoch)
        if epoch == 0 or not state_path.is_file():
            return
        state = json.loads(state_path.read_text())["callbacks"]
        for name, attrs in state.items():
            for attr, value in attrs.items():
                setattr(self.stateful[name], attr, value)
        self._load_best_weights()
        self._trim_log(epoch)
        self.resumed_from = epoch

    def _save_best_weights(self):
        stopper = self.stateful.get("early_stopping")
        if stopper is None or stopper.best_weights is None or stopper.best_epoch == self._saved_best_epoch:
            return
        np.savez(self._best_path(), *stopper.best_weights)
        self._saved_best_epoch = stopper.best_epoch

    def _load_best_weights(self):
        stopper = self.stateful.get("early_stopping")
        if stopper is not None and self._best_path().is_file():
            with np.load(self._best_path()) as data:
                stopper.best_weights = [data[f"arr_{i}"] for i in range(len(data.files))]
            self._saved_best_epoch = stopper.best_epoch

    def _trim_log(self, epochs_done: int):
        if self.csv_log is None or not self.csv_log.is_file():
            return
        with self.csv_log.open(newline="") as f:
            rows = list(csv.reader(f))
        kept = rows[:1] + [r for r in rows[1:] if r and int(r[0]) < epochs_done]
        with self.csv_log.open("w", newline="") as f:
            csv.writer(f).writerows(kept)

    def _state_path(self, epoch: int) -> Path:
        return Path(self.backup_dir) / f"callback_state_{epoch}.json"

    def _best_path(self) -> Path:
        return Path(self.backup_dir) / "best_weights.npz"


def _attrs(callback) -> dict:
    out = {}
    for attr in _STATE_ATTRS:
        if hasattr(callback, attr):
            value = getattr(callback, attr)
            out[attr] = None if value is None else float(value) if isinstance(value, (float, np.floating)) else value
    return out


def _write_json(path: Path, data: dict) -> None:
    # Write then rename, so a kill never leaves half a file.
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)
