"""ask(image, question): route, find faces, run every model that answers the
routed attributes on the chip its card asks for, answer, and explain.

Data flows one way: models (intake, faces, registry) and xai are called,
nothing here knows about the UI.
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from models.limits import MAX_FACES
from vqa import general, grammar
from vqa.agreement import general_disagrees
from vqa.answers import UNSURE_BELOW, answer_for
from vqa.confidence import calibrated
from vqa.explain import IG_BASELINE, METHOD_NAMES, METHOD_TITLES, explain_chips, parse_methods, score_faithfulness
from vqa.numbers import FaceIndexError
from vqa.progress import Progress, report
from vqa.result import ExplainedMap, FaceResult, ModelAnswer, Result
from vqa.router import Intent, general_description, route

# The trust checks ask() runs by default (checks=() switches them off):
# "stability": every answer re-asked on variants of the crop (vqa.stability);
# "regions": every heatmap's share per face region and, per face and model, the
# occlusion check of those regions (vqa.occlusion); only when heatmaps are asked;
# "faithfulness": every heatmap's deletion and insertion curves against a random
# map's (xai.metrics.faithfulness); only when heatmaps are asked.
CHECKS = ("stability", "regions", "faithfulness")


DEFAULT_EXPLAIN = ("gradcam",)  # ask()'s methods when none are named


@dataclasses.dataclass(frozen=True)
class AskOptions:
    """How ask() answers and explains, passed down as one value.

    Methods and checks may be given in any form parse_methods and parse_checks
    take; they are checked and made canonical on creation (a bad name raises
    ExplainMethodError or CheckError). AskOptions.of builds one from ask()'s
    keyword arguments.
    """

    methods: tuple[str, ...] = DEFAULT_EXPLAIN  # canonical names (vqa.explain.parse_methods)
    ig_steps: int | None = None  # None or 0: adaptive IG to xai.defaults.IG_TOLERANCE; m: the fixed m-step rule
    ig_baseline: Any = IG_BASELINE
    unsure_below: float = UNSURE_BELOW
    general_vqa: str | None = None  # hub id or folder of the general VQA model; None: off
    general_vqa_ig_steps: int = general.IG_STEPS  # captum's steps for the general VQA model's heatmap
    checks: tuple[str, ...] = CHECKS  # canonical names (parse_checks)
    face_index: int | None = None  # one face, 0 the largest (vqa.numbers); None: every face
    whole_image: bool = False  # the whole photo is the face: no detector runs

    def __post_init__(self):
        # Frozen: the canonical names replace what was given, once, here.
        object.__setattr__(self, "methods", parse_methods(self.methods))
        object.__setattr__(self, "checks", parse_checks(self.checks))

    @classmethod
    def of(cls, explain=DEFAULT_EXPLAIN, **fields) -> AskOptions:
        """From ask()'s keyword arguments: `explain` (the methods), `general_vqa` (True, a
        model id or folder, or None; its old spelling second_opinion too) and the other
        fields by their names (general_vqa_ig_steps's old spelling: vqa_ig_steps)."""
        general_vqa = general.model_of(_one_of(fields, "general_vqa", "second_opinion"))
        ig_steps = _one_of(fields, "general_vqa_ig_steps", "vqa_ig_steps")
        named = {f.name for f in dataclasses.fields(cls)} - {"methods", "general_vqa", "general_vqa_ig_steps"}
        unknown = sorted(set(fields) - named)
        if unknown:
            raise TypeError(f"ask() got unexpected keyword argument(s) {', '.join(unknown)}")
        return cls(methods=explain, general_vqa=general_vqa, general_vqa_ig_steps=ig_steps or general.IG_STEPS,
                   **fields)

    @classmethod
    def given(cls, options: AskOptions | None, explain, fields: dict) -> AskOptions:
        """The AskOptions of a call that takes either one AskOptions or ask()'s keyword
        arguments (`explain` and `fields`), never both (a TypeError says so)."""
        if options is None:
            return cls.of(explain, **fields)
        if fields or explain is not DEFAULT_EXPLAIN:
            given = sorted(fields) + ([] if explain is DEFAULT_EXPLAIN else ["explain"])
            raise TypeError(f"ask() takes its options as one AskOptions or as keyword arguments, not both "
                            f"(got options and {', '.join(given)})")
        return options

    @property
    def explain_general(self) -> bool:
        # The general VQA model has one explanation, IG; it is made where IG is asked for.
        return "ig" in self.methods




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
    from models.registry import Registry, load_registry  # lazy: keeps `python -m vqa --help` free of models.registry

    if isinstance(registry, Registry):
        return registry
    return load_registry(registry)  # None (cache only), a folder or folders


def _faces(image, whole_image: bool, face_index: int | None):
    from models.faces import detect_faces, whole_image_face  # lazy: keeps `python -m vqa --help` free of models.faces

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
    from models.faces import detect_faces, landmarks68  # lazy: keeps `python -m vqa --help` free of models.faces

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
        from models.regions import chip_region_masks  # lazy: keeps start-up free of models.regions

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
        from models.faces import align  # lazy: keeps `python -m vqa --help` free of models.faces

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


class _ModelRun:
    """One model over every face of the photo: its chips, its answers and the
    maps made so far, each face in one batch. Later stages add to it; nothing
    is recomputed."""

    def __init__(self, loaded, chips: list, answers: list, timings: list[dict]):
        self.loaded, self.chips, self.answers, self.timings = loaded, chips, answers, timings
        self.maps: list[dict] = [{} for _ in chips]  # per face: method -> ExplainedMap
        self.occlusions: list = [None] * len(chips)

    @property
    def targets(self) -> list[int]:
        labels = list(self.loaded.card.labels)
        return [labels.index(answer.evidence) for answer in self.answers]

    def record(self, i: int) -> ModelAnswer:
        return ModelAnswer(answer=self.answers[i], chip=self.chips[i], maps=dict(self.maps[i]),
                           occlusion=self.occlusions[i], timings=dict(self.timings[i]))


class _Pass:
    """One ask, in stages: faces found, chips made and models called once;
    each stage adds maps and checks to what the earlier ones made, and
    result() is a fresh Result of everything so far (earlier results are
    never changed afterwards)."""

    def __init__(self, pixels, question: str, intent: Intent, options: AskOptions, registry, progress,
                 max_faces: int | None, calibrations: dict | None = None):
        self.pixels, self.intent, self.options, self.progress = pixels, intent, options, progress
        self.question = question or ""
        self.problems: list[str] = []
        self.timings: dict[str, float] = {}
        self.general_answer = None
        self.models = _models_for(intent, _registry(registry), self.problems) if intent.attributes else []
        self.faces: list = []
        self.left_out = 0
        self.runs: list[_ModelRun] = []
        self.max_faces = max_faces
        self._chips: list[_Chips] = []
        self.regions_notes: list[str | None] = []
        self.skin_tones: list = []
        # model name -> vqa.confidence.Found (its Calibration, source in words, reliability diagram)
        self.calibrations = calibrations or {}

    # -- stages --------------------------------------------------------------

    def answer(self, methods: tuple[str, ...], faithfulness: bool) -> None:
        """Find the faces, call every model once on all of them, make `methods`."""
        report(self.progress, 0.05, "Finding faces")
        start = time.perf_counter()
        found = _faces(self.pixels, self.options.whole_image, self.options.face_index)
        self.timings["detect_faces"] = time.perf_counter() - start
        if self.max_faces is not None and len(found) > self.max_faces:
            found, self.left_out = found[:self.max_faces], len(found) - self.max_faces
        self.faces = found
        self._chips = [_Chips(self.pixels, face) for _, face in found]
        self.regions_notes = [None] * len(found)
        self.skin_tones = [None] * len(found)
        for j, loaded in enumerate(self.models):
            report(self.progress, 0.1 + 0.4 * j / max(1, len(self.models)), f"Asking {loaded.name}")
            run = self._predict(loaded)
            if run is not None:
                self.runs.append(run)
        self.explain(methods, faithfulness)

    def explain(self, methods: tuple[str, ...], faithfulness: bool) -> None:
        """Make the maps of `methods` not made yet, batched over the faces; with
        `faithfulness`, score every map that has no score yet against a random map."""
        for run in self.runs:
            wanted = tuple(m for m in methods if m not in run.maps[0])
            if wanted:
                made = explain_chips(run.loaded, run.chips, run.targets, wanted, ig_steps=self.options.ig_steps,
                                     ig_baseline=self.options.ig_baseline, faithfulness=False)
                for i, maps in enumerate(made):
                    target = run.answers[i].evidence
                    for m, (heatmap, info) in maps.items():
                        run.maps[i][m] = ExplainedMap(heatmap, dataclasses.replace(info, target=target))
                        run.timings[i][m] = info.seconds
                    run.maps[i] = {m: run.maps[i][m] for m in METHOD_NAMES if m in run.maps[i]}
            if faithfulness:
                self._score(run)

    def check(self) -> None:
        """The trust checks asked for: stability of every answer, regions of every map;
        and, with the regions, each face's skin tone, measured from its pixels."""
        checks = self.options.checks
        if "regions" in checks and self.options.methods:  # the 68 landmarks are found for the regions anyway
            self.skin_tones = [_skin_tone(chips) for chips in self._chips]
        if "stability" in checks and self.runs:
            others = _other_detections(self.timings, self.pixels, [face for _, face in self.faces], checks)
            for run in self.runs:
                for i, chips in enumerate(self._chips):
                    chips.other = others[i]
                    self._stability(run, i, chips)
        if "regions" in checks:
            for i, chips in enumerate(self._chips):
                for run in self.runs:
                    if run.maps[i]:
                        self._regions(run, i, chips)
                if chips.landmark_seconds:
                    self.timings["landmarks68"] = self.timings.get("landmarks68", 0.0) + chips.landmark_seconds

    def ask_general(self, explain: bool) -> None:
        """The general VQA model beside the face models (or alone, for a general question)."""
        options = self.options
        if not options.general_vqa:
            return
        report(self.progress, 0.95, "Asking the general VQA model")
        alone = self.intent.kind == "general"
        said = self.general_answer
        if said is None:
            said = general.ask(self.pixels, self.question, model=options.general_vqa, explain=explain,
                               ig_steps=options.general_vqa_ig_steps, alone=alone)
        elif explain and said.heatmap is None and not said.error:
            said = general.explain(self.pixels, self.question, said, ig_steps=options.general_vqa_ig_steps)
        if alone:
            if said.error and self.general_answer is None:
                self.problems.append(f"The general VQA model could not answer: {said.error}")
        else:
            # The general model sees the whole photo; it is compared with the
            # answers about the first face (the largest, or the one asked for).
            face_answers = [run.answers[0] for run in self.runs] if self.faces else []
            said = said.with_verdict(general_disagrees(said.answer, self.intent, face_answers))
        self.general_answer = said

    def result(self) -> Result:
        faces = []
        for i, (index, face) in enumerate(self.faces):
            records = [run.record(i) for run in self.runs]
            faces.append(FaceResult(index=index, face=face, records=records, image_shape=self.pixels.shape,
                                    regions_note=self.regions_notes[i], skin_tone=self.skin_tones[i]))
        return Result(question=self.question, intent=self.intent, image=self.pixels, faces=faces,
                      problems=list(dict.fromkeys(self.problems)), general_answer=self.general_answer,
                      timings=dict(self.timings), faces_left_out=self.left_out)

    # -- one model, every face -------------------------------------------------

    def _predict(self, loaded) -> _ModelRun | None:
        from models.registry import ModelLoadError  # lazy: keeps `python -m vqa --help` free of models.registry

        chips, timings = [], []
        for face_chips in self._chips:
            start = time.perf_counter()
            chips.append(face_chips.for_card(loaded.card))
            timings.append({"align": time.perf_counter() - start})
        if not chips:
            return None
        start = time.perf_counter()
        try:
            probs = loaded.predict(np.stack([chip.pixels for chip in chips]))
        except ModelLoadError as err:
            self.problems.append(f"{loaded.name} could not be used: {err}")
            return None
        share = (time.perf_counter() - start) / len(chips)
        for timing in timings:
            timing["predict"] = share
        answers = [answer_for(p, loaded.card, self.intent, self.options.unsure_below) for p in probs]
        found = self.calibrations.get(loaded.name)
        if found is not None:
            answers = [calibrated(answer, p, found.calibration, found.source, found.figure)
                       for answer, p in zip(answers, probs)]
        return _ModelRun(loaded, chips, answers, timings)

    def _score(self, run: _ModelRun) -> None:
        if not run.maps[0] or all(e.info.faithfulness is not None for e in run.maps[0].values()):
            return
        scored = score_faithfulness(run.loaded, run.chips, run.targets,
                                    [{m: e.heatmap for m, e in maps.items()} for maps in run.maps])
        for i, scores in enumerate(scored):
            run.maps[i] = {m: dataclasses.replace(e, info=dataclasses.replace(
                e.info, faithfulness=scores[m][0], faithfulness_seconds=scores[m][1]))
                for m, e in run.maps[i].items()}
            run.timings[i]["faithfulness"] = sum(seconds for _, seconds in scores.values())

    def _stability(self, run: _ModelRun, i: int, chips: _Chips) -> None:
        from vqa.stability import stability  # lazy: keeps start-up free of vqa.stability

        start = time.perf_counter()
        checked = stability(run.loaded, self.pixels, chips.face, run.answers[i], self.intent, chip=run.chips[i],
                            other=chips.other, unsure_below=self.options.unsure_below)
        run.timings[i]["stability"] = time.perf_counter() - start
        run.answers[i] = dataclasses.replace(run.answers[i], stability=checked)

    def _regions(self, run: _ModelRun, i: int, chips: _Chips) -> None:
        """Each chip heatmap's share per face region, and the occlusion check of
        the regions (one batched call) that the shares are compared with."""
        from models.regions import region_shares  # lazy: keeps start-up free of models.regions
        from vqa.occlusion import compare_regions, occlusion_check  # lazy: keeps start-up free of TensorFlow

        chips.landmarks68()  # once per face, timed apart: Result.timings["landmarks68"]
        start = time.perf_counter()
        masks, note = chips.region_masks(run.loaded.card, run.chips[i])
        if masks is None:
            self.regions_notes[i] = note
            return
        target = run.answers[i].evidence
        occlusion = occlusion_check(run.loaded, run.chips[i].pixels, target, masks)
        occluded = time.perf_counter()
        run.occlusions[i] = occlusion
        for m, explained in run.maps[i].items():
            shares = region_shares(explained.heatmap, masks)
            run.maps[i][m] = dataclasses.replace(explained, regions=shares,
                                                 region_check=compare_regions(shares, occlusion, METHOD_TITLES[m]))
        # "occlusion": the chip's region masks and the batched check; "regions": the shares and their comparison.
        run.timings[i].update({"occlusion": occluded - start, "regions": time.perf_counter() - occluded})


def ask(
    image: Any,
    question: str,
    explain=DEFAULT_EXPLAIN,
    registry=None,
    face_index: int | None = None,
    ig_steps: int | None = None,
    ig_baseline=IG_BASELINE,
    whole_image: bool = False,
    progress: Progress | None = None,
    second_opinion: bool | str | Path | None = None,
    unsure_below: float = UNSURE_BELOW,
    vqa_ig_steps: int | None = None,
    checks=CHECKS,
    max_pixels: int | None = None,
    max_faces: int | None = MAX_FACES,
    general_vqa: bool | str | Path | None = None,
    general_vqa_ig_steps: int | None = None,
) -> Result:
    """Answer `question` about every face in `image` (or face `face_index`,
    0 the largest: vqa.numbers says how people number faces).

    image: anything models.intake.load_image takes (path, bytes, PIL, array);
        max_pixels is its size cap (None: the decompression-bomb ceiling).
    explain: methods among "gradcam", "guided", "ig" (a list or "gradcam,ig").
    ig_steps: None or 0 for adaptive IG to 1% completeness, an int m for the
        paper's fixed m-step Riemann sum.
    registry: a models.registry.Registry, a folder (or folders) of models, or
        None for the pretrained cache.
    general_vqa: True (dandelin/vilt-b32-finetuned-vqa) or a model folder or
        hub id: also ask the general VQA model (vqa.general), shown beside ours,
        and let it answer "general" questions (glasses, hair, ...) alone. With
        "ig" among the methods it is explained too, with general_vqa_ig_steps
        steps (default vqa.general.IG_STEPS). Their old spellings,
        second_opinion and vqa_ig_steps, are aliases.
    progress: a vqa.progress.Progress, called as progress(fraction, desc)
        (gr.Progress fits).
    checks: the trust checks among CHECKS ("stability", "regions",
        "faithfulness"; a list or "stability,regions"); () or "none" switches
        them off. Stability goes on every answer (Answer.stability); regions on
        every heatmap (FaceResult.regions) with the occlusion check per face and
        model (FaceResult.occlusion); faithfulness on every heatmap against a
        random map (HeatmapInfo.faithfulness); the last two only when heatmaps
        are asked. Leaving "faithfulness" out gives a quicker first answer with
        the same maps.
    max_faces: answer at most this many faces, the largest first (None: all);
        Result.faces_left_out says how many more were found.
    Raises ValueError subclasses with readable messages: models.intake.ImageError,
    models.faces.NoFaceError, FaceIndexError, vqa.explain.ExplainMethodError,
    CheckError.
    """
    *_, result = ask_stages(image, question, explain=explain, first=None, registry=registry, face_index=face_index,
                            ig_steps=ig_steps, ig_baseline=ig_baseline, whole_image=whole_image, progress=progress,
                            second_opinion=second_opinion, unsure_below=unsure_below, vqa_ig_steps=vqa_ig_steps,
                            checks=checks, max_pixels=max_pixels, max_faces=max_faces, general_vqa=general_vqa,
                            general_vqa_ig_steps=general_vqa_ig_steps)
    return result


def ask_stages(image: Any, question: str, explain=DEFAULT_EXPLAIN, first: tuple[str, ...] | None = ("gradcam",), *,
               options: AskOptions | None = None, registry=None, progress: Progress | None = None,
               max_pixels: int | None = None, max_faces: int | None = MAX_FACES, calibrations: dict | None = None,
               **kwargs) -> Iterator[Result]:
    """ask() in one pass that shows its work early: first a Result with the
    answers and the `first` maps (no trust checks, and no general VQA model
    beside the face models), then, when more was asked for, the full Result,
    made from the same faces, chips and predictions (nothing is detected or
    predicted twice). first=None: one Result with everything. A "general"
    question's first stage is the VQA model's answer without its map.
    Each Result is a new object: a later stage never changes an earlier one.

    How to answer is `options` (an AskOptions) or, without it, ask()'s keyword
    arguments (explain, face_index, ig_steps, ..., second_opinion); not both.
    registry, progress, max_pixels and max_faces are as in ask(); calibrations:
    {model: vqa.confidence.Found}, the audits' calibrations its answers carry.
    """
    from models.intake import load_image  # lazy: keeps `python -m vqa --help` free of PIL (models.intake)

    options = AskOptions.given(options, explain, kwargs)
    pixels = load_image(image, max_pixels=max_pixels)
    intent = route(question)
    one = _Pass(pixels, question, intent, options, registry, progress, max_faces, calibrations)
    yield from _stages(one, options, first)


def _one_of(options: dict, name: str, old_name: str):
    """The option `name` or its old spelling (popped from `options`); a TypeError when both differ."""
    value, old = options.pop(name, None), options.pop(old_name, None)
    if value is not None and old is not None and value != old:
        raise TypeError(f"ask() got both {name}= and its old spelling {old_name}=; give one")
    return value if value is not None else old


def _stages(one: _Pass, options: AskOptions, first: tuple[str, ...] | None) -> Iterator[Result]:
    kind = one.intent.kind
    if kind == "unsupported":
        # Not even the general VQA model is asked: a refused question
        # ("Is he a criminal?") must not get an answer from anyone here.
        yield one.result()
        return
    if kind == "general":
        if not options.general_vqa:
            what = general_description(one.intent.topic)
            one.problems.append(grammar.GENERAL_OFF.format(what=what, model=general.DEFAULT_MODEL))
            yield one.result()
            return
        staged = first is not None and options.explain_general
        one.ask_general(explain=options.explain_general and not staged)
        yield one.result()
        if staged:
            one.ask_general(explain=True)
            yield one.result()
        report(one.progress, 1.0, "Done")
        return
    faithfulness = "faithfulness" in options.checks
    quick = tuple(m for m in options.methods if m in first) if first is not None else options.methods
    more = first is not None and (quick != options.methods or bool(options.checks) or bool(options.general_vqa))
    one.answer(quick, faithfulness=faithfulness and not more)
    if more:
        yield one.result()
        one.explain(options.methods, faithfulness)
    one.check()
    one.ask_general(explain=options.explain_general)
    report(one.progress, 1.0, "Done")
    yield one.result()


def _skin_tone(chips: _Chips):
    """The face's ITA skin tone (models.skin_tone) from its 68 landmarks, None when it has
    none (a whole-image face no detector finds) or too few skin pixels."""
    from models.skin_tone import SkinToneError, ita  # lazy: keeps start-up free of models.skin_tone

    points, _ = chips.landmarks68()
    if points is None:
        return None
    # The face's own window of the photo, the masks drawn on it rather than on the whole
    # photo: the landmarks' box, with room above for the forehead (a nose-length over the brows).
    height, width = chips.image.shape[:2]
    span = points.max(axis=0) - points.min(axis=0)
    x0, y0 = np.floor(points.min(axis=0) - [2, span[1]]).astype(int)
    x1, y1 = np.ceil(points.max(axis=0)).astype(int) + 3
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    try:
        return ita(chips.image[y0:y1, x0:x1], points - [x0, y0])
    except SkinToneError:
        return None


def _other_detections(timings: dict[str, float], pixels, faces, checks) -> list:
    """The other detector's view of every face, for the stability check: it
    runs once per photo, shared by every face and model."""
    # lazy: keeps start-up free of vqa.stability
    from vqa.stability import OTHER_DETECTOR, OtherDetection, other_detections

    start = time.perf_counter()
    try:
        others = other_detections(pixels, faces)
    except (RuntimeError, ValueError) as err:  # a check must not cost the answer: the variant is skipped, saying why
        others = [OtherDetection(OTHER_DETECTOR.get(face.detector, "dlib"), None, f"it failed ({err})")
                  for face in faces]
    timings["other_detector"] = time.perf_counter() - start
    return others
