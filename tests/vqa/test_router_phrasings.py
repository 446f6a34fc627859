"""The router on questions as people type them (router_phrasings.csv): typos,
shorthand, compound and negated questions, harmful topics, and eight languages
besides English. Every row is checked; benchmarks/router.py prints the same
table's accuracy per language and per category."""
import random
import re
from pathlib import Path

import pytest

from benchmarks.router import differences, load_table, scores
from models.labels import ATTRIBUTES
from vqa import grammar, languages
from vqa.router import route
from vqa.text import fix_typos, normalize, one_edit_apart

TABLE = Path(__file__).with_name("router_phrasings.csv")
ROWS = load_table(TABLE)
REFUSED_TOPICS = {topic for topic, _, _ in grammar.REFUSED}


def test_the_table_has_at_least_150_distinct_phrasings_in_every_language_and_category():
    assert len(ROWS) >= 150
    assert len({r.question for r in ROWS}) == len(ROWS), "duplicate phrasings"
    assert {r.language for r in ROWS} == {language.code for language in languages.LANGUAGES}
    assert {"typo", "slang", "compound", "negated", "harmful", "language"} <= {r.category for r in ROWS}


@pytest.mark.parametrize("row", ROWS, ids=[r.question[:40] for r in ROWS])
def test_route(row):
    intent = route(row.question)
    assert intent.kind == row.kind
    assert intent.attributes == row.attributes
    assert intent.checks == row.checks
    assert intent.language == row.language
    assert intent.value == (intent.checks[0].value if intent.checks else None)
    if row.kind in ("unsupported", "general"):
        assert intent.topic == row.topic
    if row.kind == "unsupported":
        assert intent.reason and intent.reason.endswith(".")
    if row.language != "en":
        # No leftover word of another language was read as an English topic ("hat" is German for "has").
        assert intent.notes == ()


def test_every_language_refuses_several_harmful_topics_in_the_table():
    for language in languages.LANGUAGES:
        topics = {r.topic for r in ROWS if r.language == language.code and r.category == "harmful"}
        assert len(topics) >= 3, language.name
        assert topics <= REFUSED_TOPICS


def test_every_language_table_has_every_refused_topic_and_its_patterns_compile():
    for language in languages.LANGUAGES[1:]:
        assert {topic for topic, _ in language.refused} == REFUSED_TOPICS, language.name
        patterns = [p for _, p in language.refused] + [p for p, _ in language.rewrites] + [language.ambiguous]
        for pattern in patterns:
            re.compile(language._wrap(pattern))


def test_a_refused_topic_wins_over_a_face_question_in_every_language():
    for row in ROWS:
        if row.category == "harmful":
            assert route(row.question).kind == "unsupported"


# ---------------------------------------------------------------------------
# Negation: never the opposite question.

@pytest.mark.parametrize("question, negated", [
    ("Is this person not a man?", True),
    ("Isn't this person a man?", False),  # English's "isn't" asks whether it is
    ("¿Esta persona no es un hombre?", True),
    ("Ist das kein Mann?", True),
    ("Ce n'est pas un homme ?", True),
    ("N'est-ce pas un homme ?", False),  # French's tag "isn't it"
    ("Questa persona non è un uomo?", True),
    ("Essa pessoa não é um homem?", True),
])
def test_negation_reaches_the_check(question, negated):
    intent = route(question)
    assert intent.checks and intent.checks[0].value == "Male" and intent.checks[0].negated is negated


@pytest.mark.parametrize("question, language", [
    ("Is she not an Asian woman?", "en"), ("is she not not a man", "en"), ("Is he neither a man nor a boy?", "en"),
    ("¿No es un hombre?", "es"), ("Ist das nicht ein Mann?", "de"), ("Não é um homem?", "pt"),
    ("Non è un uomo?", "it"), ("她不是女人吗？", "zh"), ("क्या यह पुरुष नहीं है?", "hi"), ("هل هو ليس رجلاً؟", "ar"),
])
def test_an_ambiguous_negation_is_refused_with_a_rephrasing_in_the_same_language(question, language):
    intent = route(question)
    assert (intent.kind, intent.topic, intent.language) == ("unsupported", "ambiguous_negation", language)
    assert languages.BY_CODE[language].example in intent.reason and "two ways" in intent.reason


def test_or_not_is_not_a_negation():
    for question in ("Is this a woman or not?", "هل هو رجل أم لا؟"):
        assert route(question).checks[0].negated is False


def test_an_ambiguous_negation_in_an_open_question_still_gets_the_open_answer():
    # Nothing is answered yes or no, so nothing can be answered the wrong way round.
    assert route("Is she neither Asian nor White?").kind == "open"


# ---------------------------------------------------------------------------
# Typos.

