"""vqa.vilt's names, kept for code written against them, on a tiny randomly
initialised ViLT saved to a temporary folder (tests/vqa/conftest.py), through
the same loading code as real weights. Needs torch (requirements-vqa.txt)."""
import json
import sys

import numpy as np
import pytest

from tests.vqa.conftest import VQA_ANSWERS as ANSWERS
from vqa import vilt


def _reference(folder, image, question):
    """Softmax of the logits, computed here with transformers directly."""
    import torch
    from PIL import Image
    from transformers import ViltForQuestionAnswering, ViltProcessor

    processor = ViltProcessor.from_pretrained(folder)
    model = ViltForQuestionAnswering.from_pretrained(folder).eval()
    with torch.no_grad():
        logits = model(**processor(Image.fromarray(image), question, return_tensors="pt")).logits[0]
    return torch.softmax(logits.double(), -1).numpy()


def test_tiny_vilt_answers_through_the_real_loading_path(tiny_vilt, astronaut):
    got = vilt.second_opinion(astronaut, "How old is she?", model=tiny_vilt)
    assert got.error is None
    probs = _reference(tiny_vilt, astronaut, "How old is she?")
    assert got.answer == ANSWERS[int(np.argmax(probs))]
    assert got.confidence == pytest.approx(probs.max(), abs=1e-9)
    assert [p for _, p in got.top] == pytest.approx(sorted(probs, reverse=True)[:3], abs=1e-9)
    assert "VQAv2" in got.text and json.loads(json.dumps(got.to_dict()))["answer"] == got.answer
    assert got.family == "ViLT" and got.kind == "classifier"


def test_the_tokenizer_vocabulary_reaches_the_model(tiny_vilt):
    processor, _ = vilt.load(tiny_vilt)
    ids = processor.tokenizer("how old is she?")["input_ids"]
    assert ids == [2, 5, 6, 7, 8, 13, 3]


def test_ask_puts_the_second_opinion_beside_ours(tiny_vilt, tiny_registry, astronaut):
    from vqa import ask

    result = ask(astronaut, "Is she a woman?", explain=(), registry=tiny_registry, second_opinion=tiny_vilt)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["second_opinion"]["answer"] in ANSWERS
    assert [a["model"] for a in data["faces"][0]["answers"]] == ["gender-a"]


def test_missing_torch_is_explained_not_raised(monkeypatch, astronaut, tmp_path):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ImportError
    got = vilt.second_opinion(astronaut, "How old is she?", model=tmp_path / "never-loaded")
    assert got.answer is None and "torch" in got.error and "requirements-vqa.txt" in got.error


def test_missing_weights_are_explained_not_raised(astronaut, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    got = vilt.second_opinion(astronaut, "How old is she?", model=tmp_path / "nothing-here")
    assert got.answer is None and "no VQA model folder" in got.error
    offline = vilt.second_opinion(astronaut, "How old is she?", model="someone/not-cached-vilt")
    assert offline.answer is None and "not in the local Hugging Face cache" in offline.error
    assert "No second opinion" in offline.text


def test_an_empty_question_is_not_sent(astronaut):
    assert vilt.second_opinion(astronaut, "  ").error == "there is no question to ask"


def test_a_refused_question_is_not_sent_to_vilt_either(tiny_vilt, tiny_registry, astronaut):
    from vqa import ask

    result = ask(astronaut, "Is she a criminal?", registry=tiny_registry, second_opinion=tiny_vilt)
    assert result.intent.topic == "criminality" and result.second_opinion is None


def test_the_old_error_name_is_the_general_one():
    from vqa.general import VqaUnavailable

    assert vilt.ViltUnavailable is VqaUnavailable and vilt.DEFAULT_MODEL == "dandelin/vilt-b32-finetuned-vqa"
