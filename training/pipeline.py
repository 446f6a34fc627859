"""tf.data input pipeline: decode -> (crop) -> resize -> cache -> shuffle ->
batch -> augment -> the backbone's preprocessing -> prefetch.

The cache holds uint8 chips before augmentation, so every epoch sees fresh
random rotations and flips while decoding happens once. Preprocessing runs in
the graph; `tf_preprocess` mirrors models.preprocessing exactly (tested).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

# Caffe-style ImageNet means (BGR) that keras.applications.resnet50 subtracts.
_RESNET50_BGR_MEAN = (103.939, 116.779, 123.68)


@dataclasses.dataclass(frozen=True)
class Augmentation:
    """The paper's augmentation: random rotation and horizontal + vertical flips.

    The paper gives no rotation range; 0.05 of a full turn is +-18 degrees.
    """

    rotation: float = 0.05
    horizontal_flip: bool = True
    vertical_flip: bool = True

    @classmethod
    def none(cls) -> Augmentation:
        return cls(rotation=0.0, horizontal_flip=False, vertical_flip=False)

    def layers(self, seed: int) -> list[keras.layers.Layer]:
        out = []
        if self.rotation > 0:
            out.append(keras.layers.RandomRotation(self.rotation, fill_mode="reflect", seed=seed))
        mode = {(True, True): "horizontal_and_vertical", (True, False): "horizontal", (False, True): "vertical"}
        flips = (self.horizontal_flip, self.vertical_flip)
        if any(flips):
            out.append(keras.layers.RandomFlip(mode[flips], seed=seed + 1))
        return out


def tf_preprocess(pixels: tf.Tensor, name: str) -> tf.Tensor:
    """Graph version of models.preprocessing.get_preprocess(name)."""
    pixels = tf.cast(pixels, tf.float32)
    if name == "resnet50":
        return pixels[..., ::-1] - tf.constant(_RESNET50_BGR_MEAN)
    if name == "mobilenet_v2":
        return pixels / 127.5 - 1.0
    if name == "unit":
        return pixels / 255.0
    if name in ("efficientnet", "raw"):
        return pixels
    raise ValueError(f"no in-graph preprocessing for {name!r}")


def load_chip(path: tf.Tensor, image_size: int, crop: float) -> tf.Tensor:
    """Decode one JPEG/PNG, keep the central `crop` fraction, resize; uint8."""
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    if crop < 1.0:
        image = tf.image.central_crop(image, crop)
    image = tf.image.resize(image, (image_size, image_size), antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)


def make_dataset(
    paths: list[str],
    labels: np.ndarray,
    num_classes: int,
    *,
    image_size: int = 224,
    preprocessing: str = "resnet50",
    crop: float = 1.0,
    augment: Augmentation | None = None,
    batch_size: int = 128,
    shuffle: bool = False,
    cache: str | Path | None = "memory",
    seed: int = 0,
) -> tf.data.Dataset:
    """(image, one-hot label) batches. cache: "memory", a file prefix, or None."""
    if len(paths) != len(labels) or not len(paths):
        raise ValueError(f"need as many labels as paths (and at least one): {len(paths)} paths, {len(labels)} labels")
    ds = tf.data.Dataset.from_tensor_slices((list(map(str, paths)), np.asarray(labels, np.int64)))
    ds = ds.map(lambda p, y: (load_chip(p, image_size, crop), y), num_parallel_calls=tf.data.AUTOTUNE)
    ds = _cache(ds, cache)
    if shuffle:
        ds = ds.shuffle(min(len(paths), 10_000), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    ds = ds.map(_finish(augment, preprocessing, num_classes, seed), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.with_options(_options()).prefetch(tf.data.AUTOTUNE)


def _cache(ds: tf.data.Dataset, cache) -> tf.data.Dataset:
    if cache is None:
        return ds
    if cache == "memory":
        return ds.cache()
    Path(cache).parent.mkdir(parents=True, exist_ok=True)
    return ds.cache(str(cache))


def _finish(augment: Augmentation | None, preprocessing: str, num_classes: int, seed: int):
    layers = (augment or Augmentation.none()).layers(seed)

    def finish(images, labels):
        x = tf.cast(images, tf.float32)
        for layer in layers:
            x = layer(x, training=True)
        return tf_preprocess(x, preprocessing), tf.one_hot(labels, num_classes)

    return finish


def _options() -> tf.data.Options:
    options = tf.data.Options()
    # Sharding by element works for an in-memory file list on any number of workers.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return options
