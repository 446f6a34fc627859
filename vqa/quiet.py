"""Keep TensorFlow's, absl's and CUDA's start-up lines off a CLI's stderr.

They must be switched off before TensorFlow is first imported: its C++ logger
reads TF_CPP_MIN_LOG_LEVEL once, at load. Importing this module imports
nothing heavy. (The models room may grow the same helper as models/quiet.py;
then this one should call it.)
"""
from __future__ import annotations

import logging
import os
import warnings

QUIET_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",  # C++ INFO/WARNING/ERROR: CUDA probing, cpu_feature_guard, oneDNN notes
    "TF_ENABLE_ONEDNN_OPTS": "0",  # else TF prints a line about oneDNN's rounding at import
    "GRPC_VERBOSITY": "ERROR",
    "GLOG_minloglevel": "3",
    "KERAS_BACKEND": "tensorflow",
}


def silence_tf() -> None:
    """Set the environment and the Python loggers so that importing TensorFlow
    (and Keras) prints nothing. A value the user set already is kept."""
    for name, value in QUIET_ENV.items():
        os.environ.setdefault(name, value)
    for name in ("tensorflow", "absl", "h5py", "keras"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"(tensorflow|keras|tf_keras)\b")
    _install_finder()
    try:  # absl prints "WARNING: All log messages before absl::InitializeLog()..." unless told its verbosity
        from absl import logging as absl_logging
    except ImportError:
        return
    absl_logging.set_verbosity(absl_logging.ERROR)
    absl_logging.set_stderrthreshold("error")


# TensorFlow 2.21 prints "Could not find cuda drivers..." from C++ while its
# libraries load, before absl's logger is set up, whatever TF_CPP_MIN_LOG_LEVEL
# says. The only way to keep it off is to point file descriptor 2 elsewhere
# while those modules execute; Python exceptions still propagate as usual.
_NOISY_PACKAGES = ("tensorflow", "keras")


class _QuietLoader:
    def __init__(self, loader):
        self._loader = loader

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        with _stderr_to_devnull():
            self._loader.exec_module(module)


class _QuietFinder:
    """A meta-path finder that wraps the loader of TensorFlow's and Keras's top-level packages."""

    def find_spec(self, name, path=None, target=None):
        if name not in _NOISY_PACKAGES:
            return None
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


class _stderr_to_devnull:
    def __enter__(self):
        import sys

        sys.stderr.flush()
        self._saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)

    def __exit__(self, *exc):
        os.dup2(self._saved, 2)
        os.close(self._saved)
        return False


def _install_finder() -> None:
    import sys

    if not any(isinstance(finder, _QuietFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietFinder())
