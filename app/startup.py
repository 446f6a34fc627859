"""Start-up: import the pretrained models, list the registry, and bundle what
the handlers need into one Backend.

The Backend holds no ML logic of its own: it remembers the registry and the
optional second-opinion model and forwards each question to vqa.ask.
"""
from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np

from models.registry import Registry, load_registry

Progress = Callable[[str], None]


@dataclasses.dataclass
class Backend:
    registry: Registry
    second_opinion: str | None = None  # --vqa-model: hub id or folder of a general VQA model
    models_dir: Path | None = None
    second_opinion_problem: str | None = None  # why the second opinion was switched off

    def ask(self, image, question: str, **options):
        from vqa import ask

        return ask(image, question, registry=self.registry, second_opinion=self.second_opinion, **options)

    @property
    def problems(self) -> list[str]:
        return self.registry.problems

    def attributes(self) -> tuple[str, ...]:
        return self.registry.attributes()


def load_backend(models_dir: Path | None = None, vqa_model: str | None = None,
                 import_pretrained: bool = True, progress: Progress = print,
                 warm: bool = True) -> Backend:
    """Everything the app needs before it can answer; each step says what it does.

    warm: load TensorFlow and the models now; without it, call
    `warm_in_background` once the page is served (both at once would fight
    over the GIL and slow the page down).
    """
    if import_pretrained:
        _import_pretrained(progress)
    registry = load_registry(dirs=[models_dir] if models_dir else None)
    _describe(registry, progress)
    backend = Backend(registry=registry, second_opinion=vqa_model, models_dir=models_dir)
    if warm:
        _warm(registry, progress)
        if vqa_model:
            check_second_opinion(backend, progress)
    return backend


def _import_pretrained(progress: Progress) -> None:
    from models.pretrained import ensure_pretrained

    started = time.perf_counter()
    progress("Importing the pretrained models (dlib, GEAR) into the cache, once...")
    paths = ensure_pretrained(progress=progress)
    progress(f"  {len(paths)} pretrained models ready ({time.perf_counter() - started:.1f} s)")


def _describe(registry: Registry, progress: Progress) -> None:
    for model in registry:
        progress(f"  model {model.name}: {model.attribute}, {model.card.provenance}")
    for problem in registry.problems:
        progress(f"  skipped: {problem}")
    if not len(registry):
        progress("  no models found: the app will explain how to get some")


def warm_in_background(backend: Backend, progress: Progress = print) -> threading.Thread:
    """Load the models in a thread; a question asked meanwhile waits for them."""
    def warm():
        _warm(backend.registry, progress)
        if backend.second_opinion:
            check_second_opinion(backend, progress)

    thread = threading.Thread(target=warm, name="warm-models", daemon=True)
    thread.start()
    return thread


def check_second_opinion(backend: Backend, progress: Progress = print) -> None:
    """Load the second-opinion model once; if it cannot load, switch it off and
    say why, rather than let every question retry (offline, that costs seconds)."""
    from vqa import vilt

    try:
        vilt.load(backend.second_opinion)
        progress(f"Second opinion ready: {backend.second_opinion}")
    except vilt.ViltUnavailable as err:
        backend.second_opinion_problem = str(err)
        backend.second_opinion = None
        progress(f"Second opinion off: {err}")


def _warm(registry: Registry, progress: Progress) -> None:
    # Importing TensorFlow, loading each model and its first call take seconds;
    # paying them at start-up keeps the first person's question from waiting.
    from models.faces import detect_faces

    started = time.perf_counter()
    detect_faces(np.zeros((64, 64, 3), np.uint8), require=False)  # loads dlib's detector
    for model in registry:
        size = model.card.input.size
        try:
            model.predict(np.zeros((1, size, size, 3), np.uint8))
        except ValueError as err:
            progress(f"  could not load {model.name}: {err}")
    progress(f"  models loaded ({time.perf_counter() - started:.1f} s)")
