"""Model shapes, attention normalization, the original-architecture switch, the zoo, checkpoints,
channels and classes, and padding: a padded series with its length gives the logits it gives alone.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from attention_ts.config.params import ATTENTION_MODELS, MODEL_NAMES
from attention_ts.core.stage import PipelineError
from attention_ts.models.classifiers import (
    MODELS,
    FlatRunRule,
    GatedAttention,
    MiniRocket,
    attention_on_time_axis,
    build_model,
    count_parameters,
    load_model,
    longest_flat_run,
    predict,
    save_model,
    standardize,
    valid_steps,
)
from tests.conftest import ORIGINAL, tiny_config, tiny_model

BINARY = ("normal", "anomalous")


def _original_parameter_count(hidden: int = 32) -> int:
    """BiLSTM(1 -> hidden) + Linear(2h, 2h) + Linear(2h, 1) + Linear(2h, 1), as in the post."""
    lstm_one_direction = 4 * hidden * (1 + hidden) + 2 * 4 * hidden
    attention = (2 * hidden) * (2 * hidden) + 2 * hidden + 2 * hidden + 1
    head = 2 * hidden + 1
    return 2 * lstm_one_direction + attention + head


def test_registry_matches_the_names_params_accept():
    assert tuple(MODELS) == MODEL_NAMES


@pytest.mark.parametrize("name", ATTENTION_MODELS)
@pytest.mark.parametrize("downsample", [1, 5, 20])
def test_output_shapes_and_attention_sums_to_one(name, downsample):
    torch.manual_seed(0)
    config = ORIGINAL.model_copy(update=dict(name=name, downsample=downsample, standardize=True))
    model = build_model(config, n_points=100)
    logits, weights = model(torch.randn(4, 1, 100))
    assert logits.shape == (4,)
    assert weights.shape == (4, 100 // downsample)
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(4))
    assert torch.all(weights >= 0)


def test_conv_attention_weighs_every_point_and_ignores_the_padding():
    """Full resolution: a weight per point; a padded series scores as the series alone."""
    torch.manual_seed(0)
    config = tiny_config("conv_attention").model_copy(update=dict(downsample=1, standardize=True))
    model = build_model(config, 60)
    series = torch.randn(3, 1, 60)
    lengths = torch.tensor([60, 41, 17])
    logits, weights = model.eval()(series, lengths)
    assert weights.shape == (3, 60)
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(3))
    assert torch.all(weights[1, 41:] == 0) and torch.all(weights[2, 17:] == 0)
    for k, length in enumerate(lengths.tolist()):
        alone, alone_weights = model(series[k : k + 1, :, :length])
        torch.testing.assert_close(logits[k : k + 1], alone, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(weights[k : k + 1, :length], alone_weights, rtol=1e-4, atol=1e-6)


def test_local_attention_embeds_each_step_from_its_own_window_only():
    """Step i sees points [(i - 2) * 5 - 2, (i + 3) * 5 + 2) at stride 5; nothing else moves it."""
    model = tiny_model("local_attention", n_points=60, standardize=False).eval()

    def embedded(series: torch.Tensor) -> torch.Tensor:
        steps = model.local(model.front(series).transpose(1, 2))  # (batch, features, 12 steps)
        return model.embed(steps.transpose(1, 2))  # (batch, 12 steps, 16)

    series = torch.randn(1, 1, 60)
    changed = series.clone()
    changed[0, 0, 50:] += 5.0  # the last 10 points, inside the windows of steps 7 to 11 only
    moved = (embedded(changed) - embedded(series)).abs().amax(dim=2)[0]  # (12,)
    assert torch.all(moved[:7] == 0), "steps whose windows end before point 50 must not change"
    assert torch.all(moved[8:] > 0)
    assert isinstance(model.attention, GatedAttention)


def test_downsample_one_is_the_original_architecture():
    model = build_model(ORIGINAL, n_points=500)
    assert model.front.conv is None and not model.front.standardize
    assert not any(isinstance(m, nn.Conv1d) for m in model.modules())
    assert (model.lstm.input_size, model.lstm.hidden_size, model.lstm.bidirectional) == (
        1,
        32,
        True,
    )
    assert (model.attention.project.in_features, model.attention.project.out_features) == (64, 64)
    assert model.attention.score.out_features == 1 and model.head[1].in_features == 64
    assert count_parameters(model) == _original_parameter_count() == 13250


def test_front_end_shortens_the_sequence_and_adds_convolutions():
    model = build_model(ORIGINAL.model_copy(update=dict(downsample=20)), n_points=500)
    assert sum(isinstance(m, nn.Conv1d) for m in model.modules()) == 2
    assert model.lstm.input_size == 32
    assert count_parameters(model) > _original_parameter_count()


def test_standardization_makes_the_model_scale_invariant():
    for name in MODEL_NAMES:
        model = tiny_model(name, n_points=50, standardize=True).eval()
        x = torch.randn(3, 1, 50)
        torch.testing.assert_close(model(x)[0], model(7.0 * x + 3.0)[0], atol=1e-4, rtol=1e-4)


def _sines(n: int = 4, n_points: int = 50) -> np.ndarray:
    """Sines of a few frequencies and offsets, one with a flat stretch: (n, n_points) float32."""
    t = np.linspace(0, 2 * np.pi, n_points)
    values = np.sin(np.outer(np.arange(1, n + 1), t)) + np.arange(n)[:, None]
    values[0, 10:25] = values[0, 10]
    return values.astype(np.float32)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_standardized_models_give_the_same_probability_at_any_scale(name):
    """Exactly for a power of two; to float32 rounding for other factors, up to 1e38 values."""
    model = tiny_model(name, n_points=50, standardize=True)
    values = _sines()[:, None, :]
    expected = predict(model, values)[0]
    for factor in (2.0**100, 2.0**-100, 2.0**125):  # 2**125: a peak of 1.7e38
        np.testing.assert_array_equal(predict(model, values * np.float32(factor))[0], expected)
    for factor in (1e30, 1e38 / np.abs(values).max(), 1e-30):
        scaled = (values * factor).astype(np.float32)
        np.testing.assert_allclose(predict(model, scaled)[0], expected, rtol=0, atol=1e-6)


def test_standardize_cannot_overflow_and_keeps_zeros():
    values = torch.from_numpy(_sines())
    big = values * (3e38 / values.abs().max().item())  # sums and squares overflow float32
    torch.testing.assert_close(standardize(big), standardize(values), rtol=0, atol=1e-5)
    assert torch.equal(standardize(values * 2.0**-120), standardize(values))
    assert torch.equal(standardize(torch.zeros(2, 50)), torch.zeros(2, 50))
    tiny = torch.full((1, 50), 1e-44)  # subnormal: scaled as far as 2**126 goes, still finite
    assert torch.isfinite(standardize(tiny)).all()


def test_the_flat_run_rule_counts_the_same_runs_at_any_scale():
    values = torch.from_numpy(_sines())
    runs = longest_flat_run(values, FlatRunRule.tolerance)
    assert runs[0] == 14
    for factor in (1e37, 2.0**-100):
        assert torch.equal(longest_flat_run(values * factor, FlatRunRule.tolerance), runs)


def test_a_score_that_is_not_finite_is_refused_naming_the_series():
    """standardize = false cannot be scale-invariant: where the values overflow, no NaN gets out."""
    model = tiny_model("transformer", n_points=50)  # standardize = false: 1e38 values give NaN
    values = _sines()[:, None, :]
    values[2] *= 1e38 / np.abs(values[2]).max()
    names = ["a", "b", "series c", "d"]
    message = r"^series c: the model's score \(logit\) is nan, not finite: .* 1e\+38\).*allowed: "
    with pytest.raises(PipelineError, match=message):
        predict(model, values, batch_size=2, names=names)
    with pytest.raises(PipelineError, match=r"^series 2 \(0-based\): "):
        predict(model, values)
    assert np.isfinite(predict(model, values[:2])[0]).all()


def test_attention_on_time_axis_spreads_each_step_over_its_window():
    weights = np.array([[0.5, 0.25, 0.25]])
    spread = attention_on_time_axis(weights, n_points=7, downsample=2)
    np.testing.assert_allclose(spread, [[0.25, 0.25, 0.125, 0.125, 0.125, 0.125, 0.0]])
    assert attention_on_time_axis(weights, 3, 1).tolist() == weights.tolist()


def test_save_and_load_give_the_same_predictions(tmp_path):
    torch.manual_seed(0)
    config = ORIGINAL.model_copy(update=dict(downsample=5, standardize=True, hidden_size=8))
    model = build_model(config, n_points=40)
    save_model(tmp_path / "model.pt", model, config, 40, 1, BINARY)
    loaded = load_model(tmp_path / "model.pt")
    series = np.random.default_rng(0).normal(size=(6, 1, 40)).astype(np.float32)
    assert loaded[1:] == (config, 40, 1, BINARY)
    np.testing.assert_array_equal(predict(model, series)[0], predict(loaded.model, series)[0])


def test_corrupted_or_incompatible_model_files_give_a_clear_error(tmp_path):
    config = ORIGINAL.model_copy(update=dict(hidden_size=8))
    path = tmp_path / "model.pt"
    save_model(path, build_model(config, 500), config, 500, 1, BINARY)
    path.write_bytes(path.read_bytes()[:200])  # truncated
    with pytest.raises(PipelineError, match="is not a usable model"):
        load_model(path)
    bad_config = {"config": {**config.model_dump(), "hidden_size": 16}, "n_points": 500}
    bad_config.update(n_channels=1, classes=list(BINARY))
    bad_config["state_dict"] = build_model(config, 500).state_dict()
    torch.save(bad_config, path)
    with pytest.raises(PipelineError, match="is not a usable model"):
        load_model(path)
    with pytest.raises(PipelineError, match="not found"):
        load_model(tmp_path / "missing.pt")


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_model_gives_one_logit_per_series(name):
    model = tiny_model(name)
    logits, weights = model(torch.randn(3, 1, 60))
    assert logits.shape == (3,)
    assert (weights is None) == (name not in ATTENTION_MODELS)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_model_lowers_the_loss_in_a_few_steps(name):
    model = tiny_model(name)
    x = torch.randn(32, 1, 60)
    y = (torch.arange(32) % 2).float()
    x[y == 1, :, 20:40] = x[y == 1, :, 20:21]  # a flat segment in the positives
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

    def loss() -> torch.Tensor:
        return nn.functional.binary_cross_entropy_with_logits(model(x)[0], y)

    before = loss().item()
    for _ in range(15):
        optimizer.zero_grad()
        step_loss = loss()
        step_loss.backward()
        optimizer.step()
    assert loss().item() < before


def test_longest_flat_run_counts_equal_neighbours():
    series = torch.tensor([[0.0, 1.0, 1.0, 1.0, 2.0, 3.0], [5.0, 4.0, 3.0, 3.0, 2.0, 1.0]])
    # differences [1, 0, 0, 1, 1] -> longest run of zeros 2; [-1, -1, 0, -1, -1] -> 1
    assert longest_flat_run(series, tolerance=1e-6).tolist() == [2.0, 1.0]


def test_flat_run_rule_separates_noise_free_data():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 2 * np.pi, 100)
    x = np.sin(rng.uniform(1, 4, (40, 1)) * t).astype(np.float32)
    x[::2, 30:60] = x[::2, 30:31]
    model = build_model(ORIGINAL.model_copy(update=dict(name="flat_run_rule")), n_points=100)
    runs = longest_flat_run(torch.from_numpy(x), FlatRunRule.tolerance)
    assert runs[::2].min() >= 29 and runs[1::2].max() <= 3
    assert count_parameters(model) == 2


@pytest.mark.parametrize("name", sorted(set(MODEL_NAMES) - {"flat_run_rule"}))
def test_dropout_is_active_in_training_only(name):
    model = tiny_model(name, dropout=0.5)
    x = torch.randn(8, 1, 60)
    model.train()
    assert not torch.equal(model(x)[0], model(x)[0])
    model.eval()
    assert torch.equal(model(x)[0], model(x)[0])


def test_fixed_features_are_standardized_on_the_training_series():
    model = tiny_model("minirocket")
    train_like = torch.from_numpy(np.random.default_rng(0).normal(size=(16, 1, 60)).astype("f4"))
    features = model.features(train_like)  # (16, 84)
    assert features.shape == (16, 84)
    varying = model.feature_std != 1  # features constant on train are left unscaled
    torch.testing.assert_close(features.mean(dim=0), torch.zeros(84), atol=1e-5, rtol=0)
    torch.testing.assert_close(features.std(dim=0)[varying], torch.ones(int(varying.sum())))


def test_minirocket_checkpoint_restores_its_fitted_kernels(tmp_path):
    model = tiny_model("minirocket")
    assert count_parameters(model) == 84 + 1  # only the head learns
    assert isinstance(model, MiniRocket) and model.biases.shape == (84,)
    save_model(tmp_path / "model.pt", model, tiny_config("minirocket"), 60, 1, BINARY)
    loaded = load_model(tmp_path / "model.pt").model
    series = np.random.default_rng(1).normal(size=(5, 1, 60)).astype(np.float32)
    np.testing.assert_array_equal(predict(model, series)[0], predict(loaded, series)[0])
    for name in ("dilations", "biases", "feature_mean", "feature_std"):
        assert torch.equal(getattr(loaded, name), getattr(model, name))


def test_unfitted_minirocket_says_so():
    model = build_model(ORIGINAL.model_copy(update=dict(name="minirocket")), n_points=60)
    with pytest.raises(PipelineError, match="no fitted features"):
        model(torch.randn(2, 1, 60))


def test_a_model_file_cut_anywhere_gives_a_clear_error(tmp_path):
    """However short a copy or download stopped, one PipelineError, never an OSError or EOFError."""
    path = tmp_path / "model.pt"
    save_model(path, tiny_model("mlp"), tiny_config("mlp"), 60, 1, BINARY)
    whole = path.read_bytes()
    for length in range(0, len(whole), len(whole) // 50):
        path.write_bytes(whole[:length])
        with pytest.raises(PipelineError, match="is not a usable model"):
            load_model(path)


class _RunsCodeWhenUnpickled:
    def __reduce__(self):
        return (print, ("unpickled and ran code",))


def _checkpoint(**changes) -> dict:
    config = tiny_config("mlp")
    saved = {"config": config.model_dump(), "n_points": 60, "n_channels": 1}
    saved["classes"] = list(BINARY)
    return {**saved, "state_dict": tiny_model("mlp").state_dict(), **changes}


NOT_CHECKPOINTS = {  # what a model file might hold instead of what save_model writes
    "tensor": lambda: torch.zeros(3),
    "list": lambda: [1, 2],
    "n_points": lambda: _checkpoint(n_points="sixty"),
    "config": lambda: _checkpoint(config={"name": "mlp"}),  # an older version's config
    "state_dict": lambda: _checkpoint(state_dict=tiny_model("cnn").state_dict()),
    "pickled_object": lambda: _checkpoint(config=_RunsCodeWhenUnpickled()),
    "classes": lambda: _checkpoint(classes="normal,anomalous"),
    "one_class": lambda: _checkpoint(classes=["normal"]),
    "n_channels": lambda: _checkpoint(n_channels=2),  # the weights are of 1 channel
}


@pytest.mark.parametrize("kind", [*NOT_CHECKPOINTS, "random_bytes"])
def test_a_file_that_is_not_a_checkpoint_gives_a_clear_error(tmp_path, capsys, kind):
    path = tmp_path / "model.pt"
    if kind == "random_bytes":
        path.write_bytes(np.random.default_rng(0).bytes(2000))
    else:
        torch.save(NOT_CHECKPOINTS[kind](), path)
    with pytest.raises(PipelineError, match="is not a usable model") as caught:
        load_model(path)
    message = str(caught.value)
    assert "\n" not in message
    assert "weights_only" not in message  # torch's own text advises loading untrusted pickles
    assert "ran code" not in capsys.readouterr().out


# channels, classes and padding

PADDED_LENGTH = 33  # not a multiple of the tiny stride 5 nor of the CNN's pools (2, 4, 8)
MIXED_LENGTHS = (33, 66, 47, 12)  # in a batch padded to 66 points


def test_valid_steps_are_whole_strides_and_at_least_one():
    lengths = torch.tensor([1, 4, 5, 33, 66])
    assert valid_steps(lengths, 5).tolist() == [1, 1, 1, 6, 13]
    assert valid_steps(lengths, 1).tolist() == lengths.tolist()
    assert valid_steps(np.array([3, 40]), 20).tolist() == [1, 2]


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_model_takes_channels_and_any_number_of_classes(name):
    model = tiny_model(name, n_points=60, n_channels=3, n_classes=4).eval()
    series = torch.randn(5, 3, 60)
    logits, weights = model(series)
    assert logits.shape == (5, 4)
    assert (weights is None) == (name not in ATTENTION_MODELS)
    padded_logits, _ = model(series, torch.tensor([60, 30, 45, 12, 59]))
    assert padded_logits.shape == (5, 4) and torch.isfinite(padded_logits).all()
    binary_logits, _ = tiny_model(name, n_points=60, n_channels=3).eval()(series)
    assert binary_logits.shape == (5,)


def test_each_channel_counts():
    """A change in the third channel alone moves the logits of every model but the flat-run rule."""
    series = torch.randn(2, 3, 60)
    changed = series.clone()
    changed[:, 2, 20:40] = changed[:, 2, 20:21]
    for name in MODEL_NAMES:
        model = tiny_model(name, n_points=60, n_channels=3, n_classes=4).eval()
        assert not torch.equal(model(series)[0], model(changed)[0]), name


def _garbage_padded(series: torch.Tensor, points: int) -> torch.Tensor:
    """`series` (batch, channels, length) padded to `points` with large random values."""
    tail = 1e3 * torch.randn(*series.shape[:2], points - series.shape[2])
    return torch.cat([series, tail], dim=2)


def _alone(model: torch.nn.Module, name: str, series: torch.Tensor, points: int) -> tuple:
    """What `model` gives for `series` (batch, channels, length) on its own.

    The MLP needs its n_points and MiniRocket sees the padding: for them, the
    series standardized alone and padded with zeros (what they are documented
    to see); every other model takes the short series as it is.
    """
    if name not in ("mlp", "minirocket"):
        return model(series)
    standardized = model.standardize
    model.standardize = False
    try:
        values = standardize(series) if standardized else series
        return model(nn.functional.pad(values, (0, points - series.shape[2])))
    finally:
        model.standardize = standardized


@pytest.mark.parametrize("standardized", [False, True])
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_a_padded_series_gives_the_logits_of_the_series_alone(name, standardized):
    length, points = PADDED_LENGTH, 2 * PADDED_LENGTH
    model = tiny_model(name, n_points=points, n_channels=2, standardize=standardized).eval()
    series = torch.randn(4, 2, length)
    lengths = torch.full((4,), length)
    with torch.no_grad():
        logits, weights = model(_garbage_padded(series, points), lengths)
        alone_logits, alone_weights = _alone(model, name, series, points)
    torch.testing.assert_close(logits, alone_logits, atol=1e-5, rtol=1e-5)
    if name in ATTENTION_MODELS:
        steps = int(valid_steps(lengths, model.front.stride)[0])
        assert weights.shape == (4, points // 5) and alone_weights.shape == (4, steps)
        assert torch.all(weights[:, steps:] == 0.0)
        torch.testing.assert_close(weights[:, :steps], alone_weights, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(weights.sum(dim=1), torch.ones(4))


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_a_batch_of_mixed_lengths_gives_what_each_series_gives_alone(name):
    points = max(MIXED_LENGTHS)
    model = tiny_model(name, n_points=points, n_channels=2, n_classes=3, standardize=True).eval()
    series = [torch.randn(1, 2, length) for length in MIXED_LENGTHS]
    batch = torch.cat([_garbage_padded(s, points) for s in series])
    lengths = torch.tensor(MIXED_LENGTHS)
    with torch.no_grad():
        logits, weights = model(batch, lengths)
        for k, alone in enumerate(series):
            alone_logits, alone_weights = _alone(model, name, alone, points)
            torch.testing.assert_close(logits[k : k + 1], alone_logits, atol=1e-5, rtol=1e-5)
            if weights is not None:
                steps = alone_weights.shape[1]
                assert torch.all(weights[k, steps:] == 0.0)
                torch.testing.assert_close(weights[k : k + 1, :steps], alone_weights)
    if weights is not None:
        torch.testing.assert_close(weights.sum(dim=1), torch.ones(len(series)))


@pytest.mark.parametrize("name", ["minirocket", "mlp"])
def test_values_past_the_length_never_matter(name):
    """The two models that see the padding see zeros there, whatever the series held."""
    model = tiny_model(name, n_points=60, standardize=True).eval()
    series = torch.randn(3, 1, 60)
    lengths = torch.tensor([30, 60, 45])
    changed = series.clone()
    changed[0, :, 30:] = 1e6
    changed[2, :, 45:] = -3.0
    assert torch.equal(model(series, lengths)[0], model(changed, lengths)[0])


def test_batch_norm_statistics_cover_the_valid_positions_only():
    """In training, the CNN on a padded batch normalizes as on the short series alone."""
    length, points = PADDED_LENGTH, 2 * PADDED_LENGTH
    padded_model = tiny_model("cnn", n_points=points, standardize=True).train()
    alone_model = tiny_model("cnn", n_points=points, standardize=True).train()
    series = torch.randn(8, 1, length)
    lengths = torch.full((8,), length)
    logits = padded_model(_garbage_padded(series, points), lengths)[0]
    torch.testing.assert_close(logits, alone_model(series)[0], atol=1e-5, rtol=1e-5)
    for padded, alone in zip(padded_model.buffers(), alone_model.buffers()):
        torch.testing.assert_close(padded, alone, atol=1e-5, rtol=1e-5)  # running statistics


def test_standardize_with_lengths_covers_the_valid_points_and_zeros_the_rest():
    values = torch.from_numpy(_sines())[:, None, :]  # (4, 1, 50)
    lengths = torch.tensor([50, 20, 1, 35])
    garbage = values.clone()
    garbage[1, :, 20:] = 1e30
    garbage[2, :, 1:] = float("nan")
    result = standardize(garbage, lengths)
    for k, length in enumerate(lengths.tolist()):
        assert torch.all(result[k, :, length:] == 0.0)
        if length > 1:
            expected = standardize(values[k : k + 1, :, :length])[0]
            torch.testing.assert_close(result[k, :, :length], expected)
    assert torch.equal(result[2], torch.zeros(1, 50))  # one point: zero after centring, std 0
    assert torch.equal(standardize(garbage * 2.0**-100, lengths), result)


def test_the_longest_flat_run_is_counted_within_the_valid_points():
    series = torch.tensor([[[0.0, 1.0, 1.0, 1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 0.0]]])  # zero padding
    assert longest_flat_run(series, 1e-6).tolist() == [[3.0]]  # the padding's own run
    assert longest_flat_run(series, 1e-6, torch.tensor([6])).tolist() == [[2.0]]
    assert longest_flat_run(series, 1e-6, torch.tensor([1])).tolist() == [[0.0]]


@pytest.mark.parametrize(
    "name", ["cnn", "lstm", "bilstm_attention", "conv_attention", "transformer"]
)
def test_models_learn_from_series_of_mixed_lengths(name):
    x = torch.randn(32, 1, 60)
    y = (torch.arange(32) % 3).long()
    lengths = torch.randint(30, 61, (32,))
    x[y == 1, :, 10:25] = x[y == 1, :, 10:11]  # a flat segment in class 1
    model = tiny_model(name, n_classes=3)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

    def loss() -> torch.Tensor:
        return nn.functional.cross_entropy(model(x, lengths)[0], y)

    before = loss().item()
    for _ in range(15):
        optimizer.zero_grad()
        loss().backward()
        optimizer.step()
    assert loss().item() < before


def test_predict_gives_a_probability_per_class():
    values = _sines()[:, None, :]  # (4, 1, 50)
    binary = tiny_model("bilstm_attention", n_points=50).eval()
    probabilities, weights = predict(binary, values)
    logits = binary(torch.from_numpy(values))[0]
    assert probabilities.shape == (4, 2) and probabilities.dtype == np.float32
    np.testing.assert_array_equal(probabilities[:, 1], torch.sigmoid(logits).detach().numpy())
    np.testing.assert_array_equal(probabilities[:, 0], 1 - probabilities[:, 1])
    assert weights.shape == (4, 10)
    many = tiny_model("local_attention", n_points=50, n_classes=4)
    probabilities, weights = predict(many, values, np.array([50, 20, 9, 35]), batch_size=3)
    assert probabilities.shape == (4, 4)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    assert np.all(weights[1, 4:] == 0.0) and np.all(weights[2, 1:] == 0.0)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-6)


def test_predict_refuses_series_without_channels_and_lengths_out_of_range():
    model = tiny_model("mlp", n_points=50)
    with pytest.raises(ValueError, match=r"\(n, channels, points\)"):
        predict(model, _sines())
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 50\]"):
        predict(model, _sines()[:, None, :], np.array([50, 0, 3, 4]))
    with pytest.raises(ValueError, match=r"lengths must be \(4,\)"):
        predict(model, _sines()[:, None, :], np.array([50, 3]))


def test_a_score_of_many_classes_that_is_not_finite_is_refused_naming_the_series():
    model = tiny_model("transformer", n_points=50, n_classes=3)  # standardize = false
    values = _sines()[:, None, :]
    values[1] *= 1e38 / np.abs(values[1]).max()
    with pytest.raises(PipelineError, match=r"^b: the model's score \(logit\) is nan, not finite"):
        predict(model, values, names=["a", "b", "c", "d"])


def test_a_checkpoint_keeps_channels_and_classes(tmp_path):
    classes = ("cat", "dog", "bird")
    model = tiny_model("cnn", n_points=40, n_channels=2, n_classes=3, standardize=True)
    save_model(tmp_path / "model.pt", model, tiny_config("cnn", standardize=True), 40, 2, classes)
    loaded = load_model(tmp_path / "model.pt")
    assert (loaded.n_points, loaded.n_channels, loaded.classes) == (40, 2, classes)
    series = np.random.default_rng(0).normal(size=(5, 2, 40)).astype(np.float32)
    lengths = np.array([40, 20, 33, 9, 40])
    np.testing.assert_array_equal(
        predict(model, series, lengths)[0], predict(loaded.model, series, lengths)[0]
    )


NEW_KEYS = ("n_channels", "classes")  # what checkpoints record since there are channels and classes


def test_a_checkpoint_without_channels_and_classes_is_refused_in_one_line(tmp_path):
    path = tmp_path / "model.pt"
    older = {key: value for key, value in _checkpoint().items() if key not in NEW_KEYS}
    torch.save(older, path)
    message = r"not a usable model \(it records no n_channels, classes: an older version's file\)"
    with pytest.raises(PipelineError, match=message) as caught:
        load_model(path)
    assert "\n" not in str(caught.value)


def test_minirocket_is_the_published_classifier_ridge_head_and_all(raw_params):
    """minirocket, as the comparison and the benchmark run it, predicts as MiniRocketClassifier.

    That classifier is the authors' recipe (MiniRocket features, RidgeClassifierCV), on the
    series as given; our features are standardized by the sample std rather than the
    population one (StandardScaler(with_mean=False)), which moves the ridge penalty grid by
    a hair, so a few test series may differ.
    """
    from aeon.classification.convolution_based import MiniRocketClassifier

    from attention_ts.config.params import Params, build
    from attention_ts.data.archive import read_archive, resample_split
    from attention_ts.training.loop import fit_model

    train, test = resample_split(*read_archive("ItalyPowerDemand"), 0)
    config, train_params = build(Params, raw_params).compare_config("minirocket")
    model, _, _ = fit_model(config, train_params, train, train, lambda stats: None)
    ours = predict(model, test.series)[0].argmax(axis=1)
    theirs = MiniRocketClassifier(n_kernels=config.n_kernels, random_state=train_params.seed)
    theirs.fit(train.series, train.table["label"])
    agree = np.mean(ours == theirs.predict(test.series))
    assert agree >= 0.98
