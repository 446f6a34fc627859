"""Is an answer stable? The same model re-asked on variants of the face's crop.

A face chip is one arbitrary crop of the photo; an answer that flips when the
crop moves by a few pixels says more about the crop than about the face. So the
model that answered is asked again, in ONE batched predict call, on:

- "padding 0.15" / "padding 0.35" (for a card's 0.25): the chip's padding
  down and up by PADDING_STEP (the face larger / smaller in the chip);
- "shift +x+y" / "shift -x-y": the crop window moved by `shift_pixels(size)`
  chip pixels along both axes, right-down and left-up;
- "flip": the chip mirrored left-right;
- "other detector": the chip aligned from what the other face detector
  (dlib <-> MTCNN) found at the same place, when it finds the face there.

Each variant's probabilities go through vqa.answers.answer_for with the same
card, intent and threshold as the answer shown, so "the same answer" is the
same `Answer.answer` the pipeline would have given on that crop.
"""
from __future__ import annotations

import collections
import dataclasses
from typing import Any, NamedTuple

import numpy as np
from PIL import Image

import models.faces  # detect_faces looked up at each call: a wrapper set on models.faces applies
from models.faces import Chip, align
from vqa import age_mass
from vqa.answers import UNSURE_BELOW, Answer, answer_for
from vqa.numbers import percent

PADDING_STEP = 0.1
SHIFT_FRACTION = 0.03  # of the chip side: 7 px on a 224 chip
MIN_SHIFT_PIXELS = 2
# The other detector's face is the same face when their boxes overlap this much
# (dlib's boxes are tighter than MTCNN's: the same face overlaps by ~0.5-0.7).
MATCH_IOU = 0.3
OTHER_DETECTOR = {"dlib": "mtcnn", "mtcnn": "dlib"}


@dataclasses.dataclass(frozen=True)
class Variant:
    """What the model said on one variant of the crop.

    answer: the answer the pipeline would give on this crop.
    probability: the probability of the ORIGINAL answer on this crop (P(yes) or
        P(no) for yes/no questions), None when it has none (cannot answer).
    confidence: this crop's own answer's confidence.
    agrees: answer == the original answer.
    """

    name: str
    answer: str
    probability: float | None
    confidence: float | None = None
    agrees: bool = True
    # The crop itself, THUMBNAIL px wide, for the strip the page shows (not in the JSON).
    thumbnail: np.ndarray | None = dataclasses.field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "answer": self.answer, "probability": self.probability,
                "confidence": self.confidence, "agrees": self.agrees}


@dataclasses.dataclass(frozen=True)
class Stability:
    """How far an answer survives small changes of the crop.

    agreement: share of the variants that give the original answer.
    stable: True only when EVERY variant gives the original answer (agreement
        1.0): one crop that changes the answer is enough to show it as unstable.
    low, high: the range of the original answer's probability over the original
        crop and every variant (None when no variant has one).
    answer: the original answer the variants are compared with.
    skipped: variants that could not be made, with the reason.
    """

    agreement: float
    stable: bool
    low: float | None
    high: float | None
    variants: list[Variant]
    answer: str = ""
    skipped: tuple[str, ...] = ()
    thumbnail: np.ndarray | None = dataclasses.field(default=None, compare=False, repr=False)  # the crop answered

    @property
    def disagreeing(self) -> list[Variant]:
        return [v for v in self.variants if not v.agrees]

    def to_dict(self) -> dict[str, Any]:
        return {
            "agreement": self.agreement,
            "stable": self.stable,
            "variants": [v.to_dict() for v in self.variants],
            "probability_range": [self.low, self.high],
            "answer": self.answer,
            "skipped": list(self.skipped),
        }

    @property
    def headline(self) -> str | None:
        """What an answer's headline says before any percentage when the crop variants
        disagree ("Unstable: Asian on this crop, White on 5 of 6 nearby crops."); None when stable."""
        if self.stable or not self.variants:
            return None
        others = collections.Counter(v.answer for v in self.disagreeing)
        other, count = others.most_common(1)[0]
        return f"Unstable: {self.answer} on this crop, {other} on {count} of {len(self.variants)} nearby crops."

    @property
    def text(self) -> str:
        """One sentence for the trust panel."""
        n = len(self.variants)
        spread = "" if self.low is None else f" (its probability {percent(self.low)} to {percent(self.high)})"
        if self.stable:
            return f"Stable: all {n} variants of the crop give {self.answer}{spread}."
        said = "; ".join(f"{v.name}: {v.answer}" + (f" ({percent(v.confidence)})" if v.confidence is not None else "")
                         for v in self.disagreeing)
        agreeing = n - len(self.disagreeing)
        return f"Unstable: {agreeing} of {n} variants of the crop give {self.answer}{spread}; {said}."

    @property
    def outcome(self) -> str:
        """The verdict in one word: "stable" (every variant gives the answer) or "unstable"."""
        return "stable" if self.stable else "unstable"

    @property
    def flag(self) -> str | None:
        """Beside an unstable answer, how few crops give it; None when it is stable."""
        return None if self.stable else f"only {percent(self.agreement)} of small changes of the crop give this answer"


