"""Apply a trained model to the series of your own file: CSV, TSV, .ts or .arff.

    python -m attention_ts.cli.predict series.csv predictions.csv
    python -m attention_ts.cli.predict series.csv predictions.csv --attention --plots plots/mine \\
        --model models/compare/local_attention/model.pt
    python -m attention_ts.cli.predict MyData_TEST.ts /dev/stdout

Input layouts (--layout auto picks by name and header): wide CSV (a header row, one
series per line; trailing empty cells end a shorter series), long CSV (id, t, value
and optionally channel: a point per line), tsv/ucr (the UCR archive's: label first,
no header), .ts/.arff (aeon's). A column named as the pipeline's label column
(dataset.label_column in params.yaml, else "label"; or --label-column) is never read
as values: its labels are scored against the predictions. A first column with an
empty header (pandas' index) holds ids.

A series shorter than the model's n points is padded (the models use its own points
only), down to the model's minimum; a longer one is refused, or resampled with
--length-mismatch resample; another channel count is refused.

Output: a CSV, a row per series: id, p_<class> per class, prediction, and with
--attention w0... (the attention on the series' own points). OUTPUT may be
/dev/stdout or /dev/null. --plots DIR adds a PNG per series, named after its id, and
never removes or replaces a file it did not write. The manual: docs/predict.md; what
is written where and when it is refused: docs/contracts.md.

Exit status 0 on success; 2 with one line on stderr for a bad file, model or flag.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import NoReturn

import numpy as np

# torch puts tensors of 2 MiB or more on transparent huge pages: the layers' outputs are then
# not faulted in 4 KiB page by page each batch (a fifth of the run's time here)
os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")
import torch  # noqa: E402

from attention_ts.config.params import (
    ATTENTION_MODELS,
    PARAMS_FILE,
    ParamsError,
    min_points,
    read_params_file,
)
from attention_ts.core import resources
from attention_ts.core.io import Output, OutputFolder
from attention_ts.core.stage import PipelineError, run
from attention_ts.data.files import AEON_SUFFIXES, HEADERS, LAYOUTS, Series, iter_series, show
from attention_ts.explain.localization import on_valid_points
from attention_ts.models.classifiers import (
    Checkpoint,
    attention_on_time_axis,
    load_model,
    predict,
    predicted_classes,
)

DEFAULT_MODEL = Path("models/model.pt")
DEFAULT_THRESHOLD = 0.5
MISMATCH = ("refuse", "resample")
MODEL_BATCH = 128  # series a forward pass: each layer's output stays in the CPU's cache (2.7x
# faster than 1000 at one thread; the same bits, as every pass is per series)


def resample(values: np.ndarray, n_points: int) -> np.ndarray:
    """Rows (n, m) linearly interpolated at `n_points` evenly spaced positions: (n, n_points).

    The first and last positions are the first and last points, so the span is
    kept (m >= 2); computed in the values' dtype.
    """
    m = values.shape[1]
    positions = np.linspace(0, m - 1, n_points)  # (n_points,) in input point units
    lower = np.minimum(positions.astype(np.int64), m - 2)  # (n_points,)
    fraction = (positions - lower).astype(values.dtype)  # (n_points,) in [0, 1]
    return values[:, lower] * (1 - fraction) + values[:, lower + 1] * fraction


def series_names(path: Path, found: Series) -> list[str]:
    """How messages name each series of the batch: "<file>: row <line> (id <id>)"."""
    return [f"{path}: row {row} (id {show(i)})" for i, row in zip(found.ids, found.rows)]


def model_inputs(checkpoint: Checkpoint, found: Series, path: Path, mismatch: str) -> np.ndarray:
    """The batch's series on the model's n points (n, channels, n_points) float32: as they are,
    zero-padded, or resampled; PipelineError naming the first series that does not fit (the
    reader refused those under the model's minimum)."""
    n_points, channels = checkpoint.n_points, checkpoint.n_channels
    where = series_names(path, found)
    if found.values.shape[1] != channels:
        raise PipelineError(
            f"{where[0]}: {found.values.shape[1]} channel(s), but the model was trained on "
            f"{channels}; allowed: series of {channels} channel(s)"
        )
    for k, length in enumerate(found.lengths.tolist()):
        if length > n_points and mismatch == "refuse":
            raise PipelineError(
                f"{where[k]}: a series of {length} points, but the model {checkpoint.config.name} "
                f"was trained on {n_points}; allowed: series of at most {n_points} points "
                "(shorter ones are padded), or --length-mismatch resample"
            )
    series = np.zeros((len(found.ids), channels, n_points), dtype=np.float32)
    for k, length in enumerate(found.lengths.tolist()):
        own = found.values[k, :, :length]
        series[k, :, : min(length, n_points)] = (
            own if length <= n_points else resample(own, n_points)
        )
    return series


def scores(
    checkpoint: Checkpoint, series: np.ndarray, found: Series, want: bool, args: argparse.Namespace
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """(probabilities (n, classes), attention on each series' own points (n,) of (points_i,)).

    A series of the model's full length runs its fixed-length code (lengths None, as in
    the pipeline), a shorter one the masked code with its length, so that no series'
    result depends on which others share its batch. A score that is not finite is refused
    naming the series' file, row and id. `want`: the attention too.
    """
    n_points = checkpoint.n_points
    lengths = np.minimum(found.lengths, n_points)
    probabilities = np.empty((len(lengths), len(checkpoint.classes)), dtype=np.float32)
    steps = None
    full = lengths == n_points
    where = series_names(args.input, found)
    for part, part_lengths in ((full, None), (~full, lengths[~full])):
        if not part.any():
            continue
        names = [where[k] for k in np.flatnonzero(part)]
        p, w = predict(checkpoint.model, series[part], part_lengths, MODEL_BATCH, names)
        probabilities[part] = p
        if w is not None and want:
            steps = np.zeros((len(lengths), w.shape[1]), dtype=w.dtype) if steps is None else steps
            steps[part] = w
    if steps is None:
        return probabilities, None
    on_axis = attention_on_time_axis(steps, n_points, checkpoint.config.downsample)  # (n, N)
    short = ~full  # a shorter series' weights: on its own points, summing to 1 there
    on_axis[short] = on_valid_points(on_axis[short], lengths[short])
    lengths = found.lengths.tolist()
    weights = [on_axis[k, : min(length, n_points)] for k, length in enumerate(lengths)]
    for m in np.unique(found.lengths[found.lengths > n_points]).tolist():
        index = np.flatnonzero(found.lengths == m)  # resampled: back onto their own m points
        back = resample(on_axis[index], m)  # (series, m), softmax weights: a positive sum
        back /= back.sum(axis=1, keepdims=True)  # a batch at a time: numpy sums rows so
        for k, row in zip(index.tolist(), back):
            weights[k] = row
    return probabilities, weights


def label_column(args: argparse.Namespace) -> str:
    """--label-column, else dataset.label_column of params.yaml, else "label"."""
    if args.label_column:
        return args.label_column
    try:  # the key alone, not the whole file validated: one invalid elsewhere (train.threads
        # beyond this machine, a data path of another) still names the column never read as values
        name = read_params_file()["dataset"]["label_column"]
    except (ParamsError, TypeError, KeyError):  # no params.yaml here, or not one of ours
        return "label"
    return name if isinstance(name, str) and name else "label"


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one PipelineError line instead of usage text."""

    def error(self, message: str) -> NoReturn:
        raise PipelineError(f"{message}; allowed: the flags of `{self.prog} --help`")


def within(kind: type, low: float, high: float, why: str = "") -> object:
    """An argparse type: a `kind` (int or float) from `low` to `high` (`why`: why that high)."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            value = float("nan")
        if not low <= value <= high:  # NaN too
            what = "an integer" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {what} from {low} to {high}{why}")
        return value

    return parse


def build_parser() -> Parser:
    """The command line: the module's docstring as help, one help line per flag."""
    parser = Parser(
        prog="python -m attention_ts.cli.predict",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("input", type=Path, help="series file: CSV (wide or long), .tsv, UCR, .ts or .arff")
    add("output", type=Path, help="CSV to write (or /dev/stdout): id, p_<class>..., prediction")
    add("--model", type=Path, default=DEFAULT_MODEL, help="trained model (models/model.pt)")
    add("--layout", choices=LAYOUTS, default="auto", help="input layout (default auto)")
    add("--header", choices=HEADERS, default="auto", help="is a CSV's first line a header row?")
    add("--id-column", metavar="NAME", default="id", help='id column of a CSV (default "id")')
    add("--label-column", metavar="NAME", help="label column of a CSV (default: params.yaml's)")
    add("--threshold", type=within(float, 0, 1), help="two classes: p of class 1 (default 0.5)")
    add("--attention", action="store_true", help="add w0...: the attention on each point")
    add("--plots", type=Path, metavar="DIR", help="write one PNG per series into DIR")
    add("--length-mismatch", choices=MISMATCH, default="refuse", help="for longer series")
    add(
        "--batch-size",
        type=within(int, 1, resources.MAX_BATCH_SIZE),
        default=1000,
        help="series read and predicted at a time; bounds the memory (default 1000)",
    )
    add(
        "--threads",
        type=within(int, 1, resources.cpus(), " (this machine's CPUs)"),
        default=1,
        help="torch CPU threads (default 1)",
    )
    return parser


def check_args(args: argparse.Namespace, checkpoint: Checkpoint) -> None:
    """What argparse cannot check: flags for this model and this file; PipelineError."""
    if args.attention and checkpoint.config.name not in ATTENTION_MODELS:
        raise PipelineError(
            f"--attention: the model {args.model} ({checkpoint.config.name}) has no attention "
            f"weights; allowed: a model with attention ({', '.join(ATTENTION_MODELS)})"
        )
    if args.threshold is not None and len(checkpoint.classes) > 2:
        raise PipelineError(
            f"--threshold {args.threshold}: the model {args.model} has {len(checkpoint.classes)} "
            "classes, whose prediction is the most probable; allowed: --threshold with two classes"
        )
    flags = {"--header": args.header != "auto", "--id-column": args.id_column != "id"}
    given = [flag for flag, on in {**flags, "--label-column": args.label_column}.items() if on]
    if given and args.layout == "auto" and args.input.suffix.lower() in AEON_SUFFIXES:
        raise PipelineError(
            f"{', '.join(given)}: {args.input} is read by aeon's loader, whose ids are line "
            "numbers and labels its own; allowed: these flags with a CSV file"
        )
    resources.check_batch_memory(
        args.batch_size, checkpoint.n_channels, checkpoint.n_points, "--batch-size"
    )


def write_rows(
    stream, checkpoint: Checkpoint, found: Series, probabilities, predicted, weights
) -> None:
    """One CSV line per series: id, p_<class>..., prediction[, weights on its own points]."""
    classes = checkpoint.classes
    for k, series_id in enumerate(found.ids):
        cells = [series_id, *(f"{p:.9g}" for p in probabilities[k]), classes[predicted[k]]]
        if weights is not None:
            # each distinct value formatted once: the weights come in runs of the front end's
            # stride (a tenth of the time of formatting all 500 of a row)
            distinct, at = np.unique(weights[k], return_inverse=True)
            own = list(map([f"{w:.6g}" for w in distinct].__getitem__, at))
            cells += own + [""] * (found.values.shape[2] - len(own))
        stream.writerow(cells)


def main(argv: Sequence[str] | None = None) -> None:
    """Check the flags and outputs, load the model, predict the file, print the summary."""
    args = build_parser().parse_args(argv)
    inputs = {"input": args.input, "--model": args.model, "the params file": PARAMS_FILE}
    threads = torch.get_num_threads()
    start = time.perf_counter()
    with ExitStack() as outputs:
        output = outputs.enter_context(Output(args.output, "output", inputs))  # checked first
        plots = None
        if args.plots is not None:  # neither output may hold or be the other
            written = {**inputs, "output": args.output}
            plots = outputs.enter_context(OutputFolder(args.plots, "--plots", written))
        checkpoint = load_model(args.model)
        check_args(args, checkpoint)
        threshold = args.threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
        torch.set_num_threads(args.threads)
        outputs.callback(torch.set_num_threads, threads)  # as it was, for a caller (tests)
        counts, right, scored, unknown = predict_file(args, checkpoint, output, plots)
    classes = checkpoint.classes
    found = ", ".join(f"{count} {name}" for name, count in zip(classes, counts.tolist()))
    rule = f"{classes[1]} when p_{classes[1]} >= {threshold}" if len(classes) == 2 else "arg-max"
    accuracy = f"; accuracy {right / scored:.4f} on the {scored} labelled series" if scored else ""
    if unknown:
        accuracy += f" ({unknown} labels of the file are none of the model's classes)"
    print(
        f"predicted {int(counts.sum())} series of {args.input} with {args.model}: {found} "
        f"({rule}){accuracy}; {time.perf_counter() - start:.1f} s; wrote {args.output}",
        file=sys.stderr,
    )


def read_ahead(batches: Iterator[Series]) -> Iterator[Series]:
    """`batches`, the next one read by a thread while the caller predicts this one: pandas'
    parser and torch both release the GIL, so reading and the model share two cores."""
    with ThreadPoolExecutor(1) as reader:
        coming = reader.submit(next, batches, None)
        while (found := coming.result()) is not None:
            coming = reader.submit(next, batches, None)
            yield found


def predict_file(
    args: argparse.Namespace, checkpoint: Checkpoint, output: Output, plots: OutputFolder | None
) -> tuple[np.ndarray, int, int, int]:
    """Predict the input batch by batch into the CSV `output` (and the plots).

    Returns (series per predicted class (classes,), predictions equal to the file's
    label, series whose label is a class of the model, series whose label is not).
    """
    classes, threshold = checkpoint.classes, args.threshold
    counts = np.zeros(len(classes), dtype=np.int64)
    right = scored = unknown = 0
    batches = iter_series(
        args.input,
        args.batch_size,
        layout=args.layout,
        header=args.header,
        label_column=label_column(args),
        label_required=args.label_column is not None,
        id_column=args.id_column,
        least=min_points(checkpoint.config, checkpoint.n_points),
    )
    with output.open(newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        for k, found in enumerate(read_ahead(batches)):
            series = model_inputs(checkpoint, found, args.input, args.length_mismatch)
            want = args.attention or plots is not None
            probabilities, weights = scores(checkpoint, series, found, want, args)
            predicted = predicted_classes(probabilities, threshold)
            if k == 0:
                width = found.values.shape[2] if args.attention else 0
                names = [f"p_{name}" for name in classes]
                writer.writerow(["id", *names, "prediction", *(f"w{i}" for i in range(width))])
            shown = weights if args.attention else None
            write_rows(writer, checkpoint, found, probabilities, predicted, shown)
            if plots is not None:
                save_plots(plots, found, probabilities, predicted, weights, classes)
            counts += np.bincount(predicted, minlength=len(classes))
            if found.labels is not None:
                known = [
                    (p, label) for p, label in zip(predicted, found.labels) if label in classes
                ]
                right += sum(classes[p] == label for p, label in known)
                scored += len(known)
                unknown += len(found.labels) - len(known)
    return counts, right, scored, unknown


def save_plots(
    folder: OutputFolder, found: Series, probabilities, predicted, weights, classes
) -> None:
    """One PNG per series of the batch, named after its id (`OutputFolder.name`)."""
    from attention_ts.explain import plotting

    for k, (series_id, row) in enumerate(zip(found.ids, found.rows)):
        view = plotting.SeriesView(
            series_id=series_id,
            values=found.values[k, :, : found.lengths[k]],
            length=int(found.lengths[k]),
            attention=None if weights is None else weights[k],
            classes=classes,
            label=None,
            prediction=int(predicted[k]),
            probability=float(probabilities[k, predicted[k]]),
            segment=None,
        )
        plotting.save_series_plot(view, folder.name(series_id, f"row{row}", ".png"))


if __name__ == "__main__":
    run(main, "run the command again")
