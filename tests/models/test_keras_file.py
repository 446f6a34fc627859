"""Reading a .keras file without TensorFlow: its outputs and input size from config.json."""
from __future__ import annotations

import json
import zipfile

import pytest

from models.keras_file import input_shape, output_units, read_keras_config
from models.labels import FAIRFACE_GENDER
from models.registry import ModelLoadError, load_model_file
from tests.models.zoo_helpers import SIZE, make_card
from tests.tiny_models import tiny_model


def test_multi_output_models_are_refused(tmp_path):
    import keras

    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    model = keras.Model(inputs, [keras.layers.Dense(2)(x), keras.layers.Dense(3)(x)])
    model.save(tmp_path / "two.keras")
    make_card("two", "gender", FAIRFACE_GENDER).save(tmp_path / "two.json")
    with pytest.raises(ModelLoadError, match="2 outputs"):
        load_model_file(tmp_path / "two.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "two.keras").read("config.json"))
    assert len(config["config"]["output_layers"]) == 2


def test_config_gives_units_and_input_size_of_saved_models(tmp_path):
    for softmax_layer in (True, False):
        path = tmp_path / f"m{softmax_layer}.keras"
        tiny_model(5, size=24, softmax_layer=softmax_layer).save(path)
        config = read_keras_config(path)
        assert output_units(config) == 5
        assert input_shape(config) == [None, 24, 24, 3]
