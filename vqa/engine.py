"""The engine the app and the CLI hold: the models it can use, warmed up, and
the questions it answers.

    engine = Engine(models_dir=None)   # the pretrained cache (imported on first use) + any folders
    result = engine.ask(photo, "Is this a woman?", explain=("gradcam", "ig"))
    for result in engine.ask_stages(photo, question, explain=("gradcam", "guided", "ig")):
        ...                            # the answer with Grad-CAM first, then everything
    comparison = engine.compare(photo, "race")

It owns loading (the pretrained importer and the registry), warm-up, and the
optional general VQA model's availability; answering is vqa.pipeline.ask's.
The names the app needs from the rooms below (error classes, load_image) are
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
from vqa._agreement import Agreement, agreement
from vqa.explain import ExplainMethodError, parse_methods
from vqa.pipeline import FaceIndexError
from vqa.result import FaceResult, Result

__all__ = ["Engine", "Comparison", "Agreement", "COMPARE_QUESTIONS", "FIRST_METHODS", "load_image",
           "ImageError", "NotAnImageError", "CorruptImageError", "ImageTooLargeError", "ImageTooSmallError",
           "UnsupportedImageError", "NoFaceError", "FaceIndexError", "ExplainMethodError"]

Progress = Callable[[str], None]

COMPARE_QUESTIONS = {
    "race": "What is this person's race?",
    "gender": "What is this person's gender?",
    "age": "How old is this person?",
}
FIRST_METHODS = ("gradcam",)  # fast enough to come with the first answer; the rest follow
HOW_TO_ADD_RACE_MODELS = ("train the fair and census-biased race models with `python -m training.demo` "
                          "(a small bias lab), or your own with `python -m training.train --task race "
                          "[--biased] --data DIR --out DIR`, then start the app with `--models DIR`")


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
    """Every model for one attribute on one face (the largest)."""

    attribute: str
    result: Result
    agreement: Agreement

    @property
    def face(self) -> FaceResult:
        return self.result.faces[0]

    @property
    def models(self) -> list[str]:
        return [answer.model for answer in self.face.answers]

    @property
    def single_model(self) -> bool:
        """Only one model answered: there is nothing to compare it with."""
        return self.agreement.count == 1

    def how_to_add(self) -> str:
        """How a person gets a second model to compare with, for this attribute."""
        if self.attribute == "race":
            return HOW_TO_ADD_RACE_MODELS
        return (f"train one with `python -m training.train --task {self.attribute} --data DIR --out DIR`, "
                "then start the app with `--models DIR`")


class Engine:
    """Models folder(s) plus the pretrained cache, loaded on first use.

    models_dir: a folder or folders of <name>.keras + <name>.json (a user's own
    models, listed before the pretrained ones). import_pretrained: import
    dlib's and GEAR's models into the cache on first use (once per cache).
    second_opinion: a general VQA model (hub id or folder) asked beside ours.
    """

    def __init__(self, models_dir: str | Path | Iterable[str | Path] | None = None, *,
                 include_cache: bool = True, import_pretrained: bool = True,
                 second_opinion: str | Path | None = None, progress: Progress | None = None):
        if isinstance(models_dir, (str, Path)):
            models_dir = [models_dir]
        self.models_dirs = [Path(d) for d in (models_dir or ())]
        self.include_cache = include_cache
        self.import_pretrained = import_pretrained and include_cache
        self.second_opinion = second_opinion
        self.second_opinion_problem: str | None = None  # why the general VQA model was switched off
        self.progress = progress or _silent
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

    def _scan(self):
        from models.registry import load_registry

        registry = load_registry(dirs=self.models_dirs or None, include_cache=self.include_cache)
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

    def ask(self, image: Any, question: str, **options) -> Result:
        """vqa.pipeline.ask with this engine's models and general VQA model."""
        from vqa.pipeline import ask

        options.setdefault("second_opinion", self.second_opinion)
        return ask(image, question, registry=self.registry, **options)

    def ask_stages(self, image: Any, question: str, explain=("gradcam",), **options) -> Iterator[Result]:
        """The answer with its Grad-CAM first (no trust checks), then the full
        Result (Guided Grad-CAM, Integrated Gradients, the trust checks, the
        general VQA model beside the face models) when any is asked for. A
        "general" question's first stage is the VQA model's answer without its map.

        The photo is decoded once, here. The second stage asks again (faces are
        found and the models called twice): it costs a detection and a forward
        pass, against seconds of waiting for the slow maps before anything shows.
        """
        from vqa.pipeline import CHECKS, parse_checks
        from vqa.router import route

        methods = parse_methods(explain)
        pixels = load_image(image)
        first = tuple(m for m in methods if m in FIRST_METHODS)
        vqa_model = options.get("second_opinion", self.second_opinion)
        kind = route(question).kind
        general = kind == "general"
        if kind == "unsupported":  # refused: nothing more will come
            more = False
        elif general:  # the VQA model's answer is the answer, in stage one; its one map is IG
            more = "ig" in methods
        else:
            more = first != methods or bool(parse_checks(options.get("checks", CHECKS))) or bool(vqa_model)
        if not more:
            yield self.ask(pixels, question, explain=methods, **options)
            return
        # Stage one: no trust checks (stability, regions, faithfulness) and,
        # beside the face models, no VQA model: the answer and Grad-CAM, quick.
        quick = {**options, "checks": (), "second_opinion": vqa_model if general else None}
        yield self.ask(pixels, question, explain=first, **quick)
        yield self.ask(pixels, question, explain=methods, **options)

    def compare(self, image: Any, attribute: str, explain=("gradcam", "ig"), **options) -> Comparison:
        """Every model for `attribute` on the largest face, and whether they agree."""
        if attribute not in COMPARE_QUESTIONS:
            raise ValueError(f"choose one of {', '.join(COMPARE_QUESTIONS)}")
        result = self.ask(image, COMPARE_QUESTIONS[attribute], explain=explain, face_index=0,
                          second_opinion=None, **options)
        return Comparison(attribute=attribute, result=result,
                          agreement=agreement(result.faces[0].answers, attribute))
