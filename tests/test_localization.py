"""Localization scores on hand-made weights with known answers, and the chance level."""

from __future__ import annotations

import numpy as np
import pytest

from attention_ts.explain.localization import (
    localization_scores,
    mass_inside,
    normalized_entropy,
    on_valid_points,
    pointing_hits,
    relative_argmax,
    segment_auprc,
    segment_mask,
    uniform_weights,
    unlocated_scores,
    valid_points,
)
from attention_ts.models.classifiers import attention_on_time_axis

POINTS = 100
STARTS, ENDS = np.array([20, 50, 0]), np.array([40, 100, 10])  # fractions 0.2, 0.5, 0.1
FRACTIONS = (ENDS - STARTS) / POINTS


def _spike(positions: list[int]) -> np.ndarray:
    """One series per position, all weight on that point."""
    weights = np.zeros((len(positions), POINTS))
    weights[np.arange(len(positions)), positions] = 1.0
    return weights


def test_segment_mask_is_start_inclusive_end_exclusive():
    mask = segment_mask(STARTS, ENDS, POINTS)
    assert mask.sum(axis=1).tolist() == [20, 50, 10]
    assert mask[0, 20] and mask[0, 39] and not mask[0, 19] and not mask[0, 40]


def test_all_mass_inside_scores_one_everywhere():
    mask = segment_mask(STARTS, ENDS, POINTS)
    weights = mask / mask.sum(axis=1, keepdims=True)
    assert mass_inside(weights, mask) == pytest.approx([1, 1, 1])
    assert pointing_hits(weights, STARTS, ENDS, tolerance=0) == pytest.approx([1, 1, 1])
    assert segment_auprc(weights, mask) == pytest.approx([1, 1, 1])


def test_all_mass_outside_scores_zero():
    mask = segment_mask(STARTS, ENDS, POINTS)
    weights = ~mask / (~mask).sum(axis=1, keepdims=True)
    assert mass_inside(weights, mask) == pytest.approx([0, 0, 0])
    assert pointing_hits(weights, STARTS, ENDS, tolerance=0) == pytest.approx([0, 0, 0])
    # the segment's points tie at zero below all others: precision = segment fraction at recall 1
    assert segment_auprc(weights, mask) == pytest.approx(FRACTIONS)


def test_uniform_weights_score_the_segment_fraction():
    weights = uniform_weights(3, POINTS)
    mask = segment_mask(STARTS, ENDS, POINTS)
    assert weights.sum(axis=1) == pytest.approx([1, 1, 1])
    assert mass_inside(weights, mask) == pytest.approx(FRACTIONS)
    assert pointing_hits(weights, STARTS, ENDS, tolerance=0) == pytest.approx(FRACTIONS)
    assert segment_auprc(weights, mask) == pytest.approx(FRACTIONS)
    assert normalized_entropy(weights) == pytest.approx([1, 1, 1])


def test_pointing_game_at_the_borders_and_with_tolerance():
    starts, ends = np.full(5, 20), np.full(5, 40)
    weights = _spike([20, 39, 40, 19, 45])  # first, last, one past, one before, 5 past
    assert pointing_hits(weights, starts, ends, tolerance=0).tolist() == [1, 1, 0, 0, 0]
    assert pointing_hits(weights, starts, ends, tolerance=1).tolist() == [1, 1, 1, 1, 0]
    assert pointing_hits(weights, starts, ends, tolerance=6).tolist() == [1, 1, 1, 1, 1]


def test_tied_maxima_count_as_a_random_pick_among_them():
    weights = np.zeros((1, POINTS))
    weights[0, [10, 30, 31, 60]] = 0.25  # 2 of 4 maxima inside [20, 40)
    assert pointing_hits(weights, np.array([20]), np.array([40]), 0) == pytest.approx([0.5])


def test_relative_argmax_puts_start_at_zero_and_end_at_one():
    starts, ends = np.full(4, 20), np.full(4, 40)
    relative = relative_argmax(_spike([20, 30, 40, 0]), starts, ends)
    assert relative == pytest.approx([0.0, 0.5, 1.0, -1.0])


def test_entropy_is_zero_for_one_point_and_one_for_uniform():
    assert normalized_entropy(_spike([5])) == pytest.approx([0.0])
    two_points = _spike([5]) * 0.5 + _spike([9]) * 0.5
    assert normalized_entropy(two_points) == pytest.approx([np.log(2) / np.log(POINTS)])


