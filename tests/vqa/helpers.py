"""What the vqa tests share with other test modules (tests/app's among them), besides
fixtures (conftest.py) and models (tests/tiny_models.py). Not a test module: test
modules import from it, never from one another."""
from __future__ import annotations

import numpy as np

from tests.tiny_models import dense_softmax, save_gender_model

# (attribute, two answers, do they agree): tests/vqa/test_agreement.py checks vqa.agreement on them,
# tests/app/test_compare_tab.py the Compare tab's words.
AGREEMENT_CASES = [
    ("age", ("30-39", "31-40"), True),  # FairFace and GEAR bins overlap
    ("age", ("20-29", "31-40"), False),
    ("age", ("more than 70", "61+"), True),
    ("race", ("Asian", "East Asian"), True),  # UTKFace's class contains FairFace's
    ("race", ("Asian", "Indian"), False),
    ("race", ("East Asian", "Southeast Asian"), False),
    ("gender", ("Female", "woman"), True),
    ("gender", ("Female", "Male"), False),
]

# -- the stability tests' hand-set gender models (tests/vqa/test_stability.py; test_trust_json.py
# reads their stability in the JSON), whose answers follow from their weights

STABILITY_SIZE = 32  # the side of their chips
# The pixel the edge model reads: row 16, column 3 of the chip, red channel.
EDGE_PIXEL = (16, 3)


def save_edge_model(folder):
    """"edge", saved in `folder` and loaded: Male when the chip's pixel EDGE_PIXEL is bright,
    Female when it is dark."""
    kernel = np.zeros((STABILITY_SIZE * STABILITY_SIZE * 3, 2))
    index = np.ravel_multi_index((*EDGE_PIXEL, 0), (STABILITY_SIZE, STABILITY_SIZE, 3))
    kernel[index] = [20.0, -20.0]
    model = dense_softmax(kernel, np.array([-10.0, 10.0]), STABILITY_SIZE)
    return save_gender_model(folder, "edge", model, made_by="stability")


def save_constant_model(folder):
    """"constant", saved in `folder` and loaded: ignores the pixels, P(Male) = sigmoid(1) whatever the crop."""
    model = dense_softmax(np.zeros((STABILITY_SIZE * STABILITY_SIZE * 3, 2)), np.array([1.0, 0.0]), STABILITY_SIZE)
    return save_gender_model(folder, "constant", model, made_by="stability")
