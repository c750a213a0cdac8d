"""Binary classification metrics from scores, in plain numpy.

ROC AUC and PR AUC are computed from probabilities, not from 0/1 predictions
(the original's bug: an AUC of thresholded labels is just balanced accuracy).
PR AUC is average precision, the step-wise area that sklearn also reports.
"""

from __future__ import annotations

import numpy as np


def _safe_ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else 0.0


def confusion(labels: np.ndarray, predictions: np.ndarray) -> dict[str, int]:
    """Counts of true/false negatives/positives; label 1 (anomalous) is positive."""
    labels, predictions = np.asarray(labels, bool), np.asarray(predictions, bool)
    return {
        "tn": int(np.sum(~labels & ~predictions)),
        "fp": int(np.sum(~labels & predictions)),
        "fn": int(np.sum(labels & ~predictions)),
        "tp": int(np.sum(labels & predictions)),
    }


def _cumulative_counts(labels: np.ndarray, scores: np.ndarray):
    """True/false positive counts when thresholding at each distinct score, high to low."""
    order = np.argsort(-np.asarray(scores, np.float64), kind="stable")
    sorted_scores = np.asarray(scores, np.float64)[order]
    sorted_labels = np.asarray(labels, np.int64)[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(sorted_scores)), sorted_labels.size - 1]
    true_positives = np.cumsum(sorted_labels)[last_of_tie]
    false_positives = last_of_tie + 1 - true_positives
    return true_positives, false_positives, sorted_scores[last_of_tie]


def _corners(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mask of the points where the path (x, y) turns; the others lie on straight lines."""
    dx, dy = np.diff(x), np.diff(y)
    turns = dx[:-1] * dy[1:] != dy[:-1] * dx[1:]  # cross product of neighbouring steps
    return np.r_[True, turns, True]


def roc_curve(
    labels: np.ndarray, scores: np.ndarray, drop_intermediate: bool = False
) -> tuple[np.ndarray, ...]:
    """(false positive rate, true positive rate, threshold), starting at (0, 0).

    `drop_intermediate` keeps only the corners, which draw the same curve
    with the same area in far fewer points.
    """
    tps, fps, thresholds = _cumulative_counts(labels, scores)
    if drop_intermediate and tps.size > 2:
        keep = _corners(fps, tps)
        tps, fps, thresholds = tps[keep], fps[keep], thresholds[keep]
    tpr = np.r_[0, tps] / max(tps[-1], 1)
    fpr = np.r_[0, fps] / max(fps[-1], 1)
    return fpr, tpr, np.r_[np.inf, thresholds]


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    fpr, tpr, _ = roc_curve(labels, scores)
    return float(np.trapezoid(tpr, fpr))


def precision_recall_curve(
    labels: np.ndarray, scores: np.ndarray, drop_intermediate: bool = False
) -> tuple[np.ndarray, ...]:
    """(precision, recall, threshold) by falling threshold, starting at recall 0.

    `drop_intermediate` keeps only the corners of the drawn polyline (for
    plots; average precision always uses every point).
    """
    tps, fps, thresholds = _cumulative_counts(labels, scores)
    precision = tps / (tps + fps)
    recall = tps / max(tps[-1], 1)
    if drop_intermediate and tps.size > 2:
        keep = _corners(recall, precision)
        precision, recall, thresholds = precision[keep], recall[keep], thresholds[keep]
    return np.r_[1.0, precision], np.r_[0.0, recall], np.r_[np.inf, thresholds]


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the PR curve as sum over thresholds of (R_k - R_k-1) * P_k."""
    precision, recall, _ = precision_recall_curve(labels, scores)
    return float(np.sum(np.diff(recall) * precision[1:]))


def precision_recall_f1(counts: dict[str, int]) -> tuple[float, float, float]:
    """Precision, recall and F1 from confusion counts; 0 where undefined."""
    precision = _safe_ratio(counts["tp"], counts["tp"] + counts["fp"])
    recall = _safe_ratio(counts["tp"], counts["tp"] + counts["fn"])
    return precision, recall, _safe_ratio(2 * precision * recall, precision + recall)


def best_f1_threshold(labels: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """The threshold that maximizes F1 of `scores >= threshold`, and that F1.

    Every threshold between a distinct score and the next lower one makes the
    same predictions; the midpoint of the best such interval is returned, so a
    score a hair below the best one on new data is not flipped. Ties between
    intervals go to the highest threshold.
    """
    tps, fps, thresholds = _cumulative_counts(labels, scores)
    positives = max(int(tps[-1]), 1)
    f1 = 2 * tps / (tps + fps + positives)  # 2tp / (2tp + fp + fn)
    best = int(np.argmax(f1))
    below = thresholds[best + 1] if best + 1 < thresholds.size else 0.0
    return float((thresholds[best] + below) / 2), float(f1[best])


def classification_metrics(
    labels: np.ndarray, probabilities: np.ndarray, threshold: float
) -> dict[str, float | int | dict]:
    """Threshold metrics at `threshold` plus the threshold-free AUCs, as plain JSON values."""
    counts = confusion(labels, probabilities >= threshold)
    precision, recall, f1 = precision_recall_f1(counts)
    return {
        "accuracy": _safe_ratio(counts["tp"] + counts["tn"], len(labels)),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "roc_auc": roc_auc(labels, probabilities),
        "pr_auc": average_precision(labels, probabilities),
        "threshold": threshold,
        "n_series": int(len(labels)),
        "confusion": counts,
    }
