"""The datasets: synthetic sine waves with an optional anomalous segment (flat, a spike, a level
shift, a noise burst, a frequency change or a time warp: ANOMALY_KINDS), or labelled series from
files (any number of classes and channels, unequal lengths); their stratified split; file I/O.

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
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from attention_ts.io import LazyArray, atomic_output, rows_per_chunk, write_npy
from attention_ts.readers import LabelledSeries, read_labelled_file
from attention_ts.series_io import SeriesFileError
from attention_ts.stage import PipelineError

if TYPE_CHECKING:
    from attention_ts.params import DatasetParams, GenerateParams

SPLITS = ("train", "val", "test")
MIN_POINTS = 2  # a file's series need at least this many points (standardizing needs a spread)
NO_SEGMENT = -1  # segment_start / segment_end of a normal series
SYNTHETIC_CLASSES = ("normal", "anomalous")  # class 1 is the positive class of binary metrics
ANOMALY_KINDS = (  # what an anomalous synthetic series has in [start, end); see `generate`
    "flat",
    "spike",
    "level_shift",
    "noise_burst",
    "frequency_change",
    "time_warp",
)
TASKS = ("binary", "multiclass")  # synthetic labels: normal vs anomalous, or which kind
SPIKE_POINTS = 3  # a spike's segment: [start, start + 3), clipped at the end
SPIKE_HEIGHT = 2.0  # a spike adds +-2 * A to its points
LEVEL_SHIFT = 1.0  # a level shift adds +-1 * A to its segment
NOISE_BURST = 0.3  # a noise burst adds Gaussian noise of std 0.3 * A to its segment
FREQUENCY_FACTOR = 3.0  # a frequency change runs the sine 3 times as fast in its segment
WARP = 0.8  # a time warp's local speed swings between 1 - 0.8 and 1 + 0.8 in its segment
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

    def subset(self, index: np.ndarray) -> Dataset:
        return Dataset(self.series[index], self.table[index], self.classes)

    def names(self, split: str) -> list[str]:
        """How messages name each series (n_series,): "series id <id> of the <split> split"."""
        return [f"series id {series_id} of the {split} split" for series_id in self.table["id"]]


def class_counts(n_series: int, anomaly_fraction: float) -> tuple[int, int]:
    """(normal, anomalous) series counts; the anomalous count is rounded, not drawn."""
    anomalous = round(n_series * anomaly_fraction)
    return n_series - anomalous, anomalous


def kind_counts(n_anomalous: int, n_kinds: int) -> list[int]:
    """Anomalous series of each kind, in the listed order: balanced, the first kinds one more."""
    return [n_anomalous // n_kinds + int(k < n_anomalous % n_kinds) for k in range(n_kinds)]


def synthetic_classes(task: str, anomalies: Sequence[str]) -> tuple[str, ...]:
    """The generated classes: SYNTHETIC_CLASSES (binary), or normal and each kind (multiclass)."""
    return SYNTHETIC_CLASSES if task == "binary" else ("normal", *anomalies)


def synthetic_class_counts(params: GenerateParams) -> dict[str, int]:
    """Series of each class `generate` makes (class name -> count), in the class order."""
    normal, anomalous = class_counts(params.n_series, params.anomaly_fraction)
    if params.task == "binary":
        return dict(zip(SYNTHETIC_CLASSES, (normal, anomalous)))
    counts = kind_counts(anomalous, len(params.anomalies))
    return {"normal": normal, **dict(zip(params.anomalies, counts))}


def split_counts(count: int, fractions: tuple[float, ...]) -> tuple[int, ...]:
    """Sizes of train/val(/test) for `count` items; the last part takes what rounding leaves."""
    train = round(count * fractions[0])
    if len(fractions) == 2:
        return train, count - train
    val = min(round(count * fractions[1]), count - train)
    return train, val, count - train - val


class Segment(NamedTuple):
    """The anomalous series of one kind (m of them): their waves and where the anomaly goes."""

    amplitude: np.ndarray  # (m,) A
    frequency: np.ndarray  # (m,) f
    start: np.ndarray  # (m,) first point of the segment
    end: np.ndarray  # (m,) one past its last point
    sign: np.ndarray  # (m,) +-1.0: which way a spike or level shift goes (drawn in `plan`)
    t: np.ndarray  # (points,) time of each point, on [0, 2*pi]

    def mask(self) -> np.ndarray:
        """(m, points) bool: True in [start, end)."""
        steps = np.arange(len(self.t))[None, :]
        return (steps >= self.start[:, None]) & (steps < self.end[:, None])

    def times(self) -> tuple[np.ndarray, np.ndarray]:
        """(t_s, L), each (m, 1): the time at `start`, and the time from it to point `end`."""
        step = 2 * math.pi / (len(self.t) - 1)
        return self.t[self.start][:, None], ((self.end - self.start) * step)[:, None]


def _flat(clean: np.ndarray, seg: Segment, rng: np.random.Generator) -> np.ndarray:
    """The segment held at its value at `start`: a sensor that froze."""
    held = clean[np.arange(len(clean)), seg.start]  # (m,)
    return np.where(seg.mask(), held[:, None], clean)


def _offset(clean: np.ndarray, seg: Segment, size: float) -> np.ndarray:
    """The segment moved up or down (by seg.sign) by `size` * A."""
    return np.where(seg.mask(), clean + (seg.sign * size * seg.amplitude)[:, None], clean)


def _spike(clean: np.ndarray, seg: Segment, rng: np.random.Generator) -> np.ndarray:
    """SPIKE_POINTS points (the segment) moved by +-SPIKE_HEIGHT * A."""
    return _offset(clean, seg, SPIKE_HEIGHT)


def _level_shift(clean: np.ndarray, seg: Segment, rng: np.random.Generator) -> np.ndarray:
    """The segment moved by +-LEVEL_SHIFT * A."""
    return _offset(clean, seg, LEVEL_SHIFT)


def _noise_burst(clean: np.ndarray, seg: Segment, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise of std NOISE_BURST * A added to the segment."""
    burst = rng.normal(size=clean.shape) * (NOISE_BURST * seg.amplitude)[:, None]  # (m, points)
    return np.where(seg.mask(), clean + burst, clean)


