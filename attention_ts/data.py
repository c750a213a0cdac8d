"""The datasets: synthetic sine waves with an optional flat segment, or labelled series from
files (any number of classes and channels, unequal lengths); their stratified split; file I/O.

A dataset is the series (float32, (series, channels, points), zero past each
series' length), a per-series table that keeps the ground truth (label,
amplitude, frequency, where the flat segment is, the series' valid length),
and the class names that the labels index. Later analysis (does attention
look at the segment?) needs the table, so it travels with the series through
every stage. Series read from a file have labels only: no segment
(NO_SEGMENT) and NaN amplitude and frequency.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from attention_ts.io import atomic_output
from attention_ts.readers import LabelledSeries, read_labelled_file
from attention_ts.series_io import SeriesFileError
from attention_ts.stage import PipelineError

if TYPE_CHECKING:
    from attention_ts.params import DatasetParams, GenerateParams

SPLITS = ("train", "val", "test")
MIN_POINTS = 2  # a file's series need at least this many points (standardizing needs a spread)
NO_SEGMENT = -1  # segment_start / segment_end of a normal series
SYNTHETIC_CLASSES = ("normal", "anomalous")  # class 1 is the positive class of binary metrics
CLASSES_FILE = "classes.json"
TABLE_DTYPE = np.dtype(
    [
        ("id", np.int64),
        ("label", np.int64),  # index into the dataset's classes
        ("amplitude", np.float64),
        ("frequency", np.float64),
        ("segment_start", np.int64),  # first flat point
        ("segment_end", np.int64),  # one past the last flat point
        ("length", np.int64),  # valid points; the series is zero past them
    ]
)


class Dataset(NamedTuple):
    series: np.ndarray  # (n_series, channels, points) float32, zero past each series' length
    table: np.ndarray  # (n_series,) structured array of TABLE_DTYPE
    classes: tuple[str, ...]  # class names; table["label"] indexes them

    @property
    def lengths(self) -> np.ndarray:
        """Valid points of each series: (n_series,) int64."""
        return self.table["length"]

    @property
    def ragged(self) -> bool:
        """True when some series are shorter than the array (padded): models then get lengths."""
        return bool(np.any(self.table["length"] < self.series.shape[2]))

    def model_lengths(self) -> np.ndarray | None:
        """What models take as `lengths`: None when every series is full length (no mask)."""
        return self.lengths if self.ragged else None

    def subset(self, index: np.ndarray) -> Dataset:
        return Dataset(self.series[index], self.table[index], self.classes)

    def names(self, split: str) -> list[str]:
        """How messages name each series (n_series,): "series id <id> of the <split> split"."""
        return [f"series id {series_id} of the {split} split" for series_id in self.table["id"]]


def class_counts(n_series: int, anomaly_fraction: float) -> tuple[int, int]:
    """(normal, anomalous) series counts; the anomalous count is rounded, not drawn."""
    anomalous = round(n_series * anomaly_fraction)
    return n_series - anomalous, anomalous


def split_counts(count: int, fractions: tuple[float, ...]) -> tuple[int, ...]:
    """Sizes of train/val(/test) for `count` items; the last part takes what rounding leaves."""
    train = round(count * fractions[0])
    if len(fractions) == 2:
        return train, count - train
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
    table["length"] = n_points
    # reshape, not [:, None, :]: that view has stride 0 on the channel axis, and oneDNN then
    # picks other convolution kernels than for the arrays read back from .npy (other bits)
    return Dataset(series.astype(np.float32).reshape(n, 1, n_points), table, SYNTHETIC_CLASSES)


def canonical_label(text: str) -> str:
    """A label as one class name: numbers by value (`1`, `1.0` and `1.0000000e+00` are "1").

    UCR files write the label 1 as `1.0000000e+00`, params.yaml may say `1`;
    an integral number becomes its integer text, another finite number its
    shortest float text, anything else stays as written (stripped).
    """
    try:
        value = float(text)
    except ValueError:
        return text.strip()
    if not math.isfinite(value):
        return text.strip()
    return str(int(value)) if value.is_integer() else repr(value)


def _natural_key(name: str) -> tuple[int, float, str]:
    """Class order when params give none: numbers by value first, then text."""
    try:
        return (0, float(name), "")
    except ValueError:
        return (1, 0.0, name)


def class_names(found: Sequence[str], wanted: Sequence[str], path: Path) -> tuple[str, ...]:
    """The class list: `wanted` (dataset.classes) in its order, or the labels found, sorted.

    `found` are the canonical labels of the training file. Raises
    SeriesFileError when fewer than two classes are found or when a listed
    class has no series in the file.
    """
    present = sorted(set(found), key=_natural_key)
    classes = tuple(canonical_label(name) for name in wanted) or tuple(present)
    missing = [name for name in classes if name not in present]
    if missing:
        raise SeriesFileError(
            path,
            f"class {missing[0]!r} (dataset.classes) has no series",
            f"classes that occur in the file: {', '.join(present)}",
        )
    if len(classes) < 2:
        shown = ", ".join(repr(name) for name in present)
        raise SeriesFileError(path, f"all series have the label {shown}", "at least two classes")
    return classes


def _labels(found: LabelledSeries, classes: tuple[str, ...], path: Path, role: str) -> np.ndarray:
    """Class indices (n,) of the series read from `path`; a label not in `classes` is an error."""
    index = {name: k for k, name in enumerate(classes)}
    labels = np.empty(len(found.labels), dtype=np.int64)
    for k, (text, row) in enumerate(zip(found.labels, found.rows)):
        name = canonical_label(text)
        if name not in index:
            problem = f"label {text!r} is not a class of {role}"
            raise SeriesFileError(path, problem, f"the classes {', '.join(classes)}", row)
        labels[k] = index[name]
    return labels


def _ids(found: LabelledSeries, path: Path) -> np.ndarray:
    ids = np.empty(len(found.ids), dtype=np.int64)
    for k, (text, row) in enumerate(zip(found.ids, found.rows)):
        try:
            ids[k] = int(text)
        except ValueError:
            problem = f"id {text!r} in column 'id' is not an integer"
            allowed = "integer ids, or no id column (series are then numbered by their line)"
            raise SeriesFileError(path, problem, allowed, row) from None
    return ids


def _to_dataset(
    found: LabelledSeries, labels: np.ndarray, ids: np.ndarray, classes: tuple, width: int
) -> Dataset:
    """Pad the series (each (channels, length)) with zeros into (n, channels, width) float32."""
    channels = found.series[0].shape[0]
    series = np.zeros((len(found.series), channels, width), dtype=np.float32)
    lengths = np.empty(len(found.series), dtype=np.int64)
    for k, values in enumerate(found.series):
        lengths[k] = values.shape[1]
        series[k, :, : lengths[k]] = values
    table = np.zeros(len(labels), dtype=TABLE_DTYPE)
    table["id"] = ids
    table["label"] = labels
    table["amplitude"] = table["frequency"] = np.nan  # unknown: not generated
    table["segment_start"] = table["segment_end"] = NO_SEGMENT  # where the anomaly is: unknown
    table["length"] = lengths
    return Dataset(series, table, classes)


def _check_points(found: LabelledSeries, path: Path) -> None:
    for values, row in zip(found.series, found.rows):
        if values.shape[1] < MIN_POINTS:
            problem = f"a series of {values.shape[1]} point"
            raise SeriesFileError(path, problem, f"at least {MIN_POINTS} points", row)


def read_labelled(params: DatasetParams) -> tuple[Dataset, Dataset | None]:
    """The user's labelled series (`dataset.source = file`): (dataset, official test set or None).

    Reads `dataset.path` and, when `dataset.test_path` names another file,
    the official test set, each through `readers.read_labelled_file` (.ts and
    .arff by aeon's loaders; .tsv and .csv by series_io; missing values by
    `dataset.missing`). The classes are `dataset.classes` in that order, or
    every label of `path` in natural order (numbers by value, then text);
    labels are compared by `canonical_label`. Both sets are padded with zeros
    to the longest series of either, so every model sees one width; each
    series keeps its length in the table. Raises SeriesFileError naming the
    file (and row) for: fewer than two classes, a listed class without
    series, a test label that is not a class of the train file, a channel
    count that differs between the files, a series shorter than MIN_POINTS,
    a non-integer id.
    """
    path = Path(params.path)
    train = read_labelled_file(path, params.label_column, params.missing)
    test_path = Path(params.test_path) if params.has_test_file() else None
    test = (
        None
        if test_path is None
        else read_labelled_file(test_path, params.label_column, params.missing)
    )
    classes = class_names([canonical_label(t) for t in train.labels], params.classes, path)
    parts = [(path, train, "dataset.classes")]
    if test is not None:
        channels = (train.series[0].shape[0], test.series[0].shape[0])
        if channels[0] != channels[1]:
            raise SeriesFileError(
                test_path,
                f"series of {channels[1]} channel(s), the train file {path} has {channels[0]}",
                "the same channels in the train and the test file",
            )
        parts.append((test_path, test, f"the train file {path}"))
    width = max(values.shape[1] for _, found, _ in parts for values in found.series)
    datasets = []
    for file, found, role in parts:
        _check_points(found, file)
        labels = _labels(found, classes, file, role)
        datasets.append(_to_dataset(found, labels, _ids(found, file), classes, width))
    return datasets[0], (datasets[1] if test is not None else None)


def concat(first: Dataset, second: Dataset) -> Dataset:
    """`first`'s series, then `second`'s: the same classes, channels and points (a new array)."""
    if first.classes != second.classes or first.series.shape[1:] != second.series.shape[1:]:
        raise ValueError(
            f"cannot join series {first.series.shape[1:]} of classes {first.classes} and "
            f"{second.series.shape[1:]} of {second.classes}"
        )
    return Dataset(
        np.concatenate([first.series, second.series]),
        np.concatenate([first.table, second.table]),
        first.classes,
    )


def split(labels: np.ndarray, fractions: tuple[float, ...], seed: int) -> dict:
    """Stratified, seeded, disjoint train/val/test indices into `labels` (each sorted).

    `fractions` (train, val, test) of each class; with two fractions (train,
    val) the split has no test part (the official test set comes from a file).
    """
    rng = np.random.default_rng(seed)
    names = SPLITS[: len(fractions)]
    parts: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        bounds = np.cumsum(split_counts(len(members), fractions))[:-1]
        for name, chunk in zip(names, np.split(members, bounds)):
            parts[name].append(chunk)
    return {name: np.sort(np.concatenate(chunks)) for name, chunks in parts.items()}


def save_dataset(directory: Path, name: str, dataset: Dataset) -> None:
    """Write `name.npy` (the series), `name.csv` (the table) and classes.json into `directory`."""
    with atomic_output(directory / f"{name}.npy") as tmp, open(tmp, "wb") as stream:
        np.save(stream, dataset.series, allow_pickle=False)
    with atomic_output(directory / f"{name}.csv") as tmp, open(tmp, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(TABLE_DTYPE.names)
        writer.writerows(row.tolist() for row in dataset.table)
    with atomic_output(directory / CLASSES_FILE) as tmp:
        tmp.write_text(json.dumps(list(dataset.classes)) + "\n")


def load_dataset(directory: Path, name: str) -> Dataset:
    """Read back what `save_dataset` wrote; a missing or damaged file is a PipelineError."""
    try:
        series = np.load(directory / f"{name}.npy", allow_pickle=False)
        table = np.loadtxt(
            directory / f"{name}.csv", delimiter=",", skiprows=1, dtype=TABLE_DTYPE, ndmin=1
        )
        classes = tuple(json.loads((directory / CLASSES_FILE).read_text()))
        if (
            series.ndim != 3
            or len(series) != len(table)
            or not all(isinstance(c, str) for c in classes)
        ):
            raise ValueError(f"series of shape {series.shape} for {len(table)} table rows")
    except FileNotFoundError as error:
        raise PipelineError(
            f"{error.filename} not found; run `dvc repro` (or `dvc pull`) to make it"
        ) from None
    except (ValueError, OSError, TypeError) as error:  # cut short, or not what save_dataset wrote
        raise PipelineError(
            f"{directory / name}.npy, .csv or {CLASSES_FILE} cannot be read "
            f"({str(error).splitlines()[0]}); allowed: the files the stage writing {directory} "
            "made - `dvc repro --force` it"
        ) from None
    return Dataset(series, table, classes)
