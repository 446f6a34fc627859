"""Where to put the path points of adaptive Integrated Gradients.

IG integrates the gradient along the straight path x(a) = x' + a (x - x'),
a in [0, 1]. Each gradient evaluation at a point also gives the explained
score F(a) and, by a dot product, its slope F'(a) = grad . (x - x'). On a
segment [a, b] between two evaluated points, the trapezoid rule's estimate
(b - a) (F'(a) + F'(b)) / 2 can then be checked against the exact
F(b) - F(a): their difference is that segment's share of the completeness
error, and the errors of all segments sum to sum(attr) - (F(x) - F(x')).

The rule: start on five points, denser near the baseline (where the score of
a ReLU net often moves fastest); then, a round at a time, split the segment
with the largest |error| at its midpoint; stop when the completeness delta is
within the tolerance or the budget is spent. The errors of ReLU paths sit in
few segments and partly cancel, so refining one segment a round wastes the
fewest evaluations: on the shipped models, the astronaut and four variants
(`python -m benchmarks.vqa --ig-adaptive`, blurred baseline) it needed a median
of 14 and at most 72, where splitting up to four segments a round (those
within 70% of the worst) needed 20 and 106. The price is more rounds (model
calls of one row per image); on a CPU, rows cost more than calls.
Everything here is scalar bookkeeping; the model calls are the caller's
(`evaluate`), one batched call per round for all images.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# Dyadic, so that every later midpoint stays on a power-of-two grid (exact in float32).
INITIAL_ALPHAS = (0.0, 1 / 8, 1 / 4, 1 / 2, 1.0)
REFINE_PER_ROUND = 1  # segments split per image and round, worst first
SHORTEST_SEGMENT = 2.0 ** -20  # below this float32 path points stop being distinct

Evaluate = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class PathPoints:
    """One image's evaluated points, in the order they were evaluated."""

    alphas: list[float] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    slopes: list[float] = field(default_factory=list)

    def add(self, alphas, scores, slopes) -> None:
        self.alphas += [float(a) for a in alphas]
        self.scores += [float(s) for s in scores]
        self.slopes += [float(s) for s in slopes]

    def _sorted(self):
        order = np.argsort(self.alphas, kind="stable")
        return order, np.asarray(self.alphas)[order], np.asarray(self.scores)[order], np.asarray(self.slopes)[order]

    def segment_errors(self) -> tuple[np.ndarray, np.ndarray]:
        """(left ends, errors) of each segment: trapezoid estimate minus the exact F(b) - F(a)."""
        _, a, f, s = self._sorted()
        h = np.diff(a)
        return a[:-1], h * (s[:-1] + s[1:]) / 2 - np.diff(f)

    def change(self) -> float:
        """F(x) - F(x'), from the end points' scores."""
        _, _, f, _ = self._sorted()
        return float(f[-1] - f[0])

    def delta(self) -> float:
        """|sum(attr) - (F(x) - F(x'))| / |F(x) - F(x')| of the composite trapezoid rule."""
        return abs(float(self.segment_errors()[1].sum())) / max(abs(self.change()), 1e-12)

    def weights(self) -> np.ndarray:
        """The composite trapezoid weight of each point, in evaluation order."""
        order, a, _, _ = self._sorted()
        h = np.diff(a)
        w_sorted = np.zeros(len(a))
        w_sorted[:-1] += h / 2
        w_sorted[1:] += h / 2
        w = np.empty(len(a))
        w[order] = w_sorted
        return w


def next_alphas(path: PathPoints, tolerance: float, budget: int) -> np.ndarray:
    """The midpoints to evaluate next (empty when done): of the REFINE_PER_ROUND
    segments with the largest |error|."""
    room = budget - len(path.alphas)
    left, errors = path.segment_errors()
    if room <= 0 or abs(errors.sum()) <= tolerance * abs(path.change()):
        return np.empty(0)
    _, a, _, _ = path._sorted()
    widths = np.diff(a)
    worst = [i for i in np.argsort(-np.abs(errors), kind="stable") if widths[i] > SHORTEST_SEGMENT]
    return np.asarray([left[i] + widths[i] / 2 for i in worst[:min(REFINE_PER_ROUND, room)]])


def adaptive_points(evaluate: Evaluate, n: int, tolerance: float, budget: int,
                    initial=INITIAL_ALPHAS) -> list[PathPoints]:
    """Evaluate `n` images' paths until each is within `tolerance` or has used `budget` points.

    evaluate(image_ids (k,), alphas (k,)) -> (scores (k,), slopes (k,)): one
    batched model call (the caller chunks it) for all images' new points.
    """
    initial = np.asarray(initial, dtype=np.float64)
    if budget < len(initial):
        raise ValueError(f"max_steps must be at least {len(initial)} (the first grid's points); got {budget}")
    paths = [PathPoints() for _ in range(n)]
    ids, alphas = np.repeat(np.arange(n), len(initial)), np.tile(initial, n)
    while len(ids):
        scores, slopes = evaluate(ids, alphas)
        for i in np.unique(ids):
            sel = ids == i
            paths[i].add(alphas[sel], scores[sel], slopes[sel])
        new = [next_alphas(p, tolerance, budget) for p in paths]
        ids = np.concatenate([np.full(len(a), i) for i, a in enumerate(new)]).astype(int)
        alphas = np.concatenate(new)
    return paths
