"""Image intake: whatever a person uploads becomes an upright RGB uint8 array.

Photos arrive as phone JPEGs with EXIF rotation, PNGs with alpha, palette GIFs,
CMYK scans, 16-bit TIFFs, or arrays from other code. Every bad case raises its
own `ImageError` subclass with a message a person can act on, so the app can
show it instead of a stack trace.
"""
from __future__ import annotations

import dataclasses
import io
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from models.limits import MAX_DECODE_PIXELS, WORKING_SIDE

# The old name of the decompression-bomb ceiling (models.limits defines the caps).
MAX_PIXELS = MAX_DECODE_PIXELS
# WORKING_SIDE (models.limits): legal but big images are downscaled to this
# longest side: detection, models and heatmaps never need more, and a 48 MP
# array would make every step slow.
# Below this shortest side there is no face left to analyse (dlib's HOG
# detector needs about 80 px per face; its smallest chip is 32 px).
MIN_SIDE = 32


class ImageError(ValueError):
    """The upload cannot be used as a photo; the message says why."""


class NotAnImageError(ImageError):
    """The input is not an image at all (text, empty bytes, unknown format)."""


class CorruptImageError(ImageError):
    """The file looks like an image but cannot be decoded (truncated, damaged)."""


class ImageTooLargeError(ImageError):
    """More pixels than the upload cap or the decompression-bomb ceiling allows."""


class ImageTooSmallError(ImageError):
    """Too few pixels to hold an analysable face."""


class UnsupportedImageError(ImageError):
    """A readable image in a colour mode this app cannot convert to RGB."""


@dataclasses.dataclass(frozen=True)
class Intake:
    """The decoded photo and how it relates to the uploaded one.

    pixels: (H, W, 3) uint8 RGB, upright, at most `WORKING_SIDE` on its long side.
    original_size: (width, height) after EXIF rotation, before downscaling.
    scale: pixels' size / original size (1.0 when not downscaled); multiply
        original coordinates by it to land on `pixels`.
    mode: the source's Pillow mode (or "array"), for messages and tests.
    """

    pixels: np.ndarray
    original_size: tuple[int, int]
    scale: float
    mode: str


def load_image(
    src: Any,
    max_pixels: int | None = MAX_DECODE_PIXELS,
    *,
    max_side: int | None = WORKING_SIDE,
    min_side: int = MIN_SIDE,
) -> np.ndarray:
    """Decode `src` (path, bytes, file-like, PIL.Image or numpy array) to an
    upright (H, W, 3) uint8 RGB array; see `read_image` for the details.

    max_pixels: the largest image accepted, checked from the header before
    decoding: by default (and with None) MAX_DECODE_PIXELS, the
    decompression-bomb ceiling; the app passes MAX_UPLOAD_PIXELS, what it
    accepts from visitors (through vqa.Engine(max_pixels=...))."""
    return read_image(src, max_pixels, max_side=max_side, min_side=min_side).pixels


def read_image(
    src: Any,
    max_pixels: int | None = MAX_DECODE_PIXELS,
    *,
    max_side: int | None = WORKING_SIDE,
    min_side: int = MIN_SIDE,
) -> Intake:
    """Like `load_image`, also returning the original size and the downscale factor."""
    if isinstance(src, np.ndarray):
        rgb, mode = _array_to_rgb(src), "array"
        original = (rgb.shape[1], rgb.shape[0])
        _check_pixel_count(*original, max_pixels)
    else:
        opened_here = not isinstance(src, Image.Image)
        image = _open(src)
        mode = image.mode
        _check_pixel_count(image.width, image.height, max_pixels)
        header_size = image.size
        if opened_here and max_side and max(image.size) > max_side:
            # JPEG can decode at 1/2, 1/4 or 1/8 scale for free: big phone photos
            # then never exist at full size in memory.
            image.draft(None, _fit(image.size, max_side))
        # Decode before reading EXIF: a PNG's EXIF may follow its pixel data, and
        # reading it would half-load the image and swallow a decoding error.
        image = _decode(image)
        original = _upright_size(image, header_size)
        rgb = _pil_to_rgb(_upright(image))
    if min(original) < min_side:
        raise ImageTooSmallError(
            f"the image is {original[0]}x{original[1]} pixels; at least {min_side} pixels on "
            "each side are needed to analyse a face"
        )
    return _downscale(rgb, original, mode, max_side)


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    factor = max_side / max(size)
    return max(1, round(size[0] * factor)), max(1, round(size[1] * factor))


