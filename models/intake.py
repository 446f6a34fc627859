"""Image intake: whatever a person uploads becomes an upright RGB uint8 array.

Photos arrive as phone JPEGs with EXIF rotation, PNGs with alpha, palette GIFs,
CMYK scans, 16-bit TIFFs, base64 data URLs (webcam frames, pasted images), or
arrays from other code. Big ones are downscaled before any per-pixel
conversion, so memory follows the working size, not the upload's. Every bad case raises its
own `ImageError` subclass with a message a person can act on, so the app can
show it instead of a stack trace.
"""
from __future__ import annotations

import base64
import dataclasses
import io
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from models.limits import MAX_DECODE_PIXELS, MAX_UPLOAD_BYTES, WORKING_SIDE

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
    """More pixels than the upload cap or the decompression-bomb ceiling allows
    (or, for a data URL, more bytes than MAX_UPLOAD_BYTES)."""


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
    """Decode `src` (path, bytes, file-like, a `data:image/...;base64,...` URL,
    PIL.Image or numpy array) to an upright (H, W, 3) uint8 RGB array; see
    `read_image` for the details.

    max_pixels: the largest image accepted, checked from the header before
    decoding: by default (and with None) MAX_DECODE_PIXELS, the
    decompression-bomb ceiling; the app passes MAX_UPLOAD_PIXELS, what it
    accepts from visitors (through vqa.Engine(max_pixels=...)). It can only
    lower the ceiling: a bigger value still stops at MAX_DECODE_PIXELS.
    A data URL's base64 text is decoded only when it holds at most
    MAX_UPLOAD_BYTES."""
    return read_image(src, max_pixels, max_side=max_side, min_side=min_side).pixels


def read_image(
    src: Any,
    max_pixels: int | None = MAX_DECODE_PIXELS,
    *,
    max_side: int | None = WORKING_SIDE,
    min_side: int = MIN_SIDE,
) -> Intake:
    """Like `load_image`, also returning the original size and the downscale factor."""
    if _is_data_url(src):
        src = _data_url_bytes(src)
    if isinstance(src, np.ndarray):
        return _read_array(src, max_pixels, max_side, min_side)
    return _read_pil(src, max_pixels, max_side, min_side)


def _read_array(array: np.ndarray, max_pixels: int | None, max_side: int | None, min_side: int) -> Intake:
    array = _image_shaped(array)
    original = (array.shape[1], array.shape[0])
    _check_pixel_count(*original, max_pixels)
    if array.dtype == np.uint8:
        # The common case goes the way of a decoded file: downscaled before it is converted.
        return dataclasses.replace(_read_pil(Image.fromarray(array), max_pixels, max_side, min_side), mode="array")
    _check_min_side(original, min_side)
    rgb = _array_to_rgb(array)
    size = _working_size(original, max_side)
    if size != original:
        rgb = np.asarray(_resize(Image.fromarray(rgb), size), dtype=np.uint8)
    return Intake(np.ascontiguousarray(rgb), original, _scale(size, original), "array")


def _read_pil(src: Any, max_pixels: int | None, max_side: int | None, min_side: int) -> Intake:
    opened_here = not isinstance(src, Image.Image)
    image = _open(src)
    mode, stored = image.mode, image.size
    _check_pixel_count(*stored, max_pixels)
    _check_min_side(stored, min_side)  # a quarter turn swaps the sides, not the shorter one
    size = _working_size(stored, max_side)
    if opened_here and size != stored:
        # JPEG can decode at 1/2, 1/4 or 1/8 scale for free: big phone photos
        # then never exist at full size in memory.
        image.draft(None, size)
    # Decode before reading EXIF: a PNG's EXIF may follow its pixel data, and
    # reading it would half-load the image and swallow a decoding error.
    image = _decode(image)
    turn = _upright_transpose(image)
    original = stored[::-1] if turn in _QUARTER_TURNS else stored
    # Downscale first (after a composite on white, which Pillow does in uint8),
    # convert to 8-bit RGB second, turn last: each numpy step then runs on the
    # working size, not on a 40 MP original (converting that in float64 cost GBs).
    working = _working_copy(image)
    unit = working.mode == "F" and _holds_unit_floats(working)
    small = _resize(working, size)
    if turn is not None:
        small = small.transpose(turn)
    return Intake(np.ascontiguousarray(_eight_bit_rgb(small, unit)), original, _scale(size, stored), mode)


