"""Image intake: every mode to RGB, EXIF rotation, and one typed error per bad case.

Every image is generated in memory; none is a photo of a person.
"""
from __future__ import annotations

import io

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
from tests.helpers import png_header_only


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


@pytest.mark.parametrize("side", [12_000, 50_000], ids=["over-our-cap", "over-pillows-cap"])
def test_decompression_bomb_is_refused_from_its_header(side):
    with pytest.raises(ImageTooLargeError, match="megapixels"):
        load_image(png_header_only(side, side))


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

    over_upload = png_header_only(6_500, 6_500)
    # The header passes the default cap (the decoder then finds no pixel data).
    with pytest.raises(CorruptImageError):
        load_image(over_upload)
    with pytest.raises(ImageTooLargeError, match="40 MP this app accepts"):
        load_image(over_upload, max_pixels=limits.MAX_UPLOAD_PIXELS)
    for cap in (None, limits.MAX_DECODE_PIXELS):
        with pytest.raises(ImageTooLargeError, match="120 MP that can be decoded safely"):
            load_image(png_header_only(12_000, 12_000), max_pixels=cap)
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


# --- cheap conversions: downscale before converting, never in float64 at full size ------


def _reference_rgb(image: Image.Image) -> np.ndarray:
    """What intake gave before it downscaled first: every mode converted at full
    size in float64 (composite on white, 16-bit / 257, unit floats * 255)."""
    mode = image.mode
    if mode in {"RGBA", "LA", "PA"} or "transparency" in image.info:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float64) / 255.0
        alpha = rgba[..., 3:4]
        return np.rint((rgba[..., :3] * alpha + (1.0 - alpha)) * 255.0).astype(np.uint8)
    values = np.asarray(image, dtype=np.float64)
    if mode == "F":
        values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
        values = values * 255.0 if values.min() >= 0.0 and values.max() <= 1.0 else values
        gray = np.rint(np.clip(values, 0, 255))
    else:
        gray = np.rint(np.clip(values, 0, 65535) / 257.0)
    return np.repeat(gray[..., None], 3, axis=-1).astype(np.uint8)


def _mode_image(mode: str, rng: np.random.Generator, width: int = 64, height: int = 48) -> Image.Image:
    """A small image of `mode` with random pixels (and some of each transparency level)."""
    if mode in {"RGBA", "LA"}:
        channels = len(mode)
        pixels = rng.integers(0, 256, (height, width, channels), dtype=np.uint8)
        pixels[:, :8, -1], pixels[:, 8:16, -1] = 0, 255
        return Image.fromarray(pixels, mode)
    if mode in {"PA", "P"}:
        palette = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).quantize(32)
        if mode == "P":
            palette.info["transparency"] = 3  # the colour key of palette PNGs and GIFs
            return palette
        return Image.merge("PA", (palette, Image.fromarray(rng.integers(0, 256, (height, width), dtype=np.uint8))))
    if mode.startswith("I;16"):
        return Image.fromarray(rng.integers(0, 65536, (height, width), dtype=np.uint16)).convert(mode)
    if mode == "I":
        return Image.fromarray(rng.integers(-500, 70_000, (height, width), dtype=np.int32), "I")  # out of range too
    return Image.fromarray(rng.random((height, width), dtype=np.float32), "F")


@pytest.mark.parametrize("mode", ["RGBA", "LA", "PA", "P", "I;16", "I;16B", "I", "F"])
def test_small_images_of_every_converted_mode_give_the_pixels_of_a_float64_conversion(mode):
    image = _mode_image(mode, np.random.default_rng(7))
    expected = _reference_rgb(image)
    out = load_image(image)
    assert out.shape == expected.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - expected).max() <= 1
    if mode == "RGBA":  # a uint8 array takes the same road as a decoded file
        assert np.abs(load_image(np.asarray(image)).astype(int) - expected).max() <= 1


@pytest.mark.parametrize("hidden", [(0, 0, 0), (255, 0, 0)], ids=["black", "red"])
def test_downscaled_transparency_neither_bleeds_its_hidden_colour_nor_darkens(hidden):
    """Transparent left half over a hidden colour, opaque blue right half, 4x
    smaller: the result is the composite on white, then resampled (computed
    here in float64 at full size), whatever hides under alpha 0."""
    rgba = np.zeros((400, 600, 4), dtype=np.uint8)
    rgba[:, :300, :3] = hidden
    rgba[:, 300:] = (90, 140, 200, 255)
    rgba[100:300, 350:450, 3] = 128  # a half-transparent patch inside the blue
    out = load_image(_encode(Image.fromarray(rgba, "RGBA")), max_side=150)
    composite = Image.fromarray(_reference_rgb(Image.fromarray(rgba, "RGBA")))
    expected = np.asarray(composite.resize((150, 100), Image.Resampling.LANCZOS))
    assert out.shape == (100, 150, 3)
    assert np.abs(out.astype(int) - expected).max() <= 1
    np.testing.assert_array_equal(out[:, :70], 255)  # far from the edge: white, not black
    assert out[:, :75].min() >= 240  # at the edge only the blue's own ringing, no dark band


def test_unit_float_image_keeps_its_range_when_resampling_rings_past_one():
    """Hard 0 / 1 stripes ring above 1 when downscaled; the unit range is read
    from the full-size image, so the stripes stay black and white."""
    stripes = np.zeros((200, 400), dtype=np.float32)
    stripes[:, 200:] = 1.0
    out = load_image(Image.fromarray(stripes, "F"), max_side=100)
    assert out.shape == (50, 100, 3)
    assert out[:, 60:].min() >= 250 and out[:, :40].max() <= 5


