"""The paper's census-biased training subset of FairFace.

The paper skews race to the 2019 US census: White 60%, Black 13%,
Latino_Hispanic 18.5%, East Asian 2.2%, Southeast Asian 2.2%, Indian 1.2%,
Middle Eastern 2.4%. Those add up to 99.5%, so we normalise them. We take the
largest subset the data allows (the scarcest class relative to its share sets
the size), sample each race without replacement with a seeded generator, and
write the chosen rows as a manifest CSV in FairFace's own format. Validation
stays FairFace's balanced val set, so that the bias shows.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from models.labels import FAIRFACE_RACE
from training.fairface import COLUMNS, FairFaceError

CENSUS_2019 = {
    "White": 60.0,
    "Black": 13.0,
    "Latino_Hispanic": 18.5,
    "East Asian": 2.2,
    "Southeast Asian": 2.2,
    "Indian": 1.2,
    "Middle Eastern": 2.4,
}


def normalised(proportions: dict[str, float]) -> dict[str, float]:
    total = float(sum(proportions.values()))
    return {k: v / total for k, v in proportions.items()}


def subset_counts(available: dict[str, int], proportions: dict[str, float] = CENSUS_2019) -> dict[str, int]:
    """Images per class for the largest subset with these proportions.

    Each count is floor or ceil of share * N (largest-remainder rounding, so
    they sum to N exactly), hence within one image of the exact proportion.
    """
    shares = normalised(proportions)
    absent = [c for c, s in shares.items() if s > 0 and available.get(c, 0) == 0]
    if absent:
        raise FairFaceError(f"no images of {absent}: cannot build the census-biased subset")
    total = int(min(available.get(c, 0) / s for c, s in shares.items() if s > 0))
    while total > 0:
        counts = _apportion(shares, total)
        if all(counts[c] <= available.get(c, 0) for c in counts):
            return counts
        total -= 1
    raise FairFaceError("too few images for the census-biased subset")


def _apportion(shares: dict[str, float], total: int) -> dict[str, int]:
    exact = {c: s * total for c, s in shares.items()}
    counts = {c: int(np.floor(v)) for c, v in exact.items()}
    by_remainder = sorted(shares, key=lambda c: exact[c] - counts[c], reverse=True)
    for c in by_remainder[: total - sum(counts.values())]:
        counts[c] += 1
    return counts


def biased_subset(table: pd.DataFrame, seed: int = 0, proportions: dict[str, float] = CENSUS_2019) -> pd.DataFrame:
    """Rows of `table` (FairFace columns) forming the census-biased subset, in
    their original order. Same table and seed -> same subset."""
    available = table["race"].value_counts().to_dict()
    counts = subset_counts(available, proportions)
    rng = np.random.default_rng(seed)
    chosen = []
    for race in FAIRFACE_RACE:
        rows = np.flatnonzero(table["race"].to_numpy() == race)
        chosen.append(rng.choice(rows, size=counts.get(race, 0), replace=False))
    keep = np.sort(np.concatenate(chosen))
    return table.iloc[keep].reset_index(drop=True)


def write_manifest(table: pd.DataFrame, path: str | Path) -> Path:
    """The subset as a CSV FairFace's reader accepts (same columns)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table[list(COLUMNS)].to_csv(path, index=False)
    return path
