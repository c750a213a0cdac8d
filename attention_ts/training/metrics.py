"""Classification metrics from class probabilities, computed by scikit-learn.

Every function takes labels (n,) as class indices 0..K-1 and, where it says
so, probabilities (n, K), one column per class (`models.predict`). Binary
data (K = 2) has class 1 as the positive class and predicts it when its
probability is >= a threshold; K > 2 predicts the arg-max.

The values come from `sklearn.metrics`
(https://scikit-learn.org/stable/modules/model_evaluation.html). Three
binary values keep the bits this module had before it used scikit-learn, so
recorded numbers (tests/data/golden.json, metrics/evaluate.json) do not move:
they are built from sklearn's counts and curves in the old order of
operations, where sklearn's own one-call functions round differently by
1-3 units in the last place:

- F1 = 2 P R / (P + R) of sklearn's precision P and recall R
  (`sklearn.metrics.f1_score` computes 2 tp / (2 tp + fp + fn));
- ROC AUC = `sklearn.metrics.auc` over every point of
  `roc_curve(drop_intermediate=False)` (`roc_auc_score` integrates the
  thinned curve);
- average precision = sum over thresholds of (R_k - R_k-1) P_k by rising
  recall, over `precision_recall_curve` (`average_precision_score` sums the
  same terms in the opposite order).

AUCs are computed from probabilities, never from 0/1 predictions (an AUC of
thresholded labels is just balanced accuracy).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn import metrics as sk
from sklearn.preprocessing import label_binarize

from attention_ts.models.classifiers import checked_probabilities, predicted_classes

VALIDATION_THRESHOLD = 0.5  # binary validation F1 predicts class 1 from this probability


def _checked(
    labels: np.ndarray, probabilities: np.ndarray, classes: Sequence[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """`labels` as int64 (n,) and `probabilities` (n, K) as given (their dtype is kept)."""
    probabilities = checked_probabilities(probabilities)
    labels = np.asarray(labels)
    n, k = probabilities.shape
    if labels.shape != (n,):
        raise ValueError(f"labels must be ({n},) to match the probabilities, got {labels.shape}")
    if classes is not None and len(classes) != k:
        raise ValueError(f"{len(classes)} class names for {k} probability columns")
    labels = labels.astype(np.int64)
    outside = labels[(labels < 0) | (labels >= k)]
    if outside.size:
        raise ValueError(f"label {outside[0]} is not a class index 0..{k - 1}")
    return labels, probabilities


def binary_f1(labels: np.ndarray, predicted: np.ndarray) -> float:
    """F1 of class 1 from labels (n,) and 0/1 predictions (n,): 2 P R / (P + R), 0 if undefined.

    P and R are `sklearn.metrics.precision_recall_fscore_support`'s precision
    and recall of class 1 (zero_division=0). Any non-zero label or prediction
    counts as class 1. The harmonic mean is taken of the rounded P and R, as
    before scikit-learn, so the value can differ from `sklearn.metrics.f1_score`
    (2 tp / (2 tp + fp + fn)) in the last 1-2 bits.
    """
    return _binary_scores(labels, predicted)[2]


def _binary_scores(labels: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float]:
    """(precision, recall, F1) of class 1; see `binary_f1`."""
    labels = np.asarray(labels).astype(bool).astype(np.int64)
    predicted = np.asarray(predicted).astype(bool).astype(np.int64)
    precision, recall, _, _ = sk.precision_recall_fscore_support(
        labels, predicted, labels=[1], zero_division=0.0
    )
    return _with_f1(float(precision[0]), float(recall[0]))


def _with_f1(precision: float, recall: float) -> tuple[float, float, float]:
    """(precision, recall, their harmonic mean 2 P R / (P + R), 0 where P + R = 0)."""
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def validation_f1(labels: np.ndarray, probabilities: np.ndarray) -> float:
    """The F1 that training reports on the validation split, from labels (n,), probabilities (n, K).

    K = 2: F1 of class 1 predicted at probability >= 0.5 (`binary_f1`);
    K > 2: macro F1 of the arg-max predictions
    (`sklearn.metrics.f1_score(average="macro")` over all K classes,
    zero_division=0). Raises ValueError for mismatched shapes or labels
    outside 0..K-1.
    """
    labels, probabilities = _checked(labels, probabilities)
    predicted = predicted_classes(probabilities, VALIDATION_THRESHOLD)
    if probabilities.shape[1] == 2:
        return binary_f1(labels, predicted)
    k = probabilities.shape[1]
    return float(
        sk.f1_score(labels, predicted, labels=range(k), average="macro", zero_division=0.0)
    )


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """Average precision of `scores` (n,) for binary `labels` (n,): sum_k (R_k - R_k-1) P_k.

    The step-wise area under `sklearn.metrics.precision_recall_curve`, summed by
    rising recall (sklearn's `average_precision_score` has the same terms and
    formula, summed the other way round, so it can differ in the last bits).
    Labels that are non-zero (or True) are positives; with no positive the
    value is 0.0. Scores are compared in float64.
    """
    labels = np.asarray(labels).astype(bool)
    if not labels.any():
        return 0.0
    precision, recall, _ = sk.precision_recall_curve(labels, np.asarray(scores, np.float64))
    return float(np.sum(np.diff(recall[::-1]) * precision[::-1][1:]))


def _binary_roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Trapezoidal area under the full ROC curve (`sklearn.metrics.auc` of `roc_curve`)."""
    fpr, tpr, _ = sk.roc_curve(labels, np.asarray(scores, np.float64), drop_intermediate=False)
    return float(sk.auc(fpr, tpr))