def test_a_40_megapixel_rgba_png_is_read_in_bounded_memory():
    """A 40 MP RGBA PNG (tiny on disk) was converted in float64 at full size: 4 GB
    more at peak. tracemalloc sees numpy's arrays (Pillow's own image buffers it
    does not: those are the decoded file and one RGB canvas)."""
    import tracemalloc

    from models.limits import MAX_UPLOAD_PIXELS

    width, height = 7300, 5470  # 39.9 MP
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    image.paste((200, 30, 40, 255), (1000, 1000, 3000, 3000))
    image.paste((200, 30, 40, 128), (4000, 1000, 6000, 3000))
    data = _encode(image, compress_level=1)
    del image
    tracemalloc.start()
    try:
        result = read_image(data, MAX_UPLOAD_PIXELS)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 300e6, f"peak {peak / 1e6:.0f} MB"
    assert result.original_size == (width, height) and result.pixels.shape == (1535, 2048, 3)
    scale = result.scale
    at = lambda x, y: result.pixels[round(y * scale), round(x * scale)]  # noqa: E731
    np.testing.assert_array_equal(at(500, 500), 255)  # transparent: white
    np.testing.assert_array_equal(at(2000, 2000), [200, 30, 40])
    a = 128 / 255
    np.testing.assert_array_equal(at(5000, 2000), np.rint([200 * a + 255 * (1 - a), 30 * a + 255 * (1 - a),
                                                          40 * a + 255 * (1 - a)]))


def test_max_pixels_lowers_the_bomb_ceiling_but_cannot_raise_it():
    from models import limits

    bomb = png_header_only(12_000, 12_000)  # 144 MP
    for cap in (limits.MAX_DECODE_PIXELS + 1, 200_000_000, 10**12):
        with pytest.raises(ImageTooLargeError, match="120 MP that can be decoded safely"):
            load_image(bomb, max_pixels=cap)
    # An array is checked before it is converted: a 144 MP view of one pixel costs nothing.
    huge = np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (12_000, 12_000, 3))
    with pytest.raises(ImageTooLargeError, match="120 MP that can be decoded safely"):
        load_image(huge, max_pixels=200_000_000)
    with pytest.raises(ImageTooLargeError, match="0.005 MP this app accepts"):
        load_image(np.zeros((100, 100, 3), np.float32), max_pixels=5_000)


# --- data URLs (webcam frames, pasted images, API calls) ---------------------------------


def _data_url(data: bytes, media: str = "image/png") -> str:
    import base64

    return f"data:{media};base64,{base64.b64encode(data).decode('ascii')}"


def test_a_data_url_image_decodes_to_its_pixels():
    pixels = _pattern()
    result = read_image(_data_url(_encode(Image.fromarray(pixels))))
    np.testing.assert_array_equal(result.pixels, pixels)
    assert result.mode == "RGB"
    jpeg_rgba = load_image(_data_url(_encode(Image.fromarray(pixels).convert("RGBA")), "IMAGE/PNG"))
    np.testing.assert_array_equal(jpeg_rgba, pixels)  # the scheme and type in any case


def test_a_data_url_bomb_is_refused_from_its_header_without_decoding(monkeypatch):
    from PIL import ImageFile

    decoded = []

    def spy(self, *args, **kwargs):
        decoded.append(type(self).__name__)
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    monkeypatch.setattr(Image.Image, "load", spy)
    with pytest.raises(ImageTooLargeError, match="megapixels"):
        load_image(_data_url(png_header_only(12_000, 12_000)))
    from models.limits import MAX_UPLOAD_PIXELS

    with pytest.raises(ImageTooLargeError, match="40 MP this app accepts"):
        load_image(_data_url(png_header_only(6_500, 6_500)), max_pixels=MAX_UPLOAD_PIXELS)
    assert decoded == []


def test_a_data_url_over_the_byte_cap_is_refused_before_base64_decoding(monkeypatch):
    import base64

    from models.limits import MAX_UPLOAD_BYTES

    def no_decoding(*args, **kwargs):
        raise AssertionError("base64 was decoded")

    monkeypatch.setattr(base64, "b64decode", no_decoding)
    too_big = "data:image/png;base64," + "A" * (4 * (MAX_UPLOAD_BYTES // 3 + 2))
    with pytest.raises(ImageTooLargeError, match="10 MB"):
        load_image(too_big)


@pytest.mark.parametrize(
    "url",
    [
        "data:image/png;base64,not*base64!",
        "data:image/png;base64,aGVsbG8",  # bad padding
        "data:image/png," + "%89PNG",  # percent-encoded, not base64
        "data:text/plain;base64,aGVsbG8sIHdvcmxk",
        "data:image/png;base64,aGVsbG8sIHRoaXMgaXMgdGV4dA==",  # base64 of text, not of an image
        "data:image/png;base64,",
        "data:",
    ],
    ids=["not-base64", "bad-padding", "not-base64-encoded", "text-type", "text-bytes", "empty", "bare"],
)
def test_a_data_url_that_is_not_a_base64_image_is_not_an_image(url):
    with pytest.raises(NotAnImageError):
        load_image(url)
