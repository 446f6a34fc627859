"""Process settings that must be in place before gradio is imported.

Gradio reads GRADIO_ANALYTICS_ENABLED and GRADIO_TEMP_DIR at import time, so
`configure_environment()` runs first thing in app.py. Uploads and the images
made from them land in GRADIO_TEMP_DIR; giving the app a private one that is
removed at exit is what makes "no upload kept" hold even if a periodic clean-up
has not run yet.
"""
from __future__ import annotations

import atexit
import os
import shutil
import signal
import tempfile

from vqa.engine import MAX_UPLOAD_BYTES
from vqa.quiet import silence_tf

# gr.Blocks.launch(max_file_size=...): larger uploads are refused by the server. Gradio's "mb" is
# 1024 * 1024 bytes, models.limits' unit, so this is the cap that data URLs are held to as well.
MAX_UPLOAD = f"{MAX_UPLOAD_BYTES // (1024 * 1024)}mb"
CACHE_SWEEP = (60, 300)  # gr.Blocks(delete_cache=(every s, older than s))
QUEUE_SIZE = 64  # requests waiting beyond this are told the app is busy
# Workers of each of the two stage queues (app.stages): a quick stage (the answers
# and Grad-CAM) and a slow one (the other maps and the checks). One stage keeps a
# core busy; two queues of two keep the 2-core Space full without a first answer
# waiting for someone else's slow maps.
DEFAULT_CONCURRENCY = 2
# Ask events Gradio lets in at once: they wait in the stage queues, not in Gradio's,
# so that a newcomer's quick stage is queued beside the others' slow stages.
ASK_EVENTS = 16
DEFAULT_STORE_MB = 512  # the session store's byte budget (app.store), --store-mb


def configure_environment() -> str:
    """Turn analytics off and give Gradio a private temp dir; returns its path."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    silence_tf()
    temp_dir = tempfile.mkdtemp(prefix="facexai-gradio-")
    os.environ["GRADIO_TEMP_DIR"] = temp_dir
    atexit.register(shutil.rmtree, temp_dir, ignore_errors=True)
    _exit_cleanly_on_sigterm()
    return temp_dir


def _exit_cleanly_on_sigterm() -> None:
    # Default SIGTERM kills the process without running atexit, which would
    # leave uploads behind; KeyboardInterrupt lets gradio close its server and
    # Python run the clean-up.
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (e.g. imported by a test runner)
        pass
