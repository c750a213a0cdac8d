"""Attention pictures: drawn with and without weights, titled with the truth and the prediction."""

from __future__ import annotations

import matplotlib.image
import numpy as np

from attention_ts.plotting import SeriesView, save_grid_plot, save_series_plot


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