def _upright_size(image: Image.Image, header_size: tuple[int, int]) -> tuple[int, int]:
    try:
        orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
    except (OSError, SyntaxError, ValueError, TypeError, KeyError):
        orientation = 1
    width, height = header_size
    return (height, width) if orientation in _TRANSPOSING_ORIENTATIONS else (width, height)


_EXIF_ORIENTATION = 0x0112
# EXIF orientations 5-8 include a quarter turn, so width and height swap.
_TRANSPOSING_ORIENTATIONS = {5, 6, 7, 8}


def _check_pixel_count(width: int, height: int, max_pixels: int | None) -> None:
    if max_pixels is None or max_pixels == MAX_DECODE_PIXELS:
        ceiling, why = MAX_DECODE_PIXELS, "that can be decoded safely (a guard against decompression bombs)"
    else:
        ceiling, why = max_pixels, "this app accepts"
    if width * height > ceiling:
        raise ImageTooLargeError(
            f"the image claims {width}x{height} = {width * height / 1e6:.1f} megapixels, more "
            f"than the {ceiling / 1e6:g} MP {why}; please upload a smaller photo"
        )


def _open(src: Any) -> Image.Image:
    if isinstance(src, Image.Image):
        return src
    stream = _as_stream(src)
    try:
        with warnings.catch_warnings():
            # Our own pixel limit is checked right after; Pillow's warning would be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(stream)
    except Image.DecompressionBombError as err:
        raise ImageTooLargeError(
            "the image claims more megapixels than can be decoded safely (a guard against "
            "decompression bombs); please upload a smaller photo"
        ) from err
    except UnidentifiedImageError as err:
        raise NotAnImageError(
            "this file is not an image in a format we can read (try JPEG, PNG or WebP)"
        ) from err
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise CorruptImageError(f"the image header is damaged and cannot be read: {err}") from err


def _as_stream(src: Any) -> Any:
    if isinstance(src, (bytes, bytearray, memoryview)):
        if len(src) == 0:
            raise NotAnImageError("the upload is empty (0 bytes)")
        return io.BytesIO(bytes(src))
    if isinstance(src, (str, os.PathLike)):
        path = Path(src)
        if not path.is_file():
            raise NotAnImageError(f"no image file at {path}")
        if path.stat().st_size == 0:
            raise NotAnImageError(f"{path} is empty (0 bytes)")
        return io.BytesIO(path.read_bytes())
    if hasattr(src, "read"):
        return src
    raise NotAnImageError(
        f"cannot read an image from a {type(src).__name__}; give a path, bytes, a file, "
        "a PIL image or a numpy array"
    )


def _decode(image: Image.Image) -> Image.Image:
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as err:
        raise CorruptImageError(
            f"the image data is damaged or truncated and cannot be decoded ({err})"
        ) from err
    return image


def _upright(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, TypeError, KeyError) as err:
        # A damaged EXIF block must not cost the person their photo.
        warnings.warn(f"ignoring unreadable EXIF orientation: {err}", stacklevel=3)
        return image


_SIXTEEN_BIT_MODES = {"I;16", "I;16L", "I;16B", "I;16N", "I"}


