"""Fixtures for the models tests: a zoo of tiny generated models (the imported pretrained
models are tests/models/importers/conftest.py's). The photo (`astronaut`) is tests/conftest.py's,
shared with other rooms."""
from __future__ import annotations

import pytest

from models.labels import FAIRFACE_GENDER, FAIRFACE_RACE, UTKFACE_RACE
from tests.models.zoo_helpers import make_card, save
from tests.tiny_models import tiny_model


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    """A user folder from training/, and a cache of imported pretrained models."""
    root = tmp_path_factory.mktemp("zoo")
    user, cache = root / "trained", root / "cache"
    race = tiny_model(7)
    synthetic = make_card("synthetic_race", "race", FAIRFACE_RACE, "Synthetic FairFace-format data", synthetic=True)
    save(user, synthetic, race)
    biased_data = "FairFace, census-biased subset"
    save(user, make_card("fairface_race_biased", "race", FAIRFACE_RACE, biased_data, extra={"biased": True}), race)
    save(user, make_card("fairface_race", "race", FAIRFACE_RACE), race)
    save(cache / "models", make_card("gear-race", "race", UTKFACE_RACE, "UTKFace"), tiny_model(5, softmax_layer=False))
    save(cache / "models", make_card("dlib-gender", "gender", FAIRFACE_GENDER, "dlib-models"), tiny_model(2, seed=3))
    return user, cache

