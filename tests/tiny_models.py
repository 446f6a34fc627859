"""Every tiny model the tests build, in one place: seeded or set by hand, built in
well under a second, so that a test's expected numbers follow from its model.

Keras classifiers (the xai tests' CNNs and known-relevance models, the model zoo,
the vqa and app tests' small_cnn face models with cards, the hand-set gender models
of the stability and occlusion tests) and tiny random ViLT / BLIP general VQA models
(transformers, built from their configs, no hub access).

A model whose weights are the point of one test stays beside that test; what two
test modules share, or what was written twice, lives here. Not a test module: the
test modules import it (`from tests.tiny_models import ...`).

Keras is imported inside each builder, not here: a conftest imports this module while
pytest collects, and TensorFlow's import must wait for the project's own quiet start-up
(xai.quiet), or its start-up lines reach the terminal.
"""
from __future__ import annotations

import numpy as np

# -- the xai tests' models -------------------------------------------------------


def small_smooth_cnn(size=16, classes=4, seed=0, head="dense_softmax"):
    """Conv -> pool -> conv -> GAP -> Dense; softplus keeps the path integral smooth."""
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(6, 3, padding="same", activation="softplus", name="conv1")(inputs)
    x = keras.layers.AveragePooling2D(2)(x)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="softplus", name="conv2")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    if head == "dense_softmax":
        out = keras.layers.Dense(classes, activation="softmax", name="head")(x)
    elif head == "softmax_layer":
        out = keras.layers.Softmax()(keras.layers.Dense(classes, name="head")(x))
    else:
        out = keras.layers.Dense(classes, name="head")(x)
    return keras.Model(inputs, out)


def relu_cnn(size=16, classes=4, seed=1):
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((size, size, 3)),
        keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv1"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(8, 3, padding="same", name="conv2"),
        keras.layers.Activation("relu", name="relu2"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(classes, activation="softmax", name="head"),
    ])