def _working_size(size: tuple[int, int], max_side: int | None) -> tuple[int, int]:
    return _fit(size, max_side) if max_side and max(size) > max_side else size


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    factor = max_side / max(size)
    return max(1, round(size[0] * factor)), max(1, round(size[1] * factor))


def _scale(size: tuple[int, int], original: tuple[int, int]) -> float:
    long_side = 0 if original[0] >= original[1] else 1
    return size[long_side] / original[long_side]


def _check_min_side(size: tuple[int, int], min_side: int) -> None:
    if min(size) < min_side:
        raise ImageTooSmallError(
            f"the image is {size[0]}x{size[1]} pixels; at least {min_side} pixels on "
            "each side are needed to analyse a face"
        )


_EXIF_ORIENTATION = 0x0112
# EXIF orientation -> the transpose that makes the stored pixels upright
# (ImageOps.exif_transpose's table; applied here after downscaling, where it is cheap).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# These include a quarter turn, so width and height swap.
_QUARTER_TURNS = {
    Image.Transpose.TRANSPOSE, Image.Transpose.ROTATE_270, Image.Transpose.TRANSVERSE, Image.Transpose.ROTATE_90
}


def _upright_transpose(image: Image.Image) -> Image.Transpose | None:
    try:
        return _UPRIGHT.get(image.getexif().get(_EXIF_ORIENTATION, 1))
    except (OSError, SyntaxError, ValueError, TypeError, KeyError) as err:
        # A damaged EXIF block must not cost the person their photo.
        warnings.warn(f"ignoring unreadable EXIF orientation: {err}", stacklevel=4)
        return None


def _check_pixel_count(width: int, height: int, max_pixels: int | None) -> None:
    # max_pixels can lower the decompression-bomb ceiling, never raise it.
    if max_pixels is None or max_pixels >= MAX_DECODE_PIXELS:
        ceiling, why = MAX_DECODE_PIXELS, "that can be decoded safely (a guard against decompression bombs)"
    else:
        ceiling, why = max_pixels, "this app accepts"
    if width * height > ceiling:
        raise ImageTooLargeError(
            f"the image claims {width}x{height} = {width * height / 1e6:.1f} megapixels, more "
            f"than the {ceiling / 1e6:g} MP {why}; please upload a smaller photo"
        )


def _is_data_url(src: Any) -> bool:
    return isinstance(src, str) and src[:5].lower() == "data:"


def _data_url_bytes(url: str) -> bytes:
    """The image bytes of a `data:image/...;base64,...` URL (webcam frames,
    pasted images, API calls). Its length tells the decoded size (4 base64
    characters carry 3 bytes), so an oversized one is refused undecoded."""
    header, comma, payload = url.partition(",")
    params = header[len("data:"):].split(";")
    if not comma or not params[0].strip().lower().startswith("image/") or params[-1].strip().lower() != "base64":
        raise NotAnImageError(
            f"this data URL ({header[:60]!r}) does not hold a base64-encoded image; "
            "expected data:image/...;base64,..."
        )
    if len(payload) > 4 * -(-MAX_UPLOAD_BYTES // 3):
        raise ImageTooLargeError(
            f"the image is about {len(payload) * 3 / 4 / 2**20:.1f} MB, more than the "
            f"{MAX_UPLOAD_BYTES / 2**20:g} MB this app accepts; please upload a smaller photo"
        )
    try:
        return base64.b64decode(payload, validate=True)
    except ValueError as err:  # binascii.Error: a character outside base64, or bad padding
        raise NotAnImageError(f"this data URL's image is not valid base64 ({err})") from err


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


_ALPHA_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}
_SIXTEEN_BIT_MODES = {"I;16", "I;16L", "I;16B", "I;16N", "I"}
# Modes downscaled as they are: resampling commutes with how they become
# 8-bit RGB, up to rounding and clipping. The rest become RGB first.
_RESIZED_AS_IS = _SIXTEEN_BIT_MODES | {"F", "RGB", "L"}
_STRIP_PIXELS = 1 << 20  # how much of a full-size image a statistic reads at once


def _working_copy(image: Image.Image) -> Image.Image:
    """`image` in a mode that can be downscaled before it becomes 8-bit RGB:
    RGB, L, 16-bit or F. Transparent images are composited on white first."""
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        return _on_white(image)
    if image.mode in _RESIZED_AS_IS:
        return image
    return _convert(image, "RGB")  # palette, CMYK and the rest have no RGB meaning per channel


