"""Attribution methods for any Keras 3 image classifier (TensorFlow backend).

Batch-first: images are float arrays (N, H, W, C), already preprocessed for
the model. Every method answers `explain(images, targets=None)` with an
`Explanation`; targets default to the predicted class, and the score explained
is the pre-softmax logit.

The methods load lazily, so that `xai.methods` and `xai.defaults` (the shared
vocabulary) can be read without importing TensorFlow.
"""
import importlib

_PUBLIC = {"Explanation": "xai.base", "GradCAM": "xai.gradcam", "GuidedGradCAM": "xai.gradcam",
           "IntegratedGradients": "xai.integrated_gradients"}

__all__ = list(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'xai' has no attribute {name!r}")
