"""Ranks with ties, the one primitive behind the star scores' percentile ranks
(core.stars) and the RFM quintiles (core.rfm).

`ties(values)` says, for each value, how many values are below it and how many equal it
(itself included): a tie group's average rank is `below + (equal + 1) / 2` and its lowest
rank `below + 1`, whatever order the tied values come in. Integer values within a small
range (days, counts) are counted (one pass, no sort); others are sorted once.
"""

from __future__ import annotations

import numpy as np

SPAN_PER_VALUE = 4  # integer values are counted when their range is within 4 per value


def ties(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(below, equal) per value of `values` (floats): how many values are smaller and how
    many are equal to it, itself included, as int64. NaNs are equal to each other and
    above every number, as numpy sorts them."""
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    counted = _counted(values)
    if counted is not None:
        return counted
    order = np.argsort(values)  # ties in any order: they share their counts
    ordered = values[order]
    same = ordered[1:] == ordered[:-1]
    if np.isnan(ordered[-1]):  # NaNs sort last
        same |= np.isnan(ordered[1:]) & np.isnan(ordered[:-1])
    starts = np.flatnonzero(np.concatenate([[True], ~same]))
    sizes = np.diff(np.append(starts, n))
    below = np.empty(n, dtype=np.int64)
    equal = np.empty(n, dtype=np.int64)
    below[order] = np.repeat(starts, sizes)
    equal[order] = np.repeat(sizes, sizes)
    return below, equal


def _counted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """`ties` by counting, for whole numbers within a range of SPAN_PER_VALUE per value (or
    65,536); None for other values."""
    some = values[:: max(len(values) // 64, 1)]
    if (some != np.floor(some)).any():  # a fraction among the first: not counted (quick)
        return None
    low, high = values.min(), values.max()  # NaN when there is one
    if not (np.isfinite(low) and np.isfinite(high)):
        return None
    if high - low >= max(SPAN_PER_VALUE * len(values), 1 << 16):
        return None
    offsets = (values - low).astype(np.int64)
    if not (offsets == values - low).all():  # not whole numbers
        return None
    counts = np.bincount(offsets)
    below = np.cumsum(counts) - counts
    return below[offsets], counts[offsets]
