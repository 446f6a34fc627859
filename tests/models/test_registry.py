"""The registry: cards and tiny generated models on disk, order, lazy loading, errors."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from models.cards import InputContract, ModelCard
from models.labels import FAIRFACE_GENDER, FAIRFACE_RACE, UTKFACE_RACE
from models.registry import ModelLoadError, load_model_file, load_registry

SIZE = 16


def _tiny_model(classes: int, size: int = SIZE, seed: int = 0, softmax_layer: bool = True):
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    if softmax_layer:
        outputs = keras.layers.Softmax()(keras.layers.Dense(classes)(x))
    else:
        outputs = keras.layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def _card(name, attribute, labels, data="FairFace", **kwargs) -> ModelCard:
    return ModelCard(
        name=name,
        attribute=attribute,
        labels=labels,
        input=InputContract(size=SIZE, padding=0.25, preprocessing="unit"),
        training_data=data,
        **kwargs,
    )


def _save(folder, card: ModelCard, model) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / f"{card.name}.keras")
    card.save(folder / f"{card.name}.json")


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    """A user folder from training/, and a cache of imported pretrained models."""
    root = tmp_path_factory.mktemp("zoo")
    user, cache = root / "trained", root / "cache"
    race = _tiny_model(7)
    _save(user, _card("synthetic_race", "race", FAIRFACE_RACE, "Synthetic FairFace-format data", synthetic=True), race)
    _save(user, _card("fairface_race_biased", "race", FAIRFACE_RACE, "FairFace, census-biased subset", extra={"biased": True}), race)
    _save(user, _card("fairface_race", "race", FAIRFACE_RACE), race)
    _save(cache / "models", _card("gear-race", "race", UTKFACE_RACE, "UTKFace"), _tiny_model(5, softmax_layer=False))
    _save(cache / "models", _card("dlib-gender", "gender", FAIRFACE_GENDER, "dlib-models"), _tiny_model(2, seed=3))
    return user, cache


def test_user_fairface_models_come_first_then_cache_then_synthetic(zoo, monkeypatch):
    user, cache = zoo
    monkeypatch.setenv("FACEXAI_CACHE", str(cache))
    registry = load_registry([user])
    names = [m.name for m in registry.for_attribute("race")]
    assert names == ["fairface_race", "fairface_race_biased", "gear-race", "synthetic_race"]
    assert registry.attributes() == ("race", "gender")
    assert [m.origin for m in registry.for_attribute("gender")] == ["cache"]
    assert registry.problems == []
    assert not load_registry([user], include_cache=False).for_attribute("gender")
    with pytest.raises(ValueError, match="attribute"):
        registry.for_attribute("emotion")


def test_lazy_load_once_and_predict_matches_keras(zoo, monkeypatch):
    user, cache = zoo
    monkeypatch.setenv("FACEXAI_CACHE", str(cache))
    model = load_registry([user]).get("gear-race")
    assert not model.is_loaded
    chips = np.random.default_rng(0).integers(0, 256, (3, SIZE, SIZE, 3), dtype=np.uint8)
    probs = model.predict(chips)
    assert model.is_loaded and model.keras_model is model.keras_model
    reference = _tiny_model(5, softmax_layer=False)
    np.testing.assert_allclose(probs, reference.predict(chips / 255.0, verbose=0), atol=1e-6)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-6)
    np.testing.assert_allclose(model.predict(chips[0]), probs[:1], atol=1e-6)
    with pytest.raises(ValueError, match=r"\(N, 16, 16, 3\)"):
        model.predict(np.zeros((1, 32, 32, 3), np.uint8))


def test_listing_does_not_import_tensorflow(zoo):
    user, cache = zoo
    code = (
        "import os, sys; os.environ['FACEXAI_CACHE'] = sys.argv[2];"
        "from models.registry import load_registry;"
        "r = load_registry([sys.argv[1]]); assert len(r) == 5, len(r);"
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(user), str(cache)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_mismatched_corrupt_and_cardless_files_are_skipped_with_reasons(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEXAI_CACHE", str(tmp_path / "no-cache"))
    good = _card("good", "gender", FAIRFACE_GENDER)
    _save(tmp_path, good, _tiny_model(2))
    _save(tmp_path, _card("three_labels", "gender", ("Male", "Female", "Other")), _tiny_model(2))
    _save(tmp_path, _card("wrong_size", "gender", FAIRFACE_GENDER), _tiny_model(2, size=24))
    (tmp_path / "garbage.keras").write_bytes(b"this is not a zip file")
    good.save(tmp_path / "garbage.json")
    (tmp_path / "cardless.keras").write_bytes((tmp_path / "good.keras").read_bytes())
    (tmp_path / "badcard.keras").write_bytes((tmp_path / "good.keras").read_bytes())
    (tmp_path / "badcard.json").write_text("{not json")
    with pytest.warns(UserWarning):
        registry = load_registry([tmp_path, tmp_path / "missing"])
    assert [m.name for m in registry] == ["good"]
    problems = "\n".join(registry.problems)
    assert "outputs 2 classes but its card lists 3 labels" in problems
    assert "takes 24x24 inputs but its card says 16x16" in problems
    assert "corrupt .keras file" in problems
    assert "no model card" in problems and "unreadable model card" in problems
    assert "no such folder" in problems
    # The duplicate-name check: "garbage" reused good's card but failed first.
    assert len(registry.problems) == 6


def test_a_file_that_fails_only_when_keras_loads_it(tmp_path, monkeypatch):
    """Valid zip and config, broken weights: found at first use, then reported."""
    monkeypatch.setenv("FACEXAI_CACHE", str(tmp_path / "no-cache"))
    card = _card("broken_weights", "gender", FAIRFACE_GENDER)
    _save(tmp_path, card, _tiny_model(2))
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
        model.keras_model
    with pytest.raises(ModelLoadError):
        model.predict(np.zeros((1, SIZE, SIZE, 3), np.uint8))
    assert registry.for_attribute("gender") == []
    assert any("broken_weights" in p for p in registry.problems)


def test_duplicate_names_keep_the_user_folder(zoo, tmp_path, monkeypatch):
    user, cache = zoo
    monkeypatch.setenv("FACEXAI_CACHE", str(cache))
    shadow = tmp_path / "shadow"
    _save(shadow, _card("dlib-gender", "gender", FAIRFACE_GENDER, "my own data"), _tiny_model(2))
    with pytest.warns(UserWarning, match="already taken"):
        registry = load_registry([shadow])
    assert registry.get("dlib-gender").card.training_data == "my own data"


def test_multi_output_models_are_refused(tmp_path):
    import keras

    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    model = keras.Model(inputs, [keras.layers.Dense(2)(x), keras.layers.Dense(3)(x)])
    model.save(tmp_path / "two.keras")
    _card("two", "gender", FAIRFACE_GENDER).save(tmp_path / "two.json")
    with pytest.raises(ModelLoadError, match="2 outputs"):
        load_model_file(tmp_path / "two.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "two.keras").read("config.json"))
    assert len(config["config"]["output_layers"]) == 2


def test_cli_lists_models_in_answer_order_with_provenance(zoo, monkeypatch, capsys):
    from models.__main__ import main

    user, cache = zoo
    monkeypatch.setenv("FACEXAI_CACHE", str(cache))
    assert main(["list", "--models", str(user)]) == 0
    text = capsys.readouterr().out
    race = text[text.index("race:") : text.index("gender:")]
    assert race.index("fairface_race ") < race.index("fairface_race_biased") < race.index("gear-race") < race.index("synthetic_race")
    assert "SYNTHETIC" in race and "trained on: UTKFace" in race
    assert "age: no model" in text

    assert main(["list", "--models", str(user), "--no-cache", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [m["name"] for m in listed["models"]] == ["fairface_race", "fairface_race_biased", "synthetic_race"]
    assert listed["models"][0]["origin"] == "user" and listed["problems"] == []


def test_cli_says_how_to_get_models_when_there_are_none(tmp_path, monkeypatch, capsys):
    from models.__main__ import main

    monkeypatch.setenv("FACEXAI_CACHE", str(tmp_path))
    assert main(["list"]) == 0
    assert "python -m models import" in capsys.readouterr().out
