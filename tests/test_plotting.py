"""Attention pictures: drawn with and without weights, titled with the truth and the prediction."""

from __future__ import annotations

import dataclasses

import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from attention_ts.config.catalog import SYNTHETIC_CLASSES
from attention_ts.data.synthetic import generate
from attention_ts.explain.maps import series_views
from attention_ts.explain.plotting import (
    SeriesView,
    draw_series,
    file_names,
    save_argmax_histogram,
    save_grid_plot,
    save_heatmap_grid,
    save_series_plot,
)
from attention_ts.models.classifiers import Checkpoint, build_model
from stages.plot_attention import save_plots
from tests.conftest import file_like_dataset, tiny_config

BINARY = ("normal", "anomalous")


def _view(attention: np.ndarray | None, label: int = 1, prediction: int = 1) -> SeriesView:
    values = np.sin(np.linspace(0, 6, 100)).astype(np.float32)
    values[40:70] = values[40]
    return SeriesView(
        series_id=7,
        values=values[None, :],
        length=100,
        attention=attention,
        classes=BINARY,
        label=label,
        prediction=prediction,
        probability=0.9,
        segment=(40, 70) if label else None,
    )


def _channels(n_channels: int, length: int = 80, points: int = 100, **fields) -> SeriesView:
    """A series of `n_channels` sines, zero-padded from `length` to `points`, with attention."""
    t = np.linspace(0, 6, length)
    values = np.zeros((n_channels, points), dtype=np.float32)
    values[:, :length] = np.sin(t[None, :] * (1 + np.arange(n_channels))[:, None])
    attention = np.zeros(points)
    attention[10:30] = 1 / 20
    view = {
        "series_id": "s",
        "values": values,
        "length": length,
        "attention": attention,
        "classes": ("cat", "dog", "bird"),
        "label": 0,
        "prediction": 2,
        "probability": 0.6,
        "segment": None,
    }
    return SeriesView(**{**view, **fields})


def _orange_pixels(image: np.ndarray) -> int:
    return int(np.sum((image[..., 0] > 0.9) & (image[..., 2] < 0.6)))


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

    assert _orange_pixels(with_attention) > 100, "the attention fill should be drawn"
    assert _orange_pixels(without) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["with.png", "without.png"]


def test_grid_has_one_row_per_class(tmp_path):
    rows = [[_view(None, label=0), _view(None, label=0)], [_view(None), _view(None)]]
    save_grid_plot(rows, tmp_path / "grid.png")
    height, width, _ = matplotlib.image.imread(tmp_path / "grid.png").shape
    assert width > height  # 2 x 2 panels of 5 x 2.8 inches each


def test_titles_name_the_classes_of_any_number_of_classes():
    assert _channels(1, attention=None).title == "series s: cat, predicted bird (p=0.600, wrong)"
    view = _channels(2, attention=None, label=None, prediction=1, probability=0.75)
    assert view.title == "series s: predicted dog (p=0.750)"


def test_only_the_valid_points_are_drawn_and_scored():
    view = _channels(1, length=60)
    padded = view.values.copy()
    padded[:, 60:] = 100.0  # what lies past the length must not show
    attention = view.attention.copy()
    attention[80:] = 5.0
    fig, ax = plt.subplots()
    draw_series(ax, dataclasses.replace(view, values=padded, attention=attention))
    assert ax.get_xlim()[1] < 62 and ax.get_ylim()[1] < 2
    assert [len(line.get_xdata()) for line in ax.get_lines()] == [60]
    plt.close(fig)
    # the entropy of 20 equal weights among 60 valid points, not among 100
    assert view.title.endswith(f"attention entropy {np.log(20) / np.log(60):.2f} (uniform = 1)")


def test_up_to_three_channels_share_one_axes_with_a_legend():
    fig, ax = plt.subplots()
    draw_series(ax, _channels(3))
    assert [line.get_label() for line in ax.get_lines()] == ["channel 0", "channel 1", "channel 2"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "channel 0",
        "channel 1",
        "channel 2",
    ]
    plt.close(fig)


