"""route(question) -> Intent: which attributes a question asks about, and how.

A small engine over the tables in vqa/grammar.py. It never guesses beyond them:
what it does not recognise is "unsupported" with a reason a person can read.
Deterministic and offline.

A question in another language (vqa/languages.py) is checked against that
language's refused topics, then rewritten word by word into the grammar's
English; an English one has its shorthand spelled out and its misspelt
keywords corrected (grammar.SHORTHAND, grammar.FUZZY_KEYWORDS). Harmful topics
are looked for before and after, so that no rewrite can hide one.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from models.labels import ATTRIBUTES, age_value, parse_age_value
from vqa import grammar, languages
from vqa.text import LETTER, MAX_QUESTION_CHARS, fix_typos, normalize

__all__ = ["KINDS", "Check", "Intent", "age_value", "parse_age_value", "route"]

KINDS = ("open", "yes_no", "general", "unsupported")


@dataclasses.dataclass(frozen=True)
class Check:
    """One yes/no test: is `attribute` equal to `value` (or, negated, not)?

    value: a class label ("Female", "East Asian", "Asian") or an age bound string
    (">30", "<18", "20-29", "33"); see age_value / parse_age_value.
    """

    attribute: str
    value: str
    negated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Intent:
    kind: str  # "open" | "yes_no" | "general" (only a general VQA model answers it) | "unsupported"
    attributes: tuple[str, ...] = ()  # in models.labels.ATTRIBUTES order
    value: str | None = None  # yes_no: the first check's value
    reason: str | None = None  # unsupported: one sentence a person can read
    checks: tuple[Check, ...] = ()  # yes_no tests, in question order
    topic: str | None = None  # unsupported, general: the grammar row that decided it
    notes: tuple[str, ...] = ()  # parts of a supported question left unanswered
    question: str = ""
    language: str = "en"  # the vqa.languages table it was read with (ISO 639-1)

    @property
    def open_attributes(self) -> tuple[str, ...]:
        """Attributes answered openly: asked, but without a yes/no check."""
        checked = {c.attribute for c in self.checks}
        return tuple(a for a in self.attributes if a not in checked)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["attributes"] = list(self.attributes)
        out["checks"] = [c.to_dict() for c in self.checks]
        out["notes"] = list(self.notes)
        return out


def _decade(part: str | None, decade: str) -> tuple[int, int]:
    start, end = grammar.DECADE_PARTS[part]
    return int(decade or 0) + start, int(decade or 0) + end


AGE_BUILDERS: dict[str, Callable[..., tuple[int, int | None]]] = {
    "range": lambda a, b: (min(int(a), int(b)), max(int(a), int(b))),
    "above": lambda n: (int(n) + 1, None),
    "at_least": lambda n: (int(n), None),
    "below": lambda n: (0, int(n) - 1),
    "at_most": lambda n: (0, int(n)),
    "decade": _decade,
    "around": lambda n: (max(0, int(n) - grammar.AROUND_YEARS), int(n) + grammar.AROUND_YEARS),
    "exact": lambda n: (int(n), int(n)),
}


# ---------------------------------------------------------------------------
# The engine: consume matches table by table.

@dataclasses.dataclass
class _Mention:
    attribute: str
    start: int
    end: int
    value: str | None = None  # None: an open cue
    bounds: tuple[int, int | None] | None = None
    referent: bool = False
    negated: bool = False


class _Text:
    """The normalised question, with spans blanked out as they are consumed."""

    def __init__(self, text: str):
        self.original = text
        self.remaining = text

    def consume(self, pattern: str):
        for match in list(re.finditer(pattern, self.remaining)):
            self.remaining = (self.remaining[: match.start()] + " " * (match.end() - match.start())
                              + self.remaining[match.end():])
            yield match


def _first_match(table, text: str):
    for topic, pattern, reason in table:
        if re.search(pattern, text):
            return topic, reason
    return None


def _age_bounds(text: _Text) -> list[_Mention]:
    found = []
    for builder, pattern in grammar.AGE_BOUNDS:
        for match in text.consume(pattern):
            found.append(_Mention("age", match.start(), match.end(),
                                  bounds=AGE_BUILDERS[builder](*match.groups())))
    return found


def _open_cues(text: _Text) -> list[_Mention]:
    found = [_Mention(attr, m.start(), m.end()) for attr, pattern in grammar.OPEN_CUES
             for m in text.consume(pattern)]
    for match in text.consume(grammar.ALL_CUES):
        found += [_Mention(attr, match.start(), match.end()) for attr in ATTRIBUTES]
    return found


def _class_mentions(text: _Text) -> list[_Mention]:
    found = [_Mention("age", m.start(), m.end(), bounds=(low, high))
             for low, high, pattern in grammar.AGE_STAGES for m in text.consume(pattern)]
    found += [_Mention(attr, m.start(), m.end(), value=value)
              for attr, value, pattern in grammar.CLASS_WORDS for m in text.consume(pattern)]
    found.sort(key=lambda m: m.start)
    referent_ends: set[int] = set()
    for mention in found:
        before = text.original[: mention.start].rstrip()
        last_word = before.rsplit(" ", 1)[-1] if before else ""
        if last_word in grammar.REFERENT_WORDS or len(before) in referent_ends:
            mention.referent = True
            if not re.fullmatch(grammar.REFERENT_NOUNS, text.original[mention.start: mention.end]):
                referent_ends.add(mention.end)
    return [m for m in found if not m.referent]


def _mark_negations(mentions: list[_Mention], text: _Text) -> bool:
    """Set each mention's `negated`; True when a negation is ambiguous: it
    stands before two words that both ask ("not an Asian woman")."""
    for mention in mentions:
        mention.negated = bool(re.search(grammar.NEGATION, text.original[: mention.start]))
    ordered = sorted(mentions, key=lambda m: m.start)
    return any(first.negated and not text.original[first.end: second.start].strip()
               for first, second in zip(ordered, ordered[1:]))


def _out_of_scope(text: _Text) -> list[tuple[str, str]]:
    return [(topic, reason) for topic, pattern, reason in grammar.OUT_OF_SCOPE
            if list(text.consume(pattern))]


def _general(text: _Text) -> list[tuple[str, str]]:
    return [(topic, what) for topic, pattern, what in grammar.GENERAL if list(text.consume(pattern))]


def general_description(topic: str) -> str:
    """What a "general" topic is about, in words ("facial expressions")."""
    return next(what for name, _, what in grammar.GENERAL if name == topic)


def _bare_age(text: _Text) -> list[_Mention]:
    return [_Mention("age", m.start(), m.end(), bounds=(int(m.group(1)),) * 2)
            for m in text.consume(grammar.BARE_AGE)]


def _unsupported(topic: str, reason: str, question: str, language: str = "en") -> Intent:
    return Intent(kind="unsupported", reason=reason, topic=topic, question=question, language=language)


REFUSED_REASONS = {topic: reason for topic, _, reason in grammar.REFUSED}


def _refused(texts: list[str], language: languages.Language) -> tuple[str, str] | None:
    """(topic, reason) of the first harmful topic in any of the texts, in the
    language's own words or in English."""
    for text in texts:
        topic = language.refused_topic(text)
        if topic:
            return topic, REFUSED_REASONS[topic]
        found = _first_match(grammar.REFUSED, text)
        if found:
            return found
    return None


