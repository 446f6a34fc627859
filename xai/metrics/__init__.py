"""Metrics of explanations, each a claim about the model checked against it:

- perturbation: deletion / insertion AUC and `faithfulness` (a map against a random
  map on the same image), the form the app shows;
- randomization: the model-randomisation sanity check;
- occlusion: which region the model's score rests on, from a model call and
  named masks (model-agnostic: no TensorFlow or Keras; vqa.occlusion compares it
  with a map's region shares).

`from xai.metrics import faithfulness` works as before; the names are looked up
on first use, so that importing xai.metrics.occlusion does not load Keras.
"""
from __future__ import annotations

import importlib

_HOMES = {
    "Faithfulness": "perturbation", "deletion_auc": "perturbation", "faithfulness": "perturbation",
    "insertion_auc": "perturbation",
    "randomization_rank_correlation": "randomization", "randomized_copy": "randomization",
    "Occlusion": "occlusion", "drop_shares": "occlusion", "occlude": "occlusion", "occluded": "occlusion",
}
__all__ = sorted(_HOMES)


def __getattr__(name):
    # lazy: keeps `import xai.metrics.occlusion` free of Keras (the package runs first)
    if name in _HOMES:
        return getattr(importlib.import_module(f"xai.metrics.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'xai.metrics' has no attribute {name!r}")