def test_a_series_of_twelve_channels_gets_a_panel_each_with_its_attention(tmp_path):
    save_series_plot(_channels(12), tmp_path / "twelve.png")
    save_series_plot(_channels(1), tmp_path / "one.png")
    twelve = matplotlib.image.imread(tmp_path / "twelve.png")
    one = matplotlib.image.imread(tmp_path / "one.png")
    assert twelve.shape[0] > 3 * one.shape[0] and twelve.shape[1] == one.shape[1]
    for band in np.array_split(twelve, 4):  # the attention is drawn on every panel
        assert _orange_pixels(band) > 50
    rows = [[_channels(12), _channels(12)], [_channels(12, label=1)], []]  # the bird: no series
    save_grid_plot(rows, tmp_path / "grid.png")
    assert matplotlib.image.imread(tmp_path / "grid.png").shape[0] > 2 * twelve.shape[0]


def test_a_grid_row_of_a_class_without_test_series_is_left_blank(tmp_path):
    save_grid_plot([[_channels(1)], []], tmp_path / "grid.png")
    assert matplotlib.image.imread(tmp_path / "grid.png").shape[:2] == (round(2 * 2.8 * 80), 80 * 5)


def test_file_names_of_classes_are_safe_and_distinct():
    assert file_names(BINARY) == ["normal", "anomalous"]
    # the rule of every name taken from user data (core/io.py's UniqueNames): Unicode letters
    # kept, a path separator or a leading dot neutralized, unique ignoring case
    assert file_names(["a b", "a_b", "A/B", "../up", "", "é", "É"]) == [
        "a_b",
        "a_b-class1",
        "A_B-class2",
        "_._up",
        "_",
        "é",
        "É-class6",
    ]


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


def test_plots_of_three_classes_and_three_channels_are_named_after_the_classes(tmp_path):
    test = file_like_dataset(("cat", "dog", "big bird"), n=24, channels=3, seed=2)
    config = tiny_config("local_attention")
    torch.manual_seed(0)
    model = build_model(config, 60, n_channels=3, n_classes=3)
    checkpoint = Checkpoint(model, config, 60, 3, test.classes)
    rows = series_views(test, checkpoint, n_per_class=2, seed=0, threshold=0.5)
    assert [[view.label for view in row] for row in rows] == [[0, 0], [1, 1], [2, 2]]
    for view in (view for row in rows for view in row):
        assert view.values.shape == (3, 60) and view.classes == test.classes
        assert np.all(view.attention[view.length :] == 0.0)
        assert view.attention.sum() == pytest.approx(1.0, rel=1e-5)
        assert 1 / 3 <= view.probability <= 1  # the arg-max class's probability
    save_plots(rows, test.classes, tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "big_bird_1.png",
        "big_bird_2.png",
        "cat_1.png",
        "cat_2.png",
        "dog_1.png",
        "dog_2.png",
        "grid.png",
    ]
    height, width, _ = matplotlib.image.imread(tmp_path / "grid.png").shape
    assert (height, width) == (round(3 * 2.8 * 80), 2 * 5 * 80)  # a row per class


def test_binary_plots_threshold_class_one_and_keep_their_names(tiny_params, tmp_path):
    test = generate(tiny_params.generate)
    config = tiny_config("bilstm_attention")
    torch.manual_seed(0)
    checkpoint = Checkpoint(build_model(config, 100), config, 100, 1, SYNTHETIC_CLASSES)
    rows = series_views(test, checkpoint, n_per_class=3, seed=0, threshold=0.0)
    assert all(view.prediction == 1 for row in rows for view in row)  # p >= 0 always
    save_plots(rows, test.classes, tmp_path)
    names = sorted(path.name for path in tmp_path.iterdir())
    expected = [f"{c}_{k}.png" for c in ("normal", "anomalous") for k in (1, 2, 3)]
    assert names == sorted([*expected, "grid.png"])
