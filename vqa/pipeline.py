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
from typing import Any, NamedTuple

from vqa import general, grammar
from vqa.agreement import vqa_disagrees
from vqa.answers import UNSURE_BELOW, answer_for
from vqa.explain import IG_BASELINE, METHOD_TITLES, explain_chip, parse_methods, to_photo
from vqa.result import FaceResult, Result
from vqa.router import Intent, general_description, route

# The trust checks ask() runs by default (checks=() switches them off):
# "stability": every answer re-asked on variants of the crop (vqa.stability);
# "regions": every heatmap's share per face region and, per face and model, the
# occlusion check of those regions (vqa.occlusion); only when heatmaps are asked;
# "faithfulness": every heatmap's deletion and insertion curves against a random
# map's (xai.metrics.faithfulness); only when heatmaps are asked.
CHECKS = ("stability", "regions", "faithfulness")


@dataclasses.dataclass(frozen=True)
class AskOptions:
    """How ask() answers and explains, passed down as one value."""

    methods: tuple[str, ...] = ("gradcam",)  # canonical names (vqa.explain.parse_methods)
    ig_steps: int | None = None  # None: adaptive IG to xai.defaults.IG_TOLERANCE
    ig_baseline: Any = IG_BASELINE
    unsure_below: float = UNSURE_BELOW
    vqa_model: str | None = None  # hub id or folder of the general VQA model; None: off
    vqa_ig_steps: int = general.IG_STEPS  # captum's steps for the VQA model's heatmap
    checks: tuple[str, ...] = CHECKS  # canonical names (parse_checks)

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


class CheckError(ValueError):
    """A trust check this app does not know."""


def parse_checks(checks) -> tuple[str, ...]:
    """("stability", "regions"), "stability,regions", "none" or None -> names in CHECKS order."""
    if checks is None or checks is False:
        return ()
    if isinstance(checks, str):
        checks = checks.split(",")
    wanted = {str(name).strip().lower() for name in checks} - {"", "none"}
    unknown = sorted(wanted - set(CHECKS))
    if unknown:
        raise CheckError(f"unknown check(s) {', '.join(map(repr, unknown))}; choose from {', '.join(CHECKS)} "
                         f"(or none)")
    return tuple(c for c in CHECKS if c in wanted)


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


class Landmarks68(NamedTuple):
    """A face's 68 landmarks in photo pixels, or None and why there are none."""

    points: Any  # (68, 2) float | None
    note: str | None = None


def face_landmarks68(image, face) -> Landmarks68:
    """dlib's 68 landmarks of `face`. dlib's predictor places 68 points in any
    box, face or not, so a whole-image face (no detector ran) gets them only
    where a detector finds a face in the photo, on that face's box."""
    from models.faces import detect_faces, landmarks68

    try:
        if getattr(face, "whole_image", False):
            found = detect_faces(image, require=False)
            if not found:
                return Landmarks68(None, "no face detector finds a face in this photo (it is analysed as one "
                                         "face), so there are no 68 landmarks to place the face regions on")
            face = found[0]
        return Landmarks68(landmarks68(image, face))
    except (ImportError, FileNotFoundError, RuntimeError) as err:
        return Landmarks68(None, f"the 68-point landmark model could not run: {err}")


class _Chips:
    """Aligned chips, made once per (size, padding) for a face; the other
    detector's view of the face (vqa.stability.other_detections, or None) and
    the face's 68 landmarks, found once and only when a model asks for them."""

    def __init__(self, image, face, other=None):
        self.image, self.face, self.other, self._made = image, face, other, {}
        self._landmarks: Landmarks68 | None = None
        self._masks: dict = {}
        self.landmark_seconds = 0.0

    def landmarks68(self) -> Landmarks68:
        if self._landmarks is None:
            start = time.perf_counter()
            self._landmarks = face_landmarks68(self.image, self.face)
            self.landmark_seconds = time.perf_counter() - start
        return self._landmarks

    def region_masks(self, card, chip) -> tuple[dict | None, str | None]:
        """{region: (S, S) bool} of `chip` (the card's chip of this face), or None and why."""
        from models.regions import chip_region_masks

        key = (card.input.size, card.input.padding)
        if key not in self._masks:
            points, note = self.landmarks68()
            masks = None
            if points is not None:
                try:
                    masks = chip_region_masks(chip, points)
                except ValueError as err:  # degenerate landmarks
                    note = f"the face regions could not be drawn: {err}"
            self._masks[key] = (masks, note)
        return self._masks[key]

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
    if "stability" in options.checks:
        answer = _with_stability(result, chips, chip, loaded, answer, intent, options)
    result.answers.append(answer)
    result.chips[loaded.name] = chip
    if not options.methods:
        return
    target = list(loaded.card.labels).index(answer.evidence)
    maps = explain_chip(loaded, chip, target, options.methods, ig_steps=options.ig_steps,
                        ig_baseline=options.ig_baseline, faithfulness="faithfulness" in options.checks)
    shape = chips.image.shape
    if "regions" in options.checks:
        _check_regions(result, chips, chip, loaded, answer.evidence, {m: hm for m, (hm, _) in maps.items()})
    result.heatmaps[loaded.name] = {m: to_photo(chip, hm, shape) for m, (hm, _) in maps.items()}
    result.heatmap_info[loaded.name] = {m: dataclasses.replace(info, target=answer.evidence)
                                        for m, (_, info) in maps.items()}
    result.timings[loaded.name].update({m: info.seconds for m, (_, info) in maps.items()})
    result.timings[loaded.name]["faithfulness"] = sum(info.faithfulness_seconds for _, info in maps.values())


