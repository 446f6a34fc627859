"""xai.metrics.occlusion: the occlusion metric with a model call written here (a linear
score on the pixels, so every drop is known in closed form) and masks drawn by
hand. No Keras: the metric takes any function of a batch."""
from __future__ import annotations

import numpy as np
import pytest

from xai.metrics.occlusion import GREY, drop_shares, occlude, occluded

SIZE = 16


def _box(rows, cols) -> np.ndarray:
    mask = np.zeros((SIZE, SIZE), dtype=bool)
    mask[rows[0]:rows[1], cols[0]:cols[1]] = True
    return mask


MASKS = {"left": _box((4, 8), (2, 6)), "right": _box((4, 8), (10, 14)), "bottom": _box((10, 16), (0, 16))}
MASKS["rest"] = ~np.logical_or.reduce(list(MASKS.values()))


@pytest.fixture(scope="module")
def pixels() -> np.ndarray:
    """Dark noise with a bright left and bottom region."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 100, size=(SIZE, SIZE, 3)).astype(np.uint8)
    image[MASKS["left"] | MASKS["bottom"]] = 255
    return image


def linear_score(*regions: str, bias: float = 0.0):
    """score(batch) = sum of pixels / 255 over `regions` (every channel) + bias, and its weights."""
    inside = np.logical_or.reduce([MASKS[r] for r in regions])
    weights = np.repeat(inside[..., None], 3, axis=-1).astype(np.float64)

    def score(batch):
        return (batch.astype(np.float64) / 255 * weights).sum(axis=(1, 2, 3)) + bias

    return score, weights


def test_drops_are_the_score_differences_and_shares_are_per_pixel(pixels):
    score, weights = linear_score("left", "bottom", bias=0.3)
    found = occlude(score, pixels, MASKS, target="yes", score_kind="logit")
    x = pixels.astype(np.float64) / 255
    assert found.score == pytest.approx((x * weights).sum() + 0.3)
    for region, mask in MASKS.items():
        grey = np.where(mask[..., None], GREY, pixels.astype(np.float64)) / 255
        assert found.drops[region] == pytest.approx(((x - grey) * weights).sum()), region
    # Every occluded pixel of left and bottom drops by (255 - 128) / 255 per channel:
    # equal drops per pixel, so equal shares, though bottom is larger.
    assert MASKS["bottom"].sum() > MASKS["left"].sum()
    assert found.shares["left"] == pytest.approx(0.5) and found.shares["bottom"] == pytest.approx(0.5)
    assert found.areas == {r: int(m.sum()) for r, m in MASKS.items()}
    assert (found.target, found.score_kind, found.fill) == ("yes", "logit", "grey")
    assert set(found.to_dict()) == {"target", "score_kind", "score", "fill", "drops", "areas", "shares"}


def test_a_region_whose_occlusion_raises_the_score_gets_share_zero(pixels):
    dark = pixels.copy()
    dark[MASKS["bottom"]] = 0  # greying a black region raises what its weights read
    found = occlude(linear_score("left", "bottom")[0], dark, MASKS)
    assert found.drops["bottom"] < 0 and found.shares["bottom"] == 0.0
    assert found.shares["left"] == pytest.approx(1.0) and found.top == "left"


def test_a_score_no_region_moves_has_no_shares(pixels):
    found = occlude(lambda batch: np.ones(len(batch)), pixels, MASKS)
    assert all(d == 0.0 for d in found.drops.values())
    assert found.shares_total == 0.0 and found.top is None


def test_the_image_and_every_occluded_copy_go_to_the_model_in_one_call(pixels):
    calls = []
    score, _ = linear_score("left")

    def counted(batch):
        calls.append(batch.shape)
        return score(batch)

    occlude(counted, pixels, MASKS)
    assert calls == [(len(MASKS) + 1, SIZE, SIZE, 3)]


def test_occluded_fills_exactly_the_region(pixels):
    stack = np.stack([MASKS["left"], MASKS["right"]])
    grey = occluded(pixels, stack, "grey")
    assert grey.shape == (2, SIZE, SIZE, 3) and grey.dtype == np.uint8
    assert np.all(grey[0][MASKS["left"]] == GREY)
    np.testing.assert_array_equal(grey[0][~MASKS["left"]], pixels[~MASKS["left"]])
    blurred = occluded(pixels, stack, "blur")
    # The bright region blurred with its dark surroundings gets darker.
    assert blurred[0][MASKS["left"]].mean() < pixels[MASKS["left"]].mean() - 20
    np.testing.assert_array_equal(blurred[1][~MASKS["right"]], pixels[~MASKS["right"]])


def test_bad_input_gets_a_clear_message(pixels):
    score, _ = linear_score("left")
    with pytest.raises(ValueError, match="do not fit the 16x16 image"):
        occlude(score, pixels, {"left": np.ones((8, 8), bool)})
    with pytest.raises(ValueError, match="unknown occlusion fill"):
        occlude(score, pixels, MASKS, fill="paint")
    with pytest.raises(ValueError, match="no region masks"):
        occlude(score, pixels, {})
    with pytest.raises(ValueError, match="one \\(H, W, C\\) array"):
        occlude(score, pixels[None], MASKS)
    with pytest.raises(ValueError, match="it must give one each"):
        occlude(lambda batch: np.ones(2), pixels, MASKS)


def test_drop_shares_normalise_by_area():
    shares = drop_shares(["a", "b", "c", "d"], [2.0, 8.0, -1.0, 1.0], [1, 4, 2, 0])
    assert shares == {"a": pytest.approx(0.5), "b": pytest.approx(0.5), "c": 0.0, "d": 0.0}


def test_the_metric_imports_no_keras_or_tensorflow(run_python):
    """Model-agnostic in fact: importing it (and so its package, xai.metrics) loads neither."""
    code = "import sys, xai.metrics.occlusion; print(sorted(m for m in ('keras', 'tensorflow') if m in sys.modules))"
    done = run_python("-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
