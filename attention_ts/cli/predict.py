"""Apply a trained model to the series of your own file: CSV, TSV, .ts or .arff.

    python -m attention_ts.cli.predict series.csv predictions.csv
    python -m attention_ts.cli.predict series.csv predictions.csv --attention --plots plots/mine \\
        --model models/compare/local_attention/model.pt
    python -m attention_ts.cli.predict MyData_TEST.ts predictions.csv

Input layouts (--layout, default auto; see attention_ts/data/series_io.py):
  wide  a header row, then one series per line: an optional id column (--id-column,
        default "id"), an optional label column to skip (--label-column), every other
        column a value, in order. Without a header row (as numpy.savetxt writes),
        every column is a value and ids are line numbers
  long  a header with the columns id, t, value (any order) and optionally channel:
        one point per line, the lines of a series together, t (a number) orders the
        points. With a channel column a series has one line per channel and t, every
        channel of a series the same t values, every series the same channel names
        (ordered by number if all are numbers, else as they first come). Series may
        differ in length
  tsv   the UCR/UEA archive's .tsv: tab-separated, no header, the label first, then
        the values
  ucr   the same, tab- or comma-separated (the older archive's comma-separated files;
        a comma unless the first line holds a tab)
  auto  a .ts or .arff name is read by aeon (below), a .tsv name is tsv, a header
        with id, t and value is long, anything else wide
.ts and .arff files (the sktime/aeon format in which the UCR/UEA archives ship)
are read whole by aeon's loaders (attention_ts/data/readers.py): one series per line
after @data, channels separated by ':', any lengths, ids the line numbers. Their
labels are not read: a .ts file may have none (@classLabel false); the flags
--header, --id-column and --label-column are for CSV files only.
--header (CSV layouts) says whether the first line is a header row: yes; no (it is a
series); auto (default): a header unless every cell of it is a number. Under auto a
first line of numbers only is never taken as column names: it is a series, or it is
refused where it cannot be one (with --label-column, in the long layout) or could be
either: 0, 1, 2, ... or 1, 2, 3, ... (the header pandas writes for an array, or a
ramp? --header yes or no says which).
Every value must be a finite number. CSV files are read --batch-size series at a
time, so memory stays bounded by the batch; .ts and .arff files are read whole.
The file is read and parsed by a second process (a torch DataLoader worker), a
couple of batches ahead, while this one runs the model on one torch thread
(--threads) and writes: on 2 cores each gets one.

Channels and lengths. The model was trained on series of c channels and n points
(its checkpoint records both; for data of unequal length n is the longest series):
  - a series with another number of channels is refused, with one line naming its row;
  - a series of n points is used as it is;
  - a shorter series is padded with zeros to n points and given its length, never
    resampled: the models attend, pool and standardize over its valid points only
    (the MLP sees zeros past the length, MiniRocket counts the zero tail, as in
    training on data of unequal length), so its probabilities are those of the
    series alone, whatever file or batch it comes in (to float rounding);
  - a longer series is refused, with one line naming its row, its length and n; or,
    with --length-mismatch resample, linearly interpolated onto n points (each series
    on its own, every channel alike, evenly spaced over the same span: first point to
    first point, last to last). Its attention weights are computed on the n points,
    interpolated back onto its own points the same way and renormalized to sum to 1.

Output: a CSV with one row per series, in input order, with the columns
  id             the id column's text, or the series' line number when there is none
  p_<class>      one column per class of the model, in the model's order (the class
                 names it was trained with): the model's probability of that class;
                 each row sums to 1
  prediction     the predicted class's name. Two classes: the second (class 1, the
                 positive class: anomalous for the synthetic data) when its probability
                 >= --threshold, else the first. More classes: the most probable (the
                 first of a tie); --threshold is then refused
  w0 ... w{W-1}  with --attention: the attention weight of each point of the series,
                 on its own points (summing to 1 over them), spread from the model's
                 steps onto the time axis as the pipeline's plots do
                 (attention_on_time_axis); W is the number of points of the file's
                 longest series, and the cells past a shorter series' last point are
                 empty. Several channels share one weight per time step
The file is written as the series are read, batch by batch, to a temporary file
that is renamed onto OUTPUT at the end: an error or Ctrl-C leaves no output at
all. A summary line goes to stderr.

--plots DIR draws one PNG per series, named after its id (characters other than
letters, digits, ".", "_" and "-" become "_"; a name taken already, ignoring case,
gets "-row<line>" appended): the series' channels on its own points, the predicted
class and its probability in the title, and for models with attention the weights
on a second axis; for models without attention the series alone. Each plot takes
about 0.1 s (one channel) to 1 s (12 channels, a panel each), so plot a selection
of series rather than 100,000.

A series whose score is not finite (its values overflow the arithmetic of a model
trained with model.standardize = false; standardized models give the same score at
any scale) stops the run with one line naming its row. OUTPUT and --plots may not
be, link to or hold the input, the model or each other.

Exit status 0 on success; 2 with one line on stderr for a bad file, model or flag.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import NamedTuple, NoReturn, TextIO

import numpy as np

# torch puts tensors of 2 MiB or more on transparent huge pages: the model's layer outputs are
# then not faulted in 4 KiB page by page each batch (about a sixth of the run's time here)
os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")
import torch  # noqa: E402
import torch.utils.data  # noqa: E402

from attention_ts.config.params import ATTENTION_MODELS
from attention_ts.core.io import atomic_output, check_outputs
from attention_ts.core.stage import PipelineError, run
from attention_ts.data.readers import AEON_SUFFIXES, CHANNEL_COLUMN, read_unlabelled_file
from attention_ts.data.series_io import HEADERS, LAYOUTS, csv_cell, iter_series, show
from attention_ts.models.classifiers import Checkpoint, attention_on_time_axis, load_model, predict

# training.metrics, explain.localization and explain.plotting import scikit-learn and matplotlib
# (about 1.5 s): they are imported where used, after the reading process has started

DEFAULT_MODEL = Path("models/model.pt")
DEFAULT_THRESHOLD = 0.5
DEFAULT_ID_COLUMN = "id"
MISMATCH = ("refuse", "resample")
PLOT_NAME_CHARS = 80  # longest file name taken from an id, before ".png"
MODEL_BATCH = 128  # series a forward pass at one thread (predict_full): layer outputs stay in cache
SMALL_REST = 16  # a last micro-batch smaller than this joins the one before (its bits would differ)
READ_AHEAD = 8  # chunks the reading process may have ready (16 MiB at the defaults): it reads
# on while this process starts up
DEFAULT_THREADS = 1  # torch threads: the model has one core, the reading process the other


class Chunk(NamedTuple):
    """Series read from the input, a batch at a time."""

    ids: list[str]  # (n,) the id column's text, or the line number as text
    rows: list[int]  # (n,) 1-based line of each series (long layout: its first line)
    values: np.ndarray | list[np.ndarray]  # (n, channels, points) or (n,) of (channels, points_i)
    wide: bool  # read in the wide CSV layout (for the label-first hint)


class Inputs(NamedTuple):
    """What the model gets for a chunk: every series on its n points."""

    series: np.ndarray  # (n, channels, n_points) float32, zero past each length
    lengths: np.ndarray  # (n,) int64 valid points in `series`: own points, or n_points
    points: np.ndarray  # (n,) int64 points of each series in the input file
    resampled: np.ndarray  # (n,) bool: longer than n_points, interpolated onto them


class Scores(NamedTuple):
    probabilities: np.ndarray  # (n, classes) float32, rows summing to 1
    weights: np.ndarray | list[np.ndarray] | None  # per input point: (n, points) or (n,) of
    # (points_i,), each summing to 1; None without attention


def resample(values: np.ndarray, n_points: int) -> np.ndarray:
    """Rows (n, m) linearly interpolated at `n_points` evenly spaced positions: (n, n_points).

    The first and last positions are the first and last points, so the span is
    kept; m must be at least 2.
    """
    m = values.shape[1]
    positions = np.linspace(0, m - 1, n_points)  # (n_points,) in input point units
    lower = np.minimum(positions.astype(np.int64), m - 2)  # (n_points,)
    fraction = (positions - lower).astype(values.dtype)  # (n_points,) in [0, 1]
    return values[:, lower] * (1 - fraction) + values[:, lower + 1] * fraction


def series_name(path: Path, series_id: str, row: int) -> str:
    """How messages name one series: "<path>: row <line> (id <id>)"."""
    return f"{path}: row {row} (id {show(series_id)})"


class Shapes(NamedTuple):
    """What the input's series must fit, and what to do with longer ones."""

    path: Path
    model: Path
    n_points: int
    n_channels: int
    mismatch: str


