"""Face regions on an aligned chip, and how much of a heatmap falls in each.

Pure numpy: the regions are drawn from dlib's 68 landmarks (models.faces.landmarks68,
iBUG 300-W order) mapped into chip coordinates (Chip.matrix), so that a heatmap
over the chip can be read as "where on the face" and a region can be blurred or
greyed out to test that reading against the model.

The masks partition the chip: every pixel is in exactly one region, the first
of REGIONS that claims it. Eyes, brows, nose and mouth are the landmark
polygons, widened a little (a 7x7 Grad-CAM cell is wider than an eyelid); the
cheeks and jaw are the rest of the jaw-and-brow outline; the forehead, hair and
outside are geometry, not segmentation: the forehead is the band above the
brows one nose-length high (the face's thirds), "hair" the band around the
forehead and temples where hair usually is, down to the mouth, and "outside"
everything else (neck, background, the chip's padding).
"""
from __future__ import annotations

from typing import Any

import numpy as np

REGIONS = ("eyes", "brows", "nose", "mouth", "cheeks_jaw", "forehead", "hair", "outside")
# Claim order: small, well-located parts first, so that a widened polygon never
# takes pixels from a part drawn inside it.
_CLAIM_ORDER = ("eyes", "brows", "mouth", "nose", "forehead", "cheeks_jaw", "hair", "outside")

# 68-point indices (iBUG 300-W, 0-based).
JAW = tuple(range(0, 17))
BROWS = (tuple(range(17, 22)), tuple(range(22, 27)))
NOSE_BRIDGE_TOP, NOSE_TIP = 27, 33
NOSE_BASE = tuple(range(31, 36))
EYES = (tuple(range(36, 42)), tuple(range(42, 48)))
OUTER_LIPS = tuple(range(48, 60))

# Widening, as fractions of the eye-to-eye distance (between eye centres) or
# of the polygon about its centroid.
EYE_GROWTH = 1.6  # the eye outline x1.6: lids and corners
BROW_HALF_THICKNESS = 0.12
MOUTH_GROWTH = 1.15
NOSE_HALF_WIDTH_TOP = 0.1
NOSE_WING = 0.1
HAIR_MARGIN = 0.35  # how far the hair band reaches beyond the face and forehead


def polygon_mask(points: Any, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) bool: pixel centres (x = column, y = row) inside the polygon
    (even-odd rule), `points` (N, 2) (x, y) in order around it."""
    poly = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    height, width = shape
    inside = np.zeros(shape, dtype=bool)
    # Only the polygon's bounding box can be inside: test those pixels alone.
    x0, y0 = np.maximum(np.floor(poly.min(axis=0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(poly.max(axis=0)).astype(int) + 1, [width, height])
    if x0 >= x1 or y0 >= y1:
        return inside
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    window = np.zeros(ys.shape, dtype=bool)
    for (ax, ay), (bx, by) in zip(poly, np.roll(poly, -1, axis=0)):
        if ay == by:
            continue
        crosses = (ay > ys) != (by > ys)
        x_at = ax + (ys - ay) * (bx - ax) / (by - ay)
        window ^= crosses & (xs < x_at)
    inside[y0:y1, x0:x1] = window
    return inside


def region_masks(landmarks: Any, size: int) -> dict[str, np.ndarray]:
    """The regions of a `size` x `size` chip, as {region: (size, size) bool} in
    REGIONS order, from the 68 landmarks in chip coordinates (68, 2) (x, y)."""
    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape != (68, 2):
        raise ValueError(f"need dlib's 68 (x, y) landmarks, got shape {points.shape}")
    shape = (size, size)
    eye_centres = [points[list(eye)].mean(axis=0) for eye in EYES]
    unit = float(np.linalg.norm(eye_centres[1] - eye_centres[0]))
    if unit <= 0:
        raise ValueError("the landmarks are degenerate (both eyes at one point)")
    drawn = {
        "eyes": _union(polygon_mask(_grown(points[list(eye)], EYE_GROWTH), shape) for eye in EYES),
        "brows": _union(polygon_mask(_band(points[list(brow)], BROW_HALF_THICKNESS * unit), shape) for brow in BROWS),
        "mouth": polygon_mask(_grown(points[list(OUTER_LIPS)], MOUTH_GROWTH), shape),
        "nose": polygon_mask(_nose(points, unit), shape),
    }
    face = polygon_mask(np.vstack([points[list(JAW)], points[26:16:-1]]), shape)
    forehead, top = _forehead(points, shape)
    drawn["forehead"] = forehead
    drawn["cheeks_jaw"] = face
    drawn["hair"] = _hair(points, top, unit, shape)
    drawn["outside"] = np.ones(shape, dtype=bool)
    claimed = np.zeros(shape, dtype=bool)
    masks = {}
    for region in _CLAIM_ORDER:
        masks[region] = drawn[region] & ~claimed
        claimed |= masks[region]
    return {region: masks[region] for region in REGIONS}


def chip_region_masks(chip: Any, image_landmarks: Any) -> dict[str, np.ndarray]:
    """region_masks for a models.alignment.Chip, from 68 landmarks in photo
    coordinates (mapped into the chip by its matrix)."""
    return region_masks(chip.to_chip(image_landmarks), chip.size)


def region_shares(heatmap: Any, masks: dict[str, np.ndarray]) -> dict[str, float]:
    """Each region's share of the heatmap, normalised by region area: the mean
    heat inside the region, over the sum of all regions' means. Shares sum to 1,
    and a large region does not win by its size (a constant heatmap gives every
    non-empty region the same share). Negative values count as 0; a heatmap of
    another size than the masks is resampled onto them (pixel centres matched).
    An empty region's share is 0."""
    names = list(masks)
    shape = masks[names[0]].shape
    heat = np.asarray(heatmap, dtype=np.float64)
    if heat.ndim != 2:
        raise ValueError(f"heatmap must be 2-D, got shape {heat.shape}")
    if not np.isfinite(heat).all():
        raise ValueError("heatmap contains NaN or infinite values")
    heat = _resize(np.clip(heat, 0.0, None), shape)
    areas = np.array([masks[name].sum() for name in names], dtype=np.float64)
    sums = np.array([heat[masks[name]].sum() for name in names])
    means = np.divide(sums, areas, out=np.zeros_like(sums), where=areas > 0)
    total = means.sum()
    if total <= 0:  # no heat at all: the limit of a constant heatmap
        means = (areas > 0).astype(np.float64)
        total = means.sum()
    return {name: float(mean / total) for name, mean in zip(names, means)}