def _frequency_change(clean: np.ndarray, seg: Segment, rng: np.random.Generator) -> np.ndarray:
    """FREQUENCY_FACTOR times the frequency in the segment, then f again; phase-continuous."""
    t_s, duration = seg.times()  # (m, 1) each
    f, t = seg.frequency[:, None], seg.t[None, :]  # (m, 1), (1, points)
    steps = np.arange(len(seg.t))[None, :]
    inside = f * t_s + FREQUENCY_FACTOR * f * (t - t_s)  # (m, points)
    after = f * t + (FREQUENCY_FACTOR - 1) * f * duration  # the phase the segment gained
    phase = np.where(steps < seg.end[:, None], inside, after)
    wave = seg.amplitude[:, None] * np.sin(phase)
    return np.where(steps >= seg.start[:, None], wave, clean)


def _time_warp(clean: np.ndarray, seg: Segment, rng: np.random.Generator) -> np.ndarray:
    """Local time warped in the segment: f * t_s + f * w(t - t_s), w(L) = L (see `generate`)."""
    t_s, duration = seg.times()  # (m, 1) each
    u = seg.t[None, :] - t_s  # (m, points) time since the segment's start
    warped = u + WARP * (duration / math.pi) * np.sin(math.pi * u / duration)
    f = seg.frequency[:, None]
    wave = seg.amplitude[:, None] * np.sin(f * t_s + f * warped)
    return np.where(seg.mask(), wave, clean)


# kind -> the anomalous series (m, points) from their clean waves (m, points)
ANOMALIES = {
    "flat": _flat,
    "spike": _spike,
    "level_shift": _level_shift,
    "noise_burst": _noise_burst,
    "frequency_change": _frequency_change,
    "time_warp": _time_warp,
}
SIGNED = ("spike", "level_shift")  # kinds that go up or down: a sign per series, drawn in `plan`