def check_channels(shapes: Shapes, chunk: Chunk, k: int, channels: int) -> None:
    """Refuse series k of the chunk if it has another number of channels than the model."""
    if channels == shapes.n_channels:
        return
    hint = ""
    if channels == 1 and shapes.n_channels > 1:
        hint = f" (several channels: a long CSV with a {CHANNEL_COLUMN!r} column, or a .ts file)"
    plural = "" if shapes.n_channels == 1 else "s"
    raise PipelineError(
        f"{series_name(shapes.path, chunk.ids[k], chunk.rows[k])}: {channels} channel"
        f"{'' if channels == 1 else 's'}, but the model {shapes.model} was trained on "
        f"{shapes.n_channels}{hint}; allowed: series of {shapes.n_channels} channel{plural}"
    )


def check_points(shapes: Shapes, chunk: Chunk, k: int, points: int) -> None:
    """Refuse series k of the chunk if it is longer than the model's and may not be resampled."""
    n_points = shapes.n_points
    if points <= n_points or shapes.mismatch == "resample":
        return
    label = ""
    if chunk.wide and points == n_points + 1:
        label = " (a label first? --layout ucr reads it as one)"
    raise PipelineError(
        f"{series_name(shapes.path, chunk.ids[k], chunk.rows[k])}: series of {points} points, "
        f"but the model {shapes.model} was trained on {n_points}{label}; allowed: series of at "
        f"most {n_points} points (shorter ones are padded), or --length-mismatch resample"
    )