class OtherDetection(NamedTuple):
    """The other detector's view of a face: the matching Face or None, and why not."""

    detector: str
    face: Any  # models.faces.Face | None
    note: str | None = None


def shift_pixels(size: int) -> int:
    return max(MIN_SHIFT_PIXELS, int(round(SHIFT_FRACTION * size)))


def other_detection(image: np.ndarray, face) -> OtherDetection:
    """The other face detector's face at the place of `face` (see other_detections)."""
    return other_detections(image, [face])[0]


def other_detections(image: np.ndarray, faces) -> list[OtherDetection]:
    """For each face, the other detector's face that overlaps it most (IoU >=
    MATCH_IOU), or None with why. The other detector runs once per photo and
    detector (a group photo is not searched once per face); call it once per
    photo and share the result between models."""
    out: list[OtherDetection | None] = [None] * len(faces)
    wanted: dict[str, list[int]] = {}
    for i, face in enumerate(faces):
        detector = OTHER_DETECTOR.get(face.detector, "dlib")
        if getattr(face, "whole_image", False):
            out[i] = OtherDetection(detector, None, "the photo is analysed as one face, no detector ran")
        else:
            wanted.setdefault(detector, []).append(i)
    for detector, indices in wanted.items():
        try:
            found = models.faces.detect_faces(image, detector=detector, require=False)
        except ImportError as err:
            for i in indices:
                out[i] = OtherDetection(detector, None, f"{detector} is not installed ({err})")
            continue
        for i in indices:
            out[i] = _match(detector, faces[i], found)
    return out


def _match(detector: str, face, found) -> OtherDetection:
    overlap, other = max(((_iou(face.box, f.box), f) for f in found), key=lambda pair: pair[0],
                         default=(0.0, None))
    if overlap < MATCH_IOU:
        return OtherDetection(detector, None, f"{detector} found no face at this place")
    return OtherDetection(detector, other)


def _iou(a, b) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def variant_chips(image: np.ndarray, face, card, chip=None, other: OtherDetection | None = None):
    """[(name, Chip)] for the variants of `face`'s chip under `card`'s input
    contract, and the variants skipped (with why). `chip` is the original chip
    (made here when None)."""
    size, padding = card.input.size, card.input.padding
    chip = chip if chip is not None else align(image, face, size=size, padding=padding)
    variants = [(f"padding {padding + step:.2f}", _padded(image, face, size, padding, padding + step))
                for step in (-PADDING_STEP, PADDING_STEP)]
    s = shift_pixels(size)
    for name, direction in ((f"shift +x+y {s}px", 1), (f"shift -x-y {s}px", -1)):
        # Landmarks moved by the photo vector of `s` chip pixels move the crop
        # window by s: chip pixel c now shows what pixel c + s showed.
        offset = chip.inverse[:, :2] @ np.array([direction * s, direction * s], dtype=np.float64)
        variants.append((name, align(image, _moved(face, offset), size=size, padding=padding)))
    variants.append(("flip", _flipped(chip)))
    skipped = []
    if other is None:
        skipped.append("other detector: not run")
    elif other.face is None:
        skipped.append(f"other detector ({other.detector}): {other.note}")
    else:
        variants.append((f"other detector ({other.detector})", align(image, other.face, size=size, padding=padding)))
    return variants, tuple(skipped)


