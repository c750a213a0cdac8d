"""Generator and split: the ground-truth table matches the series, and everything is seeded."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from attention_ts.config.catalog import ANOMALY_KINDS
from attention_ts.config.params import Params, Range, build
from attention_ts.data.dataset import NO_SEGMENT, SPLITS, load_dataset, save_dataset, split
from attention_ts.data.synthetic import (
    ANOMALIES,
    LEVEL_SHIFT,
    SPIKE_HEIGHT,
    SPIKE_POINTS,
    generate,
)
from tests.conftest import default_raw_params

# SHA-256 of generate() at the committed params with n_series = 200 (series bytes, then table
# bytes), recorded before the anomaly kinds existed: anomalies [flat], task binary keep it
DEFAULT_200_SHA256 = "64db9eeab13f447c8f5723181fc5e3c2257a429c1c3d67a38f1ed006d35a82ab"


@pytest.fixture(scope="module")
def params() -> Params:
    return build(Params, default_raw_params())


@pytest.fixture(scope="module")
def dataset(params):
    return generate(params.generate.model_copy(update=dict(n_series=2000)))


def _flat_mask(table: np.ndarray, n_points: int) -> np.ndarray:
    steps = np.arange(n_points)[None, :]
    return (steps >= table["segment_start"][:, None]) & (steps < table["segment_end"][:, None])


def test_shapes_dtypes_and_exact_label_fraction(dataset, params):
    assert dataset.series.shape == (2000, 1, params.generate.n_points)  # one channel
    assert dataset.classes == ("normal", "anomalous")
    assert np.all(dataset.lengths == params.generate.n_points) and not dataset.ragged
    assert dataset.series.dtype == np.float32
    assert dataset.table["label"].sum() == 1000
    assert np.array_equal(dataset.table["id"], np.arange(2000))


def test_flat_segment_is_exactly_where_the_table_says(dataset, params):
    table, series = dataset.table, dataset.series[:, 0]
    anomalous = table["label"] == 1
    mask = _flat_mask(table, params.generate.n_points)
    held = series[np.arange(len(series)), np.maximum(table["segment_start"], 0)]
    # inside the segment: every value equals the value at its start
    assert np.all(np.where(mask, series == held[:, None], True))
    # just before and just after the segment the wave still moves
    diffs = np.diff(series, axis=1) != 0
    before = table["segment_start"][anomalous] - 1
    assert np.all(diffs[anomalous][before >= 0, before[before >= 0]])
    # normal series have no segment; at most float32 rounding repeats a value at a peak
    assert np.all(table["segment_start"][~anomalous] == NO_SEGMENT)
    assert max(_longest_flat_run(row) for row in series[~anomalous]) <= 3
    assert min(_longest_flat_run(row) for row in series[anomalous]) >= 50


def _longest_flat_run(row: np.ndarray) -> int:
    """Length of the longest run of equal consecutive values, counted in points."""
    same = np.r_[False, np.diff(row) == 0, False]
    edges = np.flatnonzero(np.diff(same.astype(int)))
    return int(np.max(edges[1::2] - edges[::2], initial=0)) + 1


def test_segment_lengths_come_from_the_range_and_clip_at_the_end(dataset, params):
    table = dataset.table[dataset.table["label"] == 1]
    n_points = params.generate.n_points
    lengths = table["segment_end"] - table["segment_start"]
    starts_allowed = {int(v * n_points + 1e-9) for v in params.generate.segment_start.values()}
    lengths_allowed = {int(v * n_points + 1e-9) for v in params.generate.segment_length.values()}
    assert set(table["segment_start"]) <= starts_allowed
    clipped = table["segment_end"] == n_points
    assert clipped.any(), "with starts up to 0.89 some segments must run past the end"
    assert set(lengths[~clipped]) <= lengths_allowed
    assert np.all(lengths[clipped] <= max(lengths_allowed))


def test_amplitude_and_frequency_reproduce_the_clean_wave(dataset, params):
    normal = dataset.table["label"] == 0
    t = np.linspace(0, 2 * np.pi, params.generate.n_points)
    table = dataset.table[normal]
    expected = table["amplitude"][:, None] * np.sin(table["frequency"][:, None] * t)
    np.testing.assert_allclose(dataset.series[normal, 0], expected, rtol=1e-5, atol=1e-5)
    assert table["amplitude"].min() >= 1.0 and table["amplitude"].max() < 10.0


def test_fixed_value_range():
    assert Range(min=2.0, max=2.0, step=0.5).values() == [2.0]


def test_noise_is_relative_to_amplitude(params):
    config = params.generate.model_copy(update=dict(n_series=400, noise=0.1))
    clean = generate(config.model_copy(update=dict(noise=0.0)))
    noisy = generate(config)
    residual = (noisy.series - clean.series)[:, 0] / noisy.table["amplitude"][:, None]
    assert residual.std() == pytest.approx(0.1, rel=0.03)
    assert np.array_equal(noisy.table, clean.table)


def test_same_seed_same_bytes_other_seed_other_bytes(params):
    config = params.generate.model_copy(update=dict(n_series=300))

    def digest(seed: int) -> str:
        data = generate(config.model_copy(update=dict(seed=seed)))
        return hashlib.sha256(data.series.tobytes() + data.table.tobytes()).hexdigest()

    assert digest(0) == digest(0)
    assert digest(0) != digest(1)


def test_save_and_load_round_trip(tmp_path, dataset):
    save_dataset(tmp_path, "series", dataset)
    loaded = load_dataset(tmp_path, "series")
    assert np.array_equal(loaded.series, dataset.series)
    assert np.array_equal(loaded.table, dataset.table)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary files left"


def test_split_is_stratified_disjoint_and_complete(dataset, params):
    labels = dataset.table["label"]
    parts = split(labels, params.split.fractions(), params.split.seed)
    assert [len(parts[name]) for name in SPLITS] == [1400, 200, 400]
    for name in SPLITS:
        assert labels[parts[name]].mean() == 0.5
    union = np.concatenate([parts[name] for name in SPLITS])
    assert np.array_equal(np.sort(union), np.arange(len(labels)))


def test_split_is_deterministic_and_seeded(dataset):
    labels = dataset.table["label"]
    first = split(labels, (0.7, 0.1, 0.2), seed=3)
    again = split(labels, (0.7, 0.1, 0.2), seed=3)
    other = split(labels, (0.7, 0.1, 0.2), seed=4)
    assert all(np.array_equal(first[name], again[name]) for name in SPLITS)
    assert not np.array_equal(first["test"], other["test"])


def _digest(data) -> str:
    return hashlib.sha256(data.series.tobytes() + data.table.tobytes()).hexdigest()


def test_default_anomalies_give_the_bytes_of_the_original_generator(params):
    assert params.generate.anomalies == ["flat"] and params.generate.task == "binary"
    assert _digest(generate(params.generate.model_copy(update=dict(n_series=200)))) == (
        DEFAULT_200_SHA256
    )


@pytest.fixture(scope="module")
def kinds(params):
    """Every kind, multiclass: 240 series of 100 points, 120 anomalous (20 a kind)."""
    config = params.generate.model_copy(
        update=dict(n_series=240, n_points=100, anomalies=list(ANOMALY_KINDS), task="multiclass")
    )
    return generate(config)


def _of_kind(data, name: str):
    """(series (m, points) float64, table (m,), clean waves (m, points)) of one kind's series."""
    rows = data.table["label"] == data.classes.index(name)
    table, series = data.table[rows], data.series[rows, 0].astype(np.float64)
    t = np.linspace(0, 2 * np.pi, series.shape[1])
    clean = table["amplitude"][:, None] * np.sin(table["frequency"][:, None] * t)
    return series, table, clean


