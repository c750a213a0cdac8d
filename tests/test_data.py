"""Generator and split: the ground-truth table matches the series, and everything is seeded."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest

from attention_ts.data import NO_SEGMENT, SPLITS, generate, load_dataset, save_dataset, split
from attention_ts.params import Params, Range, build
from tests.conftest import default_raw_params


@pytest.fixture(scope="module")
def params() -> Params:
    return build(Params, default_raw_params())


@pytest.fixture(scope="module")
def dataset(params):
    return generate(dataclasses.replace(params.generate, n_series=2000))


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
    assert Range(2.0, 2.0, 0.5).values() == [2.0]


def test_noise_is_relative_to_amplitude(params):
    config = dataclasses.replace(params.generate, n_series=400, noise=0.1)
    clean = generate(dataclasses.replace(config, noise=0.0))
    noisy = generate(config)
    residual = (noisy.series - clean.series)[:, 0] / noisy.table["amplitude"][:, None]
    assert residual.std() == pytest.approx(0.1, rel=0.03)
    assert np.array_equal(noisy.table, clean.table)


def test_same_seed_same_bytes_other_seed_other_bytes(params):
    config = dataclasses.replace(params.generate, n_series=300)

    def digest(seed: int) -> str:
        data = generate(dataclasses.replace(config, seed=seed))
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
