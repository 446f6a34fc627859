"""The occlusion check of region shares through a loaded model (vqa.occlusion,
feeding xai.metrics.occlusion), on tiny Keras models that read only the pixels the test
chooses, with region masks drawn by hand. The metric alone: tests/xai/test_occlusion.py."""
from __future__ import annotations

import numpy as np
import pytest

from tests.tiny_models import dense_softmax, save_gender_model
from vqa.occlusion import (
    GREY,
    Occlusion,
    compare_regions,
    occluded,
    occlusion_check,
    region_chart,
    region_chart_data,
)

SIZE = 32


def _box(rows, cols):
    mask = np.zeros((SIZE, SIZE), dtype=bool)
    mask[rows[0]:rows[1], cols[0]:cols[1]] = True
    return mask


def _masks():
    """A hand-drawn partition of a 32-pixel chip into face regions."""
    masks = {
        "eyes": _box((10, 14), (6, 13)) | _box((10, 14), (19, 26)),
        "brows": _box((7, 10), (6, 13)) | _box((7, 10), (19, 26)),
        "nose": _box((14, 21), (14, 19)),
        "mouth": _box((22, 28), (8, 25)),
    }
    masks["outside"] = ~np.logical_or.reduce(list(masks.values()))
    return masks


MASKS = _masks()


