"""ask() with the general VQA model: "general" questions answered by it alone
(or, with it off, a line saying how to turn it on), face questions with its
answer beside the face models' and a flag where they disagree, refused
questions sent to no model at all."""
import json

import numpy as np
import pytest

from vqa import ask, general, grammar
from vqa.agreement import general_disagrees
from vqa.router import route

# One question per refused topic; the test below fails when grammar.REFUSED
# gains a topic without one.
REFUSED_QUESTIONS = {
    "criminality": ["Is he a criminal?", "Is she trustworthy?", "Does he look dangerous?"],
    "religion": ["Is she Muslim?", "What religion is he wearing on his shirt?"],
    "sexual_orientation": ["Is she gay?", "Is he smiling because he is straight?"],
    "gender_identity": ["Is this person transgender?"],
    "attractiveness": ["Is she attractive?", "Is his hair handsome?"],
    "intelligence": ["Is he smart?"],
    "politics": ["Is she a Republican?"],
    "health": ["Is she sick?", "Is she wearing glasses because she is ill?"],
    "wealth": ["Is he rich?"],
    "immigration": ["Is she an illegal immigrant?"],
    "personality": ["Does he have a good personality?"],
}


@pytest.fixture()
def counted(monkeypatch):
    """Counts every load of the general model and every forward pass of it."""
    calls = {"load": 0, "forward": 0}
    real_load = general.model.load

    def load(model=None, progress=None):
        calls["load"] += 1
        adapter = real_load(model, progress)
        if not getattr(adapter.network, "_counted", False):
            adapter.network.register_forward_pre_hook(lambda *_: calls.__setitem__("forward", calls["forward"] + 1))
            adapter.network._counted = True
        return adapter

    monkeypatch.setattr(general.model, "load", load)
    return calls


def test_glasses_with_the_vqa_model_on_are_answered_by_it_alone_with_a_heatmap(tiny_vilt, astronaut):
    result = ask(astronaut, "Is he wearing glasses?", explain=("ig",), registry="no-such-folder",
                 general_vqa=tiny_vilt)
    assert result.intent.kind == "general" and result.faces == [] and result.problems == []
    opinion = result.general_answer
    reference = general.ask(astronaut, "Is he wearing glasses?", model=tiny_vilt)
    assert opinion.answer == reference.answer and opinion.confidence == pytest.approx(reference.confidence)
    assert opinion.alone and "general VQA model's guess" in opinion.text and "VQAv2" in opinion.text
    assert opinion.heatmap.shape == astronaut.shape[:2]
    data = json.loads(json.dumps(result.to_dict()))
    assert data["intent"]["kind"] == "general"
    assert data["second_opinion"]["heatmap"]["ig_delta"] == pytest.approx(opinion.ig_delta)
    assert 0.0 <= opinion.ig_delta < 0.05
    assert data["second_opinion"]["disagrees"] is None  # no face model answered
    assert result.render_general().size == (astronaut.shape[1], astronaut.shape[0])


def test_without_an_ig_method_the_general_answer_comes_without_a_heatmap(tiny_vilt, astronaut):
    result = ask(astronaut, "What color is her hair?", explain=(), general_vqa=tiny_vilt)
    assert result.general_answer.answer and result.general_answer.heatmap is None
    assert result.to_dict()["second_opinion"]["heatmap"] is None


def test_a_generative_model_answers_general_questions_too(tiny_blip, astronaut):
    result = ask(astronaut, "Is she smiling?", explain=("ig",), general_vqa=tiny_blip)
    opinion = result.general_answer
    assert opinion.kind == "generative" and opinion.family == "BLIP" and opinion.error is None
    assert opinion.explains == "the log-probability of the generated answer's tokens"
    assert opinion.heatmap.shape == astronaut.shape[:2] and opinion.ig_delta is not None


def test_with_the_vqa_model_off_a_general_question_says_how_to_turn_it_on(astronaut):
    result = ask(astronaut, "Is he wearing glasses?", registry="no-such-folder")
    assert result.intent.kind == "general" and result.general_answer is None and result.faces == []
    data = result.to_dict()
    assert len(data["problems"]) == 1 and "--vqa-model" in data["problems"][0]
    assert "clothing" in data["problems"][0] and general.DEFAULT_MODEL in data["problems"][0]


def test_a_general_question_whose_model_cannot_load_says_why(astronaut, tmp_path):
    result = ask(astronaut, "Is she smiling?", general_vqa=tmp_path / "no-model-here")
    assert result.general_answer.answer is None
    missing = tmp_path / "no-model-here"
    assert result.problems == [f"The general VQA model could not answer: no VQA model folder at {missing}"]


def test_every_refused_topic_has_questions_here():
    assert set(REFUSED_QUESTIONS) == {topic for topic, _, _ in grammar.REFUSED}