def model_inputs(shapes: Shapes, chunk: Chunk) -> Inputs:
    """The chunk's series on the model's n points: as they are, padded, or resampled.

    Refuses (PipelineError naming the row) the first series with another
    channel count than the model's, or longer than n points without
    --length-mismatch resample.
    """
    n_points = shapes.n_points
    if isinstance(chunk.values, np.ndarray):  # one shape for all
        n, channels, points = chunk.values.shape
        check_channels(shapes, chunk, 0, channels)
        check_points(shapes, chunk, 0, points)
        own = np.full(n, points, dtype=np.int64)
        if points == n_points:
            return Inputs(chunk.values, own, own, np.zeros(n, dtype=bool))
        if points > n_points:
            flat = resample(chunk.values.reshape(n * channels, points), n_points)
            full = np.full(n, n_points, dtype=np.int64)
            return Inputs(flat.reshape(n, channels, n_points), full, own, np.ones(n, dtype=bool))
        series = np.zeros((n, channels, n_points), dtype=np.float32)
        series[:, :, :points] = chunk.values
        return Inputs(series, own, own, np.zeros(n, dtype=bool))
    series = np.zeros((len(chunk.values), shapes.n_channels, n_points), dtype=np.float32)
    own = np.empty(len(chunk.values), dtype=np.int64)
    for k, values in enumerate(chunk.values):  # (channels, points)
        check_channels(shapes, chunk, k, values.shape[0])
        check_points(shapes, chunk, k, values.shape[1])
        own[k] = values.shape[1]
        if own[k] <= n_points:
            series[k, :, : own[k]] = values
        else:
            series[k] = resample(values, n_points)
    resampled = own > n_points
    return Inputs(series, np.minimum(own, n_points), own, resampled)


def micro_batches(n: int) -> list[slice]:
    """Consecutive slices of MODEL_BATCH of n series; a rest under SMALL_REST joins the last one."""
    starts = list(range(0, n, MODEL_BATCH))
    if len(starts) > 1 and n - starts[-1] < SMALL_REST:
        starts.pop()
    return [slice(start, end) for start, end in zip(starts, [*starts[1:], n])]


def predict_full(
    model: torch.nn.Module, series: np.ndarray, batch_size: int, names: list[str]
) -> tuple[np.ndarray, np.ndarray | None]:
    """models.predict on series (n, channels, points) of the model's full length (lengths None).

    At one torch thread, in micro_batches: the same bits as one pass over
    the n series (checked for every model of the comparison, at chunk sizes
    from 129 to 1000), and faster, as each layer's output then stays in the
    CPU cache. At more threads, as before: `batch_size` series a pass, as
    torch splits a pass between its threads by its size. Returns
    probabilities (n, classes) float32 and step weights (n, steps) or None;
    PipelineError for a score that is not finite (models.check_scores).
    """
    if torch.get_num_threads() > 1 or len(series) <= MODEL_BATCH:
        return predict(model, series, None, batch_size, names)
    parts = [
        predict(model, series[part], None, len(series), names[part])
        for part in micro_batches(len(series))
    ]
    weights = None if parts[0][1] is None else np.concatenate([w for _, w in parts])
    return np.concatenate([p for p, _ in parts]), weights


