"""Training lowers the loss, is repeatable bit for bit, and restores the best weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from attention_ts.config.params import ParamsError, resolve_config
from attention_ts.core.stage import PipelineError
from attention_ts.data.dataset import Dataset, split
from attention_ts.data.synthetic import generate
from attention_ts.models.classifiers import build_model
from attention_ts.training.loop import (
    MIN_VALIDATION_PER_CLASS,
    evaluate_loss,
    fit_model,
    make_deterministic,
    passes_per_epoch,
    resolve_device,
    train,
)


def _fit(params, **train_overrides):
    data = generate(params.generate)
    parts = split(data.table["label"], params.split.fractions(), params.split.seed)
    train_set, val_set = (data.subset(parts[name]) for name in ("train", "val"))
    config = params.train.model_copy(update=dict(**train_overrides))
    make_deterministic(config.seed, config.threads)
    model = build_model(params.model, train_set.series.shape[2])
    result = train(model, train_set, val_set, config)
    return model, result, val_set


def test_training_lowers_the_loss(tiny_params):
    _, result, _ = _fit(tiny_params, max_epochs=6, patience=6)
    losses = [stats.train_loss for stats in result.history]
    assert losses[-1] < losses[0] < 0.8


def test_same_seed_gives_identical_weights(tiny_params):
    first, _, _ = _fit(tiny_params)
    second, _, _ = _fit(tiny_params)
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a, b)
    other, _, _ = _fit(tiny_params, seed=1)
    assert not torch.equal(next(iter(other.parameters())), next(iter(first.parameters())))


def test_early_stopping_restores_the_best_epoch(tiny_params):
    generate_params = tiny_params.generate.model_copy(update=dict(n_series=400))  # 20 val per class
    params = tiny_params.model_copy(update=dict(generate=generate_params))
    model, result, val_set = _fit(params, max_epochs=8, patience=1, lr=0.05)
    assert result.early_stopping
    assert np.bincount(val_set.table["label"]).min() >= MIN_VALIDATION_PER_CLASS
    best = min(result.history, key=lambda s: s.val_loss)
    assert result.best_epoch == best.epoch
    assert result.epochs_run <= 8 and result.epochs_run - result.best_epoch <= 1
    x = torch.from_numpy(val_set.series)
    y = torch.from_numpy(val_set.table["label"])
    restored_loss, _ = evaluate_loss(model, lambda b, n: model(b, n)[0], x, None, y)
    assert np.isclose(restored_loss, best.val_loss, rtol=1e-5)


@pytest.mark.parametrize(
    ("name", "cuda_available", "expected"),
    [("auto", False, "cpu"), ("auto", True, "cuda"), ("cpu", True, "cpu"), ("cuda", True, "cuda")],
)
def test_train_device_picks_cuda_only_when_asked_and_there(
    monkeypatch, name, cuda_available, expected
):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda_available)
    assert resolve_device(name).type == expected


def test_asking_for_cuda_without_one_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(PipelineError, match=r"train.device = cuda.*allowed: auto .* or cpu"):
        resolve_device("cuda")


def test_a_model_too_long_for_the_series_is_refused_before_training(tiny_params):
    """Series from a file are checked here, where their length is first known."""
    data = generate(tiny_params.generate).subset(np.arange(40))
    config = tiny_params.model.model_copy(update=dict(downsample=data.series.shape[2] + 1))
    with pytest.raises(ParamsError, match=r"model.downsample = 101 is longer than the series"):
        fit_model(config, tiny_params.train, data, data)


@pytest.mark.parametrize("split_name", ["training", "validation"])
def test_a_loss_that_is_not_finite_stops_training(tiny_params, split_name):
    """A NaN validation loss never beats the best one: without the check, silently epoch 0."""
    data = generate(tiny_params.generate).subset(np.arange(40))
    series = data.series.copy()
    series[1] *= 1e38 / np.abs(series[1]).max()  # a transformer with standardize = false: NaN
    huge = data._replace(series=series)
    train_set, val_set = (huge, data) if split_name == "training" else (data, huge)
    config = tiny_params.model.model_copy(update=dict(name="transformer", standardize=False))
    message = rf"^{split_name} loss became nan in epoch 1; allowed: .*series of smaller values"
    with pytest.raises(PipelineError, match=message):
        fit_model(
            config, tiny_params.train.model_copy(update=dict(max_epochs=1)), train_set, val_set
        )


def _three_classes(data: Dataset, lengths: bool = False) -> Dataset:
    """The synthetic series relabelled into 3 classes by frequency (low, middle, high).

    With `lengths`, every other series keeps only its first 60 of 100 points
    (zeros past them), so the split is ragged.
    """
    frequency = data.table["frequency"]
    table = data.table.copy()
    table["label"] = np.digitize(frequency, np.quantile(frequency, [1 / 3, 2 / 3]))
    series = data.series.copy()
    if lengths:
        table["length"][::2] = 60
        series[::2, :, 60:] = 0.0
    return Dataset(series, table, ("low", "middle", "high"))


@pytest.mark.parametrize("ragged", [False, True], ids=["equal lengths", "unequal lengths"])
def test_three_classes_train_with_cross_entropy(tiny_params, ragged):
    data = _three_classes(generate(tiny_params.generate), lengths=ragged)
    parts = split(data.table["label"], tiny_params.split.fractions(), tiny_params.split.seed)
    train_set, val_set = (data.subset(parts[name]) for name in ("train", "val"))
    assert train_set.ragged == ragged
    train_params = tiny_params.train.model_copy(
        update=dict(max_epochs=8, patience=8, min_steps=400)
    )
    model, config, result = fit_model(
        tiny_params.model, train_params, train_set, val_set, lambda s: None
    )
    logits, _ = model(torch.from_numpy(val_set.series[:4]), None)
    assert logits.shape == (4, 3)
    losses = [stats.train_loss for stats in result.history]
    assert losses[-1] < 0.6 * losses[0]  # ln 3 = 1.10 at chance
    assert result.history[result.best_epoch - 1].val_f1 > 0.6  # macro F1; chance is about 0.33


def test_a_small_train_set_gets_min_steps(tiny_params):
    """40 series and one batch: 3 epochs of min_steps 60 are 20 passes each, validated 3 times."""
    data = generate(tiny_params.generate)
    parts = split(data.table["label"], tiny_params.split.fractions(), tiny_params.split.seed)
    train_set = data.subset(parts["train"][:40])
    val_set = data.subset(parts["val"])
    params = tiny_params.train.model_copy(update=dict(batch_size=64, min_steps=60, patience=3))
    assert passes_per_epoch(params, batches_per_pass=1) == 20
    assert passes_per_epoch(params.model_copy(update=dict(min_steps=0)), 1) == 1
    _, _, result = fit_model(tiny_params.model, params, train_set, val_set, lambda s: None)
    assert result.epochs_run == 3 and len(result.history) == 3
    assert result.summary()["steps"] == 60 and result.summary()["passes_per_epoch"] == 20
    # a large train set keeps one pass per epoch: the synthetic defaults do not move
    assert passes_per_epoch(params.model_copy(update=dict(min_steps=1000, max_epochs=15)), 110) == 1


def test_downsample_auto_is_resolved_for_the_series_length(tiny_params):
    data = generate(tiny_params.generate).subset(np.arange(60))  # 100 points
    config = tiny_params.model.model_copy(update=dict(downsample="auto"))
    train_params = tiny_params.train.model_copy(update=dict(max_epochs=1))
    model, resolved, _ = fit_model(config, train_params, data, data, lambda s: None)
    assert resolved.downsample == 4  # 100 // 25
    assert model.front.stride == 4


@pytest.mark.parametrize(
    ("name", "n_points", "expected"),
    [
        ("bilstm_attention", 500, 20),  # the synthetic default: unchanged
        ("local_attention", 500, 20),
        ("bilstm_attention", 150, 6),  # GunPoint
        ("bilstm_attention", 24, 1),  # ItalyPowerDemand: no front end
        ("local_attention", 24, 3),  # its windows need the front end's conv
        ("local_attention", 16, 2),
        ("local_attention", 7, 1),
        ("conv_attention", 500, 1),  # full resolution: a weight per point
        ("conv_attention", 1460, 1),
    ],
)
def test_downsample_auto_per_length_and_model(tiny_params, name, n_points, expected):
    config = tiny_params.model.model_copy(update=dict(name=name, downsample="auto"))
    assert resolve_config(config, n_points).downsample == expected
    fixed = config.model_copy(update=dict(downsample=5))
    assert resolve_config(fixed, n_points) is fixed  # a number is kept as given


def test_a_tiny_validation_split_keeps_the_last_epoch(tiny_params):
    """8 validation series per class would choose the epoch by chance: all run, the last kept."""
    generate_params = tiny_params.generate.model_copy(update=dict(n_series=160))  # 8 per class
    params = tiny_params.model_copy(update=dict(generate=generate_params))
    model, result, val_set = _fit(params, max_epochs=4, patience=1, lr=0.05)
    assert np.bincount(val_set.table["label"]).min() < MIN_VALIDATION_PER_CLASS
    assert not result.early_stopping
    assert result.epochs_run == 4 and result.best_epoch == 4
    assert result.summary()["early_stopping"] is False
    x, y = torch.from_numpy(val_set.series), torch.from_numpy(val_set.table["label"])
    last_loss, _ = evaluate_loss(model, lambda b, n: model(b, n)[0], x, None, y)
    assert np.isclose(last_loss, result.history[-1].val_loss, rtol=1e-5)


def test_no_validation_series_trains_every_epoch_and_keeps_the_last(tiny_params):
    """split.val = 0, or classes too small to spare one: a fixed budget, no val numbers."""
    data = generate(tiny_params.generate)
    train_set, no_val = data, data.subset(np.array([], dtype=np.int64))
    config = tiny_params.train.model_copy(update=dict(max_epochs=3, patience=1))
    make_deterministic(config.seed, config.threads)
    model = build_model(tiny_params.model, train_set.series.shape[2])
    result = train(model, train_set, no_val, config)
    assert result.epochs_run == 3 and result.best_epoch == 3 and not result.early_stopping
    assert set(result.summary()) == {"best_epoch", "epochs_run", "early_stopping"}
    assert str(result.history[0]) == f"epoch 1: train loss {result.history[0].train_loss:.4f}"
