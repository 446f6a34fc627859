"""Attribution methods for any Keras 3 image classifier (TensorFlow backend).

Batch-first: images are float arrays (N, H, W, C), already preprocessed for
the model. Every method answers `explain(images, targets=None)` with an
`Explanation`; targets default to the predicted class, and the score explained
is the pre-softmax logit.
"""
from xai.base import Explanation
from xai.gradcam import GradCAM, GuidedGradCAM
from xai.integrated_gradients import IntegratedGradients

__all__ = ["Explanation", "GradCAM", "GuidedGradCAM", "IntegratedGradients"]
