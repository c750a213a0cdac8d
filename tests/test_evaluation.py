"""evaluation.evaluate_model with a stand-in for models.predict: what it asks for and returns."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest

from attention_ts.core.stage import PipelineError
from attention_ts.training import evaluation
from attention_ts.training.metrics import best_f1_threshold, classification_metrics

BINARY = ("normal", "anomalous")
THREE = ("sine", "square", "saw")


class Split(NamedTuple):
    """The parts of data.Dataset that evaluate_model reads (spec: series, table, classes)."""

    series: np.ndarray  # (n, channels, points)
    table: np.ndarray  # id, label, length
    classes: tuple[str, ...]

    @property
    def lengths(self) -> np.ndarray:
        return self.table["length"]

    @property
    def ragged(self) -> bool:
        return bool(np.any(self.lengths < self.series.shape[2]))

    def names(self, split: str) -> list[str]:
        return [f"series id {i} of the {split} split" for i in self.table["id"]]


def _split(labels, classes, lengths=None, points=8) -> Split:
    n = len(labels)
    table = np.zeros(n, [("id", np.int64), ("label", np.int64), ("length", np.int64)])
    table["id"], table["label"] = np.arange(n), labels
    table["length"] = points if lengths is None else lengths
    return Split(np.zeros((n, 1, points), np.float32), table, classes)


class Predictions:
    """Stands in for models.predict: returns set probabilities and records each call."""

    def __init__(self, by_split: dict[str, np.ndarray]) -> None:
        self.by_split, self.calls = by_split, []

    def __call__(self, model, series, lengths=None, batch_size=500, names=None):
        split = names[0].rsplit(" of the ", 1)[1].removesuffix(" split")
        self.calls.append((split, lengths))
        return self.by_split[split].astype(np.float32), None


def _binary(scores) -> np.ndarray:
    scores = np.asarray(scores, np.float32)
    return np.stack([1 - scores, scores], axis=1)


def test_binary_data_gets_the_metrics_and_the_tuned_block(monkeypatch):
    val = _split([0, 1, 0, 1, 1], BINARY)
    test = _split([0, 0, 1, 1, 1, 0], BINARY)
    val_p, test_p = _binary([0.2, 0.35, 0.3, 0.9, 0.6]), _binary([0.1, 0.6, 0.4, 0.8, 0.3, 0.2])
    fake = Predictions({"validation": val_p, "test": test_p})
    monkeypatch.setattr(evaluation, "predict", fake)
    metrics, probabilities = evaluation.evaluate_model(None, val, test, 0.5)
    assert probabilities.shape == (6, 2)
    assert fake.calls == [("test", None), ("validation", None)]  # equal lengths: None
    expected = classification_metrics(test.table["label"], test_p, BINARY, 0.5)
    assert {key: metrics[key] for key in expected} == expected
    threshold, val_f1 = best_f1_threshold(val.table["label"], val_p[:, 1])
    at_tuned = classification_metrics(test.table["label"], test_p, BINARY, threshold)
    assert metrics["tuned"] == {
        "threshold": threshold,
        "val_f1": val_f1,
        **{key: at_tuned[key] for key in ("accuracy", "precision", "recall", "f1", "confusion")},
    }


def test_more_classes_predict_the_argmax_without_a_tuned_block(monkeypatch):
    test = _split([0, 1, 2, 2], THREE, lengths=[8, 5, 8, 3])  # ragged: lengths reach predict
    test_p = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8], [0.5, 0.2, 0.3]])
    fake = Predictions({"test": test_p})
    monkeypatch.setattr(evaluation, "predict", fake)
    metrics, probabilities = evaluation.evaluate_model(None, test, test, 0.5)
    assert "tuned" not in metrics and "f1" not in metrics
    assert metrics["accuracy"] == 0.75
    assert metrics["confusion_matrix"]["counts"] == [[1, 0, 0], [0, 1, 0], [1, 0, 1]]
    assert [(split, list(lengths)) for split, lengths in fake.calls] == [("test", [8, 5, 8, 3])]
    assert probabilities.shape == (4, 3)


def test_a_test_split_without_a_class_is_refused(monkeypatch):
    test = _split([0, 0, 1], THREE)
    monkeypatch.setattr(evaluation, "predict", Predictions({"test": np.eye(3)}))
    with pytest.raises(PipelineError, match="test split has no series of class 'saw'"):
        evaluation.evaluate_model(None, test, test, 0.5)