@pytest.fixture(scope="module")
def chip_pixels():
    """Dark noise, with bright eyes and mouth (so that greying them out lowers
    what a positive weight on them reads)."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 100, size=(SIZE, SIZE, 3)).astype(np.uint8)
    pixels[MASKS["eyes"]] = 255
    pixels[MASKS["mouth"]] = 255
    return pixels


def _pixel_weights(*regions) -> np.ndarray:
    """(S*S*3,) 1.0 on every channel of the pixels in `regions`, else 0."""
    inside = np.logical_or.reduce([MASKS[r] for r in regions])
    return np.repeat(inside[..., None], 3, axis=-1).astype(np.float64).ravel()


def _linear(folder, name, kernel: np.ndarray, bias=(0.0, 0.0)):
    """Flatten -> Dense(2, softmax): logit = (pixels / 255) . kernel + bias."""
    return save_gender_model(folder, name, dense_softmax(kernel, bias, SIZE), made_by="occlusion")


@pytest.fixture(scope="module")
def eye_model(tmp_path_factory):
    """A non-linear model that reads only the eye region: a ReLU layer whose
    weights are positive on eye pixels and 0 elsewhere, then a head for which
    class 0 ("Male") grows with it. Small weights: its softmax is not saturated
    (logit difference ~5), so log-probabilities still move."""
    import keras

    rng = np.random.default_rng(1)
    model = keras.Sequential([keras.Input((SIZE, SIZE, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    hidden = rng.uniform(0.0, 0.005, size=(SIZE * SIZE * 3, 8)) * _pixel_weights("eyes")[:, None]
    head = np.stack([rng.uniform(0.5, 1.0, 8), -rng.uniform(0.5, 1.0, 8)], axis=1)
    model.layers[1].set_weights([hidden.astype(np.float32), np.zeros(8, np.float32)])
    model.layers[2].set_weights([head.astype(np.float32), np.zeros(2, np.float32)])
    return save_gender_model(tmp_path_factory.mktemp("eyes"), "eyes", model, made_by="occlusion")


@pytest.mark.parametrize("fill", ["grey", "blur"])
def test_a_model_that_reads_only_the_eyes_gets_its_drop_from_the_eyes(eye_model, chip_pixels, fill):
    result = occlusion_check(eye_model, chip_pixels, "Male", MASKS, fill=fill)
    assert result.score_kind == "logit" and result.target == "Male"
    assert result.drops["eyes"] > 0
    assert result.shares["eyes"] >= 0.9
    assert result.top == "eyes"
    assert sum(result.shares.values()) == pytest.approx(1.0)
    assert result.areas == {r: int(m.sum()) for r, m in MASKS.items()}


def test_drops_are_the_logit_differences_and_shares_are_per_pixel(tmp_path, chip_pixels):
    """A linear model with weight 1 on every eye and mouth pixel: each drop is
    analytic, and the mouth (larger than the eyes) does not win by its size."""
    kernel = np.stack([_pixel_weights("eyes", "mouth"), np.zeros(SIZE * SIZE * 3)], axis=1)
    loaded = _linear(tmp_path, "eyes-mouth", kernel, bias=(0.3, 0.0))
    result = occlusion_check(loaded, chip_pixels, 0, MASKS, fill="grey")
    x = chip_pixels.astype(np.float64).ravel() / 255
    assert result.score == pytest.approx(x @ kernel[:, 0] + 0.3, rel=1e-5)
    for region, mask in MASKS.items():
        grey = np.where(mask[..., None], GREY, chip_pixels.astype(np.float64)).ravel() / 255
        assert result.drops[region] == pytest.approx((x - grey) @ kernel[:, 0], abs=1e-3), region
    assert MASKS["mouth"].sum() > MASKS["eyes"].sum()
    assert result.shares["eyes"] == pytest.approx(0.5, abs=1e-4)
    assert result.shares["mouth"] == pytest.approx(0.5, abs=1e-4)


def test_a_region_whose_occlusion_raises_the_score_gets_share_zero(tmp_path, chip_pixels):
    pixels = chip_pixels.copy()
    pixels[MASKS["mouth"]] = 0  # greying a black mouth raises what its weights read
    kernel = np.stack([_pixel_weights("eyes", "mouth"), np.zeros(SIZE * SIZE * 3)], axis=1)
    result = occlusion_check(_linear(tmp_path, "negative", kernel), pixels, "Male", MASKS)
    assert result.drops["mouth"] < 0
    assert result.shares["mouth"] == 0.0
    assert result.shares["eyes"] == pytest.approx(1.0)


def test_a_model_no_region_moves_has_no_shares(tmp_path, chip_pixels):
    loaded = _linear(tmp_path, "constant", np.zeros((SIZE * SIZE * 3, 2)), bias=(1.0, 0.0))
    result = occlusion_check(loaded, chip_pixels, "Male", MASKS)
    assert all(d == pytest.approx(0.0, abs=1e-6) for d in result.drops.values())
    assert result.shares_total == 0.0 and result.top is None


def test_all_regions_go_to_the_model_in_one_batched_call(eye_model, chip_pixels, monkeypatch):
    from xai.base import ModelCall

    calls = []
    original = ModelCall.__call__

    def counted(self, x, targets):
        calls.append(x.shape)
        return original(self, x, targets)

    monkeypatch.setattr(ModelCall, "__call__", counted)
    occlusion_check(eye_model, chip_pixels, "Male", MASKS)
    assert calls == [(len(MASKS) + 1, SIZE, SIZE, 3)]


def test_without_xai_logits_the_log_probability_is_used(eye_model, chip_pixels, monkeypatch):
    from xai.base import ModelCall

    def refuse(self, x, targets):
        raise ValueError("cannot flatten this model")

    monkeypatch.setattr(ModelCall, "__call__", refuse)
    result = occlusion_check(eye_model, chip_pixels, "Male", MASKS)
    assert result.score_kind == "log-probability"
    names = list(MASKS)
    batch = occluded(chip_pixels, np.stack([MASKS[n] for n in names]))
    log_p = np.log(eye_model.predict(np.concatenate([chip_pixels[None], batch]))[:, 0])
    for i, name in enumerate(names):
        assert result.drops[name] == pytest.approx(log_p[0] - log_p[i + 1], abs=1e-5)
    assert result.shares["eyes"] >= 0.9


def test_bad_input_gets_a_clear_message(eye_model, chip_pixels):
    with pytest.raises(ValueError, match="do not fit the 32x32 image"):
        occlusion_check(eye_model, chip_pixels, "Male", {"eyes": np.ones((16, 16), bool)})
    with pytest.raises(ValueError, match="unknown occlusion fill"):
        occlusion_check(eye_model, chip_pixels, "Male", MASKS, fill="paint")
    with pytest.raises(ValueError, match="not a class of eyes"):
        occlusion_check(eye_model, chip_pixels, 5, MASKS)
    with pytest.raises(ValueError, match="no region masks"):
        occlusion_check(eye_model, chip_pixels, "Male", {})


def test_the_chart_shows_both_shares_per_region_in_words():
    heatmap = {"eyes": 0.6, "cheeks_jaw": 0.3, "outside": 0.1}
    occlusion = Occlusion(target="Male", score_kind="logit", score=1.0, fill="grey",
                          drops={"eyes": 1.0, "nose": 0.5}, areas={"eyes": 10, "nose": 10},
                          shares={"eyes": 2 / 3, "nose": 1 / 3})
    data = region_chart_data(heatmap, occlusion)
    assert list(data) == ["eyes", "cheeks_jaw", "outside", "nose"]
    assert data["eyes"] == (0.6, pytest.approx(2 / 3)) and data["nose"] == (0.0, pytest.approx(1 / 3))
    assert region_chart_data(heatmap, {"eyes": 1.0})["cheeks_jaw"] == (0.3, 0.0)
    figure = region_chart(data, title="race-a: White")
    axes = figure.axes[0]  # the bars themselves: tests/xai/test_render.py
    assert [bar.get_width() for bar in axes.patches] == pytest.approx([0.6, 0.3, 0.1, 0.0, 2 / 3, 0.0, 0.0, 1 / 3])
    assert [t.get_text() for t in axes.get_yticklabels()] == ["eyes", "cheeks and jaw", "outside", "nose"]
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["heatmap share", "occlusion drop share"]
    assert axes.get_title() == "race-a: White"


def test_compare_regions_says_whether_occlusion_confirms_the_heatmap(eye_model, chip_pixels):
    result = occlusion_check(eye_model, chip_pixels, "Male", MASKS)
    on_eyes = {"eyes": 0.7, "brows": 0.1, "nose": 0.1, "mouth": 0.05, "outside": 0.05}
    check = compare_regions(on_eyes, result, "Grad-CAM")
    assert check.agrees and check.heatmap_top == check.occlusion_top == "eyes"
    assert check.text.startswith("Confirmed: Grad-CAM puts most weight on the eyes")
    # Occlusion shares are (1, 0, 0, 0, 0): their ranks tie but for the eyes.
    assert check.rank_correlation > 0
    on_mouth = {"eyes": 0.05, "brows": 0.1, "nose": 0.1, "mouth": 0.7, "cheeks_jaw": 0.05}
    check = compare_regions(on_mouth, result, "Grad-CAM")
    assert not check.agrees and check.heatmap_top == "mouth"
    assert check.text.startswith("Not confirmed: Grad-CAM puts most weight on the mouth, but occluding the eyes")


def test_compare_regions_without_any_drop_says_not_checked(tmp_path, chip_pixels):
    loaded = _linear(tmp_path, "flat", np.zeros((SIZE * SIZE * 3, 2)), bias=(1.0, 0.0))
    check = compare_regions({"eyes": 1.0}, occlusion_check(loaded, chip_pixels, "Male", MASKS))
    assert not check.agrees and check.occlusion_top is None and check.text.startswith("Not checked")
