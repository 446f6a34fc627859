"""`python app.py`: parse options, load the engine (importing the pretrained
models on first use), build the Blocks and serve them.

Defaults follow GRADIO_SERVER_NAME / GRADIO_SERVER_PORT so that the same file
runs unchanged as a Hugging Face Space (which sets them).
"""
from __future__ import annotations

import argparse
import atexit
import logging
import os
import socket
import sys
from pathlib import Path

from app.content import SHARE_RELAY
from app.settings import DEFAULT_CONCURRENCY, DEFAULT_STORE_MB, configure_environment
from app.store import DEFAULT_RETENTION_S
from vqa.engine import MAX_FACES, MAX_UPLOAD_PIXELS, Engine  # light: TensorFlow loads later, in the engine

SHARE_SERVER = ("api.gradio.app", 443)


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
                        help="also ask Gradio for a temporary public link (needs internet). "
                             + SHARE_RELAY.removeprefix("With `--share`, ").replace("`", ""))
    parser.add_argument("--models", type=Path, default=None, metavar="DIR",
                        help="folder of your own trained models (<name>.keras + <name>.json), "
                             "shown beside the bundled pretrained ones")
    parser.add_argument("--vqa-model", default=None, metavar="ID|DIR",
                        help="a pretrained visual-question-answering model (Hugging Face id or local "
                             "folder) for a second opinion; off by default")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, metavar="N",
                        help="workers of each of the two queues: N questions get their first answer (the "
                             "models' answers and Grad-CAM) at once, and N get their slower maps and checks at "
                             "once; the rest wait in their queue (default: %(default)s)")
    parser.add_argument("--store-mb", type=float, default=DEFAULT_STORE_MB, metavar="MB",
                        help="memory for the answers kept for the pages (photos, face crops, heatmaps); past it "
                             "the oldest answers are forgotten first (default: %(default)g)")
    parser.add_argument("--max-faces", type=int, default=MAX_FACES, metavar="N",
                        help="faces answered per photo, the largest first; the answer says how many more were "
                             "found (default: %(default)s)")
    parser.add_argument("--retention", type=float, default=DEFAULT_RETENTION_S, metavar="SECONDS",
                        help="how long a photo and what is made from it stay in memory, counted from the "
                             "question (default: %(default)g; the page states it)")
    parser.add_argument("--allow-lab-build", action="store_true",
                        help="keep the Audit tab's \"Build the bias lab\" button with --share or on a Hugging "
                             "Face Space (off there by default: any visitor could start minutes of training)")
    parser.add_argument("--no-pretrained", action="store_true",
                        help="do not import the bundled pretrained models (dlib, GEAR) at start-up")
    return parser


def lab_build_on(share: bool, allow_lab_build: bool, environ=os.environ) -> bool:
    """Whether the page may build the bias lab: on the operator's own machine yes; behind a
    public --share link, or as a Hugging Face Space (which sets SPACE_ID, and is public
    unless its owner says otherwise), only when the operator allows it, since each build
    trains for minutes."""
    shared = share or bool(environ.get("SPACE_ID"))
    return allow_lab_build or not shared


def share_server_reachable(address: tuple[str, int] = SHARE_SERVER, timeout: float = 3.0) -> bool:
    """Whether a TCP connection to the share server opens: a quick check so that
    an offline --share says so at once instead of after gradio's retries."""
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.concurrency < 1:
        print("--concurrency must be at least 1", file=sys.stderr)
        return 2
    if args.models is not None and not args.models.is_dir():
        print(f"--models {args.models}: no such folder", file=sys.stderr)
        return 2
    if not args.retention > 0:
        print("--retention must be a positive number of seconds", file=sys.stderr)
        return 2
    if not args.store_mb > 0:
        print("--store-mb must be a positive number of megabytes", file=sys.stderr)
        return 2
    if args.max_faces < 1:
        print("--max-faces must be at least 1", file=sys.stderr)
        return 2
    temp_dir = configure_environment()
    _log_in_one_line()

    print(f"Uploads and the images made from them stay in {temp_dir}, deleted when the app stops.", flush=True)
    engine = Engine(args.models, import_pretrained=not args.no_pretrained, general_vqa=args.vqa_model,
                    progress=lambda message: print(message, flush=True), max_pixels=MAX_UPLOAD_PIXELS,
                    max_faces=args.max_faces).load()
    share = args.share and _share_or_explain()
    if share:
        print(SHARE_RELAY.replace("`", ""), flush=True)

    # lazy: Gradio reads configure_environment()'s settings when it is imported; keeps --help free of Gradio
    from app.layout import build_app, launch

    # args.share, not share: asked for a public link is reason enough, even if it could not be made.
    demo = build_app(engine, retention_s=args.retention, share=share, concurrency=args.concurrency,
                     store_mb=args.store_mb, lab_build=lab_build_on(args.share, args.allow_lab_build))
    print(f"A photo and what is made from it stay in memory {args.retention:g} s from the question.", flush=True)
    try:
        launch(demo, host=args.host, port=args.port, share=share, concurrency=args.concurrency, block=False)
    except OSError as err:  # the port is taken, the address is not this machine's
        print(f"cannot serve on {args.host}:{args.port}: {' '.join(str(err).split())}", file=sys.stderr, flush=True)
        _exit_now(1)
    # The page is up; TensorFlow and the models load while someone reads it.
    engine.warm_in_background()
    demo.block_thread()
    _exit_now()
    return 0


def _log_in_one_line() -> None:
    # The app's own records (errors, the session store's counts): one line each.
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
    app_log = logging.getLogger("facexai")
    app_log.addHandler(handler)
    app_log.setLevel(logging.INFO)
    app_log.propagate = False


def _exit_now(code: int = 0) -> None:
    # After the server has closed, run the clean-up (temp files) and leave:
    # TensorFlow's interpreter teardown takes seconds and frees nothing the OS
    # would not.
    sys.stdout.flush()
    atexit._run_exitfuncs()
    os._exit(code)


def _share_or_explain() -> bool:
    if share_server_reachable():
        return True
    print("--share: the Gradio share server cannot be reached (no internet?); "
          "serving on this machine only.", flush=True)
    return False
