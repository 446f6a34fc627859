"""The question router's accuracy on labelled phrasings, per language and per category.

    python -m benchmarks.router [--table CSV ...] [--misses N] [--json]

A table is a CSV with the columns question, kind, attributes, checks, topic and,
optionally, language and category (tests/vqa/router_phrasings.csv, the default, has
them all; tests/vqa/router_cases.csv has the first five). A phrasing is right when
vqa.router.route gives its kind, its attributes, its checks (negation included),
its topic (for unsupported and general questions) and, where the table says, its
language. Accuracy does not depend on the machine or its load: route() is
deterministic and nothing is timed.
"""
from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from vqa.router import Check, Intent, route

DEFAULT_TABLE = Path(__file__).resolve().parents[1] / "tests" / "vqa" / "router_phrasings.csv"
TOPIC_KINDS = ("unsupported", "general")


class Phrasing(NamedTuple):
    """One labelled row: a question and the Intent it should get."""

    question: str
    kind: str
    attributes: tuple[str, ...]
    checks: tuple[Check, ...]
    topic: str | None
    language: str | None  # None: the table does not say
    category: str


def parse_checks(text: str) -> tuple[Check, ...]:
    """"race=Asian;age!=30-39" -> the Checks, in that order; "!=" is a negated check."""
    checks = []
    for item in filter(None, text.split(";")):
        negated = "!=" in item
        attribute, value = item.split("!=" if negated else "=", 1)
        checks.append(Check(attribute, value, negated))
    return tuple(checks)


def load_table(path: Path) -> list[Phrasing]:
    """The rows of a phrasings CSV; rows whose question starts with "#" are section headings."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if not row["question"].startswith("#")]
    return [Phrasing(question=row["question"], kind=row["kind"], attributes=tuple(row["attributes"].split()),
                     checks=parse_checks(row["checks"]), topic=row["topic"] or None,
                     language=row.get("language") or None, category=row.get("category") or "all")
            for row in rows]


def differences(phrasing: Phrasing, intent: Intent) -> list[str]:
    """What the router got wrong about a phrasing, in words; empty when it is right."""
    wrong = []
    if intent.kind != phrasing.kind:
        wrong.append(f"kind {intent.kind} (expected {phrasing.kind})")
    if intent.attributes != phrasing.attributes:
        wrong.append(f"attributes {intent.attributes} (expected {phrasing.attributes})")
    if intent.checks != phrasing.checks:
        wrong.append(f"checks {intent.checks} (expected {phrasing.checks})")
    if phrasing.kind in TOPIC_KINDS and intent.topic != phrasing.topic:
        wrong.append(f"topic {intent.topic} (expected {phrasing.topic})")
    # Tables may be scored against an older router, which read English only and had no Intent.language.
    language = getattr(intent, "language", "en")
    if phrasing.language and language != phrasing.language:
        wrong.append(f"language {language} (expected {phrasing.language})")
    return wrong


class Score(NamedTuple):
    dimension: str  # "language" | "category" | "all"
    value: str
    phrasings: int
    right: int

    @property
    def accuracy(self) -> float:
        return self.right / self.phrasings if self.phrasings else 0.0


def scores(results: list[tuple[Phrasing, list[str]]]) -> list[Score]:
    """Accuracy per language, per category and over all, from (phrasing, differences) pairs."""
    out = []
    for dimension in ("language", "category"):
        values = sorted({getattr(p, dimension) or "?" for p, _ in results})
        for value in values:
            mine = [wrong for p, wrong in results if (getattr(p, dimension) or "?") == value]
            out.append(Score(dimension, value, len(mine), sum(not wrong for wrong in mine)))
    out.append(Score("all", "", len(results), sum(not wrong for _, wrong in results)))
    return out


def table(rows: Iterable[Score]) -> str:
    lines = [f"{'by':<10} {'value':<12} {'phrasings':>9} {'right':>6} {'accuracy':>9}"]
    for score in rows:
        lines.append(f"{score.dimension:<10} {score.value:<12} {score.phrasings:>9} {score.right:>6} "
                     f"{100 * score.accuracy:>8.1f}%")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.router", description=__doc__.split("\n\n")[0])
    parser.add_argument("--table", type=Path, action="append", metavar="CSV",
                        help=f"a labelled phrasings CSV (repeatable; default {DEFAULT_TABLE.name})")
    parser.add_argument("--misses", type=int, default=20, metavar="N", help="list at most N wrong phrasings")
    parser.add_argument("--json", action="store_true", help="print the scores and misses as JSON")
    args = parser.parse_args(argv)
    paths = args.table or [DEFAULT_TABLE]
    results = [(p, differences(p, route(p.question))) for path in paths for p in load_table(path)]
    rows = scores(results)
    misses = [(p.question, wrong) for p, wrong in results if wrong]
    if args.json:
        print(json.dumps({"tables": [str(p) for p in paths],
                          "scores": [{**s._asdict(), "accuracy": s.accuracy} for s in rows],
                          "misses": [{"question": q, "wrong": w} for q, w in misses]}, ensure_ascii=False, indent=1))
        return
    print(f"router accuracy on {', '.join(p.name for p in paths)} ({len(results)} phrasings)")
    print(table(rows))
    for question, wrong in misses[: args.misses]:
        print(f"  miss: {question!r}: {'; '.join(wrong)}")
    if len(misses) > args.misses:
        print(f"  ... and {len(misses) - args.misses} more")


if __name__ == "__main__":
    main()
