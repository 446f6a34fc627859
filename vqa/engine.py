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
the optional general VQA model's availability; answering is vqa.pipeline.ask's.
The names the app needs from the rooms below (error classes, load_image, size caps) are
re-exported here, so that the app imports vqa and nothing under it.
"""
from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from models.faces import NoFaceError
from models.intake import (
    CorruptImageError,
    ImageError,
    ImageTooLargeError,
    ImageTooSmallError,
    NotAnImageError,
    UnsupportedImageError,
    load_image,
)
from models.limits import MAX_DECODE_PIXELS, MAX_FACES, MAX_UPLOAD_BYTES, MAX_UPLOAD_PIXELS
from vqa import lab as bias_lab
from vqa.agreement import Agreement, agreement
from vqa.explain import ExplainMethodError
from vqa.numbers import FaceIndexError
from vqa.pipeline import DEFAULT_EXPLAIN, AskOptions, vqa_model_of
from vqa.result import FaceResult, Result

__all__ = ["Engine", "Comparison", "LabComparison", "GalleryImage", "Agreement", "COMPARE_QUESTIONS", "FIRST_METHODS",
           "COMPARE_METHODS", "AskOptions",
           "load_image", "MAX_UPLOAD_PIXELS", "MAX_DECODE_PIXELS", "MAX_FACES", "MAX_UPLOAD_BYTES",
           "ImageError", "NotAnImageError", "CorruptImageError", "ImageTooLargeError", "ImageTooSmallError",
           "UnsupportedImageError", "NoFaceError", "FaceIndexError", "ExplainMethodError", "LabMissingError",
           "AttributeChoiceError"]

Progress = Callable[[str], None]
GalleryImage = bias_lab.GalleryImage

COMPARE_QUESTIONS = {
    "race": "What is this person's race?",
    "gender": "What is this person's gender?",
    "age": "How old is this person?",
}
FIRST_METHODS = ("gradcam",)  # fast enough to come with the first answer; the rest follow
COMPARE_METHODS = ("gradcam", "ig")  # the maps a comparison shows of each model: where it looked, and how much
HOW_TO_ADD_RACE_MODELS = ("click *Build the bias lab* in the Audit tab, or run `python -m training.demo`: a fair "
                          "and a census-biased race model on a small SYNTHETIC set, found without a restart; or "
                          "train your own with `python -m training.train --task race [--biased] --data DIR "
                          "--out DIR` and start the app with `--models DIR`")


def _silent(message: str) -> None:
    pass


def _stamp(path: Path) -> tuple | None:
    """What tells a rewritten model (its .keras file or its card) from the one
    listed: their mtimes and sizes."""
    try:
        return tuple((s.st_mtime_ns, s.st_size) for s in (Path(path).stat(), Path(path).with_suffix(".json").stat()))
    except OSError:
        return None


@dataclasses.dataclass
class Comparison:
    """Every model for one attribute on one face (the largest), and the general
    VQA model's answer as one more row when it is on."""

    attribute: str
    result: Result
    agreement: Agreement  # of the face models
    # The face models whose answers mean what the general VQA model's does;
    # None when it is off, failed, or named no class of the attribute.
    vqa_agrees_with: tuple[str, ...] | None = None

    @property
    def face(self) -> FaceResult:
        return self.result.faces[0]

    @property
    def models(self) -> list[str]:
        """The face models that were asked (the general VQA model is `vqa`)."""
        return [answer.model for answer in self.face.answers]

    @property
    def vqa(self):
        """The general VQA model's answer (vqa.general.SecondOpinion), or None when it is off."""
        return getattr(self.result, "second_opinion", None)

    @property
    def face_model_count(self) -> int:
        """Face models that answered (the general VQA model is not one of them)."""
        return sum(answer.confidence is not None for answer in self.face.answers)

    @property
    def single_model(self) -> bool:
        """Only one face model answered: there is nothing of its kind to compare it with."""
        return self.face_model_count == 1

    @classmethod
    def of(cls, attribute: str, result: Result) -> Comparison:
        """The face models' agreement on the first face of `result`, and which of
        them the general VQA model's answer (result.second_opinion) agrees with,
        both by vqa.agreement's one vocabulary (a VQA "woman" is a face model's "Female")."""
        answers = list(result.faces[0].answers)
        vqa = getattr(result, "second_opinion", None)
        agrees_with = None
        if vqa is not None and agreement([vqa], attribute).count:
            paired = [(answer.model, agreement([answer, vqa], attribute)) for answer in answers]
            agrees_with = tuple(model for model, pair in paired if pair.count == 2 and pair.agree)
        return cls(attribute=attribute, result=result, agreement=agreement(answers, attribute),
                   vqa_agrees_with=agrees_with)

    def how_to_add(self) -> str:
        """How a person gets a second model to compare with, for this attribute."""
        if self.attribute == "race":
            return HOW_TO_ADD_RACE_MODELS
        return (f"train one with `python -m training.train --task {self.attribute} --data DIR --out DIR`, "
                "then start the app with `--models DIR`")