def test_every_kind_has_a_generator():
    assert tuple(ANOMALIES) == ANOMALY_KINDS


def test_multiclass_labels_classes_and_balanced_kinds(kinds):
    assert kinds.classes == ("normal", *ANOMALY_KINDS)
    labels = kinds.table["label"]
    assert np.array_equal(labels == 0, kinds.table["segment_start"] == NO_SEGMENT)
    assert np.array_equal(np.bincount(labels), [120] + [20] * len(ANOMALY_KINDS))


def test_kinds_are_balanced_when_they_do_not_divide_the_anomalous_count(params):
    config = params.generate.model_copy(
        update=dict(n_series=46, anomalies=["spike", "flat", "time_warp"], task="multiclass")
    )
    data = generate(config)
    assert data.classes == ("normal", "spike", "flat", "time_warp")
    assert np.array_equal(np.bincount(data.table["label"]), [23, 8, 8, 7])


def test_binary_task_labels_the_same_series_anomalous(kinds):
    config = build(Params, default_raw_params()).generate.model_copy(
        update=dict(n_series=240, n_points=100, anomalies=list(ANOMALY_KINDS))
    )
    binary = generate(config)
    assert binary.classes == ("normal", "anomalous")
    assert np.array_equal(binary.table["label"], kinds.table["label"] > 0)
    assert np.array_equal(binary.series, kinds.series)  # the task changes labels only
    for name in ("segment_start", "segment_end", "amplitude", "frequency"):
        assert np.array_equal(binary.table[name], kinds.table[name])


