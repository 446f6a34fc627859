"""The engine the app and the CLI hold: the models it can use, warmed up, and
the questions it answers.

    engine = Engine(models_dir=None)   # the pretrained cache (imported on first use) + any folders
    result = engine.ask(photo, "Is this a woman?", explain=("gradcam", "ig"))
    for result in engine.ask_stages(photo, question, explain=("gradcam", "guided", "ig")):
        ...                            # the answer with Grad-CAM first, then everything
    comparison = engine.compare(photo, "race")   # + the general VQA model's row when it is on
    engine.lab_gallery(3)                          # held-out synthetic images of the bias lab, once built
    engine.compare_lab(engine.lab_gallery(3)[0])   # the fair and the census-biased model on one of them

It owns loading (the pretrained importer and the registry, with the bias
lab's models folder once `python -m training.demo` has built it), warm-up, and
the optional general VQA model's availability; answering is vqa.pipeline.ask's,
the side-by-side record vqa.comparison's, and the bias lab vqa.lab's (its
subprocess driver, its folders, its pair compared): the engine delegates.
The names the app needs from the rooms below (error classes, load_image, size caps) are
re-exported here, so that the app imports vqa and nothing under it.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from models.cache import cache_dir
from models.faces import NoFaceError, detect_faces
from models.intake import (
    CorruptImageError,
    ImageError,
    ImageTooLargeError,
    ImageTooSmallError,
    NotAnImageError,
    UnsupportedImageError,
    load_image,
)
from models.labels import ATTRIBUTES
from models.limits import MAX_DECODE_PIXELS, MAX_FACES, MAX_UPLOAD_BYTES, MAX_UPLOAD_PIXELS
from models.registry import Registry, load_registry
from vqa import general
from vqa.agreement import Agreement
from vqa.comparison import (
    COMPARE_QUESTIONS,
    COMPARED_MAPS,
    HOW_TO_ADD_RACE_MODELS,
    AttributeChoiceError,
    Comparison,
)
from vqa.confidence import find_calibrations
from vqa.explain import ExplainMethodError
from vqa.lab import compare as lab_compare
from vqa.lab import folders as lab_folders
from vqa.lab.compare import LabComparison, LabMissingError
from vqa.lab.folders import GalleryImage, Lab
from vqa.numbers import FaceIndexError
from vqa.pipeline import DEFAULT_EXPLAIN, AskOptions, ask_stages
from vqa.progress import Progress, from_messages
from vqa.result import Result

__all__ = ["Engine", "Comparison", "LabComparison", "GalleryImage", "Agreement", "COMPARE_QUESTIONS", "FIRST_METHODS",
           "HOW_TO_ADD_RACE_MODELS", "COMPARED_MAPS", "ATTRIBUTES", "AskOptions",
           "load_image", "MAX_UPLOAD_PIXELS", "MAX_DECODE_PIXELS", "MAX_FACES", "MAX_UPLOAD_BYTES",
           "ImageError", "NotAnImageError", "CorruptImageError", "ImageTooLargeError", "ImageTooSmallError",
           "UnsupportedImageError", "NoFaceError", "FaceIndexError", "ExplainMethodError", "LabMissingError",
           "AttributeChoiceError"]

FIRST_METHODS = ("gradcam",)  # fast enough to come with the first answer; the rest follow


def _silent(message: str) -> None:
    pass


def _stamp(path: Path) -> tuple | None:
    """What tells a rewritten model (its .keras file or its card) from the one
    listed: their mtimes and sizes."""
    try:
        return tuple((s.st_mtime_ns, s.st_size) for s in (Path(path).stat(), Path(path).with_suffix(".json").stat()))
    except OSError:
        return None


class Engine:
    """Models folder(s) plus the pretrained cache, loaded on first use.

    models_dir: a folder or folders of <name>.keras + <name>.json (a user's own
    models, listed before the pretrained ones). import_pretrained: import
    dlib's and GEAR's models into the cache on first use (once per cache).
    general_vqa: the general VQA model (hub id or folder; vqa.general) asked
    beside ours; `second_opinion` is its documented old spelling.
    progress: a one-line message callback (print, list.append) that hears
    what loading and warm-up do.
    include_lab: also list the bias lab's models folder (vqa.lab.lab().models,
    in the user cache) whenever it exists, so that models built by
    `python -m training.demo` or the Audit tab's button appear at the next
    reload(); by default with the cache. lab_root: another lab folder.
    """

    def __init__(self, models_dir: str | Path | Iterable[str | Path] | None = None, *,
                 include_cache: bool = True, import_pretrained: bool = True,
                 second_opinion: str | Path | None = None, progress: Callable[[str], object] | None = None,
                 include_lab: bool | None = None, lab_root: str | Path | None = None,
                 max_pixels: int = MAX_DECODE_PIXELS, max_faces: int | None = MAX_FACES,
                 general_vqa: str | Path | None = None):
        if isinstance(models_dir, (str, Path)):
            models_dir = [models_dir]
        self.models_dirs = [Path(d) for d in (models_dir or ())]
        self.include_cache = include_cache
        self.include_lab = include_cache if include_lab is None else include_lab
        self.lab_root = lab_root
        self.import_pretrained = import_pretrained and include_cache
        self.general_vqa = general_vqa if general_vqa is not None else second_opinion
        self.general_vqa_problem: str | None = None  # why the general VQA model was switched off
        # The engine's edge: a message callback, heard as the one vqa.progress.Progress inside
        # (models, which cannot import vqa, still hears messages).
        self._messages = progress or _silent
        self.progress: Progress = from_messages(self._messages)
        # The largest photo accepted: the decompression-bomb ceiling for scripts
        # and the CLI, MAX_UPLOAD_PIXELS for the app's visitors.
        self.max_pixels = max_pixels
        self.max_faces = max_faces  # faces answered per ask, the largest first (None: all)
        self._registry = None
        self._stamps: dict[Path, tuple | None] = {}  # model file -> _stamp() when it was listed
        self._lock = threading.Lock()
        self._calibrations: dict | None = None

    # The documented old spellings (docs/vqa.md), read by the app.
    second_opinion = property(lambda self: self.general_vqa)
    second_opinion_problem = property(lambda self: self.general_vqa_problem)

    @property
    def models_dir(self) -> Path | None:
        """The first user folder (the Audit tab looks for reports beside it)."""
        return self.models_dirs[0] if self.models_dirs else None

    # -- loading ----------------------------------------------------------------

    @property
    def registry(self):
        with self._lock:
            if self._registry is None:
                if self.import_pretrained:
                    self._import_pretrained()
                self._registry = self._scan()
            return self._registry

    def load(self) -> Engine:
        """Import and list the models now (else on first use); says what it found."""
        registry = self.registry
        for model in registry:
            self.progress(None, f"  model {model.name}: {model.attribute}, {model.card.provenance}")
        for problem in registry.problems:
            self.progress(None, f"  skipped: {problem}")
        if not len(registry):
            self.progress(None, "  no models found: train some (python -m training.demo) or import the pretrained "
                          "ones (python -m models.pretrained)")
        return self

    def reload(self):
        """Re-scan the folders, so that models built since start-up appear
        without a restart. A model whose files have not changed keeps its
        handle (and so its loaded network and compiled call)."""
        with self._lock:
            old, old_stamps = self._registry, self._stamps
            registry = self._scan()
            if old is not None:
                kept = {model.path: model for model in old
                        if old_stamps.get(model.path) == self._stamps.get(model.path)}
                registry.models = [kept.get(model.path, model) for model in registry.models]
            self._registry = registry
            self._calibrations = None  # an audit may have been written since
        return registry

    def registry_dirs(self) -> list[Path]:
        """The folders scanned besides the cache: the user's, then the lab's once it exists
        (looked up at each scan: the lab may be built while the app runs)."""
        dirs = list(self.models_dirs)
        if self.include_lab:
            models = lab_folders.lab(self.lab_root).models
            if models.is_dir() and models not in dirs:
                dirs.append(models)
        return dirs

    def _scan(self):
        registry = load_registry(dirs=self.registry_dirs() or None, include_cache=self.include_cache)
        self._stamps = {model.path: _stamp(model.path) for model in registry}
        return registry

    def _import_pretrained(self) -> None:
        from models.importers import ensure_pretrained  # lazy: keeps `python app.py --help` free of the importers

        started = time.perf_counter()
        paths = ensure_pretrained(progress=self._messages)
        self.progress(None, f"  {len(paths)} pretrained models ready ({time.perf_counter() - started:.1f} s)")

    # -- warm-up ----------------------------------------------------------------

    def warm(self) -> None:
        """Load dlib's detector, TensorFlow and each model with one call each,
        so that the first person's question does not pay for it."""
        started = time.perf_counter()
        detect_faces(np.zeros((64, 64, 3), np.uint8), require=False)  # loads dlib's detector
        for model in self.registry:
            size = model.card.input.size
            try:
                model.predict(np.zeros((1, size, size, 3), np.uint8))
            except ValueError as err:
                self.progress(None, f"  could not load {model.name}: {err}")
        self.progress(None, f"  models loaded ({time.perf_counter() - started:.1f} s)")
        if self.general_vqa:
            self.check_general_vqa()

    def warm_in_background(self) -> threading.Thread:
        """warm() in a thread; a question asked meanwhile waits for the models."""
        thread = threading.Thread(target=self.warm, name="warm-models", daemon=True)
        thread.start()
        return thread

    def check_general_vqa(self) -> None:
        """Load the general VQA model once; if it cannot load, switch it off and
        say why, rather than let every question retry (offline, that costs seconds)."""

        try:
            general.load(self.general_vqa)
            self.progress(None, f"Second opinion ready: {self.general_vqa}")
        except general.GeneralVqaUnavailable as err:
            self.general_vqa_problem = str(err)
            self.general_vqa = None
            self.progress(None, f"Second opinion off: {err}")

    # -- what it can do ---------------------------------------------------------

    def attributes(self) -> tuple[str, ...]:
        return self.registry.attributes()

    @property
    def problems(self) -> list[str]:
        return list(self.registry.problems)

    def cards(self) -> list:
        """Every model's card (models.cards.ModelCard), in the registry's order."""
        return [model.card for model in self.registry]

    # -- answering --------------------------------------------------------------

    @property
    def general_vqa_model(self) -> str | None:
        """The general VQA model this engine asks (a hub id or folder), None when
        it is off: what an AskOptions for this engine carries as its general_vqa."""
        return general.model_of(self.general_vqa)

    def ask(self, image: Any, question: str, *, options: AskOptions | None = None, **kwargs) -> Result:
        """vqa.pipeline.ask with this engine's models and general VQA model."""
        *_, result = self.ask_stages(image, question, first=None, options=options, **kwargs)
        return result

    def ask_stages(self, image: Any, question: str, explain=DEFAULT_EXPLAIN, first=FIRST_METHODS, *,
                   options: AskOptions | None = None, registry=None, lab_models: bool = False,
                   progress=None, max_pixels: int | None = None, max_faces: int | None = None,
                   **fields) -> Iterator[Result]:
        """vqa.pipeline.ask_stages with this engine's models: the answer with
        its Grad-CAM first (no trust checks), then the full Result (Guided
        Grad-CAM, Integrated Gradients, the trust checks, the general VQA model
        beside the face models) when any is asked for, in one pass: the faces
        are found and the models called once. A "general" question's first
        stage is the VQA model's answer without its map.

        How to answer: `options` (an AskOptions, used as given: its general_vqa
        is this engine's only where the caller put self.general_vqa_model there),
        or vqa.pipeline.ask's option keywords (`fields`: face_index, ig_steps, ...),
        made into one AskOptions here, whose general_vqa (second_opinion) defaults
        to this engine's. registry (default: answering(lab_models); lab_models=True
        lets the bias lab's models answer too), max_pixels and max_faces default
        to the engine's.
        """
        options = AskOptions.given(options, explain, fields if options is not None else self._with_general_vqa(fields))
        return ask_stages(image, question, first=first, options=options, progress=progress,
                          registry=self.answering(lab_models) if registry is None else registry,
                          max_pixels=self.max_pixels if max_pixels is None else max_pixels,
                          max_faces=self.max_faces if max_faces is None else max_faces,
                          calibrations=self.calibrations())

    def audit_dirs(self) -> list[Path]:
        """Where the models' audits (and so their calibrations) are looked for: each user
        folder's audit/ and the folder itself, the cache's audit/ (`python -m
        training.evaluate --pretrained --out <cache>/audit`), and the bias lab's report."""
        dirs = [d for folder in self.models_dirs for d in (folder / "audit", folder)]
        if self.include_cache:
            dirs.append(cache_dir() / "audit")
        built = self.lab()
        if built is not None:
            dirs.append(built.report)
        return dirs

    def calibrations(self) -> dict:
        """{model name: (models.calibration.Calibration, its audit in words)}, read once
        (and again at reload()); models without an audit are absent: their answers keep
        the raw softmax and say so (vqa.confidence)."""
        with self._lock:
            if self._calibrations is None:
                built = self.lab()
                self._calibrations = find_calibrations(self.audit_dirs(), built.report if built else None)
            return self._calibrations

    def answering(self, lab_models: bool = False):
        """The models that answer questions about a photo: every model listed, but the
        bias lab's only when asked for (lab_models): they were trained on SYNTHETIC
        cartoon faces, and their answers about a real photo mean nothing. The lab's
        own comparison (compare_lab) uses them on its synthetic test images."""
        registry = self.registry
        built = lab_folders.lab(self.lab_root).models.resolve() if self.include_lab else None
        mine = [model for model in registry if model.path.parent.resolve() != built]
        if lab_models or built is None or len(mine) == len(registry.models):
            return registry

        return Registry(models=mine, load_problems=list(registry.load_problems), dirs=registry.dirs)

    def compare(self, image: Any, attribute: str, explain=COMPARED_MAPS, **options) -> Comparison:
        """Every model for `attribute` on the largest face, and whether they agree;
        the general VQA model (when on) answers the same question as one more row."""
        if attribute not in COMPARE_QUESTIONS:
            raise AttributeChoiceError(f"choose one of {', '.join(COMPARE_QUESTIONS)}")
        answering = self.answering(options.pop("lab_models", False))
        result = self.ask(image, COMPARE_QUESTIONS[attribute], explain=explain, face_index=0, registry=answering,
                          **options)
        asked = {model.name for model in answering.for_attribute(attribute)}
        set_aside = [model.name for model in self.registry.for_attribute(attribute) if model.name not in asked]
        return Comparison.of(attribute, result, set_aside=tuple(set_aside))

    def _with_general_vqa(self, options: dict) -> dict:
        """The caller's choice of general VQA model under either spelling, else this engine's."""
        if "general_vqa" not in options and "second_opinion" not in options:
            options["general_vqa"] = self.general_vqa
        return options

    # -- the bias lab: vqa.lab's, through this facade ----------------------------

    def lab(self) -> Lab | None:
        """The bias lab when it is built (both race models and their audit), else None."""
        built = lab_folders.lab(self.lab_root)
        return built if self.include_lab and built.ready else None

    def lab_gallery(self, n_per_class: int = 3) -> list[GalleryImage]:
        """Held-out synthetic test images of the lab, n_per_class per race; [] before it is built."""
        built = self.lab()
        return lab_folders.gallery(n_per_class, root=built.root) if built else []

    def compare_lab(self, image: GalleryImage, explain=COMPARED_MAPS, **options) -> LabComparison:
        """vqa.lab.compare.compare with this engine: the lab's fair and census-biased race
        models on one of its gallery images, with each model's accuracy on the image's class."""
        return lab_compare.compare(self, image, explain=explain, **options)
