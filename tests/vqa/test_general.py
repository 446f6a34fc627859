"""The general VQA model (vqa.general): one adapter per kind, chosen from the
config; captum's Integrated Gradients over the photo with its completeness
delta; loading that says what it does and, when it cannot, why, in one line.
Tiny random ViLT and BLIP models from tests/tiny_models.py; no hub access."""
import json
import sys

import numpy as np
import pytest

from tests.tiny_models import VQA_ANSWERS
from vqa import general

QUESTION = "Is he wearing glasses?"


def _black_pixel_values(adapter, image):
    """The baseline computed independently: a black photo of the same size run
    through the model's own processor."""
    black = np.zeros_like(image)
    return adapter.inputs(black, QUESTION)["pixel_values"].float()


@pytest.mark.parametrize("kind", ["vilt", "blip"])
def test_the_adapter_is_chosen_from_the_config(kind, tiny_vilt, tiny_blip):
    adapter = general.load(tiny_vilt if kind == "vilt" else tiny_blip)
    expected = general.ViltAdapter if kind == "vilt" else general.BlipAdapter
    assert type(adapter) is expected
    assert type(adapter.network).__name__ == expected.model_class


def test_ig_on_the_tiny_vilt_sums_to_the_logit_change_within_its_delta(tiny_vilt, astronaut):
    import torch

    adapter = general.load(tiny_vilt)
    inputs = adapter.inputs(astronaut, QUESTION)
    reply = adapter.reply(inputs, top_k=3)
    found = adapter.attribute(inputs, reply.target, steps=8)
    base = _black_pixel_values(adapter, astronaut)
    assert torch.allclose(adapter.baseline(inputs["pixel_values"]), base, atol=1e-6)
    with torch.no_grad():
        # F(x) and F(x') straight from transformers: the answer's logit.
        logit = adapter.network(**inputs).logits[0, reply.target].item()
        black = adapter.network(**{**inputs, "pixel_values": base}).logits[0, reply.target].item()
    change = logit - black
    assert found.change == pytest.approx(change, rel=1e-4, abs=1e-7)
    assert abs(found.values.sum() - change) <= found.delta * abs(change) + 1e-9
    assert found.delta < 0.05  # eight Gauss-Legendre points are enough for this small model
    assert adapter.attribute(inputs, reply.target, steps=32).delta < found.delta  # more steps, smaller error


def test_blip_answers_what_it_generates_and_explains_the_answer_log_probability(tiny_blip, astronaut):
    import torch

    adapter = general.load(tiny_blip)
    inputs = adapter.inputs(astronaut, QUESTION)
    reply = adapter.reply(inputs, top_k=3)
    with torch.no_grad():
        out = adapter.network.generate(**inputs, max_new_tokens=general.MAX_ANSWER_TOKENS,
                                       output_scores=True, return_dict_in_generate=True)
    assert torch.equal(out.sequences, reply.target)
    assert reply.answer == adapter.processor.decode(out.sequences[0], skip_special_tokens=True).strip()
    # P(answer) from generate's own per-step scores, not from the adapter's forward.
    steps = [torch.log_softmax(score[0].double(), -1)[token] for score, token in zip(out.scores, out.sequences[0, 1:])]
    assert reply.confidence == pytest.approx(float(torch.exp(torch.stack(steps).sum())), rel=1e-4)
    found = adapter.attribute(inputs, reply.target, steps=32)
    assert abs(found.values.sum() - found.change) <= found.delta * abs(found.change) + 1e-9
    assert found.delta < 0.05 and abs(found.change) > 1e-3


def test_the_heatmap_lies_over_the_photo_and_json_reports_its_delta(tiny_vilt, astronaut):
    got = general.ask(astronaut, QUESTION, model=tiny_vilt, explain=True, ig_steps=8)
    assert got.heatmap.shape == astronaut.shape[:2] and got.heatmap.dtype == np.float32
    assert 0.0 <= got.heatmap.min() and 0.9 <= got.heatmap.max() <= 1.0  # 1 at the 99th percentile, then resized
    data = json.loads(json.dumps(got.to_dict()))
    assert data["heatmap"]["ig_delta"] == pytest.approx(got.ig_delta) and got.ig_delta < 0.05
    assert data["heatmap"]["shape"] == list(astronaut.shape[:2]) and data["heatmap"]["ig_steps"] == 8
    assert set(data["heatmap"]) >= {"ig_delta", "shape", "peak_xy", "mean", "ig_steps"}
    peak_x, peak_y = data["heatmap"]["peak_xy"]
    assert got.heatmap[peak_y, peak_x] == got.heatmap.max()
    assert data["disagrees"] is None and data["answer"] in VQA_ANSWERS


def test_loading_says_what_it_does(tiny_blip):
    general.model._LOADED.pop(str(tiny_blip), None)
    said = []
    general.load(tiny_blip, progress=lambda fraction, desc: said.append((fraction, desc)))
    assert [desc for _, desc in said] == [f"Loading the VQA model: the folder {tiny_blip}",
                    f"VQA model ready: BLIP (generative), {tiny_blip}"]
    assert [fraction for fraction, _ in said] == [None, None]  # loading cannot tell how far it has got


