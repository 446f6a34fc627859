"""Run in a subprocess by test_distribute.py: two logical CPU devices must be
configured before TensorFlow initialises, which pytest's process has done."""
import json
import sys

import tensorflow as tf

_cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(_cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from training.architecture import build_model  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.distribute import choose_strategy  # noqa: E402
from training.pipeline import Augmentation  # noqa: E402
from training.train import train  # noqa: E402


def one_step(strategy, x, y):
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = build_model(3, backbone="small_cnn", input_size=32, dropout=0.0)
        # SGD, not the recipe's Nadam: Nadam's first step ignores the gradient's
        # scale, so it could not tell a mean over the global batch from a sum.
        model.compile(keras.optimizers.SGD(learning_rate=1.0), loss="categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    return before, model.get_weights()


def main(data, out):
    mirrored = choose_strategy("mirrored", devices=["/cpu:0", "/cpu:1"])
    # biased=True: the census subset is a quarter of the images, so the epoch is short.
    config = TrainConfig(task="race", biased=True, data=data, out=out, epochs=1, backbone="small_cnn", input_size=48,
                         batch_size=32, learning_rate=0.004, augment=Augmentation.none(), cache="memory")
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(32, 32, 32, 3)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, size=32)]
    start, single = one_step(tf.distribute.get_strategy(), x, y)
    _, split = one_step(mirrored, x, y)
    result = train(config, strategy=mirrored)
    print(json.dumps({
        "replicas": mirrored.num_replicas_in_sync,
        "max_step_difference": max(float(np.max(np.abs(a - b))) for a, b in zip(single, split)),
        "max_step_change": max(float(np.max(np.abs(a - b))) for a, b in zip(single, start)),
        "epochs_run": result.card.metrics["epochs_run"],
        "val_accuracy": result.card.metrics["val_accuracy"],
    }))


if __name__ == "__main__":
    main(*sys.argv[1:3])
