"""ask(image, question): route, find faces, run every model that answers the
routed attributes on the chip its card asks for, answer, and explain.

Data flows one way: models (intake, faces, registry) and xai are called,
nothing here knows about the UI.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any, Callable

from vqa.answers import UNSURE_BELOW, answer_for
from vqa.explain import IG_BASELINE, explain_chip, parse_methods, to_photo
from vqa.result import FaceResult, Result
from vqa.router import Intent, route


class FaceIndexError(ValueError):
    """face_index points past the faces found."""


def _registry(registry):
    from models.registry import Registry, load_registry

    if isinstance(registry, Registry):
        return registry
    return load_registry(registry)  # None (cache only), a folder or folders


def _faces(image, whole_image: bool, face_index: int | None):
    from models.faces import detect_faces, whole_image_face

    faces = [whole_image_face(image)] if whole_image else detect_faces(image)
    if face_index is None:
        return list(enumerate(faces))
    if not 0 <= face_index < len(faces):
        raise FaceIndexError(f"face {face_index} was asked for, but {len(faces)} face(s) were found "
                             f"(numbered from 0, largest first)")
    return [(face_index, faces[face_index])]


class _Chips:
    """Aligned chips, made once per (size, padding) for a face."""

    def __init__(self, image, face):
        self.image, self.face, self._made = image, face, {}

    def for_card(self, card):
        from models.faces import align

        key = (card.input.size, card.input.padding)
        if key not in self._made:
            self._made[key] = align(self.image, self.face, size=key[0], padding=key[1])
        return self._made[key]


def _models_for(intent: Intent, registry, problems: list[str]):
    chosen = []
    for attribute in intent.attributes:
        found = registry.for_attribute(attribute)
        if not found:
            problems.append(f"No model answers {attribute} yet: train one (python -m training.train) "
                            f"or import the pretrained ones (python -m models.pretrained).")
        chosen += found
    return chosen


def _answer_face(result: FaceResult, chips: _Chips, loaded, intent, methods, options, problems):
    from models.registry import ModelLoadError

    start = time.perf_counter()
    chip = chips.for_card(loaded.card)
    aligned = time.perf_counter()
    try:
        probs = loaded.predict(chip.pixels[None])[0]
    except ModelLoadError as err:
        problems.append(f"{loaded.name} could not be used: {err}")
        return
    result.timings[loaded.name] = {"align": aligned - start, "predict": time.perf_counter() - aligned}
    answer = answer_for(probs, loaded.card, intent, options["unsure_below"])
    result.answers.append(answer)
    result.chips[loaded.name] = chip
    if not methods:
        return
    target = list(loaded.card.labels).index(answer.evidence)
    maps = explain_chip(loaded, chip, target, methods, ig_steps=options["ig_steps"],
                        ig_baseline=options["ig_baseline"], faithfulness=options["faithfulness"])
    shape = chips.image.shape
    result.heatmaps[loaded.name] = {m: to_photo(chip, hm, shape) for m, (hm, _) in maps.items()}
    result.heatmap_info[loaded.name] = {m: dataclasses.replace(info, target=answer.evidence)
                                        for m, (_, info) in maps.items()}
    result.timings[loaded.name].update({m: info.seconds for m, (_, info) in maps.items()})
    result.timings[loaded.name]["faithfulness"] = sum(info.faithfulness_seconds for _, info in maps.values())


def ask(
    image: Any,
    question: str,
    explain=("gradcam",),
    registry=None,
    face_index: int | None = None,
    ig_steps: int | None = None,
    ig_baseline=IG_BASELINE,
    whole_image: bool = False,
    progress: Callable[..., Any] | None = None,
    second_opinion: bool | str | Path | None = None,
    unsure_below: float = UNSURE_BELOW,
    faithfulness: bool = True,
) -> Result:
    """Answer `question` about every face in `image` (or face `face_index`).

    image: anything models.intake.load_image takes (path, bytes, PIL, array).
    explain: methods among "gradcam", "guided", "ig" (a list or "gradcam,ig").
    ig_steps: None or 0 for adaptive IG to 1% completeness, an int m for the
        paper's fixed m-step Riemann sum.
    registry: a models.registry.Registry, a folder (or folders) of models, or
        None for the pretrained cache.
    second_opinion: True (dandelin/vilt-b32-finetuned-vqa) or a model folder or
        hub id: also ask a general VQA model (vqa.vilt), shown beside ours.
    progress: called as progress(fraction, desc=...) (gr.Progress fits).
    faithfulness: score each heatmap against a random map (False for a quicker
        first answer; the maps are the same).
    Raises ValueError subclasses with readable messages: models.intake.ImageError,
    models.faces.NoFaceError, FaceIndexError, vqa.explain.ExplainMethodError.
    """
    from models.intake import load_image

    methods = parse_methods(explain)
    pixels = load_image(image)
    intent = route(question)
    result = Result(question=question or "", intent=intent, image=pixels)
    if intent.kind == "unsupported":
        # Not even the general VQA model is asked: a refused question
        # ("Is he a criminal?") must not get an answer from anyone here.
        return result
    if second_opinion:
        from vqa.vilt import second_opinion as vilt_answer

        model = None if second_opinion is True else second_opinion
        result.second_opinion = vilt_answer(pixels, question, model=model)
    _notify(progress, 0.05, "Finding faces")
    loaded_models = _models_for(intent, _registry(registry), result.problems)
    start = time.perf_counter()
    faces = _faces(pixels, whole_image, face_index)
    result.timings["detect_faces"] = time.perf_counter() - start
    options = {"ig_steps": ig_steps, "ig_baseline": ig_baseline, "unsure_below": unsure_below,
               "faithfulness": faithfulness}
    steps = max(1, len(faces) * len(loaded_models))
    for i, (index, face) in enumerate(faces):
        face_result = FaceResult(index=index, face=face)
        chips = _Chips(pixels, face)
        for j, loaded in enumerate(loaded_models):
            _notify(progress, 0.1 + 0.9 * (i * len(loaded_models) + j) / steps,
                    f"Face {index + 1}: {loaded.name}")
            _answer_face(face_result, chips, loaded, intent, methods, options, result.problems)
        result.faces.append(face_result)
    _notify(progress, 1.0, "Done")
    return result


def _notify(progress, fraction: float, desc: str) -> None:
    if progress is not None:
        progress(fraction, desc=desc)
