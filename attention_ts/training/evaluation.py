"""Score a trained model: test metrics, a threshold tuned on validation, and inference speed.

Shared by the evaluate stage (the pipeline's model) and the fit stage of the
comparison (every model), so both report exactly the same numbers.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np
from torch import nn

from attention_ts.core.stage import PipelineError
from attention_ts.data.dataset import Dataset
from attention_ts.models.classifiers import predict
from attention_ts.training.metrics import best_f1_threshold, classification_metrics

TUNED_KEYS = ("accuracy", "precision", "recall", "f1", "confusion")


def _lengths(dataset: Dataset) -> np.ndarray | None:
    """What `predict` takes as lengths: each series' valid points if ragged, else None."""
    return dataset.lengths if dataset.ragged else None


def evaluate_model(
    model: nn.Module, val: Dataset, test: Dataset, threshold: float
) -> tuple[dict[str, Any], np.ndarray]:
    """Test metrics (`metrics.classification_metrics`) and the test probabilities (n, K).

    Binary data (K = 2) predicts class 1 at probability >= `threshold`, and
    gets a "tuned" block: the metrics at the threshold that maximizes F1 on
    the validation split. It is chosen on validation only, so the test
    metrics at it are still an honest estimate (no block without validation
    series). K > 2 predicts the arg-max
    (`threshold` unused, no "tuned" block).

    Raises PipelineError for a series whose score is not finite, naming its
    split and id (models.check_scores), and for a test split without series
    of some class (its ROC AUC would be undefined).
    """
    labels = test.table["label"]
    missing = [name for c, name in enumerate(test.classes) if not np.any(labels == c)]
    if missing:
        raise PipelineError(
            f"the test split has no series of class {', '.join(map(repr, missing))}, so its "
            "ROC AUC is undefined; allowed: a test split with every class (more series of it, "
            "or a larger split.test)"
        )
    probabilities, _ = predict(model, test.series, lengths=_lengths(test), names=test.names("test"))
    metrics = classification_metrics(labels, probabilities, test.classes, threshold)
    if len(test.classes) == 2 and len(val.table):  # no validation series: no tuned threshold
        val_probabilities, _ = predict(
            model, val.series, lengths=_lengths(val), names=val.names("validation")
        )
        tuned_threshold, val_f1 = best_f1_threshold(val.table["label"], val_probabilities[:, 1])
        at_tuned = classification_metrics(labels, probabilities, test.classes, tuned_threshold)
        metrics["tuned"] = {
            "threshold": tuned_threshold,
            "val_f1": val_f1,
            **{key: at_tuned[key] for key in TUNED_KEYS},
        }
    return metrics, probabilities


def inference_throughput(
    model: nn.Module, series: np.ndarray, repeats: int = 3, lengths: np.ndarray | None = None
) -> float:
    """Series per second that `predict` scores, median over `repeats` passes over `series`.

    `series` (n, channels, points); `lengths` (n,) their valid points, or None
    when every series fills all points (as `predict` takes them).
    """
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        predict(model, series, lengths=lengths)
        seconds.append(time.perf_counter() - start)
    return len(series) / statistics.median(seconds)
