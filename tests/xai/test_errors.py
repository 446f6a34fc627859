"""Bad input gets a ValueError that says what is wrong."""
import keras
import numpy as np
import pytest

from xai import GradCAM, GuidedGradCAM, IntegratedGradients


def test_wrong_input_shape(cnn):
    with pytest.raises(ValueError, match="batch"):
        GradCAM(cnn).explain(np.zeros((16, 16, 3)))
    with pytest.raises(ValueError, match="expects"):
        GradCAM(cnn).explain(np.zeros((1, 20, 16, 3)))
    with pytest.raises(ValueError, match="empty"):
        IntegratedGradients(cnn).explain(np.zeros((0, 16, 16, 3)))
    with pytest.raises(ValueError, match="NaN"):
        GuidedGradCAM(cnn).explain(np.full((1, 16, 16, 3), np.nan))
    with pytest.raises(ValueError, match="numeric"):
        GradCAM(cnn).explain([["a"]])


def test_model_without_conv_layer():
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Rescaling(0.5), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    with pytest.raises(ValueError, match="no convolutional layer"):
        GradCAM(model).explain(np.zeros((1, 8, 8, 3)))
    # IG needs no conv layer, so the same model is fine there.
    assert IntegratedGradients(model, steps=2).explain(np.ones((1, 8, 8, 3))).attributions.shape == (1, 8, 8, 3)


def test_unknown_or_flat_layer_name(cnn):
    with pytest.raises(ValueError, match="no layer named"):
        GradCAM(cnn, layer="nope").explain(np.zeros((1, 16, 16, 3)))
    with pytest.raises(ValueError, match="4-D"):
        GradCAM(cnn, layer="head").explain(np.zeros((1, 16, 16, 3)))


@pytest.mark.parametrize("targets", [[4], [-1], 7, [0, 1], [0.5]])
def test_target_out_of_range_or_malformed(cnn, targets):
    for method in (GradCAM(cnn), IntegratedGradients(cnn, steps=2)):
        with pytest.raises(ValueError, match="target"):
            method.explain(np.zeros((1, 16, 16, 3)), targets=targets)


def test_bad_ig_settings(cnn):
    with pytest.raises(ValueError, match="steps"):
        IntegratedGradients(cnn, steps=0)
    with pytest.raises(ValueError, match="quadrature"):
        IntegratedGradients(cnn, method="simpson")
    with pytest.raises(ValueError, match="batch_size"):
        IntegratedGradients(cnn, batch_size=0)
    with pytest.raises(ValueError, match="baseline"):
        IntegratedGradients(cnn, baseline="grey").explain(np.zeros((1, 16, 16, 3)))
    with pytest.raises(ValueError, match="broadcast"):
        IntegratedGradients(cnn, baseline=np.zeros((3, 3))).explain(np.zeros((1, 16, 16, 3)))


def test_multi_output_model_is_refused():
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(2, 3)(inputs)
    flat = keras.layers.Flatten()(x)
    model = keras.Model(inputs, [keras.layers.Dense(2)(flat), keras.layers.Dense(3)(flat)])
    with pytest.raises(ValueError, match="single-output"):
        GradCAM(model).explain(np.zeros((1, 8, 8, 3)))
