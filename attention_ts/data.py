"""Synthetic sine waves with an optional flat segment, your own labelled series, their
stratified split, and file I/O.

A dataset is the series (float32, one row per series) plus a per-series table
that keeps the ground truth: label, amplitude, frequency and where the flat
segment is. Later analysis (does attention look at the segment?) needs it, so
it travels with the series through every stage. Series read from a user's file
have labels only: no segment (NO_SEGMENT) and NaN amplitude and frequency.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from attention_ts.io import atomic_output
from attention_ts.series_io import SeriesFileError, read_series
from attention_ts.stage import PipelineError

if TYPE_CHECKING:
    from attention_ts.params import DatasetParams, GenerateParams

SPLITS = ("train", "val", "test")
MIN_POINTS = 2  # a file's series need at least this many points (standardizing needs a spread)
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

    def names(self, split: str) -> list[str]:
        """How messages name each series (n_series,): "series id <id> of the <split> split"."""
        return [f"series id {series_id} of the {split} split" for series_id in self.table["id"]]


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


def same_label(text: str, wanted: str) -> bool:
    """Labels match as text, or as numbers (UCR files write `1` as `1.0000000e+00`)."""
    if text == wanted:
        return True
    try:
        return float(text) == float(wanted)
    except ValueError:
        return False


def read_labelled(params: DatasetParams) -> Dataset:
    """The user's labelled series (`dataset.source = file`), every cell and label checked.

    A `.tsv` is read in the UCR/UEA layout (label first, no header); a `.csv`
    has a header, the label column `dataset.label_column`, an optional integer
    `id` column and the values (a first row of numbers only is no header: a
    SeriesFileError says the file seems to have none). `dataset.normal_label`
    becomes class 0, `dataset.anomalous_label` class 1; any other label, or a
    file with one class only, is a SeriesFileError naming the file, row and
    column. Series without an id column are numbered by their line in the file.
    """
    path = Path(params.path)
    tsv = path.suffix.lower() == ".tsv"
    found = read_series(
        path, layout="tsv" if tsv else "wide", label_column=None if tsv else params.label_column
    )
    label_column = "the first column" if tsv else f"column {params.label_column!r}"
    wanted = (params.normal_label, params.anomalous_label)
    names = f"{wanted[0]!r} (dataset.normal_label) and {wanted[1]!r} (dataset.anomalous_label)"
    labels = np.empty(len(found.rows), dtype=np.int64)
    for k, (text, row) in enumerate(zip(found.labels, found.rows)):
        matches = [label for label, name in enumerate(wanted) if same_label(text, name)]
        if not matches:
            problem = f"label {text!r} in {label_column} is not a known class"
            allowed = f"the labels {names}; set those two params to your file's labels"
            raise SeriesFileError(path, problem, allowed, row)
        labels[k] = matches[0]
    if len(np.unique(labels)) < 2:
        problem = f"all {len(labels)} series have label {wanted[labels[0]]!r}"
        raise SeriesFileError(path, problem, f"series of both classes, {names}")
    if found.values.shape[1] < MIN_POINTS:
        problem = f"series of {found.values.shape[1]} point"
        raise SeriesFileError(path, problem, f"at least {MIN_POINTS} points")
    ids = np.empty(len(found.ids), dtype=np.int64)
    for k, (text, row) in enumerate(zip(found.ids, found.rows)):
        try:
            ids[k] = int(text)
        except ValueError:
            problem = f"id {text!r} in column 'id' is not an integer"
            allowed = "integer ids, or no id column (series are then numbered by their line)"
            raise SeriesFileError(path, problem, allowed, row) from None

    table = np.zeros(len(labels), dtype=TABLE_DTYPE)
    table["id"] = ids
    table["label"] = labels
    table["amplitude"] = table["frequency"] = np.nan  # unknown: not generated
    table["segment_start"] = table["segment_end"] = NO_SEGMENT  # where the anomaly is: unknown
    return Dataset(found.values.astype(np.float32), table)


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
    """Read back what `save_dataset` wrote; a missing or damaged file is a PipelineError."""
    try:
        series = np.load(directory / f"{name}.npy", allow_pickle=False)
        table = np.loadtxt(
            directory / f"{name}.csv", delimiter=",", skiprows=1, dtype=TABLE_DTYPE, ndmin=1
        )
    except FileNotFoundError as error:
        raise PipelineError(
            f"{error.filename} not found; run `dvc repro` (or `dvc pull`) to make it"
        ) from None
    except (ValueError, OSError) as error:  # cut short, or not what save_dataset writes
        raise PipelineError(
            f"{directory / name}.npy or .csv cannot be read ({str(error).splitlines()[0]}); "
            f"allowed: the files the stage writing {directory} made - `dvc repro --force` it"
        ) from None
    return Dataset(series, table)
