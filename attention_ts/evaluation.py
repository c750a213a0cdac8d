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

from attention_ts.data import Dataset
from attention_ts.metrics import best_f1_threshold, classification_metrics
from attention_ts.models import predict

TUNED_KEYS = ("accuracy", "precision", "recall", "f1", "confusion")


def evaluate_model(
    model: nn.Module, val: Dataset, test: Dataset, threshold: float
) -> tuple[dict[str, Any], np.ndarray]:
    """Test metrics at `threshold` and, under "tuned", at the threshold that maximizes val F1.

    The tuned threshold is chosen on the validation split only, so the test
    metrics at it are still an honest estimate. Returns the metrics and the
    test probabilities (n,). A series whose score is not finite is a
    PipelineError naming its split and id (models.check_scores).
    """
    labels = test.table["label"]
    probabilities, _ = predict(model, test.series, names=test.names("test"))
    metrics = classification_metrics(labels, probabilities, threshold)
    val_probabilities, _ = predict(model, val.series, names=val.names("validation"))
    tuned_threshold, val_f1 = best_f1_threshold(val.table["label"], val_probabilities)
    at_tuned = classification_metrics(labels, probabilities, tuned_threshold)
    metrics["tuned"] = {
        "threshold": tuned_threshold,
        "val_f1": val_f1,
        **{key: at_tuned[key] for key in TUNED_KEYS},
    }
    return metrics, probabilities


def inference_throughput(model: nn.Module, series: np.ndarray, repeats: int = 3) -> float:
    """Series per second that `predict` scores, median over `repeats` passes over `series`."""
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        predict(model, series)
        seconds.append(time.perf_counter() - start)
    return len(series) / statistics.median(seconds)