def test_auprc_of_a_ranking_with_one_miss_on_top():
    weights = np.zeros((1, POINTS))
    weights[0, 0] = 0.5  # outside, ranked first
    weights[0, 20:40] = np.linspace(0.04, 0.01, 20) / 0.5  # the segment next, falling
    weights /= weights.sum()
    mask = segment_mask(np.array([20]), np.array([40]), POINTS)
    precision_at_each_hit = np.arange(1, 21) / np.arange(2, 22)  # k hits among the top k + 1
    assert segment_auprc(weights, mask) == pytest.approx([precision_at_each_hit.mean()])


def test_down_sampled_weights_are_mapped_back_before_scoring():
    steps = np.zeros((2, POINTS // 20))  # a stride-20 model: 5 steps of 20 points
    steps[:, 1] = 1.0  # all weight on step 1 = points 20..39
    weights = attention_on_time_axis(steps, POINTS, 20)
    assert weights[0, 20:40] == pytest.approx(np.full(20, 1 / 20))
    starts, ends = np.array([20, 30]), np.array([40, 50])  # step 1 exactly; half of it
    mask = segment_mask(starts, ends, POINTS)
    assert mass_inside(weights, mask) == pytest.approx([1.0, 0.5])
    assert pointing_hits(weights, starts, ends, tolerance=0) == pytest.approx([1.0, 0.5])
    assert relative_argmax(weights, starts, ends) == pytest.approx([9.5 / 20, -0.5 / 20])


def test_scores_of_uniform_weights_are_the_chance_level():
    weights = uniform_weights(5, POINTS)  # 3 anomalous, 2 normal
    scores = localization_scores(weights[:3], STARTS, ENDS, weights[3:], tolerance=5)
    assert scores["mass_inside"] == pytest.approx(FRACTIONS.mean())
    assert scores["lift"] == pytest.approx(1.0)
    assert scores["pointing_game"] == pytest.approx(FRACTIONS.mean())
    widened = (np.minimum(ENDS + 5, POINTS) - np.maximum(STARTS - 5, 0)) / POINTS
    assert scores["pointing_game_tolerance"] == pytest.approx(widened.mean())
    assert scores["normal_entropy"] == pytest.approx(1.0)
    assert (scores["n_anomalous"], scores["n_normal"]) == (3, 2)


def test_without_normal_series_their_entropy_is_none_not_nan():
    weights = uniform_weights(3, POINTS)
    scores = localization_scores(weights, STARTS, ENDS, weights[:0], tolerance=0)
    assert scores["n_normal"] == 0 and scores["normal_entropy"] is None
    assert scores["lift"] == pytest.approx(1.0)


def test_lift_of_perfect_attention_is_one_over_the_mean_fraction():
    mask = segment_mask(STARTS, ENDS, POINTS)
    weights = mask / mask.sum(axis=1, keepdims=True)
    scores = localization_scores(weights, STARTS, ENDS, uniform_weights(2, POINTS), tolerance=0)
    assert scores["lift"] == pytest.approx(1 / FRACTIONS.mean())
    assert scores["pointing_game"] == scores["auprc"] == pytest.approx(1.0)


def test_valid_points_are_the_first_length_points_of_each_series():
    mask = valid_points(np.array([3, 5, 1]), 5)
    assert mask.tolist() == [
        [True, True, True, False, False],
        [True, True, True, True, True],
        [True, False, False, False, False],
    ]


def test_entropy_with_lengths_is_one_for_uniform_weights_on_the_valid_points():
    lengths = np.array([10, 50, 100, 1])
    weights = valid_points(lengths, POINTS) / lengths[:, None]  # uniform on the valid points
    assert normalized_entropy(weights, lengths) == pytest.approx([1, 1, 1, 1])
    assert normalized_entropy(weights[:3]) == pytest.approx(np.log(lengths[:3]) / np.log(POINTS))
    assert normalized_entropy(_spike([5]), np.array([50])) == pytest.approx([0.0])


def test_without_known_segments_only_the_spread_is_scored():
    lengths = np.array([40, 100])
    weights = valid_points(lengths, POINTS) / lengths[:, None]
    assert unlocated_scores(weights, lengths) == {
        "located_series": 0,
        "n_series": 2,
        "entropy": pytest.approx(1.0),
    }
    spikes = unlocated_scores(_spike([3, 7]))
    assert (spikes["n_series"], spikes["entropy"]) == (2, 0.0)


def test_weights_on_padding_are_dropped_and_the_valid_points_sum_to_one():
    steps = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])  # a stride-4 model: 3 steps of 12 points
    on_axis = attention_on_time_axis(steps, 12, 4)
    kept = on_valid_points(on_axis, np.array([3, 12]))  # series 0 is shorter than one step
    np.testing.assert_array_equal(kept[0], [1 / 3] * 3 + [0.0] * 9)
    np.testing.assert_allclose(kept[1], on_axis[1])
    assert on_valid_points(on_axis, None) is on_axis  # no lengths: untouched
