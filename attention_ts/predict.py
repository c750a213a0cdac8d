"""Apply a trained model to the series of your own CSV or TSV file.

    python -m attention_ts.predict series.csv predictions.csv
    python -m attention_ts.predict series.csv predictions.csv --attention --plots plots/mine \\
        --model models/compare/local_attention/model.pt

Input layouts (--layout, default auto; see attention_ts/series_io.py):
  wide  a header row, then one series per line: an optional id column (--id-column,
        default "id"), an optional label column to skip (--label-column), every other
        column a value, in order. Without a header row (as numpy.savetxt writes),
        every column is a value and ids are line numbers
  long  a header with the columns id, t, value (any order): one point per line, the
        lines of a series together, t (a number) orders the points
  tsv   the UCR/UEA archive's .tsv: tab-separated, no header, the label first, then
        the values
  ucr   the same, tab- or comma-separated (the older archive's comma-separated files;
        a comma unless the first line holds a tab)
  auto  a .tsv name is tsv, a header with id, t and value is long, anything else wide
--header (CSV layouts) says whether the first line is a header row: yes; no (it is a
series); auto (default): a header unless every cell of it is a number. Under auto a
first line of numbers only is never taken as column names: it is a series, or it is
refused where it cannot be one (with --label-column, in the long layout) or could be
either: 0, 1, 2, ... or 1, 2, 3, ... (the header pandas writes for an array, or a
ramp? --header yes or no says which).
Every series must have the same number of points, all of them finite numbers.

Output: a CSV with one row per series, in input order, with the columns
  id           the id column's text, or the series' line number when there is none
  probability  the model's probability that the series is anomalous
  label        1 when probability >= --threshold, else 0
  w0 ... w{n-1}  with --attention: the attention weight of each of the input series'
               n points (summing to 1), spread from the model's steps onto the time
               axis as the pipeline's plots do (attention_on_time_axis)
The file is written as the series are read, batch by batch, to a temporary file
that is renamed onto OUTPUT at the end: memory stays bounded by --batch-size, and
an error or Ctrl-C leaves no output at all. A summary line goes to stderr.

Series of another length than the model was trained on are refused, or with
--length-mismatch resample linearly interpolated onto the model's number of points,
evenly spaced over the same span (first point to first point, last to last). The
attention weights are then computed on the resampled axis, interpolated back onto
the input's points the same way and renormalized to sum to 1.

--plots DIR draws one PNG per series, named after its id (characters other than
letters, digits, ".", "_" and "-" become "_"; a name taken already, ignoring case,
gets "-row<line>" appended): the series, and for models with attention the weights
on a second axis; for models without attention the series alone. Each plot takes a
few hundredths of a second, so plot a selection of series rather than 100,000.

A series whose score is not finite (its values overflow the arithmetic of a model
trained with model.standardize = false; standardized models give the same score at
any scale) stops the run with one line naming its row. OUTPUT and --plots may not
be, link to or hold the input, the model or each other.

Exit status 0 on success; 2 with one line on stderr for a bad file, model or flag.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import NamedTuple, NoReturn, TextIO

import numpy as np
import torch

from attention_ts.io import atomic_output, check_outputs
from attention_ts.models import (
    ATTENTION_MODELS,
    Checkpoint,
    attention_on_time_axis,
    load_model,
    predict,
)
from attention_ts.plotting import SeriesView, save_series_plot
from attention_ts.series_io import HEADERS, LAYOUTS, SeriesBatch, csv_cell, iter_series, show
from attention_ts.stage import PipelineError, run

DEFAULT_MODEL = Path("models/model.pt")
MISMATCH = ("refuse", "resample")
PLOT_NAME_CHARS = 80  # longest file name taken from an id, before ".png"


class Scores(NamedTuple):
    probabilities: np.ndarray  # (n,) float32
    weights: np.ndarray | None  # (n, points) per input point, each row summing to 1; or None


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


def score(
    checkpoint: Checkpoint, values: np.ndarray, weights: bool, batch_size: int, names: list[str]
) -> Scores:
    """Probabilities of the series (n, m) and, if `weights`, attention per input point.

    Series whose length m differs from the model's are resampled onto its
    points first, and the weights interpolated back onto the m input points
    and renormalized (softmax weights are positive and the first point is
    always sampled, so no row sums to zero). A series whose score is not
    finite is a PipelineError naming it by `names` (n,) (models.check_scores).
    """
    n_points = checkpoint.n_points
    m = values.shape[1]
    model_input = values if m == n_points else resample(values, n_points)  # (n, n_points)
    probabilities, steps = predict(checkpoint.model, model_input, batch_size, names)
    if not weights or steps is None:
        return Scores(probabilities, None)
    on_axis = attention_on_time_axis(steps, n_points, checkpoint.config.downsample)
    if m != n_points:
        on_axis = resample(on_axis, m)  # (n, m)
        on_axis /= on_axis.sum(axis=1, keepdims=True)
    return Scores(probabilities, on_axis)


def check_length(path: Path, model: Path, checkpoint: Checkpoint, m: int, mismatch: str) -> None:
    """Refuse series of another length than the model's, unless they can be resampled."""
    n_points = checkpoint.n_points
    if m == n_points:
        return
    if mismatch == "refuse":
        label = " (a label first? --layout ucr reads it as one)" if m == n_points + 1 else ""
        raise PipelineError(
            f"{path}: series of {m} points, but the model {model} was trained on {n_points}"
            f"{label}; allowed: series of {n_points} points, or --length-mismatch resample"
        )
    if m < 2:
        raise PipelineError(
            f"{path}: series of {m} point cannot be resampled; allowed: at least 2 points"
        )


