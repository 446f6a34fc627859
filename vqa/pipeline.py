"""ask(image, question): route, find faces, run every model that answers the
routed attributes on the chip its card asks for, answer, and explain.

Data flows one way: models (intake, faces, registry) and xai are called,
nothing here knows about the UI.
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vqa import general, grammar
from vqa.agreement import vqa_disagrees
from vqa.answers import UNSURE_BELOW, answer_for
from vqa.explain import explain_chip, parse_methods, to_photo
from vqa.result import FaceResult, Result
from vqa.router import Intent, general_description, route


@dataclasses.dataclass(frozen=True)
class AskOptions:
    """How ask() answers and explains, passed down as one value."""

    methods: tuple[str, ...] = ("gradcam",)  # canonical names (vqa.explain.parse_methods)
    ig_steps: int | None = 32
    ig_baseline: Any = "black"
    unsure_below: float = UNSURE_BELOW
    vqa_model: str | None = None  # hub id or folder of the general VQA model; None: off
    vqa_ig_steps: int = general.IG_STEPS  # captum's steps for the VQA model's heatmap

    @property
    def explain_vqa(self) -> bool:
        # The VQA model has one explanation, IG; it is made where IG is asked for.
        return "ig" in self.methods


def vqa_model_of(second_opinion: bool | str | Path | None) -> str | None:
    """ask()'s second_opinion argument as a model id or folder (None: off)."""
    if second_opinion is True:
        return general.DEFAULT_MODEL
    return str(second_opinion) if second_opinion else None


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


def _answer_face(result: FaceResult, chips: _Chips, loaded, intent, options: AskOptions, problems):
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
    answer = answer_for(probs, loaded.card, intent, options.unsure_below)
    result.answers.append(answer)
    result.chips[loaded.name] = chip
    if not options.methods:
        return
    target = list(loaded.card.labels).index(answer.evidence)
    maps = explain_chip(loaded, chip, target, options.methods,
                        ig_steps=options.ig_steps, ig_baseline=options.ig_baseline)
    shape = chips.image.shape
    result.heatmaps[loaded.name] = {m: to_photo(chip, hm, shape) for m, (hm, _) in maps.items()}
    result.heatmap_info[loaded.name] = {m: {**info, "target": answer.evidence} for m, (_, info) in maps.items()}
    result.timings[loaded.name].update({m: info["seconds"] for m, (_, info) in maps.items()})


def ask(
    image: Any,
    question: str,
    explain=("gradcam",),
    registry=None,
    face_index: int | None = None,
    ig_steps: int = 32,
    ig_baseline="black",
    whole_image: bool = False,
    progress: Callable[..., Any] | None = None,
    second_opinion: bool | str | Path | None = None,
    unsure_below: float = UNSURE_BELOW,
    vqa_ig_steps: int = general.IG_STEPS,
) -> Result:
    """Answer `question` about every face in `image` (or face `face_index`).

    image: anything models.intake.load_image takes (path, bytes, PIL, array).
    explain: methods among "gradcam", "guided", "ig" (a list or "gradcam,ig").
    registry: a models.registry.Registry, a folder (or folders) of models, or
        None for the pretrained cache.
    second_opinion: True (dandelin/vilt-b32-finetuned-vqa) or a model folder or
        hub id: also ask a general VQA model (vqa.general), shown beside ours,
        and let it answer "general" questions (glasses, hair, ...) alone. With
        "ig" among the methods it is explained too, with vqa_ig_steps steps.
    progress: called as progress(fraction, desc=...) (gr.Progress fits).
    Raises ValueError subclasses with readable messages: models.intake.ImageError,
    models.faces.NoFaceError, FaceIndexError, vqa.explain.ExplainMethodError.
    """
    from models.intake import load_image

    options = AskOptions(methods=parse_methods(explain), ig_steps=ig_steps, ig_baseline=ig_baseline,
                         unsure_below=unsure_below, vqa_model=vqa_model_of(second_opinion),
                         vqa_ig_steps=vqa_ig_steps)
    pixels = load_image(image)
    intent = route(question)
    result = Result(question=question or "", intent=intent, image=pixels)
    if intent.kind == "unsupported":
        # Not even the general VQA model is asked: a refused question
        # ("Is he a criminal?") must not get an answer from anyone here.
        return result
    if intent.kind == "general":
        _answer_general(result, options, progress)
        return result
    _notify(progress, 0.05, "Finding faces")
    loaded_models = _models_for(intent, _registry(registry), result.problems)
    start = time.perf_counter()
    faces = _faces(pixels, whole_image, face_index)
    result.timings["detect_faces"] = time.perf_counter() - start
    steps = max(1, len(faces) * len(loaded_models))
    for i, (index, face) in enumerate(faces):
        face_result = FaceResult(index=index, face=face)
        chips = _Chips(pixels, face)
        for j, loaded in enumerate(loaded_models):
            _notify(progress, 0.1 + 0.9 * (i * len(loaded_models) + j) / steps,
                    f"Face {index + 1}: {loaded.name}")
            _answer_face(face_result, chips, loaded, intent, options, result.problems)
        result.faces.append(face_result)
    if options.vqa_model:
        _notify(progress, 0.1 + 0.9 * (steps - 0.5) / steps, "Asking the general VQA model")
        opinion = _ask_vqa(result, options, alone=False)
        # The general model sees the whole photo; it is compared with the
        # answers about the first face (the largest, or the one asked for).
        face_answers = result.faces[0].answers if result.faces else []
        result.second_opinion = opinion.with_verdict(vqa_disagrees(opinion.answer, intent, face_answers))
    _notify(progress, 1.0, "Done")
    return result


def _ask_vqa(result: Result, options: AskOptions, alone: bool) -> general.SecondOpinion:
    return general.second_opinion(result.image, result.question, model=options.vqa_model,
                                  explain=options.explain_vqa, ig_steps=options.vqa_ig_steps, alone=alone)


def _answer_general(result: Result, options: AskOptions, progress) -> None:
    """A question only a general VQA model answers: it answers alone, or the
    result says how to switch one on."""
    if not options.vqa_model:
        what = general_description(result.intent.topic)
        result.problems.append(grammar.GENERAL_OFF.format(what=what, model=general.DEFAULT_MODEL))
        return
    _notify(progress, 0.1, "Asking the general VQA model")
    result.second_opinion = _ask_vqa(result, options, alone=True)
    if result.second_opinion.error:
        result.problems.append(f"The general VQA model could not answer: {result.second_opinion.error}")
    _notify(progress, 1.0, "Done")


def _notify(progress, fraction: float, desc: str) -> None:
    if progress is not None:
        progress(fraction, desc=desc)
