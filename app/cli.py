"""`python app.py`: parse options, import the pretrained models, load the
registry, build the Blocks and serve them.

Defaults follow GRADIO_SERVER_NAME / GRADIO_SERVER_PORT so that the same file
runs unchanged as a Hugging Face Space (which sets them).
"""
from __future__ import annotations

import argparse
import atexit
import os
import socket
import sys
from pathlib import Path

SHARE_SERVER = ("api.gradio.app", 443)
DEFAULT_CONCURRENCY = 2  # one /ask uses a core; more would only queue inside TensorFlow


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python app.py",
        description="Face XAI: ask a face model a question about a photo and see why it answers.",
    )
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                        help="address to listen on (default: %(default)s; 0.0.0.0 for every interface)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
                        help="port to listen on (default: %(default)s)")
    parser.add_argument("--share", action="store_true",
                        help="also ask Gradio for a temporary public link (needs internet)")
    parser.add_argument("--models", type=Path, default=None, metavar="DIR",
                        help="folder of your own trained models (<name>.keras + <name>.json), "
                             "shown beside the bundled pretrained ones")
    parser.add_argument("--vqa-model", default=None, metavar="ID|DIR",
                        help="a pretrained visual-question-answering model (Hugging Face id or local "
                             "folder) for a second opinion; off by default")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, metavar="N",
                        help="questions answered at the same time; the rest wait in a queue (default: %(default)s)")
    parser.add_argument("--no-pretrained", action="store_true",
                        help="do not import the bundled pretrained models (dlib, GEAR) at start-up")
    return parser


def share_server_reachable(address: tuple[str, int] = SHARE_SERVER, timeout: float = 3.0) -> bool:
    """Whether a TCP connection to the share server opens: a quick check so that
    an offline --share says so at once instead of after gradio's retries."""
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    from app.settings import configure_environment

    args = build_parser().parse_args(argv)
    if args.concurrency < 1:
        print("--concurrency must be at least 1", file=sys.stderr)
        return 2
    if args.models is not None and not args.models.is_dir():
        print(f"--models {args.models}: no such folder", file=sys.stderr)
        return 2
    temp_dir = configure_environment()

    print(f"Uploads and the images made from them stay in {temp_dir}, deleted when the app stops.", flush=True)
    from app.startup import load_backend, warm_in_background

    backend = load_backend(models_dir=args.models, vqa_model=args.vqa_model,
                           import_pretrained=not args.no_pretrained, progress=print, warm=False)
    share = args.share and _share_or_explain()

    from app.layout import build_app, launch

    demo = build_app(backend)
    launch(demo, host=args.host, port=args.port, share=share, concurrency=args.concurrency, block=False)
    # The page is up; TensorFlow and the models load while someone reads it.
    warm_in_background(backend, progress=lambda message: print(message, flush=True))
    demo.block_thread()
    _exit_now()
    return 0


def _exit_now() -> None:
    # After the server has closed, run the clean-up (temp files) and leave:
    # TensorFlow's interpreter teardown takes seconds and frees nothing the OS
    # would not.
    sys.stdout.flush()
    atexit._run_exitfuncs()
    os._exit(0)


def _share_or_explain() -> bool:
    if share_server_reachable():
        return True
    print("--share: the Gradio share server cannot be reached (no internet?); "
          "serving on this machine only.", flush=True)
    return False
