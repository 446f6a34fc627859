"""What the tests of several rooms share, other than models (tests/tiny_models.py) and
fixtures (tests/conftest.py). Not a test module: test modules import from it, never
from one another, so that running or moving one test file never runs another's setup."""
from __future__ import annotations

import os
import re
import struct
import zlib

import numpy as np

# What TensorFlow, absl, CUDA and oneDNN print at start-up when not silenced: a command line
# or the app must print none of it (tests/vqa/test_cli.py, tests/app/test_live_api.py).
NOISE = re.compile(r"(?m)^.*([IWEF]\d{4} \d\d:\d\d:\d\d|All log messages before absl|oneDNN custom operations|"
                   r"cuda drivers|cuInit|cpu_feature_guard|This TensorFlow binary|Unable to register cu).*$")

# A reduced bias lab: `python -m training.demo` arguments for a few images and one epoch
# (tests/training/test_demo.py; the session's `reduced_lab` fixture, tests/conftest.py).
TINY_LAB_ARGS = ("--n", "168", "--size", "32", "--test", "14", "--epochs", "1", "--per-class", "2", "--ig-steps", "4",
                 "--sanity-images", "7")


def user_shell_env(**extra: str) -> dict[str, str]:
    """The environment of a child process as from a user's shell: without this test session's
    TensorFlow and Keras settings (TF_*, KERAS_*, FACEXAI_TF_LOGS), so that they are not what
    quiets it; `extra` on top."""
    shell = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "KERAS_")) and k != "FACEXAI_TF_LOGS"}
    return {**shell, **extra}


def astronaut_image() -> np.ndarray:
    """skimage's astronaut (Eileen Collins, public domain NASA photo): a 512x512 C-contiguous RGB
    uint8 array, a fresh one each call (the `astronaut` fixture, tests/conftest.py, is one for
    the whole session)."""
    from skimage.data import astronaut as load

    return np.ascontiguousarray(load())


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR that claim a huge size, and no pixel data:
    a decompression bomb's header costs nothing to build."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(bytes(1000))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