@pytest.mark.parametrize("topic, question", [(t, q) for t, qs in REFUSED_QUESTIONS.items() for q in qs])
def test_a_refused_question_reaches_no_model_with_the_vqa_model_on(topic, question, tiny_vilt, tiny_registry,
                                                                   astronaut, counted):
    result = ask(astronaut, question, explain=("gradcam", "ig"), registry=tiny_registry, general_vqa=tiny_vilt)
    assert result.intent.kind == "unsupported" and result.intent.topic == topic
    assert result.general_answer is None and result.faces == []
    assert counted == {"load": 0, "forward": 0}


def test_the_instrument_counts_when_the_model_is_asked(tiny_vilt, astronaut, counted):
    ask(astronaut, "Is he wearing glasses?", explain=(), general_vqa=tiny_vilt)
    assert counted["load"] == 1 and counted["forward"] >= 1


@pytest.mark.parametrize("said", ["yes", "no"])
def test_a_race_question_gets_both_answers_and_the_flag_where_they_differ(said, saying, tiny_registry, astronaut):
    result = ask(astronaut, "Is she East Asian?", explain=(), registry=tiny_registry, general_vqa=saying(said))
    answers = result.faces[0].answers
    assert [a.model for a in answers] == ["race-a", "race-b"]
    assert result.general_answer.answer == said
    verdicts = [a.answer for a in answers]
    # Its "yes" contradicts any "no" of a face model; its "no" a unanimous "yes".
    expected = "no" in verdicts if said == "yes" else all(v == "yes" for v in verdicts)
    assert result.general_answer.disagrees is expected
    assert result.to_dict()["second_opinion"]["disagrees"] is expected
    assert ("disagrees with the face models" in result.general_answer.text) is expected


def test_the_yes_and_the_no_model_cannot_both_agree_with_the_face_models(saying, tiny_registry, astronaut):
    flags = {said: ask(astronaut, "Is she East Asian?", explain=(), registry=tiny_registry,
                       general_vqa=saying(said)).general_answer.disagrees for said in ("yes", "no")}
    assert sorted(flags.values()) == [False, True]


def test_an_open_race_question_compares_the_label_by_meaning(saying, tiny_registry, astronaut):
    result = ask(astronaut, "What race is she?", explain=(), registry=tiny_registry, general_vqa=saying("asian"))
    answers = result.faces[0].answers
    # "asian" holds FairFace's East and Southeast Asian; anything else differs.
    expected = any(a.answer not in ("East Asian", "Southeast Asian") for a in answers)
    assert result.general_answer.disagrees is expected
    assert result.general_answer.disagrees is general_disagrees("asian", route("What race is she?"), answers)


def test_an_answer_that_is_no_label_cannot_be_compared(saying, tiny_registry, astronaut):
    result = ask(astronaut, "What race is she?", explain=(), registry=tiny_registry, general_vqa=saying("glasses"))
    assert result.general_answer.answer == "glasses" and result.general_answer.disagrees is None


def test_ask_options_carry_what_ask_was_given():
    from vqa.pipeline import AskOptions

    assert general.model_of(True) == general.DEFAULT_MODEL and general.model_of(None) is None
    assert general.model_of(False) is None and general.model_of("some/folder") == "some/folder"
    assert AskOptions(methods=("gradcam", "ig")).explain_general
    assert not AskOptions(methods=("gradcam",)).explain_general
    assert AskOptions().general_vqa_ig_steps == general.IG_STEPS and AskOptions().general_vqa is None


def test_the_old_spellings_second_opinion_and_vqa_ig_steps_are_aliases(tiny_vilt, astronaut):
    """ask(second_opinion=..., vqa_ig_steps=...) and Result.second_opinion: what scripts and the docs have used."""
    new = ask(astronaut, "Is he wearing glasses?", explain=("ig",), general_vqa=tiny_vilt, general_vqa_ig_steps=4)
    old = ask(astronaut, "Is he wearing glasses?", explain=("ig",), second_opinion=tiny_vilt, vqa_ig_steps=4)
    assert old.second_opinion is old.general_answer
    said, same = old.general_answer, new.general_answer
    assert (said.model, said.answer, said.alone) == (same.model, same.answer, same.alone)
    assert said.ig_steps == same.ig_steps == 4
    # torch on the CPU is not bit-for-bit repeatable: the same answer and map, to float noise.
    assert [p for _, p in said.top] == pytest.approx([p for _, p in same.top], rel=1e-4)
    assert said.ig_delta == pytest.approx(same.ig_delta, rel=1e-3)
    np.testing.assert_allclose(said.heatmap, same.heatmap, atol=1e-3)
    with pytest.raises(TypeError, match="old spelling second_opinion"):
        ask(astronaut, "Is he wearing glasses?", general_vqa=tiny_vilt, second_opinion="another/model")