def write_rows(stream: TextIO, ids: list[str], scores: Scores, labels: np.ndarray) -> None:
    """One output line per series: id, probability, label (0/1)[, weights]."""
    n_weights = 0 if scores.weights is None else scores.weights.shape[1]
    line = "%s,%.9g,%d" + ",%.6g" * n_weights + "\n"
    weights = [()] * len(ids) if scores.weights is None else scores.weights.tolist()
    rows = zip(ids, scores.probabilities.tolist(), labels.tolist(), weights)
    stream.write("".join(line % (csv_cell(i), p, label, *w) for i, p, label, w in rows))


def plot_name(series_id: str, row: int, used: set[str]) -> str:
    """A file name for the plot of a series: its id, sanitized, unique (ignoring case)."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", series_id)[:PLOT_NAME_CHARS].lstrip(".") or "series"
    while name.lower() in used:
        name = f"{name}-row{row}"
    used.add(name.lower())
    return f"{name}.png"


def save_plots(
    folder: Path,
    batch: SeriesBatch,
    scores: Scores,
    labels: np.ndarray,
    used: set[str],
    classes: tuple[str, ...],
) -> None:
    """One PNG per series of the batch (see the module's help for the names)."""
    for k, (series_id, row) in enumerate(zip(batch.ids, batch.rows)):
        prediction = int(labels[k])
        positive = float(scores.probabilities[k])  # class 1's
        view = SeriesView(
            series_id=series_id,
            values=batch.values[k][None, :],  # one channel
            length=batch.values.shape[1],
            attention=None if scores.weights is None else scores.weights[k],
            classes=classes,
            label=None,
            prediction=prediction,
            probability=positive if prediction == 1 else 1.0 - positive,
            segment=None,
        )
        save_series_plot(view, folder / plot_name(series_id, row, used))


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


class Summary(NamedTuple):
    series: int
    anomalous: int


def predict_file(args: argparse.Namespace, checkpoint: Checkpoint) -> Summary:
    """Stream the input through the model into the output (and plots), atomically."""
    series = anomalous = 0
    used: set[str] = set()
    weights = args.attention or args.plots is not None
    with ExitStack() as outputs:
        output = outputs.enter_context(atomic_output(args.output))
        plots = None if args.plots is None else outputs.enter_context(atomic_output(args.plots))
        if plots is not None:
            plots.mkdir()
        with open(output, "w", newline="") as stream:
            for batch in batches(args):
                m = batch.values.shape[1]
                check_length(args.input, args.model, checkpoint, m, args.length_mismatch)
                if series == 0:
                    stream.write(",".join(header(m if args.attention else 0)) + "\n")
                names = series_names(args.input, batch)
                scores = score(checkpoint, batch.values, weights, args.batch_size, names)
                labels = scores.probabilities >= args.threshold  # (n,) as metrics.py compares
                written = scores if args.attention else Scores(scores.probabilities, None)
                write_rows(stream, batch.ids, written, labels)
                if plots is not None:
                    save_plots(plots, batch, scores, labels, used, checkpoint.classes)
                series += len(batch.ids)
                anomalous += int(labels.sum())
    return Summary(series, anomalous)


def series_names(path: Path, batch: SeriesBatch) -> list[str]:
    """How messages name each series of the batch (n,): "<path>: row <line> (id <id>)"."""
    return [f"{path}: row {row} (id {show(i)})" for i, row in zip(batch.ids, batch.rows)]


def batches(args: argparse.Namespace) -> Iterator[SeriesBatch]:
    """The input's series, --batch-size at a time."""
    return iter_series(
        args.input, args.layout, args.label_column, args.id_column, args.batch_size, args.header
    )


def header(n_weights: int) -> list[str]:
    """The output's column names, with `n_weights` attention columns."""
    return ["id", "probability", "label", *(f"w{i}" for i in range(n_weights))]


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
        prog="python -m attention_ts.predict",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", type=Path, help="series file: CSV (wide or long), .tsv or UCR")
    parser.add_argument("output", type=Path, help="CSV to write: id, probability, label[, w...]")
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
        default="auto",
        help="is the first line of a CSV a header row? (default auto: yes, unless all numbers)",
    )
    parser.add_argument(
        "--id-column", default="id", metavar="NAME", help='id column name (default "id")'
    )
    parser.add_argument(
        "--label-column",
        metavar="NAME",
        help="a column of known labels in a wide or long CSV: skipped, not read as values",
    )
    parser.add_argument(
        "--threshold",
        type=probability,
        default=0.5,
        help="probability from which label is 1 (default 0.5; the pipeline's is "
        "evaluate.threshold in params.yaml, and metrics/evaluate.json reports a "
        "threshold tuned on the validation split under `tuned`)",
    )
    parser.add_argument(
        "--attention",
        action="store_true",
        help=f"add columns w0..w{{n-1}}: attention per input point ({', '.join(ATTENTION_MODELS)})",
    )
    parser.add_argument(
        "--plots", type=Path, metavar="DIR", help="write one PNG per series into DIR (replaced)"
    )
    parser.add_argument(
        "--length-mismatch",
        choices=MISMATCH,
        default="refuse",
        help="series of another length than the model's: refuse (default) or resample",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=1000,
        help="series read and predicted at a time; bounds the memory (default 1000)",
    )
    parser.add_argument(
        "--threads", type=positive_int, help="torch CPU threads (default: torch's own)"
    )
    return parser