def _merge_age_checks(checks: list[_Mention]) -> list[_Mention]:
    """"over 18 and under 30" is one range; other multiple age bounds are open."""
    if len(checks) == 2 and not any(c.negated for c in checks):
        (low_a, high_a), (low_b, high_b) = checks[0].bounds, checks[1].bounds
        if (high_a is None) != (high_b is None) and 0 in (low_a, low_b):
            low = max(low_a, low_b)
            high = high_a if high_a is not None else high_b
            if low <= high:
                return [dataclasses.replace(checks[0], bounds=(low, high))]
    return checks


def _resolve(mentions: list[_Mention]) -> tuple[list[str], list[_Mention]]:
    """Per attribute: a single yes/no check, or an open question when the
    question names several classes ("male or female?") or none."""
    attributes, checks = [], []
    for attr in ATTRIBUTES:
        own = [m for m in mentions if m.attribute == attr]
        if not own:
            continue
        attributes.append(attr)
        tests = [m for m in own if m.value is not None or m.bounds is not None]
        if attr == "age":
            tests = _merge_age_checks(tests)
        distinct = {(m.value, m.bounds, m.negated) for m in tests}
        if len(distinct) == 1:
            checks.append(tests[0])
    return attributes, sorted(checks, key=lambda m: m.start)