def _one_readable_line(opinion):
    assert opinion.answer is None and opinion.error and "\n" not in opinion.error
    assert "Traceback" not in opinion.error
    return opinion.error


def test_a_folder_that_is_not_a_vqa_model_gives_one_readable_line(tmp_path, astronaut, torch_stack):
    from transformers import BertConfig, ViltConfig

    empty = tmp_path / "empty"
    empty.mkdir()
    error = _one_readable_line(general.ask(astronaut, QUESTION, model=empty))
    assert "not a VQA model folder" in error and "save_pretrained" in error
    BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2).save_pretrained(tmp_path / "bert")
    error = _one_readable_line(general.ask(astronaut, QUESTION, model=tmp_path / "bert"))
    assert "not a visual question answering model" in error and "ViltForQuestionAnswering" in error
    # ViLT, but its masked-language-model head: not the VQA classifier.
    ViltConfig(architectures=["ViltForMaskedLM"]).save_pretrained(tmp_path / "vilt-mlm")
    error = _one_readable_line(general.ask(astronaut, QUESTION, model=tmp_path / "vilt-mlm"))
    assert "ViltForMaskedLM" in error


def test_a_vqa_config_without_weights_says_how_to_get_them(tmp_path, astronaut, torch_stack):
    from transformers import ViltConfig

    ViltConfig(architectures=["ViltForQuestionAnswering"]).save_pretrained(tmp_path / "config-only")
    error = _one_readable_line(general.ask(astronaut, QUESTION, model=tmp_path / "config-only"))
    assert "could not load the ViLT VQA model" in error and "save_pretrained" in error


def test_a_hub_id_offline_gives_one_readable_line_saying_how_to_get_it(astronaut, monkeypatch, torch_stack):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    error = _one_readable_line(general.ask(astronaut, QUESTION, model="someone/not-cached-vqa"))
    assert "HF_HUB_OFFLINE" in error and "hf download someone/not-cached-vqa" in error


def test_a_model_not_in_the_known_list_says_its_training_data_is_not_stated(tiny_vilt):
    adapter = general.load(tiny_vilt)
    assert adapter.training_data.startswith("not stated") and "VQAv2" in adapter.training_data
    known = general.ViltAdapter(general.DEFAULT_MODEL, None, None)
    assert known.training_data.startswith("VQAv2")


# -- the tiny ViLT through the real loading path ------------------------------

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
    got = general.ask(astronaut, "How old is she?", model=tiny_vilt)
    assert got.error is None
    probs = _reference(tiny_vilt, astronaut, "How old is she?")
    assert got.answer == VQA_ANSWERS[int(np.argmax(probs))]
    assert got.confidence == pytest.approx(probs.max(), abs=1e-9)
    assert [p for _, p in got.top] == pytest.approx(sorted(probs, reverse=True)[:3], abs=1e-9)
    assert "VQAv2" in got.text and json.loads(json.dumps(got.to_dict()))["answer"] == got.answer
    assert got.family == "ViLT" and got.kind == "classifier"


def test_the_tokenizer_vocabulary_reaches_the_model(tiny_vilt):
    processor = general.load(tiny_vilt).processor
    ids = processor.tokenizer("how old is she?")["input_ids"]
    assert ids == [2, 5, 6, 7, 8, 13, 3]


def test_ask_puts_the_general_answer_beside_ours(tiny_vilt, tiny_registry, astronaut):
    from vqa import ask

    result = ask(astronaut, "Is she a woman?", explain=(), registry=tiny_registry, general_vqa=tiny_vilt)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["second_opinion"]["answer"] in VQA_ANSWERS
    assert [a["model"] for a in data["faces"][0]["answers"]] == ["gender-a"]


def test_missing_torch_is_explained_not_raised(monkeypatch, astronaut, tmp_path):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ImportError
    got = general.ask(astronaut, "How old is she?", model=tmp_path / "never-loaded")
    assert got.answer is None and "torch" in got.error and "requirements-vqa.txt" in got.error


def test_missing_weights_are_explained_not_raised(astronaut, tmp_path, monkeypatch, torch_stack):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    got = general.ask(astronaut, "How old is she?", model=tmp_path / "nothing-here")
    assert got.answer is None and "no VQA model folder" in got.error
    offline = general.ask(astronaut, "How old is she?", model="someone/not-cached-vilt")
    assert offline.answer is None and "not in the local Hugging Face cache" in offline.error
    assert "No second opinion" in offline.text


def test_an_empty_question_is_not_sent(astronaut):
    assert general.ask(astronaut, "  ").error == "there is no question to ask"


def test_a_refused_question_is_not_sent_to_the_general_model_either(tiny_vilt, tiny_registry, astronaut):
    from vqa import ask

    result = ask(astronaut, "Is she a criminal?", registry=tiny_registry, general_vqa=tiny_vilt)
    assert result.intent.topic == "criminality" and result.general_answer is None