def check_args(args: argparse.Namespace, checkpoint: Checkpoint) -> None:
    """What argparse cannot check: attention for this model, output paths that are safe.

    Safe: the output is not a folder, and neither it nor --plots would
    replace the input, the model or each other (io.check_outputs).
    """
    if args.attention and checkpoint.config.name not in ATTENTION_MODELS:
        raise PipelineError(
            f"--attention: the model {args.model} ({checkpoint.config.name}) has no attention "
            f"weights; allowed: a model with attention ({', '.join(ATTENTION_MODELS)})"
        )
    if args.output.is_dir():
        raise PipelineError(f"output {args.output} is a folder; allowed: a file name")
    check_outputs(
        {"output": args.output, "--plots": args.plots}, {"input": args.input, "--model": args.model}
    )
    if args.plots is not None:
        check_plot_folder(args.plots)


def main(argv: Sequence[str] | None = None) -> None:
    """Load the model, check the flags against it, predict the file, print the summary."""
    args = build_parser().parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    checkpoint = load_model(args.model)  # a PipelineError for a missing or unusable file
    check_args(args, checkpoint)
    start = time.perf_counter()
    summary = predict_file(args, checkpoint)
    seconds = time.perf_counter() - start
    print(
        f"predicted {summary.series} series of {args.input} with {args.model}: "
        f"{summary.anomalous} anomalous (probability >= {args.threshold}) in {seconds:.1f} s, "
        f"{summary.series / seconds:,.0f} series/s; wrote {args.output}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    run(main)
