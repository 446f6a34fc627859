"""Which tf.distribute strategy training runs under.

The global batch stays what the recipe says (the paper's 128): the dataset is
batched globally and the strategy splits each batch across replicas, so the
optimisation is the same on one device or many.

  auto         MultiWorkerMirrored when TF_CONFIG names more than one worker,
               Mirrored when this machine has more than one GPU, else default
  default      TensorFlow's default strategy (one device)
  mirrored     MirroredStrategy over all local GPUs (or `devices`)
  multiworker  MultiWorkerMirroredStrategy configured from TF_CONFIG
"""
from __future__ import annotations

import json
import os

import tensorflow as tf

STRATEGIES = ("auto", "default", "mirrored", "multiworker")


class StrategyError(ValueError):
    pass


def tf_config_workers() -> int:
    """Number of workers TF_CONFIG describes (0 when unset)."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return 0
    try:
        cluster = json.loads(raw).get("cluster", {})
    except json.JSONDecodeError as err:
        raise StrategyError(f"TF_CONFIG is not valid JSON: {err}") from err
    return len(cluster.get("worker", [])) + len(cluster.get("chief", []))


def choose_strategy(name: str = "auto", devices: list[str] | None = None) -> tf.distribute.Strategy:
    """Create the strategy; call before building any model (and, for
    multiworker, before any other TensorFlow op, as TensorFlow requires)."""
    if name not in STRATEGIES:
        raise StrategyError(f"unknown strategy {name!r}; choose one of {STRATEGIES}")
    if name == "auto":
        name = _auto()
    if name == "multiworker":
        if tf_config_workers() == 0:
            raise StrategyError("multiworker needs TF_CONFIG with a cluster of workers (see the README)")
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy(devices=devices)
    return tf.distribute.get_strategy()


def _auto() -> str:
    if tf_config_workers() > 1:
        return "multiworker"
    if len(tf.config.list_physical_devices("GPU")) > 1:
        return "mirrored"
    return "default"


def is_chief() -> bool:
    """Whether this worker writes the outputs (every worker trains; one saves)."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return True
    task = json.loads(raw).get("task", {})
    return task.get("type") == "chief" or (task.get("type") == "worker" and task.get("index", 0) == 0
                                           and "chief" not in json.loads(raw).get("cluster", {}))
