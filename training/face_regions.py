"""Where on the face the audit's heatmaps rest: per model, method and class, the
mean share of each face region (models.regions: eyes, brows, nose, mouth,
cheeks_jaw, forehead, hair, outside; area-normalised) over the class's maps.

Each chip's regions are drawn from 68 landmarks, from the first source that
applies (models.audit_summary.LANDMARK_SOURCES says each in words, and the
summary counts the chips per source and model):

- "synthetic": the data is synthetic: the generator's geometry, centred where
  the image's age cue mask says it drew. The cartoons are no faces, so dlib's
  detector is not asked: in a test audit it "found" a face on 3 of about 100
  of them, and the predictor's landmarks there were nonsense;
- "predictor": dlib's HOG detector finds a face on the chip, and dlib's
  68-point predictor places the landmarks in it (real FairFace chips);
- "template": where it finds none, dlib's mean face, placed where the chip's
  alignment puts it (FairFace chips are aligned by dlib's 5-point template at
  padding 0.25).

dlib's mean face with all 68 points is the predictor's own initial shape, read
from face_recognition_models' shape_predictor_68_face_landmarks.dat (dlib's
get_face_chip_details carries only points 17-67, without the jaw) and brought
into the 5-point template's frame by the similarity that best maps its eye
corners and nose base onto TEMPLATE_5.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from models.alignment import FAIRFACE_PADDING, TEMPLATE_5
from models.faces import detect_faces, face_recognition_models_file, landmarks68
from models.regions import REGIONS, region_masks, region_shares
from training.synthetic import cue_centre, synthetic_landmarks68

# The 68-point indices of TEMPLATE_5's rows: image-right eye outer and inner
# corner, image-left eye outer and inner corner, the base of the nose.
TEMPLATE_5_INDICES = (45, 42, 36, 39, 33)


class ChipLandmarks(NamedTuple):
    points: np.ndarray  # (68, 2) (x, y) chip pixels, pixel centres at integers
    source: str  # a key of models.audit_summary.LANDMARK_SOURCES


def _read_int(data: bytes, pos: int) -> tuple[int, int]:
    """One integer of dlib's serialization: a byte (bit 7 the sign, bits 0-3 the
    length), then that many little-endian bytes."""
    head = data[pos]
    length = head & 0x0F
    value = int.from_bytes(data[pos + 1:pos + 1 + length], "little")
    return (-value if head & 0x80 else value), pos + 1 + length


@functools.lru_cache(maxsize=1)
def predictor_mean_shape() -> np.ndarray:
    """(68, 2): the initial shape of dlib's 68-point predictor, in its detector-box
    frame ((0, 0) the box's top left, (1, 1) its bottom right).

    dlib serializes a shape_predictor as a version (1), then the initial shape as
    a column matrix (rows, columns: negative in the current format) of floats,
    each a mantissa and a binary exponent."""
    path = face_recognition_models_file("shape_predictor_68_face_landmarks.dat")
    with open(path, "rb") as stream:
        data = stream.read(4096)  # 136 floats of at most 12 bytes each
    version, pos = _read_int(data, 0)
    rows, pos = _read_int(data, pos)
    columns, pos = _read_int(data, pos)
    if version != 1 or abs(rows) != 136 or abs(columns) != 1:
        raise ValueError(f"{path} is not dlib's 68-point shape predictor (version {version}, shape {rows}x{columns})")
    values = []
    for _ in range(136):
        mantissa, pos = _read_int(data, pos)
        exponent, pos = _read_int(data, pos)
        values.append(mantissa * 2.0 ** exponent)
    return np.array(values).reshape(68, 2)


@functools.lru_cache(maxsize=1)
def mean_face_68() -> np.ndarray:
    """(68, 2): dlib's mean face in the unit face square of TEMPLATE_5 (models.alignment)."""
    shape = predictor_mean_shape()
    scale_rotation, shift = _similarity(shape[list(TEMPLATE_5_INDICES)], TEMPLATE_5)
    return shape @ scale_rotation.T + shift


def template_landmarks(size: int, padding: float = FAIRFACE_PADDING) -> np.ndarray:
    """Where dlib's mean face lands in a `size` chip aligned with `padding` (as
    models.alignment.template_points places the 5 points)."""
    return (padding + mean_face_68()) / (2 * padding + 1) * size


def _similarity(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The least-squares similarity (2x2 scale-rotation, shift) taking source onto target (Umeyama)."""
    mu_s, mu_t = source.mean(0), target.mean(0)
    s, t = source - mu_s, target - mu_t
    u, sigma, vt = np.linalg.svd(t.T @ s)
    sign = np.diag([1.0, np.sign(np.linalg.det(u @ vt))])
    rotation = u @ sign @ vt
    scale = float(np.trace(np.diag(sigma) @ sign) / (s ** 2).sum())
    return scale * rotation, mu_t - scale * rotation @ mu_s


def detected_landmarks(chip: np.ndarray) -> np.ndarray | None:
    """dlib's 68 landmarks of the largest face dlib's HOG detector finds on the chip, or None."""
    faces = detect_faces(chip, "dlib", require=False)
    return landmarks68(chip, faces[0]) if faces else None


def chip_landmarks(chip: np.ndarray, fallback: Callable[[], ChipLandmarks]) -> ChipLandmarks:
    """The predictor's landmarks where a face is found on the chip, else `fallback()`."""
    points = detected_landmarks(chip)
    return ChipLandmarks(points, "predictor") if points is not None else fallback()


def template_fallback(size: int, padding: float = FAIRFACE_PADDING) -> Callable[[int], ChipLandmarks]:
    """index -> dlib's mean face on a `size` chip aligned with `padding` (the same for every chip)."""
    points = template_landmarks(size, padding)
    return lambda index: ChipLandmarks(points, "template")


def synthetic_fallback(size: int, crop: float, age_masks: np.ndarray | None) -> Callable[[int], ChipLandmarks]:
    """index -> the synthetic generator's landmarks of val image `index` on its
    `size` chip (the stored image's central `crop`, resized): centred by the
    image's age cue mask where there is one, else at the image's centre."""
    def landmarks(index: int) -> ChipLandmarks:
        if age_masks is None:
            side = size / crop  # any stored side maps the same way: the cartoon scales with it
            centre = (side / 2, side / 2)
        else:
            side = age_masks.shape[1]
            centre = cue_centre(age_masks[index])
        stored = synthetic_landmarks68(*centre, side)
        kept = side * crop
        start = (side - kept) / 2
        # Pixel centres matched, as the crop-and-resize of training.pipeline (and fit_masks) does.
        return ChipLandmarks((stored + 0.5 - start) * size / kept - 0.5, "synthetic")

    return landmarks


def landmarks_for(chips: np.ndarray, indices, fallback: Callable[[int], ChipLandmarks],
                  known: dict[int, ChipLandmarks] | None = None, detect: bool = True) -> dict[int, ChipLandmarks]:
    """{index: ChipLandmarks} for these chips: the predictor's where a face is
    found (with `detect`), else `fallback(index)`; `known` (filled in place)
    keeps those found before, so that models of one input size share them."""
    known = {} if known is None else known
    for index in map(int, indices):
        if index not in known:
            known[index] = (chip_landmarks(chips[index], functools.partial(fallback, index)) if detect
                            else fallback(index))
    return known


def class_region_shares(maps: dict, landmarks: dict[int, ChipLandmarks], labels) -> dict:
    """{method: {class label: {region: mean share}}} from training.class_heatmaps'
    maps ({method: {class id: ClassMaps}}), each map read against its own chip's
    regions. Every {region: share} sums to 1."""
    masks: dict[int, dict] = {}
    out = {}
    for method, per_class in maps.items():
        out[method] = {}
        for c, class_maps in per_class.items():
            shares = []
            for heat, index in zip(class_maps.maps, map(int, class_maps.indices), strict=True):
                if index not in masks:
                    masks[index] = region_masks(landmarks[index].points, heat.shape[0])
                shares.append([region_shares(heat, masks[index])[r] for r in REGIONS])
            mean = np.mean(shares, axis=0)
            out[method][labels[c]] = {r: float(v) for r, v in zip(REGIONS, mean / mean.sum(), strict=True)}
    return out


def source_counts(landmarks: dict[int, ChipLandmarks], indices) -> dict[str, int]:
    """{source: chips} over these indices, most used first."""
    sources = [landmarks[int(i)].source for i in indices]
    return {s: sources.count(s) for s in sorted(set(sources), key=lambda s: -sources.count(s))}
