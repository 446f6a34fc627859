"""The fast CPU recipe (NOT the paper's): freeze the whole backbone, compute
its pooled features once, and train only the head on the cached features.

One backbone pass per image instead of one per image per epoch makes this
minutes instead of hours on a CPU, at the price of no augmentation and no
fine-tuning. The head layers are shared with the full image model, so the
saved model is the complete flat model that xai can explain.
"""
from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from training.architecture import head_layer_names


def pooled_features(model: keras.Model, ds: tf.data.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """(features, one-hot labels) of a dataset through the frozen backbone."""
    extractor = keras.Model(model.input, model.get_layer("head_pool").output)
    feats, labels = [], []
    for images, onehot in ds:
        feats.append(extractor(images, training=False).numpy())
        labels.append(onehot.numpy())
    return np.concatenate(feats), np.concatenate(labels)


def head_model(model: keras.Model, dim: int) -> keras.Model:
    """A model from pooled features to probabilities that shares the head's layers."""
    inputs = keras.Input((dim,), name="pooled_features")
    x = inputs
    for name in head_layer_names()[1:]:
        x = model.get_layer(name)(x)
    return keras.Model(inputs, x, name="head_only")


def fit_head_on_features(model, config, train_ds, val_ds, callbacks, strategy, compile_fn):
    if any(w.trainable for layer in model.layers if layer.name not in head_layer_names() for w in layer.weights):
        raise ValueError("frozen-features needs the whole backbone frozen (frozen_layers='all')")
    train_x, train_y = pooled_features(model, train_ds)
    val_x, val_y = pooled_features(model, val_ds)
    with strategy.scope():
        head = head_model(model, train_x.shape[1])
        compile_fn(head, config)
    return head.fit(train_x, train_y, validation_data=(val_x, val_y), batch_size=config.batch_size,
                    epochs=config.epochs, shuffle=True, callbacks=callbacks, verbose=2)
