"""The tests of explanations: removal, deletion/insertion curves, randomization, interventions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from attention_ts.config.catalog import SYNTHETIC_CLASSES
from attention_ts.config.params import FaithfulnessParams, ParamsError, build
from attention_ts.data.dataset import NO_SEGMENT, TABLE_DTYPE, Dataset
from attention_ts.data.synthetic import generate
from attention_ts.explain.attribution import explanations, occlusion, removal_baseline
from attention_ts.explain.faithfulness import (
    archive_report,
    attention_intervention,
    cascading_randomization,
    contiguity,
    faithfulness_report,
    rank_correlation,
    removal_curves,
    removal_ranks,
    remove_points,
    shifted_ranks,
)
from attention_ts.explain.faithfulness_summary import attention_targets, compact, headline
from attention_ts.models.classifiers import Checkpoint, predict
from tests.conftest import default_raw_params, file_like_dataset, tiny_config, tiny_model

SMALL = build(FaithfulnessParams, default_raw_params()["faithfulness"], "faithfulness").model_copy(
    update=dict(n_series=60, steps=5, ig_steps=8)
)


class Linear(nn.Module):
    """Logit = series . w + bias: the only points it reads are where w is not 0."""

    def __init__(self, w: torch.Tensor, bias: float = 0.0) -> None:
        super().__init__()
        self.w = nn.Parameter(w)  # (channels, points)
        self.bias = nn.Parameter(torch.tensor(bias))

    def forward(
        self, series: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, None]:
        return (series * self.w).sum(dim=(1, 2)) + self.bias, None


def _checkpoint(model: nn.Module, n_points: int, channels: int = 1) -> Checkpoint:
    return Checkpoint(model, tiny_config("mlp"), n_points, channels, SYNTHETIC_CLASSES)


def _dataset(series: np.ndarray, labels: np.ndarray) -> Dataset:
    table = np.zeros(len(series), dtype=TABLE_DTYPE)
    table["id"] = np.arange(len(series))
    table["label"] = labels
    table["segment_start"] = table["segment_end"] = NO_SEGMENT
    table["length"] = series.shape[2]
    return Dataset(series.astype(np.float32), table, SYNTHETIC_CLASSES)


def _bump_data(n: int = 80, points: int = 40) -> Dataset:
    """Noise, with a bump on points [10, 20) in the anomalous half: what `_bump_reader` reads."""
    rng = np.random.default_rng(0)
    series = rng.normal(scale=0.1, size=(n, 1, points))
    labels = np.arange(n) % 2
    series[labels == 1, :, 10:20] += 1.0
    return _dataset(series, labels)


def _bump_reader(points: int = 40) -> Linear:
    w = torch.zeros(1, points)
    w[0, 10:20] = 1.0
    return Linear(w, bias=-5.0)


def test_interpolation_is_linear_between_kept_points_and_level_beyond():
    series = np.array([[[0.0, 1.0, 4.0, 9.0, 16.0]]], dtype=np.float32)
    inner = remove_points(series, np.array([[False, True, True, True, False]]), None, "interpolate")
    np.testing.assert_allclose(inner[0, 0], [0.0, 4.0, 8.0, 12.0, 16.0])
    edges = remove_points(series, np.array([[True, True, False, True, True]]), None, "interpolate")
    np.testing.assert_allclose(edges[0, 0], [4.0, 4.0, 4.0, 4.0, 4.0])


def test_mean_policy_uses_the_valid_points_and_padding_stays_zero():
    series = np.array([[[1.0, 2.0, 6.0, 0.0]]], dtype=np.float32)  # 3 valid points, then padding
    lengths = np.array([3])
    removed = np.array([[True, False, False, True]])
    np.testing.assert_allclose(remove_points(series, removed, lengths, "mean")[0, 0], [3, 2, 6, 0])
    everything = np.ones((1, 4), bool)
    for policy in ("mean", "interpolate"):
        gone = remove_points(series, everything, lengths, policy)
        np.testing.assert_allclose(gone, removal_baseline(series, lengths))
        np.testing.assert_allclose(gone[0, 0], [3, 3, 3, 0])
    with pytest.raises(ValueError, match="allowed"):
        remove_points(series, removed, lengths, "zero")


def test_removal_order_is_by_weight_ties_in_time_and_padding_last():
    weights = np.array([[0.1, 0.3, 0.3, 0.2, 0.5]])
    np.testing.assert_array_equal(removal_ranks(weights), [[4, 1, 2, 3, 0]])
    np.testing.assert_array_equal(removal_ranks(weights, np.array([3])), [[2, 0, 1, 3, 4]])


def test_deletion_of_all_points_gives_the_baseline_probability_and_insertion_the_models():
    data = _bump_data()
    model = _bump_reader()
    ranks = removal_ranks(np.random.default_rng(1).random((80, 40)))
    curves = removal_curves(_checkpoint(model, 40), data, ranks, np.linspace(0, 1, 5), "mean", 0.5)
    intact = predict(model, data.series)[0]
    target = (intact[:, 1] >= 0.5).astype(int)
    baseline = predict(model, removal_baseline(data.series))[0]
    model_probability = intact[np.arange(80), target].mean()
    baseline_probability = baseline[np.arange(80), target].mean()
    assert model_probability > baseline_probability + 0.2  # the bump matters
    for curve, start, end in (
        ("deletion", model_probability, baseline_probability),
        ("insertion", baseline_probability, model_probability),
    ):
        probability = curves[curve]["probability"]
        assert probability[0] == pytest.approx(start) and probability[-1] == pytest.approx(end)


def test_an_explanation_the_decision_follows_beats_random_deletion():
    summary, _ = faithfulness_report(_checkpoint(_bump_reader(), 40), _bump_data(), SMALL, 0.5, 0)
    for method in ("saliency", "integrated_gradients", "occlusion"):
        row = headline(summary, "mean")[method]
        assert row["deletion_area"] > 0.1
        assert row["deletion_ratio"] > 2, method
        if method != "integrated_gradients":  # |w| is even there: time breaks the ties
            assert row["contiguity"] == 1  # its top 10 %: 4 of the 10 points it reads, in a row


def test_a_model_whose_output_ignores_the_input_passes_no_faithfulness_test():
    data = _bump_data()
    ignoring = Linear(torch.zeros(1, 40), bias=0.3)
    summary, curves = faithfulness_report(_checkpoint(ignoring, 40), data, SMALL, 0.5, 0)
    for method, scores in summary["methods"].items():
        for policy in SMALL.policies:
            for curve in ("deletion", "insertion"):
                areas = scores[policy][curve]["probability"]
                assert areas["area"] == pytest.approx(0.0, abs=1e-9), method
                assert areas["gap"] == pytest.approx(0.0, abs=1e-9)
                assert areas["ratio"] is None  # random removal moves nothing either
    assert summary["interventions"] is None and attention_targets(summary, "mean") is None


def test_randomizing_every_layer_decorrelates_gradient_saliency_of_a_small_model():
    torch.manual_seed(0)
    first, second = nn.Linear(40, 16), nn.Linear(16, 1)
    with torch.no_grad():  # "trained": it reads points 10..19 only, through a positive path
        first.weight.zero_()
        first.weight[:, 10:20] = torch.linspace(0.5, 1.5, 10)
        first.bias.fill_(1.0)  # every unit active on these series: the gradient is never 0
        second.weight.fill_(1.0)

    class Small(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.first, self.second = first, second

        def forward(self, series, lengths=None):
            hidden = torch.relu(self.first(series[:, 0]))
            return self.second(hidden)[:, 0], None

    checkpoint = _checkpoint(Small(), 40)
    data = _bump_data()

    def explain(fitted: Checkpoint) -> dict[str, np.ndarray]:
        return explanations(fitted, data.series, None, ["saliency"])

    cascade = cascading_randomization(checkpoint, explain, None, seed=0)
    assert [record["layer"] for record in cascade] == ["second", "first"]
    assert abs(cascade[-1]["saliency"]) < 0.2
    assert explain(checkpoint)["saliency"][:, 10:20].sum(axis=1) == pytest.approx(1.0)  # untouched


def test_rank_correlation_and_contiguity():
    a = np.array([[1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 1.0, 1.0]])
    np.testing.assert_allclose(rank_correlation(a, a, None), [1.0, 0.0])  # constant: no order
    np.testing.assert_allclose(rank_correlation(a, -a, None), [-1.0, 0.0])
    np.testing.assert_allclose(rank_correlation(a, a[:, ::-1], np.array([2, 4])), [-1.0, 0.0])
    block = np.zeros((1, 20))
    block[0, 5:9] = 1.0
    spread = np.zeros((1, 20))
    spread[0, ::5] = 1.0
    assert contiguity(removal_ranks(block), None, 0.2)[0] == 1
    assert contiguity(removal_ranks(spread), None, 0.2)[0] == 4


def test_attention_interventions_replace_the_weights_and_leave_the_model_as_it_was():
    model = tiny_model("local_attention", n_points=60)
    data = file_like_dataset(SYNTHETIC_CLASSES, 12, 1)  # unequal lengths: valid steps vary
    lengths = data.lengths
    before = predict(model, data.series, lengths)
    steps = lengths // 5
    with attention_intervention(model, "uniform", seed=0):
        _, uniform = predict(model, data.series, lengths)
    for row, valid in zip(uniform, steps):
        np.testing.assert_allclose(row[:valid], 1.0 / valid, rtol=1e-6)
        assert not row[valid:].any()
    with attention_intervention(model, "permuted", seed=0):
        moved, permuted = predict(model, data.series, lengths)
    np.testing.assert_allclose(np.sort(permuted, axis=1), np.sort(before[1], axis=1), rtol=1e-6)
    assert not np.array_equal(permuted, before[1])
    assert not np.allclose(moved, before[0])
    after = predict(model, data.series, lengths)
    np.testing.assert_array_equal(after[0], before[0])
    cnn = tiny_model("cnn", n_points=60)
    with pytest.raises(ValueError, match="no attention"), attention_intervention(cnn, "uniform", 0):
        pass


def test_uniform_gates_keep_the_gates_total_so_only_where_they_close_changes():
    """conv_attention's pooling is an average under gates: uniform gates of the same total.

    With every gate equal to the series' mean gate, the context is that mean times the
    plain average of the states; a sum of 1 instead (a softmax's) would rescale it.
    """
    model = tiny_model("conv_attention", n_points=60).eval()
    series = torch.from_numpy(file_like_dataset(SYNTHETIC_CLASSES, 6, 1).series)
    pooled = {}

    def keep(module, inputs, output):
        pooled["states"], pooled["output"] = inputs[0], output

    handle = model.attention.register_forward_hook(keep)
    with torch.no_grad():
        model(series)
        gates = pooled["output"][1]  # (batch, steps): gate / steps
        handle.remove()
        with attention_intervention(model, "uniform", seed=0):
            handle = model.attention.register_forward_hook(keep)  # after it: sees its output
            model(series)
    handle.remove()
    context, coefficients = pooled["output"]
    torch.testing.assert_close(coefficients.sum(dim=1), gates.sum(dim=1))
    torch.testing.assert_close(coefficients, coefficients[:, :1].expand_as(coefficients))
    expected = gates.sum(dim=1, keepdim=True) * pooled["states"].mean(dim=1)
    torch.testing.assert_close(context, expected)


def test_explanations_are_shares_of_valid_points_and_only_those_a_model_has():
    data = file_like_dataset(SYNTHETIC_CLASSES, 6, 2)
    lengths = data.lengths
    checkpoint = Checkpoint(
        tiny_model("local_attention", 60, 2),
        tiny_config("local_attention"),
        60,
        2,
        SYNTHETIC_CLASSES,
    )
    weights = explanations(checkpoint, data.series, lengths, ig_steps=4, occlusion_window=7)
    assert set(weights) == {"attention", "saliency", "integrated_gradients", "occlusion"}
    for w in weights.values():
        np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-6)
        assert not np.where(np.arange(60)[None, :] >= lengths[:, None], w, 0).any()
    fixed = Checkpoint(
        tiny_model("minirocket", 60, 2), tiny_config("minirocket"), 60, 2, SYNTHETIC_CLASSES
    )
    assert set(explanations(fixed, data.series, lengths, occlusion_window=7)) == {"occlusion"}
    with pytest.raises(ValueError, match="allowed"):
        explanations(checkpoint, data.series, lengths, ["lime"])


def test_occlusion_puts_weight_only_on_the_points_the_model_reads():
    weights = occlusion(_bump_reader(), _bump_data().series, window=10)
    assert weights[:, 10:20].sum(axis=1) == pytest.approx(1.0)


def test_faithfulness_report_scores_generated_segments_and_attention_targets(tiny_params):
    test = generate(tiny_params.generate)
    model = tiny_model("local_attention", n_points=100)
    checkpoint = Checkpoint(model, tiny_config("local_attention"), 100, 1, SYNTHETIC_CLASSES)
    summary, curves = faithfulness_report(checkpoint, test, SMALL, 0.5, 10)
    assert summary["n_series"] == 60 and len(curves["fractions"]) == 6
    assert summary["methods"]["attention"]["localization"]["n_anomalous"] > 0
    assert [record["layer"] for record in curves["randomization"]][-1] == "front.conv.0"
    targets = attention_targets(summary, "interpolate")
    assert set(targets) == {"deletion_ratio", "randomization", "uniform_f1"}
    value = targets["uniform_f1"]["value"]
    assert targets["uniform_f1"]["met"] == (value < 0.9)
    kept = compact(summary)
    assert set(kept) == {*summary["methods"], "interventions"}
    assert set(kept["attention"]) == {
        "randomization",
        "contiguity",
        "pointing_game",
        *SMALL.policies,
    }


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "methods",
            ["lime"],
            "faithfulness.methods: 'lime' is invalid; allowed: one of attention, saliency",
        ),
        ("methods", [], "faithfulness.methods = \\[\\] is invalid"),
        ("policies", ["zero"], "allowed: one of interpolate, mean"),
        (
            "top_share",
            0,
            "faithfulness.top_share = 0 is invalid; allowed: a fraction in \\(0, 1\\]",
        ),
        ("n_series", 0, "faithfulness.n_series = 0 is invalid"),
    ],
)
def test_bad_faithfulness_params_are_one_line_errors(key, value, message):
    raw = {**default_raw_params()["faithfulness"], key: value}
    with pytest.raises(ParamsError, match=message) as error:
        build(FaithfulnessParams, raw, "faithfulness")
    assert "\n" not in str(error.value)


def test_interventions_follow_the_model_not_the_methods_tested(tiny_params):
    test = generate(tiny_params.generate)
    model = tiny_model("local_attention", n_points=100)
    checkpoint = Checkpoint(model, tiny_config("local_attention"), 100, 1, SYNTHETIC_CLASSES)
    only_saliency = SMALL.model_copy(update=dict(methods=["saliency"]))
    summary, _ = faithfulness_report(checkpoint, test, only_saliency, 0.5, 10)
    assert list(summary["methods"]) == ["saliency"]
    assert set(summary["interventions"]) == {"f1", "uniform", "permuted"}


def test_shifted_ranks_keep_each_series_runs_and_move_them():
    """The contiguity-matched baseline: at every share, the same run lengths, elsewhere."""
    weights = np.zeros((3, 40))
    weights[:, 10:20] = np.linspace(1.0, 2.0, 10)  # one run of 10 at every share up to 25 %
    weights[:, 30:32] = 0.5  # then a second run of 2
    lengths = np.array([40, 40, 33])
    ranks = removal_ranks(weights, lengths)
    shifted = shifted_ranks(ranks, lengths, np.random.default_rng(1))
    for k, length in enumerate(lengths):
        assert sorted(shifted[k, :length]) == sorted(ranks[k, :length])  # a reordering
        assert np.array_equal(shifted[k, length:], ranks[k, length:])  # padding stays last
    for share in (0.1, 0.25, 0.3):
        for k in range(3):
            runs = contiguity(shifted[k : k + 1], lengths[k : k + 1], share)[0]
            assert runs in (
                contiguity(ranks[k : k + 1], lengths[k : k + 1], share)[0],
                contiguity(ranks[k : k + 1], lengths[k : k + 1], share)[0] + 1,  # split at the end
            )
    assert not np.array_equal(shifted, ranks)


def test_archive_report_tells_an_explanation_the_decision_follows_from_shifted_runs():
    data = _bump_data()
    report = archive_report(_checkpoint(_bump_reader(), 40), data, ("saliency",), 0, 5, 0.5)
    assert report["uniform"] is None  # no attention to replace
    deletion = report["saliency"]["deletion"]
    assert deletion["shifted"]["gap"] > 0.1 and deletion["random"]["gap"] > 0.1
    assert report["saliency"]["deletion_curve"][0] == report["accuracy"]