def run_model(
    checkpoint: Checkpoint, inputs: Inputs, batch_size: int, names: list[str]
) -> tuple[np.ndarray, np.ndarray | None]:
    """models.predict on the inputs: (probabilities (n, classes), step weights (n, steps) | None).

    Series of the model's full length run its fixed-length code (lengths
    None, as the pipeline's synthetic data does; `predict_full`), shorter
    ones the masked code with their lengths, so that no series' result
    depends on which others share its batch.
    """
    model, lengths = checkpoint.model, inputs.lengths
    full = lengths == checkpoint.n_points  # (n,)
    if full.all():
        return predict_full(model, inputs.series, batch_size, names)
    if not full.any():
        return predict(model, inputs.series, lengths, batch_size, names)
    parts = [np.flatnonzero(full), np.flatnonzero(~full)]
    probabilities, weights = None, None
    for index, part_lengths in zip(parts, (None, lengths[~full])):
        part_names = [names[k] for k in index]
        if part_lengths is None:
            p, w = predict_full(model, inputs.series[index], batch_size, part_names)
        else:
            p, w = predict(model, inputs.series[index], part_lengths, batch_size, part_names)
        if probabilities is None:
            probabilities = np.empty((len(lengths), p.shape[1]), dtype=p.dtype)
            weights = None if w is None else np.empty((len(lengths), w.shape[1]), dtype=w.dtype)
        probabilities[index] = p
        if weights is not None:
            weights[index] = w
    return probabilities, weights


def score(
    checkpoint: Checkpoint, inputs: Inputs, weights: bool, batch_size: int, names: list[str]
) -> Scores:
    """Probabilities of the series and, if `weights`, attention on each series' own points.

    The model's step weights are spread onto its n points
    (attention_on_time_axis); a padded series' weights are then cut at its
    length and renormalized (localization.on_valid_points: only a series
    shorter than the front end's stride has weight on padding), a resampled
    series' weights interpolated back onto its own points and renormalized
    (softmax weights are positive and the first point is always sampled, so
    no row sums to zero). A series whose score is not finite is a
    PipelineError naming it by `names` (n,) (models.check_scores).
    """
    n_points = checkpoint.n_points
    probabilities, steps = run_model(checkpoint, inputs, batch_size, names)
    if not weights or steps is None:
        return Scores(probabilities, None)
    on_axis = attention_on_time_axis(steps, n_points, checkpoint.config.downsample)  # (n, n)
    short = np.flatnonzero(inputs.lengths < n_points)
    if short.size:
        from attention_ts.explain.localization import on_valid_points

        on_axis[short] = on_valid_points(on_axis[short], inputs.lengths[short])
    points = inputs.points
    if not inputs.resampled.any() and (points == points[0]).all():
        return Scores(probabilities, on_axis[:, : points[0]])  # (n, points)
    own: list[np.ndarray] = [on_axis[k, :m] for k, m in enumerate(points.tolist())]
    for m in np.unique(points[inputs.resampled]).tolist():
        index = np.flatnonzero(inputs.resampled & (points == m))
        back = resample(on_axis[index], m)  # (len(index), m)
        back /= back.sum(axis=1, keepdims=True)
        for k, row in zip(index.tolist(), back):
            own[k] = row
    if all(len(row) == len(own[0]) for row in own):
        return Scores(probabilities, np.stack(own))
    return Scores(probabilities, own)