@dataclasses.dataclass
class LabComparison:
    """The bias lab's fair and census-biased race models on one held-out
    synthetic test image, with each model's accuracy on that image's class."""

    image: GalleryImage
    comparison: Comparison
    accuracy: dict[str, float | None]  # model -> accuracy on image.race over the lab's balanced val split

    @property
    def answers(self) -> list:
        return list(self.comparison.face.answers)


class Engine:
    """Models folder(s) plus the pretrained cache, loaded on first use.

    models_dir: a folder or folders of <name>.keras + <name>.json (a user's own
    models, listed before the pretrained ones). import_pretrained: import
    dlib's and GEAR's models into the cache on first use (once per cache).
    second_opinion: a general VQA model (hub id or folder) asked beside ours.
    include_lab: also list the bias lab's models folder (vqa.lab.lab().models,
    in the user cache) whenever it exists, so that models built by
    `python -m training.demo` or the Audit tab's button appear at the next
    reload(); by default with the cache. lab_root: another lab folder.
    """

    def __init__(self, models_dir: str | Path | Iterable[str | Path] | None = None, *,
                 include_cache: bool = True, import_pretrained: bool = True,
                 second_opinion: str | Path | None = None, progress: Progress | None = None,
                 include_lab: bool | None = None, lab_root: str | Path | None = None,
                 max_pixels: int = MAX_DECODE_PIXELS, max_faces: int | None = MAX_FACES):
        if isinstance(models_dir, (str, Path)):
            models_dir = [models_dir]
        self.models_dirs = [Path(d) for d in (models_dir or ())]
        self.include_cache = include_cache
        self.include_lab = include_cache if include_lab is None else include_lab
        self.lab_root = lab_root
        self.import_pretrained = import_pretrained and include_cache
        self.second_opinion = second_opinion
        self.second_opinion_problem: str | None = None  # why the general VQA model was switched off
        self.progress = progress or _silent
        # The largest photo accepted: the decompression-bomb ceiling for scripts
        # and the CLI, MAX_UPLOAD_PIXELS for the app's visitors.
        self.max_pixels = max_pixels
        self.max_faces = max_faces  # faces answered per ask, the largest first (None: all)
        self._registry = None
        self._stamps: dict[Path, tuple | None] = {}  # model file -> _stamp() when it was listed
        self._lock = threading.Lock()

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
            self.progress(f"  model {model.name}: {model.attribute}, {model.card.provenance}")
        for problem in registry.problems:
            self.progress(f"  skipped: {problem}")
        if not len(registry):
            self.progress("  no models found: train some (python -m training.demo) or import the pretrained "
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
        return registry

    def registry_dirs(self) -> list[Path]:
        """The folders scanned besides the cache: the user's, then the lab's once it exists
        (looked up at each scan: the lab may be built while the app runs)."""
        dirs = list(self.models_dirs)
        if self.include_lab:
            models = bias_lab.lab(self.lab_root).models
            if models.is_dir() and models not in dirs:
                dirs.append(models)
        return dirs

    def _scan(self):
        from models.registry import load_registry

        registry = load_registry(dirs=self.registry_dirs() or None, include_cache=self.include_cache)
        self._stamps = {model.path: _stamp(model.path) for model in registry}
        return registry

    def _import_pretrained(self) -> None:
        from models.pretrained import ensure_pretrained

        started = time.perf_counter()
        paths = ensure_pretrained(progress=self.progress)
        self.progress(f"  {len(paths)} pretrained models ready ({time.perf_counter() - started:.1f} s)")

    # -- warm-up ----------------------------------------------------------------

    def warm(self) -> None:
        """Load dlib's detector, TensorFlow and each model with one call each,
        so that the first person's question does not pay for it."""
        from models.faces import detect_faces

        started = time.perf_counter()
        detect_faces(np.zeros((64, 64, 3), np.uint8), require=False)  # loads dlib's detector
        for model in self.registry:
            size = model.card.input.size
            try:
                model.predict(np.zeros((1, size, size, 3), np.uint8))
            except ValueError as err:
                self.progress(f"  could not load {model.name}: {err}")
        self.progress(f"  models loaded ({time.perf_counter() - started:.1f} s)")
        if self.second_opinion:
            self.check_second_opinion()

    def warm_in_background(self) -> threading.Thread:
        """warm() in a thread; a question asked meanwhile waits for the models."""
        thread = threading.Thread(target=self.warm, name="warm-models", daemon=True)
        thread.start()
        return thread

    def check_second_opinion(self) -> None:
        """Load the general VQA model once; if it cannot load, switch it off and
        say why, rather than let every question retry (offline, that costs seconds)."""
        from vqa import vilt

        try:
            vilt.load(self.second_opinion)
            self.progress(f"Second opinion ready: {self.second_opinion}")
        except vilt.ViltUnavailable as err:
            self.second_opinion_problem = str(err)
            self.second_opinion = None
            self.progress(f"Second opinion off: {err}")

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
    def vqa_model(self) -> str | None:
        """The general VQA model this engine asks (a hub id or folder), None when
        it is off: what an AskOptions for this engine carries as its vqa_model."""
        return vqa_model_of(self.second_opinion)

    def ask(self, image: Any, question: str, *, options: AskOptions | None = None, **kwargs) -> Result:
        """vqa.pipeline.ask with this engine's models and general VQA model."""
        *_, result = self.ask_stages(image, question, first=None, options=options, **kwargs)
        return result

    def ask_stages(self, image: Any, question: str, explain=DEFAULT_EXPLAIN, first=FIRST_METHODS, *,
                   options: AskOptions | None = None, **kwargs) -> Iterator[Result]:
        """vqa.pipeline.ask_stages with this engine's models: the answer with
        its Grad-CAM first (no trust checks), then the full Result (Guided
        Grad-CAM, Integrated Gradients, the trust checks, the general VQA model
        beside the face models) when any is asked for, in one pass: the faces
        are found and the models called once. A "general" question's first
        stage is the VQA model's answer without its map.

        How to answer: `options` (an AskOptions, used as given: its vqa_model
        is this engine's only where the caller put self.vqa_model there), or
        vqa.pipeline.ask's keyword arguments, whose second_opinion defaults to
        this engine's. registry, max_pixels and max_faces default to the engine's."""
        from vqa.pipeline import ask_stages

        if options is None:
            kwargs.setdefault("second_opinion", self.second_opinion)
        kwargs.setdefault("max_pixels", self.max_pixels)
        kwargs.setdefault("max_faces", self.max_faces)
        registry = kwargs.pop("registry", None)
        return ask_stages(image, question, explain, first, options=options,
                          registry=self.registry if registry is None else registry, **kwargs)

    def compare(self, image: Any, attribute: str, explain=COMPARE_METHODS, **options) -> Comparison:
        """Every model for `attribute` on the largest face, and whether they agree;
        the general VQA model (when on) answers the same question as one more row."""
        if attribute not in COMPARE_QUESTIONS:
            raise AttributeChoiceError(f"choose one of {', '.join(COMPARE_QUESTIONS)}")
        options.setdefault("second_opinion", self.second_opinion)
        result = self.ask(image, COMPARE_QUESTIONS[attribute], explain=explain, face_index=0, **options)
        return Comparison.of(attribute, result)

    # -- the bias lab -----------------------------------------------------------

    def lab(self) -> bias_lab.Lab | None:
        """The bias lab when it is built (both race models and their audit), else None."""
        built = bias_lab.lab(self.lab_root)
        return built if self.include_lab and built.ready else None

    def lab_gallery(self, n_per_class: int = 3) -> list[GalleryImage]:
        """Held-out synthetic test images of the lab, n_per_class per race; [] before it is built."""
        built = self.lab()
        return bias_lab.gallery(n_per_class, root=built.root) if built else []

    def compare_lab(self, image: GalleryImage, explain=("gradcam", "ig"), **options) -> LabComparison:
        """The lab's fair and census-biased race models on one of its gallery
        images (a synthetic face crop, so no detector runs: the whole image is
        the face, as in training), with each model's accuracy on the image's class."""
        built = self.lab()
        if built is None:
            raise LabMissingError("the bias lab is not built yet: click \"Build the bias lab\" in the Audit tab "
                                  "or run `python -m training.demo`")
        registry = self.registry
        names = (bias_lab.FAIR_MODEL, bias_lab.BIASED_MODEL)
        missing = [name for name in names if name not in {model.name for model in registry}]
        if missing:  # built since the last scan
            registry = self.reload()
        from models.registry import Registry

        pair = Registry(models=[model for name in names for model in registry if model.name == name])
        options.setdefault("checks", ("faithfulness",))  # each map against a random one; no detector to vary
        result = self.ask(image.path, COMPARE_QUESTIONS["race"], explain=explain, registry=pair, whole_image=True,
                          second_opinion=None, **options)
        accuracy = bias_lab.class_accuracy(built.root)
        return LabComparison(image=image, comparison=Comparison.of("race", result),
                             accuracy={name: accuracy.get(name, {}).get(image.race) for name in names})


class AttributeChoiceError(ValueError):
    """compare() was asked for an attribute no model answers (race, gender, age)."""


class LabMissingError(ValueError):
    """A lab comparison was asked for before the lab was built."""
