"""Synthetic sine waves with an optional flat segment, their stratified split, and file I/O.

A dataset is the series (float32, one row per series) plus a per-series table
that keeps the ground truth: label, amplitude, frequency and where the flat
segment is. Later analysis (does attention look at the segment?) needs it, so
it travels with the series through every stage.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from attention_ts.io import atomic_output

if TYPE_CHECKING:
    from attention_ts.params import GenerateParams

SPLITS = ("train", "val", "test")
NO_SEGMENT = -1  # segment_start / segment_end of a normal series
TABLE_DTYPE = np.dtype(
    [
        ("id", np.int64),
        ("label", np.int64),
        ("amplitude", np.float64),
        ("frequency", np.float64),
        ("segment_start", np.int64),  # first flat point
        ("segment_end", np.int64),  # one past the last flat point
    ]
)


class Dataset(NamedTuple):
    series: np.ndarray  # (n_series, n_points) float32
    table: np.ndarray  # (n_series,) structured array of TABLE_DTYPE

    def subset(self, index: np.ndarray) -> Dataset:
        return Dataset(self.series[index], self.table[index])


def class_counts(n_series: int, anomaly_fraction: float) -> tuple[int, int]:
    """(normal, anomalous) series counts; the anomalous count is rounded, not drawn."""
    anomalous = round(n_series * anomaly_fraction)
    return n_series - anomalous, anomalous


def split_counts(count: int, fractions: tuple[float, float, float]) -> tuple[int, int, int]:
    """Sizes of train/val/test for `count` items; test takes what rounding leaves."""
    train = round(count * fractions[0])
    val = min(round(count * fractions[1]), count - train)
    return train, val, count - train - val


def generate(params: GenerateParams) -> Dataset:
    """Draw every series at once (vectorized), following the original's distribution.

    Each series is A * sin(f * t) on t in [0, 2*pi]. An anomalous series has
    [start, start + length) replaced by its value at `start`, clipped at the
    end. Gaussian noise (std = noise * A) is added last, so with noise the
    flat part is as noisy as the rest, as if a sensor froze but still hissed.
    """
    rng = np.random.default_rng(params.seed)
    n, n_points = params.n_series, params.n_points
    _, n_anomalous = class_counts(n, params.anomaly_fraction)
    label = rng.permutation(np.arange(n) < n_anomalous).astype(np.int64)
    amplitude = rng.choice(params.amplitude.values(), size=n)
    frequency = rng.choice(params.frequency.values(), size=n)
    start_fraction = rng.choice(params.segment_start.values(), size=n)
    length_fraction = rng.choice(params.segment_length.values(), size=n)
    start = np.floor(start_fraction * n_points + 1e-9).astype(np.int64)
    length = np.floor(length_fraction * n_points + 1e-9).astype(np.int64)
    end = np.minimum(start + length, n_points)
    start = np.where(label == 1, start, NO_SEGMENT)
    end = np.where(label == 1, end, NO_SEGMENT)

    t = np.linspace(0.0, 2 * math.pi, n_points)
    clean = amplitude[:, None] * np.sin(frequency[:, None] * t[None, :])  # (n, n_points)
    steps = np.arange(n_points)[None, :]
    flat = (steps >= start[:, None]) & (steps < end[:, None])  # (n, n_points); empty if normal
    held = clean[np.arange(n), np.maximum(start, 0)]  # (n,) value the segment freezes at
    series = np.where(flat, held[:, None], clean)
    if params.noise > 0:
        series = series + rng.normal(size=(n, n_points)) * (params.noise * amplitude[:, None])

    table = np.zeros(n, dtype=TABLE_DTYPE)
    table["id"] = np.arange(n)
    table["label"] = label
    table["amplitude"] = amplitude
    table["frequency"] = frequency
    table["segment_start"] = start
    table["segment_end"] = end
    return Dataset(series.astype(np.float32), table)


def split(labels: np.ndarray, fractions: tuple[float, float, float], seed: int) -> dict:
    """Stratified, seeded, disjoint train/val/test indices into `labels` (each sorted)."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in SPLITS}
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        bounds = np.cumsum(split_counts(len(members), fractions))[:-1]
        for name, chunk in zip(SPLITS, np.split(members, bounds)):
            parts[name].append(chunk)
    return {name: np.sort(np.concatenate(chunks)) for name, chunks in parts.items()}


def save_dataset(directory: Path, name: str, dataset: Dataset) -> None:
    """Write `name.npy` (the series) and `name.csv` (the table) into `directory`."""
    with atomic_output(directory / f"{name}.npy") as tmp, open(tmp, "wb") as stream:
        np.save(stream, dataset.series, allow_pickle=False)
    with atomic_output(directory / f"{name}.csv") as tmp, open(tmp, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(TABLE_DTYPE.names)
        writer.writerows(row.tolist() for row in dataset.table)


def load_dataset(directory: Path, name: str) -> Dataset:
    """Read back what `save_dataset` wrote."""
    series = np.load(directory / f"{name}.npy", allow_pickle=False)
    table = np.loadtxt(
        directory / f"{name}.csv", delimiter=",", skiprows=1, dtype=TABLE_DTYPE, ndmin=1
    )
    return Dataset(series, table)
