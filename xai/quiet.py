"""Quiet start-up for every command line: no TensorFlow, absl or CUDA log lines.

It lives in xai because xai imports no other room, so every CLI (the
benchmarks included) can use this one copy; vqa.quiet re-exports it for the
app, which imports vqa only.

Call `silence_tf()` first thing, before anything imports TensorFlow (this module
imports only the standard library, so `--help` stays instant). It does three
things, because TensorFlow logs through three channels:

- TF_CPP_MIN_LOG_LEVEL=3 (and GRPC/glog equivalents): TensorFlow's C++ logging
  once it is initialised (e.g. "failed call to cuInit" at the first operation).
- While `tensorflow` itself is being imported, file descriptor 2 points at
  /dev/null: TensorFlow 2.20 writes its oneDNN, cudart and CPU-feature notices
  through absl before absl's logging is initialised, and no variable silences
  those. A failed import still raises its Python exception, shown as usual.
- The Python loggers "tensorflow" and "absl" report errors only.

FACEXAI_TF_LOGS=1 in the environment turns all of this off (for debugging).
"""
from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import logging
import os
import sys

_ENVIRONMENT = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "GRPC_VERBOSITY": "ERROR",
    "GLOG_minloglevel": "3",
    "KERAS_BACKEND": "tensorflow",
}


def silence_tf() -> None:
    """Silence TensorFlow's start-up; a no-op with FACEXAI_TF_LOGS=1, and when
    TensorFlow is already imported (too late to hide its import lines)."""
    if os.environ.get("FACEXAI_TF_LOGS") == "1":
        return
    for name, value in _ENVIRONMENT.items():
        if name == "KERAS_BACKEND":
            os.environ.setdefault(name, value)
        else:
            os.environ[name] = value
    for logger in ("tensorflow", "absl"):
        logging.getLogger(logger).setLevel(logging.ERROR)
    if "tensorflow" not in sys.modules and not any(isinstance(f, _QuietImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietImport())


class _QuietImport(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` the normal way, and runs its import with fd 2 closed off."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once: the real finders take it from here
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _QuietLoader(spec.loader)
        return spec


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        with stderr_to_devnull():
            self._loader.exec_module(module)

    def __getattr__(self, name):  # get_resource_reader, is_package, ... of the real loader
        return getattr(self._loader, name)


@contextlib.contextmanager
def stderr_to_devnull():
    """Point file descriptor 2 at /dev/null for the block (C and C++ writes
    included), then restore it."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