def test_multiclass_flat_only_keeps_the_series_and_the_labels(params):
    config = params.generate.model_copy(update=dict(n_series=200, task="multiclass"))
    data = generate(config)
    assert data.classes == ("normal", "flat")
    assert _digest(data) == DEFAULT_200_SHA256  # label 1 is flat, as binary's 1 is anomalous


@pytest.mark.parametrize("name", [k for k in ANOMALY_KINDS if k != "frequency_change"])
def test_each_kind_changes_its_segment_only(kinds, name):
    series, table, clean = _of_kind(kinds, name)
    assert len(series) == 20
    mask = _flat_mask(table, series.shape[1])
    scale = table["amplitude"][:, None]
    outside = np.where(mask, 0.0, (series - clean) / scale)
    np.testing.assert_allclose(outside, 0.0, atol=1e-6)
    inside = np.where(mask, np.abs(series - clean) / scale, 0.0)
    assert np.all(inside.max(axis=1) > 0.01), "every series must differ inside its segment"


def test_flat_holds_the_value_at_start(kinds):
    series, table, _ = _of_kind(kinds, "flat")
    mask = _flat_mask(table, series.shape[1])
    held = series[np.arange(len(series)), table["segment_start"]]
    assert np.all(np.where(mask, series == held[:, None], True))


def test_spike_is_three_points_of_two_amplitudes(kinds):
    series, table, clean = _of_kind(kinds, "spike")
    n_points = series.shape[1]
    expected_end = np.minimum(table["segment_start"] + SPIKE_POINTS, n_points)
    assert np.array_equal(table["segment_end"], expected_end)
    assert SPIKE_POINTS == 3 and np.any(table["segment_end"] - table["segment_start"] == 3)
    mask = _flat_mask(table, n_points)
    offset = np.abs(series - clean) / table["amplitude"][:, None]
    np.testing.assert_allclose(offset[mask], SPIKE_HEIGHT, rtol=1e-5)


def test_level_shift_moves_the_segment_by_one_amplitude_up_or_down(kinds):
    series, table, clean = _of_kind(kinds, "level_shift")
    mask = _flat_mask(table, series.shape[1])
    shift = (series - clean) / table["amplitude"][:, None]
    for row, inside in zip(shift, mask):
        np.testing.assert_allclose(np.abs(row[inside]), LEVEL_SHIFT, rtol=1e-5)
        assert len(set(np.sign(row[inside]))) == 1, "one direction per series"
    signs = np.sign(shift[mask])
    assert (signs > 0).any() and (signs < 0).any(), "both directions are drawn"


def test_frequency_change_resumes_the_same_sine_shifted_in_phase(kinds):
    series, table, clean = _of_kind(kinds, "frequency_change")
    n_points = series.shape[1]
    t = np.linspace(0, 2 * np.pi, n_points)
    steps = np.arange(n_points)
    checked = 0
    for row, wave, info in zip(series, clean, table):
        start, end = info["segment_start"], info["segment_end"]
        amplitude, frequency = info["amplitude"], info["frequency"]
        np.testing.assert_allclose(row[:start], wave[:start], atol=1e-5 * amplitude)
        assert np.abs(row[start:end] - wave[start:end]).max() > 0.01 * amplitude
        after = steps >= end
        if after.sum() < 5:
            continue
        # a sine of the same frequency: a * sin(f t) + b * cos(f t), with sqrt(a^2 + b^2) = A
        basis = np.stack([np.sin(frequency * t[after]), np.cos(frequency * t[after])], axis=1)
        (a, b), *_ = np.linalg.lstsq(basis, row[after], rcond=None)
        np.testing.assert_allclose(basis @ [a, b], row[after], atol=1e-5 * amplitude)
        assert np.hypot(a, b) == pytest.approx(amplitude, rel=1e-5)
        checked += 1
    assert checked >= 10


def test_other_kinds_leave_the_main_draws_alone(kinds, params):
    """Kinds, signs and bursts come from their own stream: the normal series stay put."""
    config = params.generate.model_copy(update=dict(n_series=240, n_points=100))
    flat_only = generate(config)
    normal = kinds.table["label"] == 0
    assert np.array_equal(kinds.series[normal], flat_only.series[normal])
    assert np.array_equal(kinds.table["amplitude"], flat_only.table["amplitude"])


@pytest.mark.parametrize(
    ("anomalies", "task"),
    [([], "binary"), (["flat", "flat"], "multiclass"), (["bump"], "binary"), (["flat"], "both")],
)
def test_generate_refuses_what_load_params_refuses(params, anomalies, task):
    with pytest.raises(ValueError, match="allowed: distinct kinds of flat, spike"):
        generate(params.generate.model_copy(update=dict(anomalies=anomalies, task=task)))
