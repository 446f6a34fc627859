"""The router against a table of phrasings written by hand (router_cases.csv)."""
import csv
import json
from pathlib import Path

import pytest

from benchmarks.router import parse_checks
from vqa import grammar
from vqa.router import age_value, parse_age_value, route
from vqa.text import MAX_QUESTION_CHARS, normalize

CASES_FILE = Path(__file__).with_name("router_cases.csv")


def _load_cases():
    with CASES_FILE.open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if not r["question"].startswith("#")]
    return rows


CASES = _load_cases()


def test_the_table_has_at_least_150_phrasings():
    assert len(CASES) >= 150
    assert len({c["question"] for c in CASES}) == len(CASES), "duplicate phrasings"


@pytest.mark.parametrize("case", CASES, ids=[c["question"][:40] or "<empty>" for c in CASES])
def test_route(case):
    intent = route(case["question"])
    assert intent.kind == case["kind"]
    assert intent.attributes == tuple(case["attributes"].split())
    assert intent.checks == parse_checks(case["checks"])
    assert intent.value == (intent.checks[0].value if intent.checks else None)
    if case["kind"] == "unsupported":
        assert intent.topic == case["topic"]
        assert intent.reason and intent.reason.endswith(".")
    else:
        assert intent.reason is None
    if case["kind"] == "general":
        assert intent.topic == case["topic"] and intent.notes == ()


def test_out_of_scope_parts_of_a_supported_question_are_named_in_notes():
    intent = route("How old is she and what's her name?")
    assert intent.attributes == ("age",)
    assert any("names" in note for note in intent.notes)


def test_refusal_reason_says_it_will_not_guess():
    assert "will not guess" in route("What religion is she?").reason


def test_very_long_input_is_refused_with_its_length():
    question = "How old is she? " * 100
    intent = route(question)
    assert intent.topic == "too_long"
    assert str(len(question)) in intent.reason and str(MAX_QUESTION_CHARS) in intent.reason


def test_none_is_empty_and_other_types_are_a_type_error():
    assert route(None).topic == "empty"
    with pytest.raises(TypeError):
        route(42)


def test_routing_is_deterministic_and_json_able():
    for case in CASES[:40]:
        first, second = route(case["question"]), route(case["question"])
        assert first == second
        assert json.loads(json.dumps(first.to_dict()))["kind"] == first.kind


@pytest.mark.parametrize("text, expected", [
    ("thirty five", "35"), ("twenty-one", "21"), ("one hundred", "100"),
    ("a hundred and five", "a 105"), ("forties", "40s"), ("'60s", "60s"), ("50's", "50s"),
    ("What's she", "what is she"), ("ISN'T he", "is not he"), ("70+", "70+"), ("20-29", "20-29"),
    ("one two", "1 2"),
])
def test_normalize(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize("low, high", [(31, None), (0, 17), (20, 29), (33, 33), (1, 3), (60, None)])
def test_age_value_round_trips(low, high):
    assert parse_age_value(age_value(low, high)) == (low, high)


@pytest.mark.parametrize("text, bounds", [(">=30", (30, None)), ("<=17", (0, 17)), (">30", (31, None))])
def test_parse_age_value_accepts_inclusive_forms(text, bounds):
    assert parse_age_value(text) == bounds


@pytest.mark.parametrize("bad", ["", "old", ">", "3-", "<18-20"])
def test_parse_age_value_rejects_garbage(bad):
    with pytest.raises(ValueError):
        parse_age_value(bad)


def test_every_grammar_pattern_compiles_and_every_refusal_has_a_reason():
    import re

    for topic, pattern, reason in grammar.REFUSED + grammar.OUT_OF_SCOPE:
        re.compile(pattern)
        assert topic and reason.endswith(".")
    for topic, pattern, what in grammar.GENERAL:
        re.compile(pattern)
        assert topic and what and topic not in {t for t, _, _ in grammar.REFUSED}


def test_every_general_topic_has_a_case_in_the_table_and_every_refused_topic_too():
    kinds = {(c["kind"], c["topic"]) for c in CASES}
    assert {("general", topic) for topic in grammar.GENERAL_TOPICS} <= kinds
    assert {("unsupported", topic) for topic, _, _ in grammar.REFUSED} <= kinds


def test_a_face_question_with_a_general_part_names_it_in_the_notes():
    intent = route("Is he smiling and is he over 40?")
    assert intent.kind == "yes_no" and intent.attributes == ("age",)
    assert any("--vqa-model" in note and "facial expressions" in note for note in intent.notes)
