"""Per-point weights of trained models: gradient saliency, which kinds each model has, heatmaps."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from attention_ts.config.catalog import SYNTHETIC_CLASSES
from attention_ts.core.stage import PipelineError
from attention_ts.data.dataset import Dataset
from attention_ts.data.synthetic import generate
from attention_ts.explain.maps import (
    gradient_saliency,
    heatmap_rows,
    localization_report,
    point_weights,
)
from attention_ts.models.classifiers import Checkpoint, build_model
from attention_ts.training.evaluation import evaluate_model
from tests.conftest import file_like_dataset, padded, tiny_config, tiny_model


def _random_series(n: int, points: int, channels: int = 1) -> np.ndarray:
    return np.random.default_rng(n).normal(size=(n, channels, points)).astype(np.float32)


class Linear(nn.Module):
    """Logits = series . w: its gradient is w for every series.

    w (channels, points): one logit per series, as a two-class model gives;
    w (classes, channels, points): one logit per class.
    """

    def __init__(self, w: torch.Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(w)

    def forward(
        self, series: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, None]:
        if self.w.ndim == 2:
            return (series * self.w).sum(dim=(1, 2)), None
        return torch.einsum("bcp,kcp->bk", series, self.w), None


def test_saliency_of_a_linear_model_is_its_scaled_absolute_weights():
    w = torch.tensor([[1.0, -3.0, 0.0, 4.0]])
    saliency = gradient_saliency(Linear(w), _random_series(3, 4))
    np.testing.assert_allclose(saliency, np.tile([0.125, 0.375, 0.0, 0.5], (3, 1)))


def test_saliency_sums_the_channels():
    w = torch.tensor([[1.0, -3.0, 0.0, 4.0], [1.0, -1.0, 0.0, 0.0]])
    saliency = gradient_saliency(Linear(w), _random_series(2, 4, channels=2))
    np.testing.assert_allclose(saliency, np.tile([0.2, 0.4, 0.0, 0.4], (2, 1)))


def test_saliency_of_many_classes_follows_the_predicted_class():
    w = torch.zeros(3, 1, 4)
    w[0, 0, 0], w[1, 0, 1], w[2, 0, 3] = 1.0, 2.0, -1.0
    series = np.array([[[1, 1, 1, 1]], [[5, 0, 0, 0]], [[0, 0, 0, -9]]], dtype=np.float32)
    saliency = gradient_saliency(Linear(w), series)  # logits [1, 2, -1], [5, 0, 0], [0, 0, 9]
    np.testing.assert_array_equal(saliency, np.eye(4)[[1, 0, 3]])


def test_a_series_with_zero_gradient_gets_uniform_saliency():
    saliency = gradient_saliency(Linear(torch.zeros(1, 4)), np.ones((2, 1, 4), dtype=np.float32))
    np.testing.assert_allclose(saliency, np.full((2, 4), 0.25))
    lengths = np.array([2, 4])
    saliency = gradient_saliency(
        Linear(torch.zeros(1, 4)), np.ones((2, 1, 4), dtype=np.float32), lengths
    )
    np.testing.assert_array_equal(saliency, [[0.5, 0.5, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]])


def test_saliency_is_exactly_zero_past_each_series_length():
    lengths = np.array([2, 6, 4])
    saliency = gradient_saliency(Linear(torch.ones(2, 6)), _random_series(3, 6, 2), lengths)
    np.testing.assert_array_equal(saliency[0], [0.5, 0.5, 0, 0, 0, 0])
    np.testing.assert_array_equal(saliency[2], [0.25, 0.25, 0.25, 0.25, 0, 0])
    np.testing.assert_allclose(saliency[1], np.full(6, 1 / 6))


@pytest.mark.parametrize("name", ["bilstm_attention", "local_attention", "cnn", "mlp", "lstm"])
def test_every_kind_of_weights_is_exactly_zero_past_each_series_length(name):
    torch.manual_seed(0)
    model = build_model(tiny_config(name), 60, n_channels=3, n_classes=3)
    checkpoint = Checkpoint(model, tiny_config(name), 60, 3, ("a", "b", "c"))
    lengths = np.array([60, 35, 20, 12])
    series = padded(_random_series(4, 60, channels=3), lengths)
    weights = point_weights(checkpoint, series, lengths)
    assert "saliency" in weights
    for kind_weights in weights.values():
        assert kind_weights.shape == (4, 60)
        for row, length in zip(kind_weights, lengths):
            assert np.all(row[length:] == 0.0)
            assert row[:length].sum() == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize(
    ("name", "kinds"),
    [
        ("bilstm_attention", ["attention", "saliency"]),
        ("local_attention", ["attention", "saliency"]),
        ("cnn", ["saliency"]),
        ("flat_run_rule", []),  # features fitted once and not differentiable: no weights
    ],
)
def test_each_model_gets_the_kinds_of_weights_it_has_on_the_time_axis(name, kinds):
    checkpoint = Checkpoint(
        tiny_model(name, n_points=60), tiny_config(name), 60, 1, SYNTHETIC_CLASSES
    )
    weights = point_weights(checkpoint, _random_series(7, 60))
    assert list(weights) == kinds
    for kind_weights in weights.values():
        assert kind_weights.shape == (7, 60)
        np.testing.assert_allclose(kind_weights.sum(axis=1), np.ones(7), rtol=1e-5)
        assert np.all(kind_weights >= 0)


def test_report_scores_each_kind_and_uniform_weights_on_the_test_series(tiny_params):
    test = generate(tiny_params.generate)  # 240 series of 100 points, half anomalous
    checkpoint = Checkpoint(
        tiny_model("local_attention", n_points=100),
        tiny_config("local_attention"),
        100,
        1,
        SYNTHETIC_CLASSES,
    )
    report, weights = localization_report(checkpoint, test, tolerance=3)
    assert list(report) == ["uniform", "attention", "saliency"]
    assert list(weights) == ["attention", "saliency"]
    anomalous = test.table["label"] == 1
    fraction = (
        np.mean(test.table["segment_end"][anomalous] - test.table["segment_start"][anomalous]) / 100
    )
    assert report["uniform"]["mass_inside"] == pytest.approx(fraction)
    assert report["uniform"]["lift"] == pytest.approx(1.0)
    assert report["attention"]["n_anomalous"] == anomalous.sum() == 120
    assert report["attention"]["tolerance"] == 3


def test_heatmap_rows_are_the_first_anomalous_series_sorted_by_segment_start(tiny_params):
    test = generate(tiny_params.generate)
    weights = {"attention": np.random.default_rng(0).dirichlet(np.ones(100), size=len(test.series))}
    rows = heatmap_rows(weights, test, count=30)["attention"]
    first = np.flatnonzero(test.table["label"] == 1)[:30]
    assert sorted(rows["starts"].tolist()) == rows["starts"].tolist()
    assert sorted(rows["starts"].tolist()) == sorted(test.table["segment_start"][first].tolist())
    assert rows["weights"].shape == (30, 100)
    assert len(rows["relative_argmax"]) == 120  # every anomalous series
    for row, start in zip(rows["weights"], rows["starts"]):  # each row kept with its own segment
        index = first[(test.table["segment_start"][first] == start)]
        assert any(np.array_equal(row, weights["attention"][i]) for i in index)


def test_data_without_known_segments_gets_the_spread_of_its_weights_only():
    test = file_like_dataset(("cat", "dog", "bird"), n=30, channels=2)
    config = tiny_config("local_attention")
    torch.manual_seed(0)
    model = build_model(config, 60, n_channels=2, n_classes=3)
    report, weights = localization_report(
        Checkpoint(model, config, 60, 2, test.classes), test, tolerance=3
    )
    assert list(report) == ["uniform", "attention", "saliency"]
    for scores in report.values():
        assert list(scores) == ["located_series", "n_series", "entropy"]
        assert scores["located_series"] == 0 and scores["n_series"] == 30
        assert 0.0 < scores["entropy"] <= 1.0 + 1e-9
    assert report["uniform"]["entropy"] == pytest.approx(1.0)  # uniform over the valid points
    for kind_weights in weights.values():
        assert all(np.all(row[n:] == 0.0) for row, n in zip(kind_weights, test.lengths))
    rows = heatmap_rows(weights, test, count=30)
    assert rows["attention"]["weights"].shape == (0, 60)  # nothing to draw: "no known segments"
    assert len(rows["saliency"]["relative_argmax"]) == 0


def _with_huge_series(data: Dataset, index: int) -> Dataset:
    """`data` with series `index` scaled to a peak of 1e38 (below float32's maximum)."""
    series = data.series.copy()
    series[index] *= 1e38 / np.abs(series[index]).max()
    return Dataset(series, data.table, data.classes)


def test_scoring_refuses_a_series_whose_score_is_not_finite_naming_its_id(tiny_params):
    """A model with standardize = false gives 1e38 values a NaN score: a line, not a metric."""
    data = generate(tiny_params.generate)
    val, test = data.subset(np.arange(20)), data.subset(np.arange(20, 60))
    model = tiny_model("transformer", n_points=100)  # standardize = false
    huge_test = _with_huge_series(test, 5)
    allowed = "allowed: series of smaller values, or a model trained with model.standardize = true"
    with pytest.raises(PipelineError, match=rf"^series id 25 of the test split: .*{allowed}"):
        evaluate_model(model, val, huge_test, 0.5)
    with pytest.raises(PipelineError, match=r"^series id 3 of the validation split: "):
        evaluate_model(model, _with_huge_series(val, 3), test, 0.5)
    checkpoint = Checkpoint(model, tiny_config("transformer"), 100, 1, SYNTHETIC_CLASSES)
    with pytest.raises(PipelineError, match=r"^series id 25 of the test split: "):
        localization_report(checkpoint, huge_test, tolerance=3)
    metrics, probabilities = evaluate_model(model, val, test, 0.5)  # the same series, not scaled
    assert np.isfinite(probabilities).all() and 0 <= metrics["roc_auc"] <= 1
