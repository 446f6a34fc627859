"""Overlays and the IG heatmap."""
import matplotlib
import numpy as np
import pytest
from PIL import Image

from xai.render import ig_heatmap, overlay


@pytest.fixture
def photo():
    from tests.helpers import astronaut_image

    return astronaut_image()[::8, ::8]  # (64, 64, 3) uint8


def test_overlay_blends_image_and_colormap(photo):
    heat = np.linspace(0, 1, 64 * 64).reshape(64, 64)
    colours = matplotlib.colormaps["viridis"](heat)[..., :3] * 255
    assert np.array_equal(np.asarray(overlay(photo, heat, alpha=0.0, cmap="viridis")), photo)
    np.testing.assert_allclose(np.asarray(overlay(photo, heat, alpha=1.0, cmap="viridis")), colours, atol=0.5)
    half = np.asarray(overlay(photo, heat, alpha=0.5, cmap="viridis"), dtype=float)
    np.testing.assert_allclose(half, (photo + colours) / 2, atol=0.51)


def test_overlay_resizes_a_smaller_heatmap_and_returns_pil(photo):
    out = overlay(photo, np.ones((8, 8)), alpha=1.0, cmap="jet")
    assert isinstance(out, Image.Image) and out.size == (64, 64) and out.mode == "RGB"
    top = np.array(matplotlib.colormaps["jet"](1.0)[:3]) * 255
    np.testing.assert_allclose(np.asarray(out)[10, 10], top, atol=0.51)


def test_overlay_rejects_bad_input(photo):
    with pytest.raises(ValueError, match="RGB"):
        overlay(photo[..., 0], np.zeros((64, 64)))
    with pytest.raises(ValueError, match="alpha"):
        overlay(photo, np.zeros((64, 64)), alpha=1.5)
    with pytest.raises(ValueError, match="colormap"):
        overlay(photo, np.zeros((64, 64)), cmap="not-a-map")
    with pytest.raises(ValueError, match="heatmap"):
        overlay(photo, np.zeros((2, 64, 64)))


def test_ig_heatmap_sums_channels_and_clips_at_the_99th_percentile():
    attr = np.zeros((1, 10, 10, 3), dtype=np.float32)
    attr[0, :, :, 0] = np.arange(100).reshape(10, 10) / 100.0
    attr[0, :, :, 1] = -attr[0, :, :, 0]  # |.| so opposite signs add up
    attr[0, 9, 9] = 1000.0  # one outlier must not wash out the rest
    heat = ig_heatmap(attr)
    magnitude = np.abs(attr).sum(-1)[0]
    p99 = np.percentile(magnitude, 99)
    np.testing.assert_allclose(heat[0], np.clip(magnitude / p99, 0, 1), rtol=1e-6)
    assert heat[0, 9, 9] == 1.0 and heat[0, 5, 0] == pytest.approx(1.0 / p99, rel=1e-5)


def test_ig_heatmap_of_zero_attributions_is_zero():
    assert not ig_heatmap(np.zeros((2, 4, 4, 3))).any()
    with pytest.raises(ValueError, match="N, H, W, C"):
        ig_heatmap(np.zeros((4, 4, 3)))


def test_paired_bars_draw_both_values_per_row_in_order():
    from xai.render import paired_bars

    rows = {"eyes": (0.6, 2 / 3), "mouth": (0.3, 0.0), "outside": (0.1, 0.0), "nose": (0.0, 1 / 3)}
    figure = paired_bars(rows, title="race-a: White", labels=("map", "occlusion"), xlabel="share")
    axes = figure.axes[0]
    widths = [bar.get_width() for bar in axes.patches]
    assert widths == pytest.approx([0.6, 0.3, 0.1, 0.0, 2 / 3, 0.0, 0.0, 1 / 3])
    # The first value of each row just above its second: the two bars of a row sit together.
    centres = [bar.get_y() + bar.get_height() / 2 for bar in axes.patches]
    assert [second - first for first, second in zip(centres[:4], centres[4:])] == pytest.approx([0.4] * 4)
    assert [t.get_text() for t in axes.get_yticklabels()] == ["eyes", "mouth", "outside", "nose"]
    assert axes.get_title() == "race-a: White" and axes.get_xlabel() == "share"
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["map", "occlusion"]
    assert axes.get_xlim() == pytest.approx((0, 2 / 3 * 1.1))