def occluded(pixels: Any, masks: dict[str, np.ndarray], fill: Any = None) -> np.ndarray:
    """One copy of the chip per region, that region filled, as a batch
    (len(masks), S, S, 3) uint8 in `masks` order: the inputs of an occlusion
    check (the drop of the model's score per region, all in one call).

    fill: an RGB colour; default the chip's own mean colour, so that the filled
    region carries no edge or colour the chip did not already have."""
    pixels = np.asarray(pixels)
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(f"pixels must be one (S, S, 3) chip, got shape {pixels.shape}")
    colour = pixels.reshape(-1, 3).mean(axis=0) if fill is None else np.asarray(fill, dtype=np.float64)
    colour = np.clip(np.rint(colour), 0, 255).astype(pixels.dtype)
    batch = np.repeat(pixels[None], len(masks), axis=0)
    for copy, mask in zip(batch, masks.values()):
        copy[mask] = colour
    return batch


def _union(masks) -> np.ndarray:
    masks = list(masks)
    return np.logical_or.reduce(masks)


def _grown(polygon: np.ndarray, factor: float) -> np.ndarray:
    centre = polygon.mean(axis=0)
    return centre + (polygon - centre) * factor


def _band(line: np.ndarray, half: float) -> np.ndarray:
    """A polygon around a polyline (left to right), `half` above and below it,
    capped by half a thickness at both ends."""
    up, down = line - [0.0, half], line + [0.0, half]
    caps = np.array([[line[-1, 0] + half, line[-1, 1]]]), np.array([[line[0, 0] - half, line[0, 1]]])
    return np.vstack([up, caps[0], down[::-1], caps[1]])


def _nose(points: np.ndarray, unit: float) -> np.ndarray:
    top = points[NOSE_BRIDGE_TOP]
    base = points[list(NOSE_BASE)].copy()
    base[0, 0] -= NOSE_WING * unit
    base[-1, 0] += NOSE_WING * unit
    half = NOSE_HALF_WIDTH_TOP * unit
    return np.vstack([[top[0] - half, top[1]], [top[0] + half, top[1]], base[::-1]])


def _forehead(points: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, float]:
    """The band above the brows, one brow-to-nose-tip length high (faces come in
    thirds: hairline-brows, brows-nose, nose-chin); also the band's top y."""
    brows = np.vstack([points[0], points[17:27], points[16]])
    height = float(points[NOSE_TIP, 1] - points[17:27, 1].mean())
    top = brows - [0.0, height]
    top[[0, -1], 1] = brows[[0, -1], 1] - 0.6 * height  # rounded at the temples
    return polygon_mask(np.vstack([brows, top[::-1]]), shape), float(top[:, 1].min())


def _hair(points: np.ndarray, top: float, unit: float, shape: tuple[int, int]) -> np.ndarray:
    """Inside a half-ellipse over the head (HAIR_MARGIN beyond the face's sides
    and the forehead's top), down to the mouth's corners."""
    height, width = shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    left, right = points[0, 0] - HAIR_MARGIN * unit, points[16, 0] + HAIR_MARGIN * unit
    centre_x = (left + right) / 2
    centre_y = float(points[[0, 16], 1].mean())
    semi_x = (right - left) / 2
    semi_y = centre_y - (top - HAIR_MARGIN * unit)
    mouth_y = float(points[[48, 54], 1].mean())
    above = ys <= centre_y
    ellipse = ((xs - centre_x) / semi_x) ** 2 + np.where(above, ((ys - centre_y) / semi_y) ** 2, 0.0) <= 1.0
    return ellipse & (ys <= mouth_y)


def _resize(heat: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear resample of (h, w) onto `shape`, pixel centres matched."""
    if heat.shape == shape:
        return heat
    rows = _positions(shape[0], heat.shape[0])
    columns = _positions(shape[1], heat.shape[1])
    along_columns = np.stack([np.interp(columns, np.arange(heat.shape[1]), row) for row in heat])
    return np.stack([np.interp(rows, np.arange(heat.shape[0]), column) for column in along_columns.T], axis=1)


def _positions(out: int, source: int) -> np.ndarray:
    return (np.arange(out) + 0.5) * source / out - 0.5