def _check(mention: _Mention) -> Check:
    value = mention.value if mention.bounds is None else age_value(*mention.bounds)
    return Check(mention.attribute, value, mention.negated)


def _age_out_of_range(mentions: list[_Mention]) -> _Mention | None:
    for m in mentions:
        if m.bounds is not None:
            low, high = m.bounds
            if low < 0 or low > grammar.MAX_AGE or (high is not None and high > grammar.MAX_AGE):
                return m
    return None


def _english(question: str) -> tuple[languages.Language, str, str]:
    """(language, the question normalised in it, the same in the grammar's English)."""
    normalized = normalize(question)
    language = languages.detect(normalized, question)
    if language is not languages.ENGLISH:
        normalized = normalize(language.prepare(question))
        return language, normalized, language.to_english(normalized)
    english = normalized
    for pattern, replacement in grammar.SHORTHAND:
        english = re.sub(pattern, replacement, english)
    english = fix_typos(english, grammar.FUZZY_KEYWORDS, grammar.KNOWN_WORDS, grammar.FUZZY_MIN_LETTERS)
    return language, normalized, english


def route(question: str | None) -> Intent:
    """Route a question to the attributes it asks about (see module docstring)."""
    if question is None:
        question = ""
    if not isinstance(question, str):
        raise TypeError(f"question must be a string, got {type(question).__name__}")
    if not question.strip():
        return _unsupported("empty", grammar.EMPTY_REASON, question)
    if len(question) > MAX_QUESTION_CHARS:
        return _unsupported("too_long", grammar.TOO_LONG_REASON.format(n=len(question)), question)
    language, normalized, english = _english(question)
    if not re.search(LETTER, normalized):
        return _unsupported("garbage", grammar.GARBAGE_REASON, question)
    refused = _refused([normalized, english], language)
    if refused:
        return _unsupported(*refused, question, language.code)
    intent, ambiguous = _route_english(english, question, language.code)
    ambiguous = ambiguous or language.is_ambiguous(normalized) or bool(re.search(grammar.AMBIGUOUS_NEGATION, english))
    # Only a yes or no can be the answer to the opposite question; an open answer is the same either way.
    if intent.kind == "yes_no" and ambiguous:
        reason = grammar.AMBIGUOUS_NEGATION_REASON.format(example=language.example)
        return _unsupported("ambiguous_negation", reason, question, language.code)
    return intent


def _route_english(english: str, question: str, language: str) -> tuple[Intent, bool]:
    """The Intent of a question in the grammar's English, and whether a negation in it is ambiguous."""
    text = _Text(english)
    mentions = _age_bounds(text) + _open_cues(text) + _class_mentions(text)
    outside = _out_of_scope(text)
    visual = _general(text)
    if any(topic in grammar.COLOUR_TOPICS for topic, _ in outside + visual):
        mentions = [m for m in mentions if m.value not in grammar.COLOUR_VALUES]
    if not any(m.attribute == "age" for m in mentions):
        mentions += _bare_age(text)
    ambiguous = _mark_negations([m for m in mentions if m.value is not None or m.bounds is not None], text)
    bad_age = _age_out_of_range(mentions)
    if bad_age:
        asked = text.original[bad_age.start: bad_age.end].strip()
        return _unsupported("age_range", grammar.AGE_RANGE_REASON.format(asked=repr(asked)), question,
                            language), False

    attributes, checks = _resolve(mentions)
    if not attributes:
        if visual and not outside:
            return Intent(kind="general", topic=visual[0][0], question=question, language=language), False
        topic, reason = outside[0] if outside else ("not_understood", grammar.NOT_UNDERSTOOD_REASON)
        return _unsupported(topic, reason, question, language), False
    final = tuple(_check(m) for m in checks)
    return Intent(
        kind="yes_no" if final else "open",
        attributes=tuple(attributes),
        value=final[0].value if final else None,
        checks=final,
        notes=tuple(reason for _, reason in outside) + tuple(grammar.GENERAL_NOTE.format(what=what)
                                                            for _, what in visual),
        question=question,
        language=language,
    ), ambiguous
