"""Question text normalisation: the one place that turns free typing into the
plain lower-case word stream the grammar tables are written against.

Contractions are expanded and numbers written as words become digits, so that
the grammar needs one pattern for "older than 30" and not one per spelling.
Latin letters lose their accents ("género" -> "genero", "Mädchen" ->
"maedchen") so that the language tables (vqa/languages.py) match with or
without them; Chinese, Devanagari and Arabic letters are kept as they are.
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


# The scripts the language tables are written in, besides Latin letters: CJK
# ideographs, Devanagari (with its vowel signs), Arabic letters and digits.
# Punctuation inside those blocks (the danda, the Arabic comma and question mark) is not kept.
OTHER_SCRIPTS = "\u4e00-\u9fff\u0900-\u0963\u0966-\u097f\u0621-\u064a\u0660-\u0669\u066e-\u06d3"
LETTER = f"[a-z{OTHER_SCRIPTS}]"
# German's own transliteration, before other marks are dropped: "schön" and
# "schoen" are one word, and "schon" (already) stays another.
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
# Arabic letters people write in several ways (hamza seats, taa marbuta,
# alef maqsura) become one; the short-vowel marks and the stretching tatweel go.
ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ـ": None})
ARABIC_MARKS = re.compile("[\u064b-\u0652\u0670]")


def _fold_latin(text: str) -> str:
    """Drop accents from Latin letters only: a Devanagari vowel sign is a
    combining mark too, and dropping it would change the word."""
    out = []
    for char in unicodedata.normalize("NFD", text.translate(UMLAUTS)):
        if unicodedata.combining(char) and out and "a" <= out[-1] <= "z":
            continue
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def _ascii_digits(text: str) -> str:
    """Arabic-Indic and Devanagari digits as 0-9, so that age bounds parse."""
    return "".join(str(unicodedata.digit(c)) if c.isdigit() and not c.isascii() else c for c in text)


def fold_letters(text: str) -> str:
    """Accents off Latin letters, one spelling of Arabic letters, ASCII digits;
    case kept (the language tables' patterns are folded with it: their \\S is not \\s)."""
    text = unicodedata.normalize("NFKC", text)
    text = ARABIC_MARKS.sub("", text.translate(ARABIC_FOLD))
    return _ascii_digits(_fold_latin(text))


def fold(text: str) -> str:
    """Lower case, then fold_letters: the first step of normalize()."""
    return fold_letters(unicodedata.normalize("NFKC", text).lower())


def normalize(question: str) -> str:
    """Lower-case words, digits for number words, expanded contractions."""
    text = fold(question)
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
    text = re.sub(rf"[^a-z0-9+\-/ {OTHER_SCRIPTS}]+", " ", text)
    text = re.sub(r"(?<![0-9])-|-(?![0-9])", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def one_edit_apart(a: str, b: str) -> bool:
    """Whether b is a with exactly one letter added, dropped, changed, or two
    neighbours swapped (optimal string alignment distance 1)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = next((k for k in range(len(a)) if a[k] != b[k]), len(a))
    if len(a) < len(b):
        return a[i:] == b[i + 1:]
    return a[i + 1:] == b[i + 1:] or (a[i + 2:] == b[i + 2:] and a[i: i + 2] == b[i: i + 2][::-1])


def fix_typos(text: str, keywords, keep=frozenset(), min_letters: int = 5) -> str:
    """Each word of `min_letters` letters or more that is one edit from exactly
    one keyword becomes that keyword; words in `keywords` or `keep` stay."""
    def fixed(match: re.Match) -> str:
        word = match.group(0)
        if len(word) < min_letters or word in keep or word in keywords:
            return word
        near = {keyword for keyword in keywords if one_edit_apart(word, keyword)}
        return near.pop() if len(near) == 1 else word

    return re.sub(r"\b[a-z]+\b", fixed, text)