def _with_stability(result: FaceResult, chips: _Chips, chip, loaded, answer, intent, options: AskOptions):
    from vqa.stability import stability

    start = time.perf_counter()
    checked = stability(loaded, chips.image, chips.face, answer, intent, chip=chip, other=chips.other,
                        unsure_below=options.unsure_below)
    result.timings[loaded.name]["stability"] = time.perf_counter() - start
    return dataclasses.replace(answer, stability=checked)


def _check_regions(result: FaceResult, chips: _Chips, chip, loaded, target: str, heatmaps: dict) -> None:
    """Each chip heatmap's share per face region, and the occlusion check of
    the regions (one batched call) that the shares are compared with."""
    from models.regions import region_shares
    from vqa.occlusion import compare_regions, occlusion_check

    chips.landmarks68()  # once per face, timed apart: Result.timings["landmarks68"]
    start = time.perf_counter()
    masks, note = chips.region_masks(loaded.card, chip)
    if masks is None:
        result.regions_note = note
        return
    occlusion = occlusion_check(loaded, chip.pixels, target, masks)
    occluded = time.perf_counter()
    result.occlusion[loaded.name] = occlusion
    result.regions[loaded.name] = {m: region_shares(hm, masks) for m, hm in heatmaps.items()}
    result.region_checks[loaded.name] = {m: compare_regions(shares, occlusion, METHOD_TITLES[m])
                                         for m, shares in result.regions[loaded.name].items()}
    # "occlusion": the chip's region masks and the batched check; "regions": the shares and their comparison.
    result.timings[loaded.name].update({"occlusion": occluded - start, "regions": time.perf_counter() - occluded})


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
    vqa_ig_steps: int = general.IG_STEPS,
    checks=CHECKS,
    max_pixels: int | None = None,
) -> Result:
    """Answer `question` about every face in `image` (or face `face_index`).

    image: anything models.intake.load_image takes (path, bytes, PIL, array);
        max_pixels is its size cap (None: the decompression-bomb ceiling).
    explain: methods among "gradcam", "guided", "ig" (a list or "gradcam,ig").
    ig_steps: None or 0 for adaptive IG to 1% completeness, an int m for the
        paper's fixed m-step Riemann sum.
    registry: a models.registry.Registry, a folder (or folders) of models, or
        None for the pretrained cache.
    second_opinion: True (dandelin/vilt-b32-finetuned-vqa) or a model folder or
        hub id: also ask a general VQA model (vqa.general), shown beside ours,
        and let it answer "general" questions (glasses, hair, ...) alone. With
        "ig" among the methods it is explained too, with vqa_ig_steps steps.
    progress: called as progress(fraction, desc=...) (gr.Progress fits).
    checks: the trust checks among CHECKS ("stability", "regions",
        "faithfulness"; a list or "stability,regions"); () or "none" switches
        them off. Stability goes on every answer (Answer.stability); regions on
        every heatmap (FaceResult.regions) with the occlusion check per face and
        model (FaceResult.occlusion); faithfulness on every heatmap against a
        random map (HeatmapInfo.faithfulness); the last two only when heatmaps
        are asked. Leaving "faithfulness" out gives a quicker first answer with
        the same maps.
    Raises ValueError subclasses with readable messages: models.intake.ImageError,
    models.faces.NoFaceError, FaceIndexError, vqa.explain.ExplainMethodError,
    CheckError.
    """
    from models.intake import load_image

    options = AskOptions(methods=parse_methods(explain), ig_steps=ig_steps, ig_baseline=ig_baseline,
                         unsure_below=unsure_below, vqa_model=vqa_model_of(second_opinion),
                         vqa_ig_steps=vqa_ig_steps, checks=parse_checks(checks))
    pixels = load_image(image, max_pixels=max_pixels)
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
    others = _other_detections(result, pixels, faces, options, bool(loaded_models))
    steps = max(1, len(faces) * len(loaded_models))
    for i, (index, face) in enumerate(faces):
        face_result = FaceResult(index=index, face=face)
        chips = _Chips(pixels, face, other=others[i])
        for j, loaded in enumerate(loaded_models):
            _notify(progress, 0.1 + 0.9 * (i * len(loaded_models) + j) / steps,
                    f"Face {index + 1}: {loaded.name}")
            _answer_face(face_result, chips, loaded, intent, options, result.problems)
        if chips.landmark_seconds:
            result.timings["landmarks68"] = result.timings.get("landmarks68", 0.0) + chips.landmark_seconds
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


def _other_detections(result: Result, pixels, faces, options: AskOptions, needed: bool) -> list:
    """The other detector's view of every face, for the stability check: it
    runs once per photo, shared by every face and model."""
    if "stability" not in options.checks or not needed:
        return [None] * len(faces)
    from vqa.stability import OTHER_DETECTOR, OtherDetection, other_detections

    start = time.perf_counter()
    try:
        others = other_detections(pixels, [face for _, face in faces])
    except (RuntimeError, ValueError) as err:  # a check must not cost the answer: the variant is skipped, saying why
        others = [OtherDetection(OTHER_DETECTOR.get(face.detector, "dlib"), None, f"it failed ({err})")
                  for _, face in faces]
    result.timings["other_detector"] = time.perf_counter() - start
    return others


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
