"""Attention pictures: drawn with and without weights, titled with the truth and the prediction."""

from __future__ import annotations

import matplotlib.image
import numpy as np

from attention_ts.plotting import (
    SeriesView,
    save_argmax_histogram,
    save_grid_plot,
    save_heatmap_grid,
    save_series_plot,
)


def _view(attention: np.ndarray | None, label: int = 1, prediction: int = 1) -> SeriesView:
    values = np.sin(np.linspace(0, 6, 100)).astype(np.float32)
    values[40:70] = values[40]
    return SeriesView(
        series_id=7,
        values=values,
        attention=attention,
        label=label,
        probability=0.9,
        prediction=prediction,
        segment=(40, 70) if label else None,
    )


def test_title_says_truth_prediction_and_probability():
    assert _view(None).title == "series 7: anomalous, predicted anomalous (p=0.900, right)"
    assert _view(None, label=0, prediction=1).title.endswith("(p=0.900, wrong)")


def test_title_gains_the_localization_numbers_of_the_attention():
    inside = np.zeros(100)
    inside[50] = 1.0  # all on one point of the segment [40, 70), 30 % of the series
    assert _view(inside).title.splitlines()[1] == (
        "attention in segment 1.00 (3.3 x uniform), arg-max inside"
    )
    before = np.full(100, 0.5 / 99)
    before[10] = 0.5
    assert _view(before).title.endswith(
        "attention in segment 0.15 (0.5 x uniform), arg-max outside"
    )
    assert _view(np.full(100, 0.01), label=0, prediction=0).title.endswith(
        "attention entropy 1.00 (uniform = 1)"
    )


def test_series_plot_with_and_without_attention(tmp_path):
    weights = np.zeros(100)
    weights[40:70] = 1 / 30
    save_series_plot(_view(weights), tmp_path / "with.png")
    save_series_plot(_view(None), tmp_path / "without.png")
    with_attention = matplotlib.image.imread(tmp_path / "with.png")
    without = matplotlib.image.imread(tmp_path / "without.png")
    assert with_attention.shape == without.shape

    def orange_pixels(image: np.ndarray) -> int:
        return int(np.sum((image[..., 0] > 0.9) & (image[..., 2] < 0.6)))

    assert orange_pixels(with_attention) > 100, "the attention fill should be drawn"
    assert orange_pixels(without) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["with.png", "without.png"]


def test_grid_has_one_row_per_class(tmp_path):
    rows = [[_view(None, label=0), _view(None, label=0)], [_view(None), _view(None)]]
    save_grid_plot(rows, tmp_path / "grid.png")
    height, width, _ = matplotlib.image.imread(tmp_path / "grid.png").shape
    assert width > height  # 2 x 2 panels of 5 x 2.8 inches each


def _dark_pixels(path) -> int:
    image = matplotlib.image.imread(path)
    return int(np.sum(image[..., :3].min(axis=2) < 0.5))


def test_heatmap_grid_draws_each_panel_and_a_blank_one_for_missing_weights(tmp_path):
    starts = np.arange(0, 50, 5)
    weights = np.zeros((10, 100))
    weights[np.arange(10), starts + 10] = 1.0  # each row peaks inside its segment
    rows = {"weights": weights, "starts": starts, "ends": starts + 30}
    save_heatmap_grid([[("a: attention", rows), ("a: saliency", rows)]], tmp_path / "two.png")
    save_heatmap_grid([[("a: attention", rows), ("b: saliency", None)]], tmp_path / "one.png")
    two, one = _dark_pixels(tmp_path / "two.png"), _dark_pixels(tmp_path / "one.png")
    assert two > 1.5 * one > 0, "a missing kind is an empty panel, not a heatmap"


def test_argmax_histogram_draws_a_line_per_kind(tmp_path):
    relative = np.random.default_rng(0).uniform(-3, 4, size=200)  # beyond the shown range too
    save_argmax_histogram({"attention": relative}, tmp_path / "one.png")
    save_argmax_histogram({"attention": relative, "saliency": relative / 2}, tmp_path / "two.png")
    assert _dark_pixels(tmp_path / "two.png") > _dark_pixels(tmp_path / "one.png")