def linear_softmax(seed=0):
    """(model, w): (4, 4, 2) -> Flatten -> Dense(3, softmax) with random weights w and bias;
    IG on it is exactly (x - baseline) * w, whatever the path's points."""
    import keras

    rng = np.random.default_rng(seed)
    model = keras.Sequential([
        keras.Input((4, 4, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(3, activation="softmax", name="head"),
    ])
    w, b = rng.normal(size=(32, 3)), rng.normal(size=3)
    model.get_layer("head").set_weights([w, b])
    return model, w


def positive_linear(seed=0, size=8):
    """(model, image, true relevance): the logit of class 0 is w . x with w >= 0, so on
    an image x >= 0 each pixel's true relevance (against a black fill) is w * x, never negative."""
    import keras

    rng = np.random.default_rng(seed)
    model = keras.Sequential([keras.Input((size, size, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax", name="head")])
    w = rng.exponential(size=(size * size, 1)) ** 2
    model.get_layer("head").set_weights([np.concatenate([w, np.zeros_like(w)], 1), np.zeros(2)])
    x = rng.uniform(0, 1, (1, size, size, 1)).astype(np.float32)
    return model, x, np.abs(w.reshape(size, size) * x[0, ..., 0])


def with_row_counter(model):
    """(the model behind a counting layer, the layer): its `rows` and `calls` weights count
    the rows and the calls that reached the model, so that a test can hold a method to
    its number of model evaluations."""
    import keras
    import tensorflow as tf

    class RowCounter(keras.layers.Layer):
        """Passes its input on; counts the rows and the calls that went through it."""

        def build(self, input_shape):
            self.rows = self.add_weight(shape=(), initializer="zeros", trainable=False, dtype="int64", name="rows")
            self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False, dtype="int64", name="calls")

        def call(self, x):
            counted = [self.rows.assign_add(tf.cast(tf.shape(x)[0], "int64")), self.calls.assign_add(1)]
            with tf.control_dependencies(counted):
                return tf.identity(x)

    counter = RowCounter(name="counter")
    inputs = keras.Input(model.inputs[0].shape[1:])
    return keras.Model(inputs, model(counter(inputs))), counter


# -- the model zoo of the registry, handle and .keras-file tests (tests/models/zoo_helpers.py) --

ZOO_SIZE = 16  # the side tiny_model reads by default, and so the zoo's cards' input size


def tiny_model(classes: int, size: int = ZOO_SIZE, seed: int = 0, softmax_layer: bool = True):
    """Conv -> GAP -> Dense, its softmax a layer of its own or the Dense's activation
    (the registry reads both)."""
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    if softmax_layer:
        outputs = keras.layers.Softmax()(keras.layers.Dense(classes)(x))
    else:
        outputs = keras.layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


# -- small_cnn face models with cards, as training writes them (vqa, benchmarks and app tests) --

TINY_SIZE = 32
# (file name, attribute, preprocessing) of the `tiny_dir` fixture (tests/conftest.py): two race
# models, so that "each model answers separately" can be seen; one with ResNet50 preprocessing,
# so that a card's preprocessing reaches the model and IG's black baseline.
TINY_MODELS = (
    ("race-a", "race", "unit"),
    ("race-b", "race", "resnet50"),
    ("gender-a", "gender", "unit"),
    ("age-a", "age", "unit"),
)


def build_tiny_face_model(folder, name, attribute, preprocessing, seed):
    """A random small_cnn FairFace `attribute` model and its card, saved as <folder>/<name>.keras/.json."""
    import keras

    from models.cards import InputContract, ModelCard
    from models.labels import FAIRFACE
    from training.architecture import build_model

    keras.utils.set_random_seed(seed)
    model = build_model(len(FAIRFACE[attribute]), backbone="small_cnn", input_size=TINY_SIZE,
                        head_units=16, name=name)
    model.save(folder / f"{name}.keras")
    ModelCard(
        name=name, attribute=attribute, labels=FAIRFACE[attribute],
        input=InputContract(size=TINY_SIZE, padding=0.25, preprocessing=preprocessing),
        training_data="nothing: random weights built by the vqa tests", synthetic=True,
        label_space=f"FairFace {attribute}",
    ).save(folder / f"{name}.json")


def build_race_model(folder, name: str, biased: bool, seed: int) -> None:
    """A tiny random race model with an honest card: it stands in for the fair
    and census-biased models a person trains, to show they reach the page."""
    import keras

    from models.cards import InputContract, ModelCard
    from models.labels import FAIRFACE_RACE
    from training.architecture import build_model

    keras.utils.set_random_seed(seed)
    build_model(len(FAIRFACE_RACE), backbone="small_cnn", input_size=TINY_SIZE, name=name).save(
        folder / f"{name}.keras")
    ModelCard(name=name, attribute="race", labels=FAIRFACE_RACE, input=InputContract(TINY_SIZE, 0.25, "unit"),
              training_data="nothing: random weights built by the app tests"
              + (", census-biased card" if biased else ""),
              synthetic=True, extra={"biased": biased}).save(folder / f"{name}.json")


# -- hand-set gender models: Flatten -> Dense(2, softmax) with the weights a test chooses --

def dense_softmax(kernel: np.ndarray, bias: np.ndarray, size: int):
    """(size, size, 3) -> Flatten -> Dense(2, softmax): logit = pixels . kernel + bias."""
    import keras

    model = keras.Sequential([keras.Input((size, size, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    model.layers[-1].set_weights([np.asarray(kernel, dtype=np.float32), np.asarray(bias, dtype=np.float32)])
    return model


def save_gender_model(folder, name: str, model, made_by: str, padding: float = 0.25):
    """`model` saved with a FairFace gender card ("unit" preprocessing, the model's own
    side as the chip size) and loaded back as the registry would (models.registry.load_model_file).
    made_by: which tests set its weights, for the card's training data."""
    from models.cards import InputContract, ModelCard
    from models.labels import FAIRFACE
    from models.registry import load_model_file

    model.save(folder / f"{name}.keras")
    ModelCard(name=name, attribute="gender", labels=FAIRFACE["gender"],
              input=InputContract(size=model.inputs[0].shape[1], padding=padding, preprocessing="unit"),
              training_data=f"nothing: weights set by hand in the {made_by} tests", synthetic=True,
              ).save(folder / f"{name}.json")
    return load_model_file(folder / f"{name}.keras")


# -- tiny general VQA models (transformers), built from their configs -----------
# The words both tiny tokenizers know; the first ones keep the ids the ViLT
# tokenizer test expects.
VQA_WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "how", "old", "is", "she", "he", "a",
             "man", "woman", "?", "what", "asian", "yes", "no", "[DEC]", "wearing", "glasses", "race",
             "east", "white", "in", "the", "picture"]
VQA_ANSWERS = ["yes", "no", "2", "man", "woman", "30", "white", "asian", "glasses"]


def build_tiny_vilt(folder, favour: str | None = None, seed: int = 0):
    """A random ViLT saved with save_pretrained; `favour` adds a large bias to
    one answer so that the model gives it whatever it is asked (its weights,
    and so its gradients, stay as they were)."""
    import torch
    from transformers import BertTokenizer, ViltConfig, ViltForQuestionAnswering, ViltImageProcessor, ViltProcessor

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(VQA_WORDS) + "\n")
    tokenizer = BertTokenizer(vocab=str(folder / "vocab.txt"), model_max_length=40)
    processor = ViltProcessor(image_processor=ViltImageProcessor(size={"shortest_edge": 64}, size_divisor=32),
                              tokenizer=tokenizer)
    config = ViltConfig(vocab_size=len(VQA_WORDS), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=37, image_size=64, patch_size=32, max_position_embeddings=40,
                        num_labels=len(VQA_ANSWERS), id2label=dict(enumerate(VQA_ANSWERS)),
                        label2id={a: i for i, a in enumerate(VQA_ANSWERS)})
    torch.manual_seed(seed)
    model = ViltForQuestionAnswering(config)
    if favour is not None:
        with torch.no_grad():
            model.classifier[-1].bias[VQA_ANSWERS.index(favour)] += 50.0
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def build_tiny_blip(folder, seed: int = 0):
    """A random BlipForQuestionAnswering saved with save_pretrained."""
    import torch
    from transformers import BertTokenizer, BlipConfig, BlipForQuestionAnswering, BlipImageProcessor, BlipProcessor

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(VQA_WORDS) + "\n")
    tokenizer = BertTokenizer(vocab=str(folder / "vocab.txt"), model_max_length=40, bos_token="[DEC]")
    processor = BlipProcessor(image_processor=BlipImageProcessor(size={"height": 64, "width": 64}),
                              tokenizer=tokenizer)
    # Wide initial weights: at the default 0.02 the answer barely depends on the
    # photo, and its change under IG would drown in float32 rounding.
    small = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 37,
             "initializer_range": 0.1}
    config = BlipConfig(
        text_config={**small, "vocab_size": len(VQA_WORDS), "max_position_embeddings": 40, "encoder_hidden_size": 32,
                     "bos_token_id": VQA_WORDS.index("[DEC]"), "sep_token_id": 3, "pad_token_id": 0},
        vision_config={**small, "image_size": 64, "patch_size": 32})
    torch.manual_seed(seed)
    BlipForQuestionAnswering(config).save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder
