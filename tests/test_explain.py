"""Per-point weights of trained models: gradient saliency, which kinds each model has, heatmaps."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from attention_ts.data import Dataset, generate
from attention_ts.evaluation import evaluate_model
from attention_ts.explain import (
    gradient_saliency,
    heatmap_rows,
    localization_report,
    point_weights,
)
from attention_ts.models import Checkpoint
from attention_ts.stage import PipelineError
from tests.conftest import tiny_config, tiny_model


def _random_series(n: int, points: int) -> np.ndarray:
    return np.random.default_rng(n).normal(size=(n, points)).astype(np.float32)


class Linear(nn.Module):
    """logit = series . w: its gradient is w for every series."""

    def __init__(self, w: torch.Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(w)

    def forward(self, series: torch.Tensor) -> tuple[torch.Tensor, None]:
        return series @ self.w, None


def test_saliency_of_a_linear_model_is_its_scaled_absolute_weights():
    w = torch.tensor([1.0, -3.0, 0.0, 4.0])
    saliency = gradient_saliency(Linear(w), _random_series(3, 4))
    np.testing.assert_allclose(saliency, np.tile([0.125, 0.375, 0.0, 0.5], (3, 1)))


def test_a_series_with_zero_gradient_gets_uniform_saliency():
    saliency = gradient_saliency(Linear(torch.zeros(4)), np.ones((2, 4), dtype=np.float32))
    np.testing.assert_allclose(saliency, np.full((2, 4), 0.25))


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
    checkpoint = Checkpoint(tiny_model(name, n_points=60), tiny_config(name), 60)
    weights = point_weights(checkpoint, _random_series(7, 60))
    assert list(weights) == kinds
    for kind_weights in weights.values():
        assert kind_weights.shape == (7, 60)
        np.testing.assert_allclose(kind_weights.sum(axis=1), np.ones(7), rtol=1e-5)
        assert np.all(kind_weights >= 0)


def test_report_scores_each_kind_and_uniform_weights_on_the_test_series(tiny_params):
    test = generate(tiny_params.generate)  # 240 series of 100 points, half anomalous
    checkpoint = Checkpoint(
        tiny_model("local_attention", n_points=100), tiny_config("local_attention"), 100
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


def _with_huge_series(data: Dataset, index: int) -> Dataset:
    """`data` with series `index` scaled to a peak of 1e38 (below float32's maximum)."""
    series = data.series.copy()
    series[index] *= 1e38 / np.abs(series[index]).max()
    return Dataset(series, data.table)


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
    checkpoint = Checkpoint(model, tiny_config("transformer"), 100)
    with pytest.raises(PipelineError, match=r"^series id 25 of the test split: "):
        localization_report(checkpoint, huge_test, tolerance=3)
    metrics, probabilities = evaluate_model(model, val, test, 0.5)  # the same series, not scaled
    assert np.isfinite(probabilities).all() and 0 <= metrics["roc_auc"] <= 1
