"""Reference images x' for Integrated Gradients, in the model's input space."""
from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from xai.defaults import IG_BASELINES as NAMES


def make_baseline(spec, images: np.ndarray, preprocess=None, blur_sigma: float | None = None) -> np.ndarray:
    """A baseline batch shaped like `images` (N, H, W, C).

    spec: "black", "white", "blur" or an array broadcastable to the batch.
    preprocess: pixels in [0, 255] -> model input. With it, black and white are
    the preprocessed pixel values 0 and 255; without it, 0.0 and 1.0.
    blur_sigma: Gaussian sigma in pixels for "blur" (default: a tenth of the
    image's longer side, enough to remove facial features but keep colours).
    """
    if isinstance(spec, str):
        if spec == "black":
            return _constant(images, 0.0, 0.0, preprocess)
        if spec == "white":
            return _constant(images, 255.0, 1.0, preprocess)
        if spec == "blur":
            sigma = blur_sigma if blur_sigma is not None else max(images.shape[1:3]) / 10.0
            # Preprocessing is affine per channel, so blurring the model input
            # equals preprocessing the blurred photo.
            return gaussian_filter(images, sigma=(0, sigma, sigma, 0), mode="nearest").astype(np.float32)
        raise ValueError(f"unknown baseline {spec!r}; use one of {NAMES} or an array")
    base = np.asarray(spec, dtype=np.float32)
    try:
        return np.broadcast_to(base, images.shape).astype(np.float32)
    except ValueError:
        raise ValueError(f"baseline of shape {base.shape} does not broadcast "
                         f"to the images' shape {images.shape}") from None


def _constant(images, pixel_value, unit_value, preprocess):
    if preprocess is None:
        return np.full(images.shape, unit_value, dtype=np.float32)
    out = np.asarray(preprocess(np.full(images.shape, pixel_value, dtype=np.float32)), dtype=np.float32)
    if out.shape != images.shape:
        raise ValueError(f"preprocess changed the shape {images.shape} to {out.shape}; "
                         "it must map pixels to model input elementwise")
    return out
