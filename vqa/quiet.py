"""Keep TensorFlow's, absl's and CUDA's start-up lines off a CLI's stderr.

They must be switched off before TensorFlow is first imported: its C++ logger
reads TF_CPP_MIN_LOG_LEVEL once, at load. Importing this module imports
nothing heavy. The one helper is models/quiet.py's silence_tf() where the
models room has it; the fallback below does the same until then (a
transition: drop it once both are merged).
"""
from __future__ import annotations

import atexit
import logging
import os
import re
import sys
import threading
import warnings

QUIET_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",  # C++ INFO/WARNING/ERROR: CUDA probing, cpu_feature_guard, oneDNN notes
    "TF_ENABLE_ONEDNN_OPTS": "0",  # else TF prints a line about oneDNN's rounding at import
    "GRPC_VERBOSITY": "ERROR",
    "GLOG_minloglevel": "3",
    "KERAS_BACKEND": "tensorflow",
}


def _silence_tf() -> None:
    """Set the environment and the Python loggers so that importing TensorFlow
    (and Keras) prints nothing. A value the user set already is kept."""
    for name, value in QUIET_ENV.items():
        os.environ.setdefault(name, value)
    for name in ("tensorflow", "absl", "h5py", "keras"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"(tensorflow|keras|tf_keras)\b")
    _filter_native_logs()
    try:  # absl prints "WARNING: All log messages before absl::InitializeLog()..." unless told its verbosity
        from absl import logging as absl_logging
    except ImportError:
        return
    absl_logging.set_verbosity(absl_logging.ERROR)
    absl_logging.set_stderrthreshold("error")


# TensorFlow 2.21 prints some C++ lines through absl before absl's logger is
# set up ("Could not find cuda drivers", "failed call to cuInit"), at import
# and at the first device use, whatever TF_CPP_MIN_LOG_LEVEL says. They are
# written straight to file descriptor 2, so the only way to keep them off is
# to read that descriptor: stderr goes through a pipe, and a thread forwards
# every line except those in absl's native format. A user who sets
# TF_CPP_MIN_LOG_LEVEL below 3 gets everything.
NATIVE_LOG = re.compile(rb"^(?:[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [^\]]+\] |"
                        rb"WARNING: All log messages before absl::InitializeLog\(\) is called)")
_filter: _StderrFilter | None = None


class _StderrFilter:
    def __init__(self):
        self.real = os.dup(2)
        read_end, write_end = os.pipe()
        os.dup2(write_end, 2)
        os.close(write_end)
        self.thread = threading.Thread(target=self._pump, args=(read_end,), name="stderr-filter", daemon=True)
        self.thread.start()
        atexit.register(self.close)

    def _pump(self, read_end: int) -> None:
        with os.fdopen(read_end, "rb") as pipe:
            for line in pipe:
                if not NATIVE_LOG.match(line):
                    os.write(self.real, line)

    def close(self) -> None:
        """Put the real stderr back; what is still in the pipe is forwarded first."""
        sys.stderr.flush()
        os.dup2(self.real, 2)  # closes the pipe's last write end: the pump reads to its end
        self.thread.join(timeout=5)


def _filter_native_logs() -> None:
    global _filter
    if _filter is None and os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "3":
        _filter = _StderrFilter()


try:
    from models.quiet import silence_tf
except ImportError:
    silence_tf = _silence_tf