class Plan(NamedTuple):
    """What `generate` draws per series before any point: every series' table row, kind, sign."""

    table: np.ndarray  # (n,) TABLE_DTYPE: label, amplitude, frequency, segment, length
    kind: np.ndarray  # (n,) index into params.anomalies; NO_SEGMENT for a normal series
    sign: np.ndarray  # (n,) +-1.0 for the SIGNED kinds, else 0.0
    classes: tuple[str, ...]


def _check_kinds(params: GenerateParams) -> None:
    kinds_ok = params.anomalies and len(set(params.anomalies)) == len(params.anomalies)
    if not kinds_ok or not set(params.anomalies) <= set(ANOMALIES) or params.task not in TASKS:
        raise ValueError(
            f"anomalies {params.anomalies} and task {params.task!r}: allowed: distinct kinds of "
            f"{', '.join(ANOMALY_KINDS)}, one or more, and a task of {', '.join(TASKS)}"
        )


def plan(params: GenerateParams, rng: np.random.Generator, extra: np.random.Generator) -> Plan:
    """Draw every per-series value (`generate`'s first step): (n,) arrays, no points yet.

    Draws from `rng` (the main stream, seeded by `generate.seed`) in the
    original generator's order, then from `extra` the kinds (more than one)
    and the signs of the SIGNED kinds, kind by kind in the listed order.
    """
    n, n_points = params.n_series, params.n_points
    _, n_anomalous = class_counts(n, params.anomaly_fraction)
    anomalous = rng.permutation(np.arange(n) < n_anomalous)  # (n,) bool
    amplitude = rng.choice(params.amplitude.values(), size=n)
    frequency = rng.choice(params.frequency.values(), size=n)
    start_fraction = rng.choice(params.segment_start.values(), size=n)
    length_fraction = rng.choice(params.segment_length.values(), size=n)
    start = np.floor(start_fraction * n_points + 1e-9).astype(np.int64)
    length = np.floor(length_fraction * n_points + 1e-9).astype(np.int64)
    end = np.minimum(start + length, n_points)
    start = np.where(anomalous, start, NO_SEGMENT)
    end = np.where(anomalous, end, NO_SEGMENT)
    kinds = np.arange(n_anomalous) % len(params.anomalies)  # (n_anomalous,) index into anomalies
    kind = np.full(n, NO_SEGMENT)  # (n,) the kind of each anomalous series; -1 if normal
    kind[anomalous] = extra.permutation(kinds) if len(params.anomalies) > 1 else kinds
    sign = np.zeros(n)
    for k, name in enumerate(params.anomalies):
        rows = np.flatnonzero(kind == k)  # (m,)
        if name == "spike":
            end[rows] = np.minimum(start[rows] + SPIKE_POINTS, n_points)
        if name in SIGNED:
            sign[rows] = extra.choice([-1.0, 1.0], size=len(rows))

    table = np.zeros(n, dtype=TABLE_DTYPE)
    table["id"] = np.arange(n)
    table["label"] = np.where(anomalous, 1 + kind, 0) if params.task == "multiclass" else anomalous
    table["amplitude"] = amplitude
    table["frequency"] = frequency
    table["segment_start"] = start
    table["segment_end"] = end
    table["length"] = n_points
    return Plan(table, kind, sign, synthetic_classes(params.task, params.anomalies))


def render(
    params: GenerateParams,
    drawn: Plan,
    rows: slice,
    rng: np.random.Generator,
    extra: np.random.Generator,
) -> np.ndarray:
    """The series of `rows` (consecutive) of a `plan`: (m, 1, n_points) float32.

    Draws the noise bursts from `extra` and the noise from `rng`, in row
    order: called on consecutive chunks, it gives the bytes of one call on all rows.
    """
    table, kind = drawn.table[rows], drawn.kind[rows]
    amplitude, frequency = table["amplitude"], table["frequency"]
    t = np.linspace(0.0, 2 * math.pi, params.n_points)
    clean = amplitude[:, None] * np.sin(frequency[:, None] * t[None, :])  # (m, n_points)
    series = clean.copy()
    for k, name in enumerate(params.anomalies):
        at = np.flatnonzero(kind == k)  # (m_k,)
        segment = Segment(
            amplitude[at],
            frequency[at],
            table["segment_start"][at],
            table["segment_end"][at],
            drawn.sign[rows][at],
            t,
        )
        series[at] = ANOMALIES[name](clean[at], segment, extra)
    if params.noise > 0:
        series = series + rng.normal(size=series.shape) * (params.noise * amplitude[:, None])
    # reshape, not [:, None, :]: that view has stride 0 on the channel axis, and oneDNN then
    # picks other convolution kernels than for the arrays read back from .npy (other bits)
    return series.astype(np.float32).reshape(len(series), 1, params.n_points)


