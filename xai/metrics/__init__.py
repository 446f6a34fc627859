"""Metrics of explanations, each a claim about the model checked against it:

- perturbation: deletion / insertion AUC and `faithfulness` (a map against a random
  map on the same image), the form the app shows;
- randomization: the model-randomisation sanity check;
- occlusion: which region the model's score rests on, from a model call and
  named masks (model-agnostic: no TensorFlow or Keras; vqa.occlusion compares it
  with a map's region shares).
"""
from xai.metrics.occlusion import Occlusion, drop_shares, occlude, occluded
from xai.metrics.perturbation import Faithfulness, deletion_auc, faithfulness, insertion_auc
from xai.metrics.randomization import randomization_rank_correlation, randomized_copy

__all__ = ["Faithfulness", "Occlusion", "deletion_auc", "drop_shares", "faithfulness", "insertion_auc", "occlude",
           "occluded", "randomization_rank_correlation", "randomized_copy"]