def weight_cells(weights: np.ndarray) -> list[str]:
    """Each row of `weights` (n, m) as CSV cells: ",w0,w1,...", each "%.6g" of its value.

    The same text as formatting every value, but a run of equal neighbours
    (same bits) is formatted once and repeated: the weights spread from the
    model's steps onto the points (attention_on_time_axis) come in runs of
    the front end's stride, so this formats 25 numbers of a 500-point row.
    """
    n, m = weights.shape
    if m == 0:
        return [""] * n
    weights = np.ascontiguousarray(weights)
    bits = weights.view(f"u{weights.itemsize}")  # (n, m): equal bits, equal text (-0.0 is not 0.0)
    starts = np.ones((n, m), dtype=bool)
    starts[:, 1:] = bits[:, 1:] != bits[:, :-1]
    rows, columns = np.nonzero(starts)  # (runs,) each, row by row
    ends = np.append(columns[1:], m)  # (runs,) where each run stops
    ends[:-1][rows[1:] != rows[:-1]] = m  # a row's last run goes to its end
    cells = [
        ("," + format(value, ".6g")) * length
        for value, length in zip(weights[rows, columns].tolist(), (ends - columns).tolist())
    ]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).tolist()  # (n + 1,)
    return ["".join(cells[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def ragged_weight_cells(weights: list[np.ndarray]) -> list[str]:
    """`weight_cells` of rows (n,) of (points_i,) that may differ in length."""
    texts = [""] * len(weights)
    by_length: dict[int, list[int]] = {}
    for k, row in enumerate(weights):
        by_length.setdefault(len(row), []).append(k)
    for rows in by_length.values():
        for k, text in zip(rows, weight_cells(np.stack([weights[k] for k in rows]))):
            texts[k] = text
    return texts


class Output:
    """The output CSV, row by row; the attention columns widen as longer series come.

    The header names as many weight columns as the first batch's longest
    series has points (the file's longest, unless the long layout brings a
    longer one later); rows are padded with empty cells to the widest
    series so far. When a later batch widens the columns, `finish` rewrites
    the file once, with the final header and every row padded to it.
    """

    def __init__(self, path: Path, stream: TextIO, classes: tuple[str, ...], attention: bool):
        self.path, self.stream, self.classes, self.attention = path, stream, classes, attention
        self.names = [csv_cell(name) for name in classes]
        self.header_width: int | None = None  # weight columns the header names
        self.width = 0  # weight columns the rows are padded to now
        self.runs: list[list[int]] = []  # [rows, width]: consecutive rows padded to one width
        self.head = "%s" + ",%.9g" * len(classes) + ",%s"  # id, probabilities, prediction

    def header(self, width: int) -> str:
        weights = [f"w{i}" for i in range(width)] if self.attention else []
        probabilities = [csv_cell(f"p_{name}") for name in self.classes]
        return ",".join(["id", *probabilities, "prediction", *weights]) + "\n"

    def write(
        self, ids: list[str], probabilities: np.ndarray, predicted: np.ndarray, scores: Scores
    ) -> None:
        """A line per series: id, p_<class>..., prediction[, weights, empty cells to the width]."""
        weights = scores.weights if self.attention else None
        if weights is None:
            texts, counts = [""] * len(ids), [0] * len(ids)
        elif isinstance(weights, np.ndarray):  # (n, points)
            texts, counts = weight_cells(weights), [weights.shape[1]] * len(ids)
        else:  # (n,) of (points_i,)
            texts, counts = ragged_weight_cells(weights), [len(row) for row in weights]
        longest = max(counts)
        if self.header_width is None:
            self.header_width = longest
            self.stream.write(self.header(longest))
        self.width = max(self.width, longest)
        if self.runs and self.runs[-1][1] == self.width:
            self.runs[-1][0] += len(ids)
        else:
            self.runs.append([len(ids), self.width])
        ends = {m: "," * (self.width - m) + "\n" for m in set(counts)}  # by number of weights
        head, names = self.head, self.names
        cells = zip(map(csv_cell, ids), probabilities.tolist(), predicted.tolist(), texts, counts)
        self.stream.write(
            "".join(head % (i, *p, names[k]) + w + ends[m] for i, p, k, w, m in cells)
        )

    def finish(self) -> None:
        """Close the stream; rewrite the file if later rows widened the weight columns."""
        self.stream.close()
        if self.header_width is None or self.width == self.header_width:
            return
        wider = self.path.with_name(self.path.name + ".wider")
        try:
            with open(self.path, "rb") as source, open(wider, "wb") as target:
                source.readline()  # the old header
                target.write(self.header(self.width).encode())
                for rows, width in self.runs:
                    pad = b"," * (self.width - width)
                    for _ in range(rows):
                        target.write(source.readline()[:-1] + pad + b"\n")
            os.replace(wider, self.path)
        finally:
            if wider.exists():
                wider.unlink()


def plot_name(series_id: str, row: int, used: set[str]) -> str:
    """A file name for the plot of a series: its id, sanitized, unique (ignoring case)."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", series_id)[:PLOT_NAME_CHARS].lstrip(".") or "series"
    while name.lower() in used:
        name = f"{name}-row{row}"
    used.add(name.lower())
    return f"{name}.png"


def save_plots(
    folder: Path,
    chunk: Chunk,
    scores: Scores,
    predicted: np.ndarray,
    used: set[str],
    classes: tuple[str, ...],
) -> None:
    """One PNG per series of the chunk (see the module's help for the names)."""
    from attention_ts.explain import plotting

    for k, (series_id, row) in enumerate(zip(chunk.ids, chunk.rows)):
        values = chunk.values[k]  # (channels, points) as read
        prediction = int(predicted[k])
        view = plotting.SeriesView(
            series_id=series_id,
            values=values,
            length=values.shape[1],
            attention=None if scores.weights is None else scores.weights[k],
            classes=classes,
            label=None,
            prediction=prediction,
            probability=float(scores.probabilities[k, prediction]),
            segment=None,
        )
        plotting.save_series_plot(view, folder / plot_name(series_id, row, used))


def check_plot_folder(folder: Path) -> None:
    """--plots replaces the folder, so refuse one holding anything but plain PNGs."""
    if not folder.exists():
        return
    if not folder.is_dir() or any(
        not item.is_file() or item.suffix != ".png" for item in folder.iterdir()
    ):
        raise PipelineError(
            f"--plots {folder} exists and holds more than PNG files, and it would be replaced; "
            "allowed: a new folder, or one holding only PNGs (an earlier run's plots)"
        )


def predict_file(
    args: argparse.Namespace, checkpoint: Checkpoint, chunks_in: Iterator[Chunk] | None = None
) -> np.ndarray:
    """Stream the input through the model into the output (and plots), atomically.

    `chunks_in`: the input's chunks, from a ReadAhead already started
    (default: one started here). Returns how many series each class got:
    (classes,) int64.
    """
    from attention_ts.training.metrics import predicted_classes

    if chunks_in is None:
        with ReadAhead(args) as reader:
            return predict_file(args, checkpoint, reader.chunks)
    counts = np.zeros(len(checkpoint.classes), dtype=np.int64)
    used: set[str] = set()
    weights = args.attention or args.plots is not None
    shapes = Shapes(
        args.input, args.model, checkpoint.n_points, checkpoint.n_channels, args.length_mismatch
    )
    with ExitStack() as outputs:
        output = outputs.enter_context(atomic_output(args.output))
        plots = None if args.plots is None else outputs.enter_context(atomic_output(args.plots))
        if plots is not None:
            plots.mkdir()
        stream = outputs.enter_context(open(output, "w", newline=""))
        writer = Output(output, stream, checkpoint.classes, args.attention)
        for chunk in chunks_in:
            names = [series_name(args.input, i, row) for i, row in zip(chunk.ids, chunk.rows)]
            inputs = model_inputs(shapes, chunk)
            scores = score(checkpoint, inputs, weights, args.batch_size, names)
            predicted = predicted_classes(scores.probabilities, args.threshold)  # (n,)
            writer.write(chunk.ids, scores.probabilities, predicted, scores)
            if plots is not None:
                save_plots(plots, chunk, scores, predicted, used, checkpoint.classes)
            counts += np.bincount(predicted, minlength=len(counts))
        writer.finish()
    return counts


def is_aeon_file(args: argparse.Namespace) -> bool:
    """Whether the input is read by aeon: a .ts or .arff name under --layout auto."""
    return args.layout == "auto" and args.input.suffix.lower() in AEON_SUFFIXES


def chunks(args: argparse.Namespace) -> Iterator[Chunk]:
    """The input's series, --batch-size at a time, one array per chunk where shapes allow."""
    if is_aeon_file(args):
        found = read_unlabelled_file(args.input)  # the whole file
        for start in range(0, len(found.ids), args.batch_size):
            end = start + args.batch_size
            values = [v.astype(np.float32) for v in found.values[start:end]]
            yield Chunk(found.ids[start:end], found.rows[start:end], stacked(values), False)
        return
    batches = iter_series(
        args.input,
        args.layout,
        args.label_column,
        args.id_column or DEFAULT_ID_COLUMN,
        args.batch_size,
        args.header or "auto",
        channel_column=CHANNEL_COLUMN,
        equal_length=False,
    )
    auto_wide = args.layout == "auto" and args.input.suffix.lower() != ".tsv"
    wide = args.layout == "wide" or auto_wide  # unless the batches come as lists (long)
    for batch in batches:
        if isinstance(batch.values, list):  # the long layout: (channels, points) each
            yield Chunk(batch.ids, batch.rows, stacked(batch.values), False)
        else:  # (n, points), one channel; reshape, not [:, None]: no stride-0 axis for oneDNN
            n, points = batch.values.shape
            yield Chunk(batch.ids, batch.rows, batch.values.reshape(n, 1, points), wide)


class Failed(NamedTuple):
    """What the reading process sends instead of a chunk when the input is bad."""

    error: PipelineError  # the one-line error, raised again in the main process


class ChunkReader(torch.utils.data.IterableDataset):
    """`chunks(args)` in a DataLoader worker process; a bad input ends with a Failed."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    def __iter__(self) -> Iterator[Chunk | Failed]:
        try:
            yield from chunks(self.args)
        except PipelineError as error:  # DataLoader would wrap it in a traceback
            yield Failed(error)


def reader_signals(worker_id: int) -> None:
    """DataLoader worker_init_fn: the reading process leaves interrupts to the main one.

    It is forked with stage.run's handlers, which raise on SIGINT and then
    ignore SIGTERM; so it ignores SIGINT (Ctrl-C reaches the whole process
    group: the main process unwinds and stops it) and dies on SIGTERM, which
    is how the DataLoader ends a worker that does not stop when told.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def as_is(item: Chunk | Failed) -> Chunk | Failed:
    """A DataLoader collate_fn that leaves the chunks as they are (numpy, not tensors)."""
    return item


class ReadAhead:
    """`chunks(args)`, read and parsed in a second process while this one runs the model.

    Creating it forks one torch DataLoader worker, which starts reading at
    once (while this process loads the model and its libraries) and stays
    at most READ_AHEAD chunks ahead (memory stays bounded by the batch);
    parsing (numpy's text reader holds the GIL) and the model then use a
    core each. `chunks` yields them in order and raises the first bad
    chunk's PipelineError (SeriesFileError) after the chunks before it, as
    reading in this process would. Use it as a context manager: leaving it
    stops the worker.
    """

    def __init__(self, args: argparse.Namespace) -> None:
        loader = torch.utils.data.DataLoader(
            ChunkReader(args),
            batch_size=None,
            num_workers=1,
            collate_fn=as_is,
            prefetch_factor=READ_AHEAD,
            worker_init_fn=reader_signals,
        )
        self.items: Iterator[Chunk | Failed] | None = iter(loader)  # forks the worker
        self.chunks = self._chunks()

    def _chunks(self) -> Iterator[Chunk]:
        for item in self.items:
            if isinstance(item, Failed):
                raise item.error from None
            yield item

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exception: object) -> None:
        self.chunks.close()
        self.items = None  # the DataLoader's iterator, deleted, stops its worker


def stacked(values: list[np.ndarray]) -> np.ndarray | list[np.ndarray]:
    """Series (channels, points) as one (n, channels, points) array if they share a shape."""
    if all(v.shape == values[0].shape for v in values):
        return np.stack(values)
    return values


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one PipelineError line instead of usage text."""

    def error(self, message: str) -> NoReturn:
        raise PipelineError(f"{message}; allowed: the flags of `{self.prog} --help`")


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer >= 1")
    return value


def probability(text: str) -> float:
    """An argparse type: a number in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number in [0, 1]")
    return value


def build_parser() -> Parser:
    """The command line: the module's docstring as help, one help line per flag."""
    parser = Parser(
        prog="python -m attention_ts.cli.predict",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "input", type=Path, help="series file: CSV (wide or long), .tsv, UCR, .ts or .arff"
    )
    parser.add_argument(
        "output", type=Path, help="CSV to write: id, p_<class>..., prediction[, w...]"
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=DEFAULT_MODEL,
        help=f"trained model (default {DEFAULT_MODEL}; e.g. models/compare/<name>/model.pt)",
    )
    parser.add_argument(
        "--layout", choices=LAYOUTS, default="auto", help="input layout (default auto)"
    )
    parser.add_argument(
        "--header",
        choices=HEADERS,
        help="is the first line of a CSV a header row? (default auto: yes, unless all numbers)",
    )
    parser.add_argument(
        "--id-column",
        metavar="NAME",
        help=f'id column name of a CSV (default "{DEFAULT_ID_COLUMN}")',
    )
    parser.add_argument(
        "--label-column",
        metavar="NAME",
        help="a column of known labels in a wide or long CSV: skipped, not read as values",
    )
    parser.add_argument(
        "--threshold",
        type=probability,
        help=f"two-class models: the probability of class 1 from which it is the prediction "
        f"(default {DEFAULT_THRESHOLD}; the pipeline's is evaluate.threshold in params.yaml, "
        "and metrics/evaluate.json reports a threshold tuned on the validation split under "
        "`tuned`)",
    )
    parser.add_argument(
        "--attention",
        action="store_true",
        help="add columns w0..w{W-1}: attention per point of each series "
        f"({', '.join(ATTENTION_MODELS)})",
    )
    parser.add_argument(
        "--plots", type=Path, metavar="DIR", help="write one PNG per series into DIR (replaced)"
    )
    parser.add_argument(
        "--length-mismatch",
        choices=MISMATCH,
        default="refuse",
        help="series longer than the model's: refuse (default) or resample; shorter ones "
        "are padded",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=1000,
        help="series read and predicted at a time; bounds the memory (default 1000; at one "
        f"thread the model runs them {MODEL_BATCH} at a time)",
    )
    parser.add_argument(
        "--threads",
        type=positive_int,
        default=DEFAULT_THREADS,
        help=f"torch CPU threads for the model (default {DEFAULT_THREADS}: a second process "
        "reads the file meanwhile)",
    )
    return parser


def check_args(args: argparse.Namespace, checkpoint: Checkpoint) -> None:
    """What argparse cannot check: flags for this model and file, output paths that are safe.

    Safe: the output is not a folder, and neither it nor --plots would
    replace the input, the model or each other (io.check_outputs).
    """
    if args.attention and checkpoint.config.name not in ATTENTION_MODELS:
        raise PipelineError(
            f"--attention: the model {args.model} ({checkpoint.config.name}) has no attention "
            f"weights; allowed: a model with attention ({', '.join(ATTENTION_MODELS)})"
        )
    n_classes = len(checkpoint.classes)
    if args.threshold is not None and n_classes > 2:
        raise PipelineError(
            f"--threshold {args.threshold}: the model {args.model} has {n_classes} classes, "
            "whose prediction is the most probable; allowed: --threshold with a two-class model"
        )
    if is_aeon_file(args):
        given = [
            flag
            for flag, value in (
                ("--header", args.header),
                ("--id-column", args.id_column),
                ("--label-column", args.label_column),
            )
            if value is not None
        ]
        if given:
            raise PipelineError(
                f"{', '.join(given)}: {args.input} is read by aeon's loader, whose ids are line "
                "numbers and whose labels are not read; allowed: these flags with a CSV file"
            )
    if args.output.is_dir():
        raise PipelineError(f"output {args.output} is a folder; allowed: a file name")
    check_outputs(
        {"output": args.output, "--plots": args.plots}, {"input": args.input, "--model": args.model}
    )
    if args.plots is not None:
        check_plot_folder(args.plots)


def summary(classes: tuple[str, ...], counts: np.ndarray, threshold: float) -> str:
    """How many series each class got, and by which rule: "3 normal, 2 anomalous (...)"."""
    found = ", ".join(f"{count} {name}" for name, count in zip(classes, counts.tolist()))
    if len(classes) == 2:
        return f"{found} ({classes[1]} when p_{classes[1]} >= {threshold})"
    return f"{found} (the most probable class)"


def main(argv: Sequence[str] | None = None) -> None:
    """Load the model, check the flags against it, predict the file, print the summary."""
    args = build_parser().parse_args(argv)
    threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        with ReadAhead(args) as reader:  # reading starts now, while the model loads
            checkpoint = load_model(args.model)  # a PipelineError for a missing or unusable file
            check_args(args, checkpoint)
            if args.threshold is None:
                args.threshold = DEFAULT_THRESHOLD
            start = time.perf_counter()
            counts = predict_file(args, checkpoint, reader.chunks)
            seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)  # as it was, for a caller in the same process (tests)
    n_series = int(counts.sum())
    print(
        f"predicted {n_series} series of {args.input} with {args.model}: "
        f"{summary(checkpoint.classes, counts, args.threshold)} in {seconds:.1f} s, "
        f"{n_series / seconds:,.0f} series/s; wrote {args.output}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    run(main)