def generate_chunks(
    params: GenerateParams, rows: int
) -> tuple[np.ndarray, tuple[str, ...], Iterator[np.ndarray]]:
    """`generate`, streamed: (table (n,), classes, the series `rows` at a time).

    The chunks, (<= rows, 1, n_points) float32 each, in order, are the
    series `generate` returns, byte for byte; only one is in memory at a
    time (with the (n,) per-series draws). Raises ValueError as `generate`.
    """
    _check_kinds(params)
    rng = np.random.default_rng(params.seed)
    extra = np.random.default_rng([params.seed, 1])  # draws of kinds other than flat only
    drawn = plan(params, rng, extra)
    n = params.n_series
    chunks = (
        render(params, drawn, slice(a, min(a + rows, n)), rng, extra) for a in range(0, n, rows)
    )
    return drawn.table, drawn.classes, chunks


def generate(params: GenerateParams) -> Dataset:
    """Draw every series at once (vectorized), following the original's distribution.

    Each series is A * sin(f * t) on t in [0, 2*pi]. An anomalous series
    gets one kind of `params.anomalies` (the kinds balanced: `kind_counts`)
    in its segment [start, end), drawn as start + length, clipped at the end
    (t_s, t_e: the times of points start and end; L = t_e - t_s):

    - flat: held at its value at `start` (the original task);
    - spike: [start, start + SPIKE_POINTS), clipped, moved by +-SPIKE_HEIGHT * A
      (sign drawn); segment_end is start + SPIKE_POINTS (clipped);
    - level_shift: moved by +-LEVEL_SHIFT * A (sign drawn);
    - noise_burst: Gaussian noise of std NOISE_BURST * A added;
    - frequency_change: FREQUENCY_FACTOR * f inside, phase-continuous at
      start; from end on f again, phase-continuous: the same sine, shifted
      in phase by (FREQUENCY_FACTOR - 1) * f * L;
    - time_warp: phase f * t_s + f * w(t - t_s), w(u) = u + WARP * (L / pi) *
      sin(pi * u / L): the speed swings between 1 - WARP and 1 + WARP, and
      w(L) = L, so from end on the series is the clean sine again.

    Outside the segment every kind but frequency_change is the clean sine.
    Gaussian noise (std = noise * A) is added last to every series, so with
    noise a flat part is as noisy as the rest, as if a sensor froze but
    still hissed. Labels: 1 = anomalous (task binary, SYNTHETIC_CLASSES), or
    1 + the kind's index in `anomalies` (multiclass; classes normal, then
    the kinds). With anomalies [flat] and task binary the bytes are those of
    the original generator: what the other kinds draw (kinds, signs, bursts)
    comes from a second stream, seeded by [seed, 1], never from the main
    one.

    Streamed: `generate_chunks` computes the same series a chunk of rows at a
    time, byte for byte (every per-series draw is made first, by `plan`; the
    draws with one value per point, the noise and the bursts, follow in row
    order, and numpy's generators give the same numbers drawn in pieces as
    at once). `generate` is its one-chunk case. Raises ValueError when
    `anomalies` is empty, repeats a kind or names one not in ANOMALY_KINDS,
    or `task` is not one of TASKS (load_params refuses all of these first,
    in one line).
    """
    table, classes, chunks = generate_chunks(params, max(1, params.n_series))
    return Dataset(np.concatenate(list(chunks)), table, classes)


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