def best_f1_threshold(labels: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """The threshold that maximizes F1 of `scores >= threshold`, and that F1 (binary).

    `labels` (n,) are 0/1 (class 1 positive), `scores` (n,) the probabilities
    of class 1. Every threshold between a distinct score and the next lower
    one makes the same predictions; the midpoint of the best such interval is
    returned (half the lowest score, for the interval down to 0), so a score
    a hair below the best one on new data is not flipped. Ties between
    intervals go to the highest threshold. F1 = 2 tp / (2 tp + fp + fn) from
    `sklearn.metrics.confusion_matrix_at_thresholds`' counts at each distinct
    score (scores in float64). With no positive label every F1 is 0 and the
    threshold lies below the highest score.
    """
    labels = np.asarray(labels).astype(bool).astype(np.int64)
    _, fps, fns, tps, thresholds = sk.confusion_matrix_at_thresholds(
        labels, np.asarray(scores, np.float64)
    )
    positives = max(tps[-1], 1.0)
    f1 = 2 * tps / (tps + fps + positives)  # = 2tp / (2tp + fp + fn): fn = positives - tp
    best = int(np.argmax(f1))
    below = thresholds[best + 1] if best + 1 < thresholds.size else 0.0
    return float((thresholds[best] + below) / 2), float(f1[best])


def classification_metrics(
    labels: np.ndarray, probabilities: np.ndarray, classes: Sequence[str], threshold: float
) -> dict[str, float | int | dict | list]:
    """Metrics of probabilities (n, K) against labels (n,), as plain JSON values.

    Always: accuracy, balanced_accuracy, macro_f1 (unweighted mean of the
    per-class F1), roc_auc (K = 2: of class 1's probability; K > 2: the
    one-vs-rest macro average, `roc_auc_score(multi_class="ovr",
    average="macro")`), log_loss (`sklearn.metrics.log_loss` with all K
    classes, probabilities clipped at their dtype's epsilon), n_series,
    per_class {class name: {precision, recall, f1, support}}
    (`precision_recall_fscore_support`, zero_division=0) and confusion_matrix
    {"classes": names, "counts": K x K, rows true, columns predicted}.
    K = 2 only: precision, recall, f1 of class 1 (`binary_f1`), pr_auc
    (`average_precision`), threshold and confusion {tn, fp, fn, tp}.
    Predictions: K = 2 class 1 where its probability >= `threshold`; K > 2
    the arg-max (`predicted_classes`). Formulas: scikit-learn's user guide,
    https://scikit-learn.org/stable/modules/model_evaluation.html.

    Raises ValueError for mismatched shapes, labels outside 0..K-1, a class
    with no series in `labels` (its ROC AUC is undefined), and (from
    `roc_auc_score`) K > 2 probabilities whose rows do not sum to 1.
    """
    labels, probabilities = _checked(labels, probabilities, classes)
    k = len(classes)
    missing = [name for c, name in enumerate(classes) if not np.any(labels == c)]
    if missing:
        raise ValueError(
            f"no series of class {', '.join(map(repr, missing))} among the labels: its ROC AUC "
            "is undefined"
        )
    everything = list(range(k))
    predicted = predicted_classes(probabilities, threshold)
    precision, recall, f1, support = sk.precision_recall_fscore_support(
        labels, predicted, labels=everything, zero_division=0.0
    )
    counts = sk.confusion_matrix(labels, predicted, labels=everything)
    binary = k == 2
    if binary:
        roc_auc = _binary_roc_auc(labels, probabilities[:, 1])
    else:
        roc_auc = sk.roc_auc_score(
            labels, probabilities, multi_class="ovr", average="macro", labels=everything
        )
    metrics: dict[str, float | int | dict | list] = {
        "accuracy": float(sk.accuracy_score(labels, predicted)),
        "balanced_accuracy": float(sk.balanced_accuracy_score(labels, predicted)),
        "macro_f1": float(
            sk.f1_score(labels, predicted, labels=everything, average="macro", zero_division=0.0)
        ),
    }
    if binary:
        p, r, f = _with_f1(float(precision[1]), float(recall[1]))  # = binary_f1's
        metrics.update(precision=p, recall=r, f1=f)
    metrics["roc_auc"] = float(roc_auc)
    if binary:
        metrics["pr_auc"] = average_precision(labels, probabilities[:, 1])
    metrics["log_loss"] = float(sk.log_loss(labels, probabilities, labels=everything))
    if binary:
        metrics["threshold"] = float(threshold)
    metrics["n_series"] = int(len(labels))
    if binary:
        (tn, fp), (fn, tp) = counts.tolist()
        metrics["confusion"] = {"tn": tn, "fp": fp, "fn": fn, "tp": tp}
    metrics["per_class"] = {
        name: {
            "precision": float(precision[c]),
            "recall": float(recall[c]),
            "f1": float(f1[c]),
            "support": int(support[c]),
        }
        for c, name in enumerate(classes)
    }
    metrics["confusion_matrix"] = {"classes": list(classes), "counts": counts.tolist()}
    return metrics


def _rows(x: str, y: str, **columns: np.ndarray) -> list[dict[str, float]]:
    """Column arrays -> the rows `dvc plots` reads, keeping only where the path (x, y) turns.

    A point repeating the one before it, or on the straight line between its
    neighbours (cross product of the two steps 0), draws nothing: the drawn
    curve and its area stay the same in far fewer points than scikit-learn's
    drop_intermediate leaves.
    """
    moves = np.r_[True, (np.diff(columns[x]) != 0) | (np.diff(columns[y]) != 0)]
    columns = {name: values[moves] for name, values in columns.items()}  # repeats: the first
    dx, dy = np.diff(columns[x]), np.diff(columns[y])
    turns = np.r_[True, dx[:-1] * dy[1:] != dy[:-1] * dx[1:], True][: len(dx) + 1]
    rows = zip(turns, *columns.values())
    return [dict(zip(columns, map(float, row))) for keep, *row in rows if keep]


def curves(
    labels: np.ndarray, probabilities: np.ndarray, classes: Sequence[str]
) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """ROC and precision-recall curves for plots: (roc rows, pr rows).

    roc rows {fpr, tpr, threshold} start at (0, 0); pr rows {recall,
    precision, threshold} start at (recall 0, precision 1); both by falling
    threshold. The first point's threshold, +inf in scikit-learn (nothing
    predicted), is written as 1.0 (JSON has no inf; a probability >= 1
    predicts the same). Points that do not change the drawn curve are
    dropped (`roc_curve` / `precision_recall_curve` with
    drop_intermediate=True).

    K = 2: the curves of class 1's probability. K > 2: micro-averaged
    one-vs-rest curves: every (series, class) pair is one binary decision,
    label 1 where the class is the series' label, scored by that class's
    probability (`label_binarize(labels).ravel()` against
    `probabilities.ravel()`), as in scikit-learn's multiclass ROC example.
    Raises ValueError for mismatched shapes or labels outside 0..K-1.
    """
    labels, probabilities = _checked(labels, probabilities, classes)
    if probabilities.shape[1] == 2:
        truth, scores = labels, probabilities[:, 1]
    else:
        truth = label_binarize(labels, classes=range(len(classes))).ravel()
        scores = probabilities.ravel()
    scores = np.asarray(scores, np.float64)
    fpr, tpr, roc_thresholds = sk.roc_curve(truth, scores, drop_intermediate=True)
    precision, recall, pr_thresholds = sk.precision_recall_curve(
        truth, scores, drop_intermediate=True
    )
    roc = _rows("fpr", "tpr", fpr=fpr, tpr=tpr, threshold=np.minimum(roc_thresholds, 1.0))
    pr = _rows(
        "recall",
        "precision",
        recall=recall[::-1],
        precision=precision[::-1],
        threshold=np.minimum(np.r_[np.inf, pr_thresholds[::-1]], 1.0),
    )
    return roc, pr
