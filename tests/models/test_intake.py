"""Image intake: every mode to RGB, EXIF rotation, and one typed error per bad case.

Every image is generated in memory; none is a photo of a person.
"""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from models import intake
from models.intake import (
    CorruptImageError,
    ImageError,
    ImageTooLargeError,
    ImageTooSmallError,
    NotAnImageError,
    load_image,
    read_image,
)


def _encode(image: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def _pattern(width: int = 64, height: int = 48) -> np.ndarray:
    """An asymmetric RGB pattern: every rotation or flip of it is distinguishable."""
    ys, xs = np.mgrid[0:height, 0:width]
    return np.stack([xs * 255 // (width - 1), ys * 255 // (height - 1), (xs + 2 * ys) % 256], -1).astype(np.uint8)


def test_rgb_png_round_trips_exactly_from_every_source_kind(tmp_path):
    pixels = _pattern()
    data = _encode(Image.fromarray(pixels))
    path = tmp_path / "pattern.png"
    path.write_bytes(data)
    sources = [path, str(path), data, io.BytesIO(data), Image.fromarray(pixels), pixels]
    for source in sources:
        out = load_image(source)
        assert out.dtype == np.uint8 and out.shape == (48, 64, 3)
        np.testing.assert_array_equal(out, pixels)


# EXIF orientation -> the PIL transpose that makes the stored pixels upright.
_ORIENTATIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_270,
    8: Image.Transpose.ROTATE_90,
}


@pytest.mark.parametrize("orientation", sorted(_ORIENTATIONS))
def test_exif_orientation_is_applied(orientation):
    stored = Image.fromarray(_pattern())
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _encode(stored, exif=exif)
    expected = np.asarray(stored.transpose(_ORIENTATIONS[orientation]))
    result = read_image(data)
    np.testing.assert_array_equal(result.pixels, expected)
    assert result.original_size == (expected.shape[1], expected.shape[0])


def test_rgba_is_composited_on_white():
    rgba = np.zeros((40, 40, 4), dtype=np.uint8)
    rgba[..., 0] = 200  # red hidden under varying alpha
    rgba[:, :20, 3] = 0  # fully transparent: white
    rgba[:, 20:30, 3] = 255  # opaque: the colour itself
    rgba[:, 30:, 3] = 128  # half: the analytic blend with white
    out = load_image(_encode(Image.fromarray(rgba, "RGBA")))
    np.testing.assert_array_equal(out[:, :20], 255)
    np.testing.assert_array_equal(out[0, 25], [200, 0, 0])
    a = 128 / 255
    expected = np.rint([200 * a + 255 * (1 - a), 255 * (1 - a), 255 * (1 - a)])
    np.testing.assert_array_equal(out[0, 35], expected)


def test_la_and_palette_with_transparency_become_rgb_on_white():
    la = np.zeros((40, 40, 2), dtype=np.uint8)
    la[..., 0] = 90
    la[:, 20:, 1] = 255
    out = load_image(_encode(Image.fromarray(la, "LA")))
    np.testing.assert_array_equal(out[0, 0], [255, 255, 255])
    np.testing.assert_array_equal(out[0, 30], [90, 90, 90])

    palette = Image.new("P", (40, 40), 1)
    palette.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    palette.paste(0, (0, 0, 20, 40))
    out = load_image(_encode(palette, transparency=0))
    np.testing.assert_array_equal(out[0, 0], [255, 255, 255])
    np.testing.assert_array_equal(out[0, 30], [10, 200, 30])


def test_cmyk_jpeg_converts_to_rgb():
    cmyk = Image.new("CMYK", (40, 40), (0, 255, 255, 0))  # pure red in CMYK
    out = load_image(_encode(cmyk, "JPEG", quality=95))
    assert out.shape == (40, 40, 3)
    assert out[20, 20, 0] > 230 and out[20, 20, 1] < 30 and out[20, 20, 2] < 30


def test_sixteen_bit_gray_scales_full_range_onto_eight_bits():
    ramp = np.linspace(0, 65535, 64 * 40).reshape(40, 64).astype(np.uint16)
    image = Image.fromarray(ramp)
    assert image.mode.startswith("I;16")
    out = load_image(_encode(image))
    np.testing.assert_array_equal(out[..., 0], np.rint(ramp / 257.0).astype(np.uint8))
    np.testing.assert_array_equal(out[..., 0], out[..., 2])


def test_int32_and_float_modes():
    ramp = np.linspace(0, 65535, 40 * 40).reshape(40, 40)
    out = load_image(Image.fromarray(ramp.astype(np.int32), "I"))
    np.testing.assert_array_equal(out[..., 1], np.rint(ramp.astype(np.int32) / 257.0))
    unit = np.linspace(0, 1, 40 * 40).reshape(40, 40).astype(np.float32)
    out = load_image(Image.fromarray(unit, "F"))
    np.testing.assert_array_equal(out[..., 0], np.rint(unit.astype(np.float64) * 255))


def test_arrays_of_other_dtypes_and_layouts():
    gray = np.arange(40 * 40, dtype=np.uint16).reshape(40, 40) * 40
    np.testing.assert_array_equal(load_image(gray)[..., 0], np.rint(gray / 65535 * 255))
    unit = np.full((40, 40, 3), 0.5)
    np.testing.assert_array_equal(load_image(unit), 128)
    with pytest.raises(NotAnImageError, match="shape"):
        load_image(np.zeros((40, 40, 2), dtype=np.uint8))
    with pytest.raises(CorruptImageError, match="NaN"):
        load_image(np.full((40, 40, 3), np.nan))


def test_big_images_are_downscaled_with_the_factor_kept():
    big = Image.fromarray(_pattern(300, 200))
    result = read_image(_encode(big), max_side=150)
    assert result.pixels.shape == (100, 150, 3)
    assert result.original_size == (300, 200)
    assert result.scale == pytest.approx(0.5)


def test_big_jpeg_is_draft_decoded_and_still_reports_its_true_size():
    big = Image.fromarray(_pattern(1600, 1200))
    result = read_image(_encode(big, "JPEG", quality=90), max_side=400)
    assert result.pixels.shape == (300, 400, 3)
    assert result.original_size == (1600, 1200)
    assert result.scale == pytest.approx(0.25)


def _png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR that claim a huge size, and no pixel data:
    a decompression bomb's header costs nothing to build."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(bytes(1000))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [12_000, 50_000], ids=["over-our-cap", "over-pillows-cap"])
def test_decompression_bomb_is_refused_from_its_header(side):
    with pytest.raises(ImageTooLargeError, match="megapixels"):
        load_image(_png_header_only(side, side))


def test_size_cap_is_a_parameter():
    data = _encode(Image.fromarray(_pattern(100, 100)))
    with pytest.raises(ImageTooLargeError):
        load_image(data, max_pixels=5_000)
    with pytest.raises(ImageTooLargeError):
        load_image(np.zeros((100, 100, 3), np.uint8), max_pixels=5_000)


def test_the_default_cap_is_the_bomb_ceiling_and_the_upload_cap_is_asked_for():
    """A 6500 x 6500 (42 MP) header: under the 120 MP ceiling that scripts and the
    CLI keep by default (as before the caps had names), over the 40 MP the app
    asks for; 12000 x 12000 (144 MP) is over the default ceiling."""
    from models import limits

    over_upload = _png_header_only(6_500, 6_500)
    # The header passes the default cap (the decoder then finds no pixel data).
    with pytest.raises(CorruptImageError):
        load_image(over_upload)
    with pytest.raises(ImageTooLargeError, match="40 MP this app accepts"):
        load_image(over_upload, max_pixels=limits.MAX_UPLOAD_PIXELS)
    for cap in (None, limits.MAX_DECODE_PIXELS):
        with pytest.raises(ImageTooLargeError, match="120 MP that can be decoded safely"):
            load_image(_png_header_only(12_000, 12_000), max_pixels=cap)
    assert (limits.MAX_UPLOAD_PIXELS, limits.MAX_DECODE_PIXELS) == (40_000_000, 120_000_000)
    assert intake.MAX_PIXELS == limits.MAX_DECODE_PIXELS  # the old name still imports
    assert limits.DETECT_MAX_PIXELS >= limits.WORKING_SIDE**2 == intake.WORKING_SIDE**2  # scanned as they are


def test_too_small():
    with pytest.raises(ImageTooSmallError, match="at least"):
        load_image(_encode(Image.new("RGB", (20, 100))))
    with pytest.raises(ImageTooSmallError):
        load_image(np.zeros((0, 10, 3), np.uint8))


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, this is text and not a picture", bytes(range(256)) * 4],
    ids=["empty", "text", "noise"],
)
def test_not_an_image(data):
    with pytest.raises(NotAnImageError):
        load_image(data)


def test_missing_file_and_wrong_type(tmp_path):
    with pytest.raises(NotAnImageError, match="no image file"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(NotAnImageError, match="int"):
        load_image(42)


def test_truncated_png_and_jpeg_are_corrupt():
    noisy = np.random.default_rng(0).integers(0, 256, (120, 120, 3), dtype=np.uint8)
    for fmt in ("PNG", "JPEG"):
        data = _encode(Image.fromarray(noisy), fmt)
        with pytest.raises(CorruptImageError, match="damaged or truncated"):
            load_image(data[: len(data) // 2])


def test_damaged_png_data_is_corrupt():
    noisy = np.random.default_rng(1).integers(0, 256, (120, 120, 3), dtype=np.uint8)
    data = bytearray(_encode(Image.fromarray(noisy)))
    start = data.index(b"IDAT") + 8
    data[start : start + 200] = bytes(b ^ 0xFF for b in data[start : start + 200])
    with pytest.raises(CorruptImageError):
        load_image(bytes(data))


def test_every_error_is_a_value_error_with_a_readable_message():
    for error in (NotAnImageError, CorruptImageError, ImageTooLargeError, ImageTooSmallError):
        assert issubclass(error, ImageError) and issubclass(error, ValueError)
    with pytest.raises(ValueError) as info:
        load_image(b"not an image")
    assert "not an image" in str(info.value)
    assert intake.MIN_SIDE >= 32
