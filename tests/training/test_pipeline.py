"""tf.data pipeline: preprocessing equals the reference, crops and flips do what they say."""
import numpy as np
import pytest
from PIL import Image

from models.preprocessing import PREPROCESSORS
from training.architecture import BACKBONE_PREPROCESSING
from training.fairface import crop_fraction
from training.pipeline import Augmentation, load_chip, make_dataset, tf_preprocess


@pytest.mark.parametrize("name", sorted(set(BACKBONE_PREPROCESSING.values()) | {"raw"}))
def test_graph_preprocessing_equals_the_reference(name):
    pixels = np.random.default_rng(1).uniform(0, 255, size=(2, 8, 8, 3)).astype("float32")
    np.testing.assert_allclose(tf_preprocess(pixels, name).numpy(), PREPROCESSORS[name](pixels), rtol=1e-5, atol=1e-4)


def test_1_25_release_is_cropped_to_the_0_25_framing(tmp_path):
    # A 448 chip whose central 3/7 (192 px) is white and the rest black.
    image = np.zeros((448, 448, 3), np.uint8)
    image[128:320, 128:320] = 255
    Image.fromarray(image).save(tmp_path / "chip.png")
    chip = load_chip(str(tmp_path / "chip.png"), 64, crop_fraction(1.25)).numpy()
    assert chip.shape == (64, 64, 3) and chip.dtype == np.uint8
    assert chip[2:-2, 2:-2].min() > 240  # nothing of the black margin is left


def _asymmetric_images(tmp_path, n):
    paths = []
    for i in range(n):
        image = np.zeros((16, 16, 3), np.uint8)
        image[:, : 4 + i] = 200  # a left-heavy bar: its mirror image differs
        Image.fromarray(image).save(tmp_path / f"{i}.png")
        paths.append(str(tmp_path / f"{i}.png"))
    return paths


def test_dataset_batches_one_hot_labels_in_order(tmp_path):
    paths = _asymmetric_images(tmp_path, 5)
    ds = make_dataset(paths, np.array([0, 1, 2, 1, 0]), 3, image_size=16, preprocessing="raw", batch_size=2)
    batches = list(ds)
    assert [b[0].shape[0] for b in batches] == [2, 2, 1]
    labels = np.concatenate([b[1].numpy() for b in batches])
    np.testing.assert_array_equal(labels, np.eye(3)[[0, 1, 2, 1, 0]])


def test_horizontal_flip_yields_the_image_or_its_mirror_and_both_occur(tmp_path):
    paths = _asymmetric_images(tmp_path, 4)
    originals = np.stack([np.asarray(Image.open(p), np.float32) for p in paths])
    flip = Augmentation(rotation=0.0, horizontal_flip=True, vertical_flip=False)
    ds = make_dataset(paths, np.zeros(4, int), 2, image_size=16, preprocessing="raw", augment=flip, batch_size=4)
    flipped = 0
    for _ in range(8):
        images = next(iter(ds))[0].numpy()
        for image, original in zip(images, originals):
            same, mirror = np.allclose(image, original), np.allclose(image, original[:, ::-1])
            assert same or mirror
            flipped += mirror
    assert 0 < flipped < 32


def test_mismatched_labels_are_an_error(tmp_path):
    with pytest.raises(ValueError, match="as many labels"):
        make_dataset(["a.jpg", "b.jpg"], np.array([0]), 2)