def _pil_to_rgb(image: Image.Image) -> np.ndarray:
    mode = image.mode
    if mode == "RGB" and "transparency" not in image.info:
        return np.asarray(image, dtype=np.uint8).copy()
    if mode in {"RGBA", "LA", "PA", "RGBa", "La"} or "transparency" in image.info:
        return _on_white(np.asarray(image.convert("RGBA"), dtype=np.float64) / 255.0)
    if mode in _SIXTEEN_BIT_MODES:
        return _gray_to_rgb(_sixteen_to_eight(np.asarray(image)))
    if mode == "F":
        return _gray_to_rgb(_float_to_eight(np.asarray(image, dtype=np.float64)))
    try:
        return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()
    except (ValueError, OSError) as err:
        raise UnsupportedImageError(f"cannot convert colour mode {mode!r} to RGB ({err})") from err


def _on_white(rgba_unit: np.ndarray) -> np.ndarray:
    """Composite straight-alpha RGBA in [0, 1] over white: transparent areas of
    logos and cut-outs become white, not black garbage from hidden RGB values."""
    alpha = rgba_unit[..., 3:4]
    rgb = rgba_unit[..., :3] * alpha + (1.0 - alpha)
    return np.rint(rgb * 255.0).astype(np.uint8)


def _sixteen_to_eight(values: np.ndarray) -> np.ndarray:
    # 16-bit PNG/TIFF open as I;16 or I: full range 0..65535 maps onto 0..255.
    return np.rint(np.clip(values.astype(np.float64), 0, 65535) / 257.0).astype(np.uint8)


def _float_to_eight(values: np.ndarray) -> np.ndarray:
    values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    if values.size and values.max() <= 1.0 and values.min() >= 0.0:
        values = values * 255.0  # a unit-range float image
    return np.rint(np.clip(values, 0, 255)).astype(np.uint8)


def _gray_to_rgb(gray: np.ndarray) -> np.ndarray:
    return np.repeat(gray[..., None], 3, axis=-1)


def _array_to_rgb(array: np.ndarray) -> np.ndarray:
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise NotAnImageError(
            f"an image array must be (H, W), (H, W, 3) or (H, W, 4); got shape {array.shape}"
        )
    if array.size == 0:
        raise ImageTooSmallError(f"the image array is empty (shape {array.shape})")
    unit = _array_to_unit(array)
    if unit.ndim == 2:
        unit = np.repeat(unit[..., None], 3, axis=-1)
    if unit.shape[-1] == 4:
        return _on_white(unit)
    return np.rint(unit * 255.0).astype(np.uint8)


def _array_to_unit(array: np.ndarray) -> np.ndarray:
    """Pixel values to [0, 1], reading the range from the dtype and values."""
    if array.dtype == np.bool_:
        return array.astype(np.float64)
    if array.dtype == np.uint8:
        return array.astype(np.float64) / 255.0
    values = array.astype(np.float64)
    if not np.isfinite(values).all():
        raise CorruptImageError("the image array contains NaN or infinite values")
    low, high = values.min(), values.max()
    if low < 0:
        raise NotAnImageError(f"negative pixel values ({low:g}) are not an image")
    if np.issubdtype(array.dtype, np.floating) and high <= 1.0:
        return values
    if high <= 255:
        return values / 255.0
    if np.issubdtype(array.dtype, np.integer) and high <= 65535:
        return values / 65535.0
    raise NotAnImageError(f"pixel values up to {high:g} are outside any image range")


def _downscale(
    rgb: np.ndarray, original: tuple[int, int], mode: str, max_side: int | None
) -> Intake:
    """Fit the long side into `max_side`; `rgb` may already be smaller than
    `original` when JPEG draft decoding shrank it."""
    size = _fit(original, max_side) if max_side and max(original) > max_side else original
    if (rgb.shape[1], rgb.shape[0]) != size:
        rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS), dtype=np.uint8)
    long_side = 0 if original[0] >= original[1] else 1
    scale = size[long_side] / original[long_side]
    return Intake(np.ascontiguousarray(rgb), original, scale, mode)
