"""Tiny models for the xai tests (seeded, built in well under a second)."""
import keras
import numpy as np


def small_smooth_cnn(size=16, classes=4, seed=0, head="dense_softmax"):
    """Conv -> pool -> conv -> GAP -> Dense; softplus keeps the path integral smooth."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(6, 3, padding="same", activation="softplus", name="conv1")(inputs)
    x = keras.layers.AveragePooling2D(2)(x)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="softplus", name="conv2")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    if head == "dense_softmax":
        out = keras.layers.Dense(classes, activation="softmax", name="head")(x)
    elif head == "softmax_layer":
        out = keras.layers.Softmax()(keras.layers.Dense(classes, name="head")(x))
    else:
        out = keras.layers.Dense(classes, name="head")(x)
    return keras.Model(inputs, out)


def relu_cnn(size=16, classes=4, seed=1):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((size, size, 3)),
        keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv1"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(8, 3, padding="same", name="conv2"),
        keras.layers.Activation("relu", name="relu2"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(classes, activation="softmax", name="head"),
    ])


def positive_linear(seed=0, size=8):
    """(model, image, true relevance): the logit of class 0 is w . x with w >= 0, so on
    an image x >= 0 each pixel's true relevance (against a black fill) is w * x, never negative."""
    rng = np.random.default_rng(seed)
    model = keras.Sequential([keras.Input((size, size, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax", name="head")])
    w = rng.exponential(size=(size * size, 1)) ** 2
    model.get_layer("head").set_weights([np.concatenate([w, np.zeros_like(w)], 1), np.zeros(2)])
    x = rng.uniform(0, 1, (1, size, size, 1)).astype(np.float32)
    return model, x, np.abs(w.reshape(size, size) * x[0, ..., 0])
