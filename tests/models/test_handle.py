"""The lazy model handle: loads once on first use, predicts as Keras does, and reports
a file that fails only when Keras loads it."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest

from models.labels import FAIRFACE_GENDER
from models.registry import LoadedModel, ModelHandle, ModelLoadError, load_registry
from tests.models.zoo_helpers import SIZE, make_card, save
from tests.tiny_models import tiny_model


def test_lazy_load_once_and_predict_matches_keras(zoo, monkeypatch):
    user, cache = zoo
    monkeypatch.setenv("FACEXAI_CACHE", str(cache))
    import keras

    loads = []
    load_model = keras.saving.load_model

    def counted(*args, **kwargs):
        loads.append(args[0])
        return load_model(*args, **kwargs)

    monkeypatch.setattr(keras.saving, "load_model", counted)
    model = load_registry([user]).get("gear-race")
    assert not model.is_loaded and loads == []  # listing the registry loads nothing
    chips = np.random.default_rng(0).integers(0, 256, (3, SIZE, SIZE, 3), dtype=np.uint8)
    probs = model.predict(chips)
    assert model.is_loaded and loads == [model.path]  # the first use loaded it
    first = model.keras_model
    model.predict(chips)
    assert model.keras_model is first and loads == [model.path]  # ...once: later uses reuse it
    reference = tiny_model(5, softmax_layer=False)
    np.testing.assert_allclose(probs, reference.predict(chips / 255.0, verbose=0), atol=1e-6)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-6)
    np.testing.assert_allclose(model.predict(chips[0]), probs[:1], atol=1e-6)
    with pytest.raises(ValueError, match=r"\(N, 16, 16, 3\)"):
        model.predict(np.zeros((1, 32, 32, 3), np.uint8))


def test_a_file_that_fails_only_when_keras_loads_it(tmp_path, monkeypatch):
    """Valid zip and config, broken weights: found at first use, then reported."""
    monkeypatch.setenv("FACEXAI_CACHE", str(tmp_path / "no-cache"))
    card = make_card("broken_weights", "gender", FAIRFACE_GENDER)
    save(tmp_path, card, tiny_model(2))
    path = tmp_path / "broken_weights.keras"
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["model.weights.h5"] = b"not hdf5"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    registry = load_registry([tmp_path])
    model = registry.get("broken_weights")
    with pytest.raises(ModelLoadError, match="cannot load"):
        _ = model.keras_model
    with pytest.raises(ModelLoadError):
        model.predict(np.zeros((1, SIZE, SIZE, 3), np.uint8))
    assert registry.for_attribute("gender") == []
    assert any("broken_weights" in p for p in registry.problems)




def test_the_old_name_is_the_handle():
    assert LoadedModel is ModelHandle
