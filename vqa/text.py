"""Question text normalisation: the one place that turns free typing into the
plain lower-case word stream the grammar tables are written against.

Contractions are expanded and numbers written as words become digits, so that
the grammar needs one pattern for "older than 30" and not one per spelling.
"""
from __future__ import annotations

import re
import unicodedata

MAX_QUESTION_CHARS = 500

CONTRACTIONS = (
    (r"\bwhat'?s\b", "what is"),
    (r"\bwho'?s\b", "who is"),
    (r"\bhow'?s\b", "how is"),
    (r"\bwhere'?s\b", "where is"),
    (r"\bshe'?s\b", "she is"),
    (r"\bhe'?s\b", "he is"),
    (r"\bit'?s\b", "it is"),
    (r"\bthat'?s\b", "that is"),
    (r"\bthey'?re\b", "they are"),
    (r"\bisn'?t\b", "is not"),
    (r"\baren'?t\b", "are not"),
    (r"\bwasn'?t\b", "was not"),
    (r"\bdoesn'?t\b", "does not"),
    (r"\bdon'?t\b", "do not"),
    (r"\bcan'?t\b", "cannot"),
    (r"\bwon'?t\b", "will not"),
    (r"\bi'?m\b", "i am"),
)

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
# "forties" -> "40s" so that decades share one grammar pattern with "40s".
DECADE_WORDS = {
    "twenties": 20, "thirties": 30, "forties": 40, "fourties": 40, "fifties": 50,
    "sixties": 60, "seventies": 70, "eighties": 80, "nineties": 90,
}

_NUMBER_WORD = "|".join(sorted([*UNITS, *TENS, "hundred"], key=len, reverse=True))
_NUMBER_RUN = re.compile(rf"\b(?:{_NUMBER_WORD})(?:[\s-]+(?:and[\s-]+)?(?:{_NUMBER_WORD}))*\b")


def _words_to_int(words: list[str]) -> int:
    total = 0
    for word in words:
        if word == "hundred":
            total = max(total, 1) * 100
        else:
            total += UNITS.get(word, 0) + TENS.get(word, 0)
    return total


def _replace_number_run(match: re.Match) -> str:
    # "and" joins one number only after "hundred" ("a hundred and five");
    # elsewhere it separates two ("between twenty and thirty"), and so do two
    # unit words in a row ("one two").
    out, current = [], []
    for word in filter(None, re.split(r"[\s-]+", match.group(0))):
        if word == "and" and current and current[-1] == "hundred":
            continue
        if word == "and" or (current and word in UNITS and current[-1] in UNITS):
            out.append(str(_words_to_int(current)))
            current = []
            if word == "and":
                out.append("and")
                continue
        current.append(word)
    out.append(str(_words_to_int(current)))
    return " ".join(out)


def normalize(question: str) -> str:
    """Lower-case words, digits for number words, expanded contractions."""
    text = unicodedata.normalize("NFKC", question).lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    for pattern, replacement in CONTRACTIONS:
        text = re.sub(pattern, replacement, text)
    text = re.sub(r"'(\d0s)\b", r"\1", text)  # "'40s"
    text = re.sub(r"\b(\d0)'s\b", r"\1s", text)  # "40's"
    text = re.sub(r"'s\b", "", text)  # possessives: "person's age" -> "person age"
    for word, decade in DECADE_WORDS.items():
        text = re.sub(rf"\b{word}\b", f"{decade}s", text)
    text = _NUMBER_RUN.sub(_replace_number_run, text)
    # Keep digits' "+" and "-" (ages "70+", "20-29") and "/" ("y/o"); the rest is space.
    text = re.sub(r"[^a-z0-9+\-/ ]+", " ", text)
    text = re.sub(r"(?<![0-9])-|-(?![0-9])", " ", text)
    return re.sub(r"\s+", " ", text).strip()
