"""Vectorised helpers over numpy arrays: grouped running sums and extremes, weighted sampling.

"Grouped" functions take values already sorted by group and a `groups` array of non-decreasing
group numbers (0, 0, 1, 2, 2, ...), and restart their running value at each new group.
"""

import numpy as np


def group_numbers(sorted_keys: np.ndarray) -> np.ndarray:
    """Number the runs of equal keys in a sorted array 0, 1, 2, ..."""
    if len(sorted_keys) == 0:
        return np.zeros(0, dtype=np.int64)
    changes = np.concatenate(([False], sorted_keys[1:] != sorted_keys[:-1]))
    return np.cumsum(changes, dtype=np.int64)


def group_starts(groups: np.ndarray) -> np.ndarray:
    """Index of the first element of each group."""
    if len(groups) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate(([True], groups[1:] != groups[:-1])))


def is_group_last(groups: np.ndarray) -> np.ndarray:
    """True where an element is the last of its group."""
    if len(groups) == 0:
        return np.zeros(0, dtype=bool)
    return np.concatenate((groups[1:] != groups[:-1], [True]))


def grouped_cumsum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Running sum of values that restarts at each group."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    running = np.cumsum(values, dtype=np.int64)
    starts = group_starts(groups)
    before_group = running[starts] - values[starts]
    return running - np.repeat(before_group, np.diff(np.append(starts, len(values))))


def grouped_cummax(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Running maximum that restarts at each group."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    # Lift each group above every earlier one so one global running maximum cannot leak across.
    low = int(values.min())
    span = int(values.max()) - low + 1
    lifted = (values - low) + groups * span
    return np.maximum.accumulate(lifted) - groups * span + low


def grouped_cummin(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Running minimum that restarts at each group."""
    return -grouped_cummax(-values, groups)


def grouped_suffix_min(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Minimum of each element and every later element of its group."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    reversed_groups = groups[-1] - groups[::-1]
    return grouped_cummin(values[::-1], reversed_groups)[::-1]


def group_sums(values: np.ndarray, groups: np.ndarray, group_count: int) -> np.ndarray:
    """Sum of values per group number, for groups 0..group_count-1 (zero where absent)."""
    return np.bincount(groups, weights=values, minlength=group_count).round().astype(np.int64)


def first_occurrences(keys: np.ndarray) -> np.ndarray:
    """True at the first occurrence of each distinct key, in array order.

    Sort-based on purpose: numpy 2.4's np.unique without return_index (and so np.isin) takes a
    hashing path that is many times slower than a sort on millions of int64 keys.
    """
    first = np.zeros(len(keys), dtype=bool)
    if len(keys) == 0:
        return first
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    first[order[np.concatenate(([True], ordered[1:] != ordered[:-1]))]] = True
    return first


def contains(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """For each needle, whether it occurs in the haystack (a sort-based np.isin)."""
    if len(haystack) == 0 or len(needles) == 0:
        return np.zeros(len(needles), dtype=bool)
    sorted_haystack = np.sort(haystack)
    order = np.argsort(needles)  # sorted needles make the binary searches cache-friendly
    ordered = needles[order]
    positions = np.minimum(np.searchsorted(sorted_haystack, ordered), len(sorted_haystack) - 1)
    found = np.empty(len(needles), dtype=bool)
    found[order] = sorted_haystack[positions] == ordered
    return found


def sample_prefix(cumulative: np.ndarray, prefix_lengths: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each prefix length k, an index in [0, k) drawn with the weights behind `cumulative`.

    `cumulative` is the running sum of non-negative weights over items sorted by when they became
    available, so a prefix is "everything that existed by then". A prefix of zero weight gives -1.
    """
    prefix_lengths = np.asarray(prefix_lengths, dtype=np.int64)
    totals = np.where(prefix_lengths > 0, cumulative[np.maximum(prefix_lengths - 1, 0)], 0.0)
    targets = rng.random(len(prefix_lengths)) * totals
    chosen = np.searchsorted(cumulative, targets, side="right")
    chosen = np.minimum(chosen, prefix_lengths - 1)
    return np.where(totals > 0, chosen, -1)


def choose_weighted(weights: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of `count` distinct items drawn with probability proportional to weight, in index order."""
    count = min(count, int(np.count_nonzero(weights > 0)))
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    # Efraimidis–Spirakis: the largest u ** (1 / w) are a weighted sample without replacement.
    with np.errstate(divide="ignore", invalid="ignore"):
        keys = np.log(rng.random(len(weights))) / weights
    chosen = np.argpartition(-keys, count - 1)[:count]
    return np.sort(chosen)


def uuid_texts(rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` random version-4 UUIDs as text, drawn from the generator so they repeat per seed."""
    raw = rng.integers(0, 256, size=(count, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    digits = np.frombuffer(raw.tobytes().hex().encode(), dtype="S1").reshape(count, 32)
    # Lay the 32 hex digits out as 8-4-4-4-12 with dashes between, all in one array operation.
    text = np.full((count, 36), b"-", dtype="S1")
    text[:, [index for index in range(36) if index not in (8, 13, 18, 23)]] = digits
    return text.view("S36").ravel().astype(str)
