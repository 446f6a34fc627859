"""python -m vqa PHOTO [PHOTO ...] "QUESTION" [--explain gradcam,guided,ig] [--out DIR] [--json]
              [--vqa-model ID|DIR] [--checks stability,regions,faithfulness|none] [--ig-steps M]

Asks one question about one or many photos. Text by default; --json prints one
JSON object per photo (JSON lines) for scripts. --out writes each heatmap
over the photo as a PNG (and the general VQA model's, vqa_ig.png, when it made
one), plus result.json, into DIR/<photo name>/. With --vqa-model, questions no
face model answers (glasses, hair, expression...) are answered by that general
VQA model, and face questions get its answer beside the face models'.
The pretrained models (dlib, GEAR) are imported into the cache on the first
question, once; what that does is said on stderr. A photo that cannot be
analysed is reported in one line and the batch goes on; the exit status is 1
if any photo failed, 2 for bad arguments.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# These import neither TensorFlow nor torch: --help stays quick.
from vqa.explain import ExplainMethodError, parse_methods
from vqa.general import DEFAULT_MODEL as DEFAULT_GENERAL_VQA
from vqa.numbers import CLI_FACES, FaceIndexError
from vqa.pipeline import CHECKS, CheckError, parse_checks
from vqa.router import route
from xai.defaults import IG_TOLERANCE

GENERAL_HEATMAP_FILE = "vqa_ig.png"  # --out: the general VQA model's IG map over the photo


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m vqa", description=__doc__.split("\n\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("photos", nargs="+", type=Path, metavar="PHOTO", help="image file(s)")
    parser.add_argument("question", metavar="QUESTION", help='e.g. "How old is this person?"')
    parser.add_argument("--explain", default=None,
                        help="comma-separated: gradcam, guided, ig, or none (default: gradcam; for a question only "
                             "the general VQA model answers, its one map, ig)")
    parser.add_argument("--out", type=Path, help="write heatmap overlays (PNG; the general VQA model's as "
                                                 f"{GENERAL_HEATMAP_FILE}) and result.json here")
    parser.add_argument("--json", action="store_true", help="print one JSON object per photo")
    parser.add_argument("--models", type=Path, action="append", default=[],
                        help="a folder of .keras models with cards (repeatable); the pretrained cache is always "
                             "read, and filled on first use")
    parser.add_argument("--no-pretrained", action="store_true",
                        help="do not import the pretrained models (dlib, GEAR) into the cache on first use")
    parser.add_argument("--whole-image", action="store_true", help="analyse each photo as one face")
    parser.add_argument("--face", type=int, default=None, metavar="N", help=f"only this face: {CLI_FACES.help}")
    parser.add_argument("--ig-steps", type=int, default=0, metavar="M",
                        help="Integrated Gradients: 0 (default) adapts its steps until the attributions add up to "
                             f"the score change within {IG_TOLERANCE * 100:g}%%; M > 0 is the fixed M-step Riemann sum")
    parser.add_argument("--checks", default=",".join(CHECKS), metavar="LIST",
                        help=f"comma-separated trust checks: {', '.join(CHECKS)} (default: all), or none; "
                             "regions and faithfulness need a heatmap (--explain)")
    # --vqa-model and --second-opinion are the flags' spellings users have; in code, general_vqa.
    parser.add_argument("--vqa-model", dest="general_vqa", default=None, metavar="ID|DIR",
                        help="a general visual question answering model (a Hugging Face id such as "
                             f"{DEFAULT_GENERAL_VQA}, "
                             "or a folder saved with save_pretrained): it answers questions no face model answers "
                             "and adds its answer beside theirs, with its IG heatmap when --explain has ig")
    parser.add_argument("--second-opinion", dest="general_vqa_alias", nargs="?", const=True, default=None,
                        metavar="MODEL", help=f"the same as --vqa-model MODEL (without MODEL: {DEFAULT_GENERAL_VQA})")
    return parser


def _print_text(photo: Path, result) -> None:
    intent = result.intent
    print(f"{photo}: {result.question!r} -> {intent.kind}"
          + (f" {', '.join(intent.attributes)}" if intent.attributes else ""))
    if intent.reason:
        print(f"  {intent.reason}")
    for note in intent.notes:
        print(f"  note: {note}")
    for face in result.faces:
        print(f"  face {CLI_FACES.number(face.index)} at {[round(v) for v in face.box]}:")
        for answer in face.answers:
            print(f"    {answer.attribute}: {answer.text}")
            for note in answer.notes:
                print(f"      note: {note}")
            if answer.stability is not None:
                print(f"      stability: {answer.stability.text}")
    for problem in result.problems:
        print(f"  problem: {problem}")
    said = result.general_answer
    if said is not None:
        print(f"  {said.text}")
        if said.heatmap is not None:
            print(f"    where it looked: Integrated Gradients over the photo (captum, {said.ig_steps} steps), "
                  f"completeness error {said.ig_delta:.1%}")


def _write(folder: Path, result) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for position, face in enumerate(result.faces):
        for model, methods in face.heatmaps.items():
            for method in methods:
                result.render(position, model, method).save(folder / f"face{face.index}_{model}_{method}.png")
    if getattr(result.general_answer, "heatmap", None) is not None:
        result.render_general().save(folder / GENERAL_HEATMAP_FILE)
    (folder / "result.json").write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    return folder


def _default_explain(question: str, explain: str | None) -> str:
    """--explain as given; by default Grad-CAM, and for a question only the general VQA
    model answers, Integrated Gradients: its only map (a face model's Grad-CAM is not
    made for it), so that its answer comes with an explanation unless asked otherwise."""
    if explain is not None:
        return explain

    return "ig" if route(question).kind == "general" else "gradcam"


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """The CLI; `python -m vqa` (vqa/__main__.py) silences TensorFlow before calling it."""
    args = build_parser().parse_args(argv)

    try:
        methods, checks = parse_methods(_default_explain(args.question, args.explain)), parse_checks(args.checks)
        face_index = CLI_FACES.index(args.face)
    except (ExplainMethodError, CheckError, FaceIndexError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.ig_steps < 0:
        print("error: --ig-steps must be 0 (adaptive) or a positive number of steps", file=sys.stderr)
        return 2
    from vqa.engine import Engine  # lazy: keeps `python -m vqa --help` free of PIL and models.faces

    # The pretrained models are imported into the cache on the first question
    # (once per cache); what that does is said on stderr, so --json stays clean.
    engine = Engine(args.models, import_pretrained=not args.no_pretrained,
                    general_vqa=args.general_vqa or args.general_vqa_alias, progress=_stderr)
    failed, folders = 0, set()
    for photo in args.photos:
        try:
            result = engine.ask(photo, args.question, explain=methods, face_index=face_index,
                                ig_steps=args.ig_steps or None, whole_image=args.whole_image, checks=checks)
        except Exception as err:  # noqa: BLE001 - one readable line per photo, the batch goes on
            failed += 1
            message = " ".join(str(err).split())  # one line, whatever the exception held
            if not isinstance(err, (ValueError, OSError)):  # not one of the documented, readable errors
                message = f"internal error ({type(err).__name__}): {message}"
            if args.json:
                print(json.dumps({"photo": str(photo), "error": message}))
            else:
                print(f"{photo}: error: {message}", file=sys.stderr)
            continue
        if args.json:
            print(json.dumps({"photo": str(photo), **result.to_dict()}))
        else:
            _print_text(photo, result)
        if args.out:
            # Two photos named alike in different folders must not overwrite each other.
            folder = args.out / photo.stem
            while folder in folders:
                folder = folder.with_name(folder.name + "_")
            folders.add(_write(folder, result))
            if not args.json:
                print(f"  wrote {folder}")
    return 1 if failed else 0