def _padded(image, face, size: int, padding: float, new_padding: float):
    if not getattr(face, "whole_image", False):
        return align(image, face, size=size, padding=new_padding)
    # A whole-image face ignores padding (it is letterboxed): scale its box by
    # the ratio the padding change would scale a detected face's crop.
    factor = (1 + 2 * new_padding) / (1 + 2 * padding)
    x0, y0, x1, y1 = face.box
    cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, factor * (x1 - x0) / 2, factor * (y1 - y0) / 2
    scaled = dataclasses.replace(face, box=(cx - hw, cy - hh, cx + hw, cy + hh))
    return align(image, scaled, size=size, padding=new_padding)


def _moved(face, offset: np.ndarray):
    dx, dy = float(offset[0]), float(offset[1])
    x0, y0, x1, y1 = face.box
    return dataclasses.replace(face, box=(x0 + dx, y0 + dy, x1 + dx, y1 + dy),
                               landmarks=np.asarray(face.landmarks, dtype=np.float64) + offset)


def _flipped(chip):
    size = chip.size
    mirror = np.array([[-1.0, 0.0, size - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    matrix = (mirror @ np.vstack([chip.matrix, [0.0, 0.0, 1.0]]))[:2]
    return Chip(pixels=np.ascontiguousarray(chip.pixels[:, ::-1]), matrix=matrix, padding=chip.padding)


def stability(loaded, image: np.ndarray, face, answer: Answer, intent, *, chip=None,
              other: OtherDetection | None = None, unsure_below: float = UNSURE_BELOW) -> Stability:
    """The stability of `answer` (what `loaded` answered on `chip`, the face's
    chip under its card) over the variants of the crop, all predicted in one
    batched call. `other`: other_detection(image, face), or None to skip it."""
    variants, skipped = variant_chips(image, face, loaded.card, chip=chip, other=other)
    probs = loaded.predict(np.stack([c.pixels for _, c in variants]))
    said = [(name, answer_for(p, loaded.card, intent, unsure_below))
            for (name, _), p in zip(variants, probs, strict=True)]
    checked = compare(answer, said, skipped)
    crops = [thumbnail(c.pixels) for _, c in variants]
    original = thumbnail(chip.pixels) if chip is not None else None
    return dataclasses.replace(checked, thumbnail=original,
                               variants=[dataclasses.replace(v, thumbnail=t) for v, t in zip(checked.variants, crops)])


THUMBNAIL = 96  # px: a strip of seven crops stays small in the store (~190 KB an answer)


def thumbnail(pixels: np.ndarray) -> np.ndarray:
    """A crop shrunk to THUMBNAIL px wide (uint8), for the page's strip of crops."""
    image = Image.fromarray(np.asarray(pixels, dtype=np.uint8))
    if image.width > THUMBNAIL:
        image = image.resize((THUMBNAIL, round(image.height * THUMBNAIL / image.width)), Image.Resampling.BILINEAR)
    return np.asarray(image)


def compare(answer: Answer, said: list[tuple[str, Answer]], skipped: tuple[str, ...] = ()) -> Stability:
    """Stability from the original answer and (variant name, its answer)."""
    variants = [Variant(name=name, answer=other.answer, probability=probability_of(answer.answer, other),
                        confidence=other.confidence, agrees=other.answer == answer.answer)
                for name, other in said]
    agreeing = sum(v.agrees for v in variants)
    probabilities = [p for p in [probability_of(answer.answer, answer)] + [v.probability for v in variants]
                     if p is not None]
    return Stability(
        agreement=agreeing / len(variants) if variants else 1.0,
        stable=agreeing == len(variants),
        low=min(probabilities) if probabilities else None,
        high=max(probabilities) if probabilities else None,
        variants=variants, answer=answer.answer, skipped=skipped,
    )


def probability_of(value: str, answer: Answer) -> float | None:
    """The probability `answer`'s model put on the answer `value` ("yes"/"no"
    or an open answer's label, FairFace age groups for single-year models)."""
    if answer.kind == "yes_no":
        if answer.p_yes is None:
            return None
        return answer.p_yes if value == "yes" else 1.0 - answer.p_yes
    card = answer.card
    ranked = answer.probabilities
    if card.attribute == "age" and age_mass.is_single_years(card.labels):
        ranked = age_mass.to_fairface_groups(card.labels, list(ranked.values()))
    p = ranked.get(value)
    return None if p is None else float(p)


