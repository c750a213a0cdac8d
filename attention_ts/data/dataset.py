"""The datasets the stages pass on: labelled series from files, their stratified split, file I/O.

A dataset is the series (float32, (series, channels, points), zero past each
series' length), a per-series table that keeps the ground truth (label,
amplitude, frequency, where the anomalous segment is, the series' valid length),
and the class names that the labels index. Later analysis (does attention
look at the segment?) needs the table, so it travels with the series through
every stage. Series read from a file have labels only: no segment
(NO_SEGMENT) and NaN amplitude and frequency.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import numpy as np

from attention_ts.config.catalog import split_counts
from attention_ts.config.params import DatasetParams
from attention_ts.core.io import LazyArray, atomic_output, read_json, rows_per_chunk, write_npy
from attention_ts.core.stage import PipelineError
from attention_ts.data.files import Series, SeriesFileError, is_number, read_series

SPLITS = ("train", "val", "test")
NO_SEGMENT = -1  # segment_start / segment_end of a normal series
CLASSES_FILE = "classes.json"
TABLE_DTYPE = np.dtype(
    [
        ("id", np.int64),
        ("label", np.int64),  # index into the dataset's classes
        ("amplitude", np.float64),
        ("frequency", np.float64),
        ("segment_start", np.int64),  # first point of the anomaly (NO_SEGMENT: none)
        ("segment_end", np.int64),  # one past its last point
        ("length", np.int64),  # valid points; the series is zero past them
    ]
)


class Dataset(NamedTuple):
    series: np.ndarray | LazyArray  # (n_series, channels, points) float32, zero past the length
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

    def class_counts(self) -> dict[str, int]:
        """Series of each class, in class order: {name: count}."""
        counts = np.bincount(self.table["label"], minlength=len(self.classes))
        return {name: int(count) for name, count in zip(self.classes, counts)}

    def subset(self, index: np.ndarray) -> Dataset:
        return Dataset(self.series[index], self.table[index], self.classes)

    def names(self, split: str) -> list[str]:
        """How messages name each series (n_series,): "series id <id> of the <split> split"."""
        return [f"series id {series_id} of the {split} split" for series_id in self.table["id"]]


def natural_key(name: str) -> tuple[int, Decimal, str]:
    """Class order when params give none: numbers by exact value first (ties by text), then text.

    Only the order: `1`, `01` and `1.0` stay three classes. `NAN` and `Nan` (labels: pandas
    reads neither as missing) are text here: a Decimal NaN cannot be compared.
    """
    if is_number(name) and not Decimal(name).is_nan():
        return (0, Decimal(name), name)
    return (1, Decimal(0), name)


def class_names(found: Sequence[str], wanted: Sequence[str], path: Path) -> tuple[str, ...]:
    """The class list: `wanted` (dataset.classes) in its order, or the labels found, sorted.

    `found` are the labels of the training file, as written. Raises
    SeriesFileError when fewer than two classes are found or when a listed
    class has no series in the file.
    """
    present = sorted(set(found), key=natural_key)
    classes = tuple(wanted) or tuple(present)
    missing = [name for name in classes if name not in present]
    if missing:
        raise SeriesFileError(
            path,
            f"class {missing[0]!r} (dataset.classes) has no series",
            f"classes that occur in the file, as written there: {', '.join(present)}",
        )
    if len(classes) < 2:
        shown = ", ".join(repr(name) for name in present)
        raise SeriesFileError(path, f"all series have the label {shown}", "at least two classes")
    return classes


def _labels(found: Series, classes: tuple[str, ...], path: Path, role: str) -> np.ndarray:
    """Class indices (n,) of the series read from `path`; a label not in `classes` is an error."""
    index = {name: k for k, name in enumerate(classes)}
    labels = np.empty(len(found.labels), dtype=np.int64)
    for k, (text, row) in enumerate(zip(found.labels, found.rows)):
        if text not in index:
            problem = f"label {text!r} is not a class of {role}"
            raise SeriesFileError(path, problem, f"the classes {', '.join(classes)}", row)
        labels[k] = index[text]
    return labels


def _ids(found: Series, path: Path) -> np.ndarray:
    """The ids (n,) as int64: ASCII digits only (int() would take 1_0 and Unicode digits, and
    numpy would overflow past int64), each integer once (01 and 1 would share one)."""
    ids = np.empty(len(found.ids), dtype=np.int64)
    rows: dict[int, int] = {}
    allowed = "integer ids, or no id column (series are then numbered by their line)"
    for k, (text, row) in enumerate(zip(found.ids, found.rows)):
        if re.fullmatch(r"[+-]?[0-9]{1,18}", text) is None:
            problem = f"id {text!r} in column 'id' is not an integer of at most 18 digits"
            raise SeriesFileError(path, problem, allowed, row)
        ids[k] = int(text)
        first = rows.setdefault(int(ids[k]), row)
        if first != row:
            problem = f"id {text!r} is the integer {ids[k]}, the id of row {first} already"
            raise SeriesFileError(path, problem, "a different integer id for every series", row)
    return ids


def _to_dataset(found: Series, labels: np.ndarray, ids: np.ndarray, classes: tuple, width: int):
    """The series, zero-padded into (n, channels, width) float32, and their table."""
    series = np.pad(found.values, ((0, 0), (0, 0), (0, width - found.values.shape[2])))
    table = np.zeros(len(labels), dtype=TABLE_DTYPE)
    table["id"] = ids
    table["label"] = labels
    table["amplitude"] = table["frequency"] = np.nan  # unknown: not generated
    table["segment_start"] = table["segment_end"] = NO_SEGMENT  # where the anomaly is: unknown
    table["length"] = found.lengths
    return Dataset(series, table, classes)


def read_labelled(params: DatasetParams) -> tuple[Dataset, Dataset | None]:
    """The user's labelled series (`dataset.source = file`): (dataset, official test set or None).

    Reads `dataset.path` and, when `dataset.test_path` names another file,
    the official test set, each through `files.read_series` (.ts and .arff
    by aeon's loaders, .csv and .tsv by pandas; missing values by
    `dataset.missing`). The classes are `dataset.classes` in that order, or
    every label of `path` in natural order (`natural_key`); labels are text,
    compared as written. Both sets are padded with zeros to the longest
    series of either, so every model sees one width; each series keeps its
    length in the table. Raises SeriesFileError naming the file (and row)
    for: fewer than two classes, a listed class without series, a test
    label that is not a class of the train file, a class of the train file
    the test file lacks, a channel count that differs between the files, a
    non-integer id.
    """
    path = Path(params.path)
    options = dict(label_column=params.label_column, label_required=True, missing=params.missing)
    train = read_series(path, **options)
    test_path = Path(params.test_path) if params.has_test_file() else None
    test = None if test_path is None else read_series(test_path, **options)
    classes = class_names(train.labels, params.classes, path)
    parts = [(path, train, "dataset.classes" if params.classes else f"the train file {path}")]
    if test is not None:
        channels = (train.values.shape[1], test.values.shape[1])
        if channels[0] != channels[1]:
            raise SeriesFileError(
                test_path,
                f"series of {channels[1]} channel(s), the train file {path} has {channels[0]}",
                "the same channels in the train and the test file",
            )
        _labels(test, classes, test_path, f"the train file {path}")  # a foreign label first
        absent = [name for name in classes if name not in set(test.labels)]
        if absent:
            raise SeriesFileError(
                test_path,
                f"no series of class {absent[0]!r} (dataset.test_path), so its recall, F1 and "
                "ROC AUC are undefined",
                f"a test file with series of every class of the train file ({', '.join(classes)})",
            )
        parts.append((test_path, test, f"the train file {path}"))
    width = max(found.values.shape[2] for _, found, _ in parts)
    datasets = [
        _to_dataset(found, _labels(found, classes, file, role), _ids(found, file), classes, width)
        for file, found, role in parts
    ]
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


def chunks_of(
    series: np.ndarray | LazyArray, index: np.ndarray | None = None
) -> Iterator[np.ndarray]:
    """The rows `index` (default: all) of `series`, in that order, a chunk of CHUNK_BYTES at a time.

    Works on an in-memory array and on a `LazyArray` alike, so a split of a
    file larger than memory never holds more than one chunk.
    """
    index = np.arange(len(series)) if index is None else index
    rows = rows_per_chunk(series.shape[1:], series.dtype)
    for start in range(0, len(index), rows):
        yield series[index[start : start + rows]]


def save_chunks(
    directory: Path,
    name: str,
    shape: tuple[int, ...],
    table: np.ndarray,
    classes: Sequence[str],
    chunks: Iterable[np.ndarray],
) -> None:
    """Write `name.npy` from `chunks` (the series of `shape`, consecutive rows: `io.write_npy`),
    `name.csv` (the table) and classes.json into `directory`, one chunk in memory at a time."""
    write_npy(directory / f"{name}.npy", shape, np.float32, chunks)
    with atomic_output(directory / f"{name}.csv") as tmp, open(tmp, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(TABLE_DTYPE.names)
        writer.writerows(row.tolist() for row in table)
    with atomic_output(directory / CLASSES_FILE) as tmp:
        tmp.write_text(json.dumps(list(classes)) + "\n")


def save_dataset(
    directory: Path, name: str, dataset: Dataset, index: np.ndarray | None = None
) -> None:
    """Write the series `index` (default: all) of `dataset` as `save_chunks` does: the bytes
    `np.save` would write, read from a `LazyArray` a chunk at a time."""
    index = np.arange(len(dataset.table)) if index is None else index
    shape = (len(index), *dataset.series.shape[1:])
    chunks = chunks_of(dataset.series, index)
    save_chunks(directory, name, shape, dataset.table[index], dataset.classes, chunks)


def load_dataset(directory: Path, name: str, lazy: bool = False) -> Dataset:
    """Read back what `save_dataset` wrote; a missing or damaged file is a PipelineError.

    lazy: the series stay on disk as a `LazyArray` (rows are read when
    indexed), for series larger than memory; the table is read whole.
    """
    try:
        path = directory / f"{name}.npy"
        series = LazyArray(path) if lazy else np.load(path, allow_pickle=False)
        with warnings.catch_warnings():  # a split with no series (no validation) is valid
            warnings.filterwarnings("ignore", "loadtxt: input contained no data")
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


SOURCE_FILE = "source.json"  # beside the series: which files they were read from


def file_digest(path: Path) -> str:
    """The SHA-256 of the file at `path` (hex), read a block at a time."""
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def source_record(params: DatasetParams, generated: Path | None = None) -> dict:
    """Which train and test files the pipeline reads, with their SHA-256: what source.json keeps.

    {"train": {"file": ..., "sha256": ...}, "test": {... or "split": "of train"}}; for
    synthetic series (`generated`, the series file the generate stage wrote) the train file
    is that one.
    """
    train = Path(params.path) if generated is None else generated
    record = {"train": {"file": str(train), "sha256": file_digest(train)}}
    if generated is None and params.has_test_file():
        record["test"] = {"file": params.test_path, "sha256": file_digest(Path(params.test_path))}
    else:
        record["test"] = {"split": "a stratified split of the train file (split.*)"}
    return record


def source_line(directory: Path) -> str:
    """The first log line of a stage reading the series in `directory`: which files they are.

    "data: train own/pumps.csv (sha256 3f2a...), test a split of it"; PipelineError when
    the record is missing (run the generate stage).
    """
    record = read_json(directory / SOURCE_FILE, "run `dvc repro` to make it")
    train, test = record["train"], record["test"]
    shown = f"data: train {train['file']} (sha256 {train['sha256'][:16]})"
    if "file" in test:
        return shown + f", test {test['file']} (sha256 {test['sha256'][:16]})"
    return shown + ", test a stratified split of it"
