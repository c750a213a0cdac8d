"""Does the attention look at the anomaly? Scores of per-point weights against the true segment.

Every function takes weights on the original time axis, (series, points),
each row non-negative and summing to 1 (`models.attention_on_time_axis` maps
a down-sampling model's per-step weights there), and the flat segments as
[start, end) arrays from the per-series table. The same scores of uniform
weights are the chance level: mass inside = segment fraction, pointing game
= segment fraction (ties at the arg-max are split evenly), AUPRC = segment
fraction, normalized entropy = 1.
"""

from __future__ import annotations

import numpy as np

from attention_ts.training.metrics import average_precision

KINDS = ("attention", "saliency")  # the kinds of per-point weights a model can have (explain.py)
SEGMENT_SCORES = ("mass_inside", "lift", "pointing_game", "pointing_game_tolerance", "auprc")


def segment_mask(starts: np.ndarray, ends: np.ndarray, n_points: int) -> np.ndarray:
    """(series, points) bool, True on [start, end) of each series."""
    steps = np.arange(n_points)[None, :]
    return (steps >= np.asarray(starts)[:, None]) & (steps < np.asarray(ends)[:, None])


def valid_points(lengths: np.ndarray, n_points: int) -> np.ndarray:
    """(series, points) bool, True on the first `lengths[k]` points of series k (not padding)."""
    return np.arange(n_points)[None, :] < np.asarray(lengths)[:, None]


def full_lengths(lengths: np.ndarray | None, n_series: int, n_points: int) -> np.ndarray:
    """`lengths` (series,), or every series' full `n_points` when it is None (no padding)."""
    return np.full(n_series, n_points) if lengths is None else np.asarray(lengths)


def on_valid_points(weights: np.ndarray, lengths: np.ndarray | None) -> np.ndarray:
    """Weights (series, points) exactly 0 past each of `lengths` (series,), rows summing to 1.

    What a series' padding gets: nothing. Each row is rescaled to sum 1 over
    its valid points (a row with no weight on them stays 0); `lengths` None
    (every point valid) returns `weights` itself.
    """
    if lengths is None:
        return weights
    kept = np.where(valid_points(lengths, weights.shape[1]), weights, 0.0)
    total = kept.sum(axis=1, keepdims=True)
    return kept / np.where(total > 0, total, 1.0)


def uniform_weights(n_series: int, n_points: int) -> np.ndarray:
    """The chance-level attention: every point weighs 1 / points."""
    return np.full((n_series, n_points), 1.0 / n_points)


def mass_inside(weights: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Share of each series' weight that falls inside its segment: (series,)."""
    return np.where(mask, weights, 0.0).sum(axis=1) / weights.sum(axis=1)


def argmax_points(weights: np.ndarray) -> np.ndarray:
    """(series, points) bool, True where a point has its series' largest weight (ties kept)."""
    return weights == weights.max(axis=1, keepdims=True)


def pointing_hits(
    weights: np.ndarray, starts: np.ndarray, ends: np.ndarray, tolerance: int
) -> np.ndarray:
    """Share of each series' arg-max points within `tolerance` points of its segment: (series,).

    A single arg-max scores 1 inside and 0 outside; tied maxima (a
    down-sampling model gives each step's weight to all its points) count as
    a random pick among them would on average.
    """
    peaks = argmax_points(weights)
    widened = (np.asarray(starts) - tolerance, np.asarray(ends) + tolerance)
    near = segment_mask(*widened, weights.shape[1])
    return (peaks & near).sum(axis=1) / peaks.sum(axis=1)


def relative_argmax(weights: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Arg-max position relative to the segment, start = 0, end = 1: (series,).

    Tied maxima count as their mean position; in [0, 1) means inside.
    """
    peaks = argmax_points(weights)
    position = (peaks * np.arange(weights.shape[1])).sum(axis=1) / peaks.sum(axis=1)
    return (position - starts) / (ends - starts)


def segment_auprc(weights: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Average precision of each series' weights as scores for its segment's points: (series,)."""
    return np.array([average_precision(m, w) for w, m in zip(weights, mask)])


def normalized_entropy(weights: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
    """Entropy of each row divided by that of uniform weights: 1 = spread evenly, 0 = one point.

    With `lengths` (series,) uniform means uniform over each series' valid
    points (log of its length, not of the padded width); a series of one
    valid point scores 1.
    """
    p = weights / weights.sum(axis=1, keepdims=True)
    terms = np.where(p > 0, -p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    if lengths is None:
        return terms.sum(axis=1) / np.log(weights.shape[1])
    most = np.log(np.asarray(lengths, dtype=np.float64))
    return np.where(most > 0, terms.sum(axis=1) / np.where(most > 0, most, 1.0), 1.0)


def unlocated_scores(
    weights: np.ndarray, lengths: np.ndarray | None = None
) -> dict[str, int | float]:
    """What can be scored when no series has a known segment (a user's data): the spread.

    {"located_series": 0, "n_series": rows of `weights`, "entropy": mean
    normalized entropy (`normalized_entropy` with `lengths`; uniform = 1)}.
    """
    return {
        "located_series": 0,
        "n_series": len(weights),
        "entropy": float(normalized_entropy(weights, lengths).mean()),
    }


def localization_scores(
    anomalous: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    normal: np.ndarray,
    tolerance: int,
) -> dict[str, float | int]:
    """Means over series of the scores above, as plain JSON values.

    `anomalous` are the weights of anomalous series with segments
    [starts, ends); `normal` those of normal series (only their entropy is
    scored; None without any). `lift` is mean mass inside over mean segment fraction: how many
    times more weight the segments get than uniform attention gives them.
    With no anomalous series the segment scores are None (data with no known
    segment at all, a user's own, get `unlocated_scores` instead).
    """
    entropy = float(normalized_entropy(normal).mean()) if len(normal) else None
    if len(anomalous) == 0:
        return {
            "n_anomalous": 0,
            "n_normal": len(normal),
            **dict.fromkeys(SEGMENT_SCORES),
            "tolerance": tolerance,
            "normal_entropy": entropy,
        }
    mask = segment_mask(starts, ends, anomalous.shape[1])
    mass = float(mass_inside(anomalous, mask).mean())
    return {
        "n_anomalous": len(anomalous),
        "n_normal": len(normal),
        "mass_inside": mass,
        "lift": mass / float(mask.mean()),
        "pointing_game": float(pointing_hits(anomalous, starts, ends, 0).mean()),
        "pointing_game_tolerance": float(pointing_hits(anomalous, starts, ends, tolerance).mean()),
        "tolerance": tolerance,
        "auprc": float(segment_auprc(anomalous, mask).mean()),
        "normal_entropy": entropy,
    }
