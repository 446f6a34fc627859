"""Tiny models for the xai tests (seeded, built in well under a second)."""
import keras


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
