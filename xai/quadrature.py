"""Points and weights on [0, 1] for the path integral of Integrated Gradients.

`steps` is always the number of gradient evaluations per image, so methods
compare at equal cost.
"""
from __future__ import annotations

import numpy as np

METHODS = ("riemann", "trapezoid", "gauss-legendre")


def nodes(method: str, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """(alphas, weights), both (steps,), with sum(weights) == 1."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer; got {steps!r}")
    if method == "riemann":
        # The paper's right Riemann sum: k/m for k = 1..m.
        return np.arange(1, steps + 1, dtype=np.float64) / steps, np.full(steps, 1.0 / steps)
    if method == "trapezoid":
        if steps < 2:
            raise ValueError("the trapezoid rule needs steps >= 2 (both end points)")
        weights = np.full(steps, 1.0 / (steps - 1))
        weights[[0, -1]] /= 2
        return np.linspace(0.0, 1.0, steps), weights
    if method == "gauss-legendre":
        t, w = np.polynomial.legendre.leggauss(steps)
        return (t + 1.0) / 2.0, w / 2.0
    raise ValueError(f"unknown quadrature {method!r}; choose one of {METHODS}")