def _on_white(image: Image.Image) -> Image.Image:
    """Composite over white, so that transparent areas of logos and cut-outs
    become white, not black garbage from hidden RGB values. Pillow's paste
    blends in uint8 with exact rounding, rint(c a / 255) + 255 - a, and its
    canvas costs what the decoded image does. It runs before downscaling:
    resampling RGBA (premultiplied, clipped per pass) rang up to 45 levels
    away from the composite at sharp alpha edges."""
    straight = image if image.mode in ("RGBA", "LA") else _convert(image, "RGBA")
    canvas = Image.new("RGB", image.size, (255, 255, 255))
    canvas.paste(straight, (0, 0), straight)  # an RGBA or LA mask is its alpha band
    return canvas


def _convert(image: Image.Image, mode: str) -> Image.Image:
    try:
        return image.convert(mode)
    except (ValueError, OSError) as err:
        raise UnsupportedImageError(f"cannot convert colour mode {image.mode!r} to RGB ({err})") from err


def _resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    return image if image.size == size else image.resize(size, Image.Resampling.LANCZOS)


def _holds_unit_floats(image: Image.Image) -> bool:
    """Whether an F image's values all lie in [0, 1] (NaN and infinities read
    as 0, as _float_to_eight reads them). Asked of the full-size image, since
    resampling rings past the range; a strip of rows at a time, so that no
    full-size float array exists."""
    rows = max(1, _STRIP_PIXELS // image.width)
    for top in range(0, image.height, rows):
        strip = np.asarray(image.crop((0, top, image.width, min(top + rows, image.height))), dtype=np.float32)
        strip = np.nan_to_num(strip, nan=0.0, posinf=0.0, neginf=0.0)
        if strip.min() < 0.0 or strip.max() > 1.0:
            return False
    return True


def _eight_bit_rgb(image: Image.Image, unit_floats: bool) -> np.ndarray:
    """A downscaled working copy (see _working_copy) as (H, W, 3) uint8 RGB;
    `unit_floats`: an F image's values are in [0, 1] (decided at full size)."""
    if image.mode in _SIXTEEN_BIT_MODES:
        return _gray_to_rgb(_sixteen_to_eight(np.asarray(image)))
    if image.mode == "F":
        return _gray_to_rgb(_float_to_eight(np.asarray(image, dtype=np.float32), unit_floats))
    return np.array(image.convert("RGB"), dtype=np.uint8)


def _unit_on_white(rgba_unit: np.ndarray) -> np.ndarray:
    """_on_white for straight-alpha RGBA arrays in [0, 1] (arrays from code)."""
    alpha = rgba_unit[..., 3:4]
    rgb = rgba_unit[..., :3] * alpha + (1.0 - alpha)
    return np.rint(rgb * 255.0).astype(np.uint8)


def _sixteen_to_eight(values: np.ndarray) -> np.ndarray:
    """16-bit PNG/TIFF open as I;16 or I: full range 0..65535 maps onto 0..255,
    rounded (v / 257 is never a tie: 257 is odd)."""
    return ((np.clip(values, 0, 65535).astype(np.uint32) + 128) // 257).astype(np.uint8)


def _float_to_eight(values: np.ndarray, unit: bool) -> np.ndarray:
    values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    if unit:
        values = values * np.float32(255.0)  # a unit-range float image
    return np.rint(np.clip(values, 0, 255)).astype(np.uint8)


def _gray_to_rgb(gray: np.ndarray) -> np.ndarray:
    return np.repeat(gray[..., None], 3, axis=-1)


def _image_shaped(array: np.ndarray) -> np.ndarray:
    """(H, W), (H, W, 3) or (H, W, 4), with a single channel squeezed to (H, W)."""
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise NotAnImageError(
            f"an image array must be (H, W), (H, W, 3) or (H, W, 4); got shape {array.shape}"
        )
    if array.size == 0:
        raise ImageTooSmallError(f"the image array is empty (shape {array.shape})")
    return array


def _array_to_rgb(array: np.ndarray) -> np.ndarray:
    unit = _array_to_unit(array)
    if unit.ndim == 2:
        unit = np.repeat(unit[..., None], 3, axis=-1)
    if unit.shape[-1] == 4:
        return _unit_on_white(unit)
    return np.rint(unit * 255.0).astype(np.uint8)


def _array_to_unit(array: np.ndarray) -> np.ndarray:
    """Pixel values to [0, 1], reading the range from the dtype and values."""
    if array.dtype == np.bool_:
        return array.astype(np.float64)
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
