"""Skin tone measured from a photo's pixels: the Individual Typology Angle (ITA°).

ITA = arctan((L* - 50) / b*) in degrees, from the CIELAB lightness L* and
yellow-blue b* (skimage.color.rgb2lab, sRGB under D65) of the skin pixels: the
medians over the cheek and forehead pixels that dlib's 68 landmarks outline
(models.regions' forehead, and a polygon per cheek from the jaw to the mouth's
corner, the nose and the lower lid), with the eyes, brows, mouth and nose left
out. Chardon et al. (1991) sort the angle into six categories (the limits as
Del Bino & Bernerd, 2013, give them).

What it is, said plainly wherever it is shown (SKIN_TONE_NOTE): a measurement of
this photo's pixels under its lighting, camera and white balance. The same person
measures differently in another photo; it is not the person's skin, and it is not
race.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from models.regions import polygon_mask, region_masks

# Chardon's categories, lightest first, each with the lowest angle it takes (exclusive).
ITA_CATEGORIES = (
    ("very light", 55.0),
    ("light", 41.0),
    ("intermediate", 28.0),
    ("tan", 10.0),
    ("brown", -30.0),
    ("dark", -math.inf),
)
SKIN_TONE_NOTE = (
    "Skin tone here is the Individual Typology Angle (ITA°) of the photo's pixels: the CIELAB lightness L* "
    "and yellow-blue b* of the cheek and forehead pixels that the 68 face landmarks outline (eyes, brows, "
    "mouth and nose left out), sorted into Chardon's six categories (very light > 55°, light > 41°, "
    "intermediate > 28°, tan > 10°, brown > -30°, dark). It measures this photo under its lighting, camera "
    "and white balance, not the person: the same face measures differently in another photo. It is not race."
)
MIN_SKIN_PIXELS = 10  # fewer: the face is too small (or the landmarks too far off) to measure

# 68-point indices (iBUG 300-W) of each cheek's outline, around it: jaw, mouth corner,
# nose base, lower lid. Image-left cheek first.
CHEEKS = ((1, 2, 3, 4, 48, 31, 40, 41, 36), (15, 14, 13, 12, 54, 35, 47, 46, 45))
LEFT_OUT = ("eyes", "brows", "mouth", "nose")


class SkinToneError(ValueError):
    """The skin of this face cannot be measured (too few skin pixels, bad landmarks)."""


class SkinTone(NamedTuple):
    ita: float  # degrees
    category: str  # one of ITA_CATEGORIES' names
    pixels: int  # skin pixels measured


def ita_category(angle: float) -> str:
    """Chardon's category of an ITA in degrees."""
    return next(name for name, lowest in ITA_CATEGORIES if angle > lowest)


def ita_angle(lightness: float, b: float) -> float:
    """arctan((L* - 50) / b*) in degrees; +-90 where b* is 0."""
    if b == 0:
        return math.copysign(90.0, lightness - 50.0)
    return math.degrees(math.atan((lightness - 50.0) / b))


def skin_mask(landmarks68: Any, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) bool: the cheek and forehead pixels of the face these landmarks (68, 2)
    (x, y) outline, less its eyes, brows, mouth and nose (models.regions' masks)."""
    points = np.asarray(landmarks68, dtype=np.float64)
    height, width = shape
    side = max(height, width)  # region_masks draws on a square; the image is its top-left corner
    regions = {name: mask[:height, :width] for name, mask in region_masks(points, side).items()}
    cheeks = np.logical_or.reduce([polygon_mask(points[list(cheek)], shape) for cheek in CHEEKS])
    left_out = np.logical_or.reduce([regions[name] for name in LEFT_OUT])
    return (cheeks | regions["forehead"]) & ~left_out


def ita(image: Any, landmarks68: Any) -> SkinTone:
    """The ITA° and Chardon category of the face in `image` (H, W, 3) RGB (uint8, or
    floats in [0, 1]) outlined by its 68 landmarks (68, 2) (x, y) in image pixels."""
    from skimage.color import rgb2lab  # lazy: keeps start-up free of scikit-image and SciPy

    pixels = np.asarray(image)
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise SkinToneError(f"need an RGB image (H, W, 3), got shape {pixels.shape}")
    try:
        mask = skin_mask(landmarks68, pixels.shape[:2])
    except ValueError as err:
        raise SkinToneError(f"cannot outline the skin: {err}") from None
    count = int(mask.sum())
    if count < MIN_SKIN_PIXELS:
        raise SkinToneError(f"only {count} skin pixels inside the landmarks (need {MIN_SKIN_PIXELS}): "
                            "the face is too small in this image to measure its skin tone")
    rgb = pixels[mask].astype(np.float64)
    if np.issubdtype(pixels.dtype, np.integer):
        rgb /= 255.0
    lab = rgb2lab(rgb[None, :, :])[0]
    angle = ita_angle(float(np.median(lab[:, 0])), float(np.median(lab[:, 2])))
    return SkinTone(angle, ita_category(angle), count)
