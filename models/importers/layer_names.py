"""Keras layer names for a rebuilt graph: legal, readable, and unique within the model.

Both converters (onnx_graph.py, tfjs_graph.py) name each layer after its graph
node; only how a node's name becomes a readable base differs, so that is passed in.
"""
from __future__ import annotations

from collections.abc import Callable


class UniqueNames:
    """`names(node_name, suffix="")`: `base(node_name) + suffix`, with `_2`, `_3`, ...
    where an earlier layer of the same model took it (Keras refuses duplicates)."""

    def __init__(self, base: Callable[[str], str]):
        self.base = base
        self.used: set[str] = set()

    def __call__(self, node_name: str, suffix: str = "") -> str:
        base = self.base(node_name) + suffix
        candidate, count = base, 1
        while candidate in self.used:
            count += 1
            candidate = f"{base}_{count}"
        self.used.add(candidate)
        return candidate