def _levenshtein_osa(a: str, b: str) -> int:
    """The textbook dynamic programme (optimal string alignment), as a reference."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def test_one_edit_apart_agrees_with_the_dynamic_programme():
    rng = random.Random(0)
    pairs = [("gendr", "gender"), ("asain", "asian"), ("femal", "female"), ("abc", "abc"), ("ab", "ba"),
             ("abcd", "badc"), ("", "a")]
    for _ in range(3000):
        a = "".join(rng.choice("abc") for _ in range(rng.randint(0, 5)))
        b = "".join(rng.choice("abc") for _ in range(rng.randint(0, 5)))
        pairs.append((a, b))
    for a, b in pairs:
        assert one_edit_apart(a, b) == (_levenshtein_osa(a, b) == 1), (a, b)


@pytest.mark.parametrize("typed, meant", [
    ("gendr", "gender"), ("etnicity", "ethnicity"), ("femal", "female"), ("asain", "asian"),
    ("hispnic", "hispanic"), ("relgion", "religion"), ("crimnal", "criminal"),
])
def test_a_misspelt_keyword_is_corrected(typed, meant):
    assert fix_typos(typed, grammar.FUZZY_KEYWORDS, grammar.KNOWN_WORDS, grammar.FUZZY_MIN_LETTERS) == meant


@pytest.mark.parametrize("word", sorted(grammar.KNOWN_WORDS))
def test_a_real_word_near_a_keyword_is_left_alone(word):
    assert fix_typos(word, grammar.FUZZY_KEYWORDS, grammar.KNOWN_WORDS, grammar.FUZZY_MIN_LETTERS) == word


def test_short_words_are_never_corrected():
    for word in ("mal", "rase", "blak", "wman", "gay"):
        assert fix_typos(word, grammar.FUZZY_KEYWORDS, grammar.KNOWN_WORDS, grammar.FUZZY_MIN_LETTERS) == word


def test_no_age_word_can_come_from_a_correction():
    age_patterns = [p for _, _, p in grammar.AGE_STAGES] + [p for _, p in grammar.AGE_BOUNDS]
    for keyword in grammar.FUZZY_KEYWORDS:
        assert not any(re.search(p, keyword) for p in age_patterns), keyword
    for question in ("is he yuong", "is she eldery", "is he a teenagr", "is she midle aged", "is he a chlid"):
        assert not any(c.attribute == "age" for c in route(question).checks), question


def test_hw_old_is_an_open_age_question_not_a_question_about_being_old():
    intent = route("hw old is she")
    assert (intent.kind, intent.attributes, intent.checks) == ("open", ("age",), ())


# ---------------------------------------------------------------------------
# Languages.

def test_detection_keeps_english_questions_english():
    for question in ("Is she latina?", "age?", "Describe this person", "Is this person a man?", "Ethnicity"):
        assert languages.detect(normalize(question), question) is languages.ENGLISH, question


def test_accents_are_optional_in_the_latin_languages():
    for with_accents, without in [("¿Cuál es su género?", "cual es su genero"),
                                  ("Quel âge a-t-elle ?", "quel age a t elle"),
                                  ("Wie alt ist das Mädchen?", "wie alt ist das maedchen")]:
        assert route(with_accents).attributes == route(without).attributes != ()


def test_the_benchmark_counts_a_wrong_row_as_wrong():
    right = ROWS[0]
    wrong = right._replace(kind="yes_no", language="de", category="typo")
    results = [(row, differences(row, route(row.question))) for row in (right, wrong)]
    assert results[0][1] == []
    assert any("kind" in w for w in results[1][1]) and any("language" in w for w in results[1][1])
    by = {(s.dimension, s.value): s for s in scores(results)}
    assert (by[("all", "")].phrasings, by[("all", "")].right) == (2, 1)
    assert by[("language", "de")].accuracy == 0.0 and by[("language", right.language)].accuracy == 1.0


def test_the_table_names_only_the_models_attributes():
    assert {a for r in ROWS for a in r.attributes} <= set(ATTRIBUTES)


# ---------------------------------------------------------------------------
# Compound questions through ask(): every routed attribute gets its models' answers.

@pytest.mark.parametrize("question, kinds", [
    ("How old is this person and what gender?", {"gender": "open", "age": "open"}),
    ("is she a woman and how old is she", {"gender": "yes_no", "age": "open"}),
    ("¿Qué edad tiene y de qué raza es?", {"race": "open", "age": "open"}),
    ("Is this person not a man and over 30?", {"gender": "yes_no", "age": "yes_no"}),
])
def test_a_compound_question_is_answered_for_each_attribute(tiny_registry, astronaut, question, kinds):
    from vqa import ask

    result = ask(astronaut, question, explain=(), registry=tiny_registry, checks=())
    answers = result.faces[0].answers
    assert {a.attribute: a.kind for a in answers} == kinds
    # Every model of each attribute answers (two race models in the tiny registry).
    for attribute in kinds:
        assert {a.model for a in answers if a.attribute == attribute} == {
            loaded.name for loaded in tiny_registry.for_attribute(attribute)}
    negated = [a for a in answers if a.negated]
    assert all(a.text.startswith("You asked whether this person is NOT") for a in negated)
    assert len(negated) == ("not a man" in question)
