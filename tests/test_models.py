"""Model shapes, attention normalization, the original-architecture switch, the zoo, checkpoints."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from attention_ts.models import (
    ATTENTION_MODELS,
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
)
from attention_ts.params import MODEL_NAMES
from attention_ts.stage import PipelineError
from tests.conftest import ORIGINAL, tiny_config, tiny_model


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
    config = dataclasses.replace(ORIGINAL, name=name, downsample=downsample, standardize=True)
    model = build_model(config, n_points=100)
    logits, weights = model(torch.randn(4, 100))
    assert logits.shape == (4,)
    assert weights.shape == (4, 100 // downsample)
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(4))
    assert torch.all(weights >= 0)


def test_local_attention_embeds_each_step_from_its_own_window_only():
    """Step i sees points [(i - 2) * 5 - 2, (i + 3) * 5 + 2) at stride 5; nothing else moves it."""
    model = tiny_model("local_attention", n_points=60, standardize=False).eval()

    def embedded(series: torch.Tensor) -> torch.Tensor:
        steps = model.local(model.front(series).transpose(1, 2))  # (batch, features, 12 steps)
        return model.embed(steps.transpose(1, 2))  # (batch, 12 steps, 16)

    series = torch.randn(1, 60)
    changed = series.clone()
    changed[0, 50:] += 5.0  # the last 10 points, inside the windows of steps 7 to 11 only
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
    model = build_model(dataclasses.replace(ORIGINAL, downsample=20), n_points=500)
    assert sum(isinstance(m, nn.Conv1d) for m in model.modules()) == 2
    assert model.lstm.input_size == 32
    assert count_parameters(model) > _original_parameter_count()


def test_standardization_makes_the_model_scale_invariant():
    for name in MODEL_NAMES:
        model = tiny_model(name, n_points=50, standardize=True).eval()
        x = torch.randn(3, 50)
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
    values = _sines()
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
    values = _sines()
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
    config = dataclasses.replace(ORIGINAL, downsample=5, standardize=True, hidden_size=8)
    model = build_model(config, n_points=40)
    save_model(tmp_path / "model.pt", model, config, n_points=40)
    loaded = load_model(tmp_path / "model.pt")
    series = np.random.default_rng(0).normal(size=(6, 40)).astype(np.float32)
    assert (loaded.config, loaded.n_points) == (config, 40)
    np.testing.assert_array_equal(predict(model, series)[0], predict(loaded.model, series)[0])


def test_corrupted_or_incompatible_model_files_give_a_clear_error(tmp_path):
    config = dataclasses.replace(ORIGINAL, hidden_size=8)
    path = tmp_path / "model.pt"
    save_model(path, build_model(config, 500), config, 500)
    path.write_bytes(path.read_bytes()[:200])  # truncated
    with pytest.raises(PipelineError, match="is not a usable model"):
        load_model(path)
    bad_config = {"config": {**dataclasses.asdict(config), "hidden_size": 16}, "n_points": 500}
    bad_config["state_dict"] = build_model(config, 500).state_dict()
    torch.save(bad_config, path)
    with pytest.raises(PipelineError, match="is not a usable model"):
        load_model(path)
    with pytest.raises(PipelineError, match="not found"):
        load_model(tmp_path / "missing.pt")


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_model_gives_one_logit_per_series(name):
    model = tiny_model(name)
    logits, weights = model(torch.randn(3, 60))
    assert logits.shape == (3,)
    assert (weights is None) == (name not in ATTENTION_MODELS)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_model_lowers_the_loss_in_a_few_steps(name):
    model = tiny_model(name)
    x = torch.randn(32, 60)
    y = (torch.arange(32) % 2).float()
    x[y == 1, 20:40] = x[y == 1, 20:21]  # a flat segment in the positives
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
    model = build_model(dataclasses.replace(ORIGINAL, name="flat_run_rule"), n_points=100)
    runs = longest_flat_run(torch.from_numpy(x), FlatRunRule.tolerance)
    assert runs[::2].min() >= 29 and runs[1::2].max() <= 3
    assert count_parameters(model) == 2


@pytest.mark.parametrize("name", sorted(set(MODEL_NAMES) - {"flat_run_rule"}))
def test_dropout_is_active_in_training_only(name):
    model = tiny_model(name, dropout=0.5)
    x = torch.randn(8, 60)
    model.train()
    assert not torch.equal(model(x)[0], model(x)[0])
    model.eval()
    assert torch.equal(model(x)[0], model(x)[0])


def test_fixed_features_are_standardized_on_the_training_series():
    model = tiny_model("minirocket")
    train_like = torch.from_numpy(np.random.default_rng(0).normal(size=(16, 60)).astype(np.float32))
    features = model.features(train_like)  # (16, 84)
    assert features.shape == (16, 84)
    varying = model.feature_std != 1  # features constant on train are left unscaled
    torch.testing.assert_close(features.mean(dim=0), torch.zeros(84), atol=1e-5, rtol=0)
    torch.testing.assert_close(features.std(dim=0)[varying], torch.ones(int(varying.sum())))


def test_minirocket_checkpoint_restores_its_fitted_kernels(tmp_path):
    model = tiny_model("minirocket")
    assert count_parameters(model) == 84 + 1  # only the head learns
    assert isinstance(model, MiniRocket) and model.biases.shape == (84,)
    save_model(tmp_path / "model.pt", model, tiny_config("minirocket"), 60)
    loaded = load_model(tmp_path / "model.pt").model
    series = np.random.default_rng(1).normal(size=(5, 60)).astype(np.float32)
    np.testing.assert_array_equal(predict(model, series)[0], predict(loaded, series)[0])
    for name in ("dilations", "biases", "feature_mean", "feature_std"):
        assert torch.equal(getattr(loaded, name), getattr(model, name))


def test_unfitted_minirocket_says_so():
    model = build_model(dataclasses.replace(ORIGINAL, name="minirocket"), n_points=60)
    with pytest.raises(PipelineError, match="no fitted features"):
        model(torch.randn(2, 60))


def test_a_model_file_cut_anywhere_gives_a_clear_error(tmp_path):
    """However short a copy or download stopped, one PipelineError, never an OSError or EOFError."""
    path = tmp_path / "model.pt"
    save_model(path, tiny_model("mlp"), tiny_config("mlp"), 60)
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
    saved = {"config": dataclasses.asdict(config), "n_points": 60}
    return {**saved, "state_dict": tiny_model("mlp").state_dict(), **changes}


NOT_CHECKPOINTS = {  # what a model file might hold instead of what save_model writes
    "tensor": lambda: torch.zeros(3),
    "list": lambda: [1, 2],
    "n_points": lambda: _checkpoint(n_points="sixty"),
    "config": lambda: _checkpoint(config={"name": "mlp"}),  # an older version's config
    "state_dict": lambda: _checkpoint(state_dict=tiny_model("cnn").state_dict()),
    "pickled_object": lambda: _checkpoint(config=_RunsCodeWhenUnpickled()),
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
