"""Train one model of the zoo on a split and score it: shared by the comparison and the benchmark.

`fit_and_score` trains as the train stage does and scores as the evaluate
stage does; `save_fit` writes what both pipelines keep of a fitted model:
model.pt, scores.json (the same on every rerun) and timing.json (measured).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, NamedTuple

from attention_ts.config.params import ModelParams, TrainParams
from attention_ts.core.io import write_json
from attention_ts.data.dataset import Dataset
from attention_ts.models.classifiers import Checkpoint, count_parameters, save_model
from attention_ts.results.comparison import MODEL_FILE, SCORES_FILE, TIMING_FILE
from attention_ts.training.evaluation import evaluate_model, inference_throughput
from attention_ts.training.loop import TrainResult, fit_model


class Fitted(NamedTuple):
    checkpoint: Checkpoint
    metrics: dict[str, Any]  # evaluation.evaluate_model's test metrics
    result: TrainResult
    timing: dict[str, float]  # train_seconds (wall), inference_series_per_s (median of 3)


def fit_and_score(
    name: str,
    config: ModelParams,
    train_params: TrainParams,
    splits: tuple[Dataset, Dataset, Dataset],
    threshold: float,
) -> Fitted:
    """Train model `name` (`config`, `train_params`) on train, validating on val; score on test.

    `splits` are (train, val, test) with the same classes, channels and
    points; `threshold` is evaluate.threshold (two classes only). Progress
    lines are printed with the model's name. Raises what `fit_model` and
    `evaluate_model` raise (PipelineError, one line).
    """
    train_set, val_set, test_set = splits
    start = time.perf_counter()
    model, config, result = fit_model(
        config, train_params, train_set, val_set, lambda s: print(name, s)
    )
    train_seconds = time.perf_counter() - start
    metrics, _ = evaluate_model(model, val_set, test_set, threshold)
    series_per_s = inference_throughput(model, test_set.series, lengths=test_set.model_lengths())
    _, n_channels, n_points = train_set.series.shape
    checkpoint = Checkpoint(model, config, n_points, n_channels, train_set.classes)
    timing = {
        "train_seconds": round(train_seconds, 2),
        "inference_series_per_s": round(series_per_s),
    }
    return Fitted(checkpoint, metrics, result, timing)


def save_fit(folder: Path, fitted: Fitted, **scores: Any) -> None:
    """model.pt, scores.json ({"test", "train", "n_parameters", **scores}), timing.json."""
    c = fitted.checkpoint
    save_model(folder / MODEL_FILE, c.model, c.config, c.n_points, c.n_channels, c.classes)
    summary = {
        "test": fitted.metrics,
        "train": fitted.result.summary(),
        "n_parameters": count_parameters(c.model),
        **scores,
    }
    write_json(folder / SCORES_FILE, summary)
    write_json(folder / TIMING_FILE, fitted.timing)
