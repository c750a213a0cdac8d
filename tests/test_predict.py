"""`python -m attention_ts.cli.predict`: a saved model applied to the series of a user's file.

Tiny untrained models saved in a temporary folder (a fresh clone has no models/): binary
one-channel models of 60 points, and a 3-class, 3-channel one of 40 points. The command runs
in-process through `run(main)` (exit status and stderr as the shell sees them), in a child
process only where the process itself matters: /dev/stdout, a file size limit, a signal,
--help. Tables hold each kind of input (layouts, label columns, lengths, channels), of
output (docs/contracts.md, "Outputs"; tests/test_io.py has the contract on its own), of
refusal and of resource flag.
"""

from __future__ import annotations

import csv
import io
import os
import re
import resource
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
import torch

import attention_ts.explain.plotting
from attention_ts.cli.predict import main, resample
from attention_ts.config.catalog import SYNTHETIC_CLASSES
from attention_ts.config.params import (
    ATTENTION_MODELS,
    MODEL_NAMES,
    ParamsError,
    load_params,
)
from attention_ts.core import resources
from attention_ts.core.stage import INTERRUPTS, PipelineError, run
from attention_ts.data.files import Series, write_series
from attention_ts.data.synthetic import generate
from attention_ts.explain.plotting import SeriesView, save_series_plot
from attention_ts.models.classifiers import (
    FixedFeatures,
    attention_on_time_axis,
    build_model,
    load_model,
    predict,
    save_model,
)
from tests.conftest import REPO, default_raw_params, tiny_config, tiny_model, write_params
from tests.test_io import OLD, as_another_user, mounted, snapshot, temporaries

N_POINTS = 60
MIN_POINTS = 5  # the tiny models' downsample: one step of their front end
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CLASSES = ("down", "flat", "up")  # the 3-class model's
CHANNELS = ("x", "y", "z")  # its channel names in the long CSV
WIDTH = 40  # its n_points
TS_FIRST_ROW = 10  # the line of a write_ts file's first series
HELP = "allowed: the flags of `python -m attention_ts.cli.predict --help`"


# --- models and input files


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    """Saved tiny models: name -> model.pt; "motion": 3 classes, 3 channels, 40 points."""
    folder = tmp_path_factory.mktemp("models")
    paths = {}
    for name in ("bilstm_attention", "local_attention", "conv_attention", "mlp", "transformer"):
        paths[name] = folder / f"{name}.pt"
        model = tiny_model(name, N_POINTS)
        save_model(paths[name], model, tiny_config(name), N_POINTS, 1, SYNTHETIC_CLASSES)
    paths["standardized"] = folder / "standardized.pt"  # standardize = true, the pipeline's default
    config = tiny_config("bilstm_attention", standardize=True)
    model = tiny_model("bilstm_attention", N_POINTS, standardize=True)
    save_model(paths["standardized"], model, config, N_POINTS, 1, SYNTHETIC_CLASSES)
    paths["motion"] = folder / "motion.pt"
    model = tiny_model("local_attention", WIDTH, len(CHANNELS), len(CLASSES))
    save_model(paths["motion"], model, tiny_config("local_attention"), WIDTH, 3, CLASSES)
    paths["not a model"] = folder / "not-a-model.pt"  # what no refusal before loading may reach
    paths["not a model"].write_text("not a model\n")
    return paths


def series_values(n: int = 6, n_points: int = N_POINTS) -> np.ndarray:
    """Sines, every other one with a flat stretch: (n, n_points) float32."""
    t = np.linspace(0, 2 * np.pi, n_points)
    values = np.sin(np.outer(np.arange(1, n + 1), t))
    values[::2, n_points // 3 : n_points // 2] = values[::2, n_points // 3 : n_points // 3 + 1]
    return values.astype(np.float32)


def as_series(
    values: np.ndarray, ids: list[str] | None = None, labels: list[str] | None = None
) -> Series:
    """One-channel series (n, points) as files.Series, ids "1".."n" unless given."""
    n = len(values)
    ids = ids or [str(k + 1) for k in range(n)]
    lengths = np.full(n, values.shape[1], dtype=np.int64)
    return Series(values[:, None, :], lengths, ids, list(range(2, n + 2)), labels)


def write_input(
    folder: Path,
    values: np.ndarray,
    ids: list[str] | None = None,
    labels: list[str] | None = None,
    name: str = "series.csv",
    layout: str = "wide",
) -> Path:
    path = folder / name
    write_series(path, as_series(values, ids, labels), layout)
    return path


def motion_series(n: int, seed: int) -> tuple[list[np.ndarray], list[str]]:
    """(series, labels): n series (3 channels, 20 to 40 points) float32, labels of CLASSES;
    series 0 is the longest (WIDTH points)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % len(CLASSES)
    lengths = rng.integers(20, WIDTH + 1, size=n)
    lengths[0] = WIDTH
    series = []
    for label, length in zip(labels, lengths):
        t = np.linspace(0.0, 1.0, length)
        rates = np.array([1.0, 2.0, 0.5])[:, None] * (label - 1.0)
        series.append((rates * t + 0.1 * rng.normal(size=(3, length))).astype(np.float32))
    return series, [CLASSES[k] for k in labels]


def padded(series: list[np.ndarray], width: int = WIDTH) -> tuple[np.ndarray, np.ndarray]:
    """(series (n, channels, width) float32 zero past each length, lengths (n,))."""
    values = np.zeros((len(series), series[0].shape[0], width), dtype=np.float32)
    lengths = np.array([s.shape[1] for s in series])
    for k, s in enumerate(series):
        values[k, :, : s.shape[1]] = s
    return values, lengths


def write_ts(path: Path, series: list[np.ndarray], labels: list[str] | None = None) -> Path:
    """A .ts file as the archives write them (labels after the last ':', or @classLabel false)."""
    declared = "true " + " ".join(CLASSES) if labels is not None else "false"
    lines = [
        "# made by tests/test_predict.py",
        "@problemName motion",
        "@timeStamps false",
        "@missing false",
        "@univariate false",
        f"@dimension {series[0].shape[0]}",
        "@equalLength false",
        f"@classLabel {declared}",
        "@data",
    ]
    for k, values in enumerate(series):
        channels = [",".join(f"{v:.9g}" for v in channel) for channel in values.tolist()]
        lines.append(":".join(channels + ([] if labels is None else [labels[k]])))
    path.write_text("\n".join(lines) + "\n")
    return path


def write_long(
    path: Path, series: list[np.ndarray], ids: list[str] | None = None, labels=None
) -> Path:
    """A long CSV with a channel column: id,t,channel,value[,label], the channels interleaved."""
    ids = ids or [str(TS_FIRST_ROW + k) for k in range(len(series))]  # as a .ts file's ids
    lines = ["id,t,channel,value" + (",label" if labels else "")]
    for k, (series_id, values) in enumerate(zip(ids, series)):
        tail = f",{labels[k]}" if labels else ""
        for t in range(values.shape[1]):
            lines += [f"{series_id},{t},{c},{v:.9g}{tail}" for c, v in zip(CHANNELS, values[:, t])]
    path.write_text("\n".join(lines) + "\n")
    return path


# --- the output, read back


class Predictions(NamedTuple):
    ids: list[str]
    probabilities: np.ndarray  # (n, classes) float64
    predictions: list[str]
    weights: np.ndarray | None  # (n, W), NaN for an empty cell; None without --attention
    classes: tuple[str, ...]  # from the p_<class> column names
    texts: list[list[str]]  # each row's cells as written


def read_output(source: Path | bytes) -> Predictions:
    """An output CSV (a path or its bytes), its columns checked: id, p_<class>..., prediction,
    w0...; every row as long as the header."""
    text = source.decode() if isinstance(source, bytes) else source.read_text()
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header[0] == "id"
    k = header.index("prediction")
    assert k >= 3 and all(name.startswith("p_") for name in header[1:k])
    assert all(len(row) == len(header) for row in rows)
    weights = None
    if len(header) > k + 1:
        assert header[k + 1 :] == [f"w{i}" for i in range(len(header) - k - 1)]
        weights = np.array([[float(x) if x else np.nan for x in row[k + 1 :]] for row in rows])
    return Predictions(
        [row[0] for row in rows],
        np.array([row[1:k] for row in rows], dtype=np.float64),
        [row[k] for row in rows],
        weights,
        tuple(name[2:] for name in header[1:k]),
        rows,
    )


def load(path: Path) -> torch.nn.Module:
    return load_model(path).model


def binary_predictions(probabilities: np.ndarray, threshold: float = 0.5) -> list[str]:
    return [SYNTHETIC_CLASSES[int(p >= threshold)] for p in probabilities[:, 1]]


def run_predict(source: Path, model: Path, *flags: str, output: Path | None = None) -> Path:
    """main() on `source` with `model`; the output goes next to the source unless given."""
    output = output or source.with_name("out.csv")
    main([str(source), str(output), "--model", str(model), *flags])
    return output


class Done(NamedTuple):
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys) -> Callable[..., Done]:
    """The command in this process as the shell runs it: `run(main)`, its exit status and
    streams (the signal handlers `run` installs put back after)."""

    def call(*args: object) -> Done:
        handlers = {number: signal.getsignal(number) for number in INTERRUPTS}
        capsys.readouterr()
        try:
            run(lambda: main([str(arg) for arg in args]))
            code = 0
        except SystemExit as done:
            code = done.code
        finally:
            for number, handler in handlers.items():
                signal.signal(number, handler)
        out, err = capsys.readouterr()
        return Done(code, out, err)

    return call


def child(*args: object, cwd: Path = REPO, **options) -> subprocess.CompletedProcess:
    """The command in a child process, as a user runs it."""
    command = [sys.executable, "-m", "attention_ts.cli.predict", *map(str, args)]
    options.setdefault("capture_output", True)
    return subprocess.run(command, cwd=cwd, text=True, timeout=300, **options)


def assert_one_line_error(err: str, pattern: str) -> None:
    assert err.startswith("error: ") and err.count("\n") == 1 and err.endswith("\n"), err
    assert re.search(pattern, err), err
    assert "Traceback" not in err


# --- what is predicted


@pytest.mark.parametrize("threshold", [None, "0.3", "0.9"])
def test_probabilities_are_the_models_and_predictions_follow_the_threshold(
    tmp_path, models, threshold
):
    values = series_values()
    flags = [] if threshold is None else ["--threshold", threshold]
    found = read_output(
        run_predict(write_input(tmp_path, values), models["bilstm_attention"], *flags)
    )
    expected = predict(load(models["bilstm_attention"]), values[:, None, :])[0]
    assert found.classes == SYNTHETIC_CLASSES
    np.testing.assert_array_equal(found.probabilities.astype(np.float32), expected)  # 9 digits
    assert found.predictions == binary_predictions(expected, float(threshold or 0.5))
    assert found.ids == ["1", "2", "3", "4", "5", "6"] and found.weights is None


def test_p_anomalous_of_the_synthetic_data_is_the_sigmoid_of_the_logit_to_the_bit(
    tmp_path, tiny_params
):
    data = generate(tiny_params.generate.model_copy(update={"n_series": 12}))  # (12, 1, 100)
    n_points = data.series.shape[2]
    model_path = tmp_path / "model.pt"
    model = tiny_model("bilstm_attention", n_points, standardize=True)
    config = tiny_config("bilstm_attention", standardize=True)
    save_model(model_path, model, config, n_points, 1, SYNTHETIC_CLASSES)
    found = read_output(run_predict(write_input(tmp_path, data.series[:, 0]), model_path))
    with torch.no_grad():
        logits = load(model_path)(torch.from_numpy(data.series), None)[0]
    positive = torch.sigmoid(logits).numpy()
    assert [row[2] for row in found.texts] == [f"{p:.9g}" for p in positive.tolist()]
    assert [row[1] for row in found.texts] == [f"{p:.9g}" for p in (1 - positive).tolist()]


LAYOUTS = {  # how one labelled file is written -> (file name, flags)
    "wide CSV": ("in.csv", "wide", []),
    "long CSV": ("in.csv", "long", []),
    "UCR .tsv": ("in.tsv", "tsv", []),
    "UCR .tsv named by --layout": ("in.txt", "tsv", ["--layout", "tsv"]),
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_layout_gives_the_same_output_and_scores_the_labels(tmp_path, models, cli, layout):
    values = series_values()
    labels = list(SYNTHETIC_CLASSES) * 3
    reference = write_input(tmp_path, values, name="ref.csv")
    run_predict(reference, models["local_attention"], "--attention", output=tmp_path / "r.csv")
    name, how, flags = LAYOUTS[layout]
    source = write_input(tmp_path, values, labels=labels, name=name, layout=how)
    model = models["local_attention"]
    done = cli(source, tmp_path / "out.csv", "--model", model, "--attention", *flags)
    assert done.code == 0, done.err
    assert (tmp_path / "out.csv").read_bytes() == (tmp_path / "r.csv").read_bytes()
    predicted = read_output(tmp_path / "out.csv").predictions
    right = sum(p == label for p, label in zip(predicted, labels))
    assert f"; accuracy {right / 6:.4f} on the 6 labelled series; " in done.err


def test_a_ucr_file_with_commas_reads_with_layout_ucr_its_labels_not_values(tmp_path, models, cli):
    values = series_values()
    source = tmp_path / "Sines_TEST"
    np.savetxt(source, np.column_stack([np.arange(6) % 2, values]), delimiter=",", fmt="%.9g")
    reference = run_predict(write_input(tmp_path, values), models["mlp"], output=tmp_path / "r")
    done = cli(source, tmp_path / "out.csv", "--model", models["mlp"], "--layout", "ucr")
    assert done.code == 0, done.err
    assert (tmp_path / "out.csv").read_bytes() == reference.read_bytes()
    assert "(6 labels of the file are none of the model's classes)" in done.err


def test_ids_pass_through_quoted_where_csv_needs_it(tmp_path, models):
    ids = ["a,b", 'say "hi"', "ünï", " padded ", "x", "数据"]
    output = run_predict(write_input(tmp_path, series_values(), ids), models["mlp"])
    assert read_output(output).ids == [series_id.strip() for series_id in ids]


@pytest.mark.parametrize("name", ATTENTION_MODELS)
def test_attention_columns_are_weights_per_point_on_the_time_axis(tmp_path, models, name):
    values = series_values()
    output = run_predict(write_input(tmp_path, values), models[name], "--attention")
    weights = read_output(output).weights
    assert weights.shape == values.shape
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-5)
    steps = predict(load(models[name]), values[:, None, :])[1]
    expected = attention_on_time_axis(steps, N_POINTS, tiny_config(name).downsample)
    np.testing.assert_allclose(weights, expected, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_attention_models_are_those_whose_forward_returns_weights(name):
    model = build_model(tiny_config(name), N_POINTS)
    if isinstance(model, FixedFeatures):  # never attention; minirocket would need fitting first
        assert name not in ATTENTION_MODELS
    else:
        assert (model(torch.zeros(1, 1, N_POINTS))[1] is not None) == (name in ATTENTION_MODELS)


def test_a_ts_file_and_a_long_csv_give_the_models_class_probabilities(tmp_path, models, cli):
    series, labels = motion_series(9, seed=3)
    ts = write_ts(tmp_path / "motion.ts", series, labels)
    long = write_long(tmp_path / "motion.csv", series)
    done = cli(ts, tmp_path / "ts.csv", "--model", models["motion"], "--attention")
    assert done.code == 0, done.err
    from_long = run_predict(long, models["motion"], "--attention", output=tmp_path / "long.csv")
    assert (tmp_path / "ts.csv").read_bytes() == from_long.read_bytes()
    found = read_output(from_long)
    assert found.classes == CLASSES
    assert found.ids == [str(TS_FIRST_ROW + k) for k in range(9)]  # line numbers
    values, lengths = padded(series)
    expected = predict(load(models["motion"]), values, lengths)[0]
    np.testing.assert_allclose(found.probabilities, expected, rtol=0, atol=1e-6)
    assert found.predictions == [CLASSES[k] for k in expected.argmax(axis=1)]
    right = sum(p == label for p, label in zip(found.predictions, labels))
    assert f"; accuracy {right / 9:.4f} on the 9 labelled series; " in done.err


def test_attention_of_each_series_is_on_its_own_points_the_rest_empty(tmp_path, models):
    series, _ = motion_series(9, seed=4)
    source = write_long(tmp_path / "in.csv", series)
    found = read_output(run_predict(source, models["motion"], "--attention"))
    assert found.weights.shape == (9, WIDTH)
    values, lengths = padded(series)
    steps = predict(load(models["motion"]), values, lengths)[1]
    on_axis = attention_on_time_axis(steps, WIDTH, tiny_config("local_attention").downsample)
    for k, length in enumerate(lengths):
        assert np.isnan(found.weights[k, length:]).all()  # empty cells
        np.testing.assert_allclose(found.weights[k, :length].sum(), 1.0, atol=1e-5)
        np.testing.assert_allclose(found.weights[k, :length], on_axis[k, :length], atol=1e-6)


@pytest.mark.parametrize("batch_size", ["1", "2", "4", "1000"])
def test_a_series_gets_the_same_result_in_any_batch(tmp_path, models, batch_size):
    """Padding is internal: a series' result does not depend on the batch it is in."""
    series, _ = motion_series(9, seed=5)
    series = sorted(series, key=lambda s: s.shape[1])  # the longest last: a later, wider batch
    source = write_long(tmp_path / "in.csv", series)
    whole = run_predict(source, models["motion"], "--attention", output=tmp_path / "whole.csv")
    output = tmp_path / "batches.csv"
    run_predict(source, models["motion"], "--attention", "--batch-size", batch_size, output=output)
    found, expected = read_output(output), read_output(whole)
    assert found.ids == expected.ids and found.predictions == expected.predictions
    np.testing.assert_allclose(found.probabilities, expected.probabilities, atol=1e-6)
    np.testing.assert_allclose(found.weights, expected.weights, atol=1e-6)  # NaN: NaN


def test_plots_are_real_pngs_named_after_the_ids(tmp_path, models):
    ids = ["a/b", "a_b", "c", "A_B", "..", "Ωμέγα"]
    source = write_input(tmp_path, series_values(), ids)
    for name in ("bilstm_attention", "mlp"):  # with and without attention
        plots = tmp_path / f"plots_{name}"
        run_predict(source, models[name], "--plots", str(plots))
        names = sorted(path.name for path in plots.iterdir())
        pngs = ["a_b.png", "a_b-row3.png", "c.png", "A_B-row5.png", "_..png", "Ωμέγα.png"]
        assert names == sorted([*pngs, ".written-by-attention-ts"])
        for png in pngs:
            assert (plots / png).read_bytes()[:8] == PNG_SIGNATURE
            image = matplotlib.image.imread(plots / png)
            assert image.shape[0] > 100 and image.shape[1] > 300 and image.std() > 0.05


def test_plots_of_several_channels_show_each_series_on_its_own_points(
    tmp_path, models, monkeypatch
):
    drawn = []

    def record(view: SeriesView, path: Path) -> None:
        drawn.append(view)
        save_series_plot(view, path)

    monkeypatch.setattr(attention_ts.explain.plotting, "save_series_plot", record)
    series, _ = motion_series(3, seed=13)
    plots = tmp_path / "plots"
    source = write_ts(tmp_path / "in.ts", series)
    found = read_output(run_predict(source, models["motion"], "--plots", str(plots), "--attention"))
    assert sorted(p.name for p in plots.glob("*.png")) == ["10.png", "11.png", "12.png"]
    for k, view in enumerate(drawn):
        length = series[k].shape[1]
        assert view.classes == CLASSES and view.length == length and view.label is None
        np.testing.assert_array_equal(view.values, series[k])
        np.testing.assert_allclose(view.attention, found.weights[k, :length], atol=1e-6)
        p = found.probabilities[k, CLASSES.index(found.predictions[k])]
        assert view.title.startswith(
            f"series {10 + k}: predicted {found.predictions[k]} (p={p:.3f})"
        )


def test_plots_of_an_earlier_run_are_replaced_its_other_files_kept(tmp_path, models):
    plots = tmp_path / "plots"
    first = write_input(tmp_path, series_values(2), ["a", "b"], name="first.csv")
    run_predict(first, models["mlp"], "--plots", str(plots), output=tmp_path / "1.csv")
    kept = (plots / "b.png").read_bytes()
    second = write_input(tmp_path, series_values(2)[::-1], ["a", "c"], name="second.csv")
    run_predict(second, models["mlp"], "--plots", str(plots), output=tmp_path / "2.csv")
    assert sorted(p.name for p in plots.glob("*.png")) == ["a.png", "b.png", "c.png"]
    assert (plots / "b.png").read_bytes() == kept
    assert (plots / ".written-by-attention-ts").read_text() == "a.png\nb.png\nc.png\n"


def test_plot_titles_of_series_without_a_known_label_give_the_prediction_only():
    values = series_values()[0]
    view = SeriesView(
        "pump-7", values[None, :], len(values), None, ("normal", "anomalous"), None, 1, 0.9, None
    )
    assert view.title == "series pump-7: predicted anomalous (p=0.900)"


# --- labels: never values, scored


def labelled_frame(values: np.ndarray, labels: list[str], column: str = "label") -> pd.DataFrame:
    frame = pd.DataFrame(values, columns=[f"v{i}" for i in range(values.shape[1])])
    frame.insert(0, column, labels)
    frame.insert(0, "id", [str(k + 1) for k in range(len(values))])
    return frame


LABELS = {  # the labels in the file -> whether they are classes of the model
    "the model's classes": (["normal", "anomalous"] * 3, True),
    "numbers (would parse as a first point)": (["0", "1"] * 3, False),
}
LABEL_COLUMNS = {  # the column's name -> the flags that name it
    "label": [],
    "other": ["--label-column", "other"],
}


@pytest.mark.parametrize("column", LABEL_COLUMNS)
@pytest.mark.parametrize("labels", LABELS)
def test_the_label_column_is_never_read_as_values_and_is_scored(
    tmp_path, models, cli, labels, column
):
    values = series_values()
    texts, known = LABELS[labels]
    reference = run_predict(write_input(tmp_path, values), models["mlp"], output=tmp_path / "r")
    source = tmp_path / "labelled.csv"
    labelled_frame(values, texts, column).to_csv(source, index=False)
    done = cli(source, tmp_path / "out.csv", "--model", models["mlp"], *LABEL_COLUMNS[column])
    assert done.code == 0, done.err
    assert (tmp_path / "out.csv").read_bytes() == reference.read_bytes()
    if known:
        predicted = read_output(reference).predictions
        right = sum(p == label for p, label in zip(predicted, texts))
        assert f"; accuracy {right / 6:.4f} on the 6 labelled series; " in done.err
    else:
        assert "accuracy" not in done.err
        assert "(6 labels of the file are none of the model's classes)" in done.err


PARAMS_FILES = {  # params.yaml in the folder predict runs in -> the label column it names
    "dataset.label_column: target": {"dataset": {"label_column": "target"}},
    "an invalid file naming target": {
        "dataset": {"label_column": "target"},
        "train": {"threads": 100000},  # beyond this machine: the check stage refuses it
    },
}


@pytest.mark.parametrize("case", PARAMS_FILES)
def test_the_label_column_is_the_one_params_yaml_names(tmp_path, models, cli, monkeypatch, case):
    raw = default_raw_params()
    raw["dataset"]["path"] = str(REPO / raw["dataset"]["path"])
    for section, keys in PARAMS_FILES[case].items():
        raw[section].update(keys)
    write_params(tmp_path / "params.yaml", raw)
    if case.startswith("an invalid"):
        with pytest.raises(ParamsError):
            load_params(tmp_path / "params.yaml")
    else:
        assert load_params(tmp_path / "params.yaml").dataset.label_column == "target"
    values = series_values()
    reference = run_predict(write_input(tmp_path, values), models["mlp"], output=tmp_path / "r")
    source = tmp_path / "labelled.csv"
    labelled_frame(values, ["0", "1"] * 3, "target").to_csv(source, index=False)
    monkeypatch.chdir(tmp_path)
    done = cli(source, tmp_path / "out.csv", "--model", models["mlp"])
    assert done.code == 0, done.err
    assert (tmp_path / "out.csv").read_bytes() == reference.read_bytes()
    assert "(6 labels of the file are none of the model's classes)" in done.err


INDEXED = {  # what pandas writes with its index (df.to_csv() without index=False)
    "values only": lambda frame: frame.drop(columns=["id", "label"]),
    "values and labels": lambda frame: frame.drop(columns=["id"]),
    "ids, labels and values": lambda frame: frame,
}


@pytest.mark.parametrize("case", INDEXED)
def test_pandas_index_column_is_read_as_ids_never_as_values(tmp_path, models, cli, case):
    values = series_values()
    reference = run_predict(write_input(tmp_path, values), models["mlp"], output=tmp_path / "r")
    frame = INDEXED[case](labelled_frame(values, ["0", "1"] * 3))
    source = tmp_path / "indexed.csv"
    frame.to_csv(source)  # the index: a first column with an empty header
    assert source.read_text().startswith(",")
    done = cli(source, tmp_path / "out.csv", "--model", models["mlp"])
    assert done.code == 0, done.err
    found, expected = read_output(tmp_path / "out.csv"), read_output(reference)
    np.testing.assert_array_equal(found.probabilities, expected.probabilities)
    assert found.ids == (expected.ids if "id" in frame else [str(k) for k in range(6)])


HEADERLESS = {  # the first series of a file numpy.savetxt wrote (no header row)
    "distinct values": lambda values: values[1:],
    "a value repeated (a flat stretch)": lambda values: values,
}


@pytest.mark.parametrize("case", HEADERLESS)
def test_a_csv_without_a_header_row_is_read_whole(tmp_path, models, case):
    """numpy.savetxt writes no header: the first series is a series, not column names."""
    values = HEADERLESS[case](series_values())
    source = tmp_path / "saved.csv"
    np.savetxt(source, values, delimiter=",")
    found = read_output(run_predict(source, models["mlp"]))
    assert found.ids == [str(k + 1) for k in range(len(values))]  # line numbers
    expected = predict(load(models["mlp"]), values[:, None, :])[0]
    np.testing.assert_array_equal(found.probabilities.astype(np.float32), expected)


def test_a_first_row_of_column_numbers_is_neither_header_nor_series_silently(tmp_path, models):
    values = series_values()
    source = tmp_path / "numbered.csv"
    header = ",".join(map(str, range(N_POINTS)))
    np.savetxt(source, values, delimiter=",", header=header, comments="")
    with pytest.raises(PipelineError, match=r"row 1: the first line is 0, 1, \.\.\.: column names"):
        run_predict(source, models["mlp"])
    assert read_output(run_predict(source, models["mlp"], "--header", "yes")).ids == [
        str(k) for k in range(2, 8)
    ]
    assert len(read_output(run_predict(source, models["mlp"], "--header", "no")).ids) == 7


def test_an_arff_file_is_read_by_aeon(tmp_path, models):
    values = series_values()
    lines = ["@relation sines"] + [f"@attribute t{i} numeric" for i in range(N_POINTS)]
    lines += ["@attribute target {a,b}", "@data"]
    lines += [",".join(f"{v:.9g}" for v in row) + ",a" for row in values.tolist()]
    source = tmp_path / "sines.arff"
    source.write_text("\n".join(lines) + "\n")
    found = read_output(run_predict(source, models["mlp"]))
    expected = read_output(run_predict(write_input(tmp_path, values), models["mlp"]))
    assert found.ids == [str(N_POINTS + 4 + k) for k in range(6)]  # line numbers
    np.testing.assert_array_equal(found.probabilities, expected.probabilities)


def test_a_standardized_model_gives_the_same_probabilities_at_any_scale(tmp_path, models):
    values = series_values()
    expected = read_output(run_predict(write_input(tmp_path, values), models["standardized"]))
    for factor in (2.0**100, 1e30, 1e38 / np.abs(values).max()):
        scaled = (values * factor).astype(np.float32)
        output = tmp_path / "scaled.csv"
        run_predict(write_input(tmp_path, scaled), models["standardized"], output=output)
        found = read_output(output)
        if factor == 2.0**100:  # a power of two: exactly
            np.testing.assert_array_equal(found.probabilities, expected.probabilities)
        np.testing.assert_allclose(found.probabilities, expected.probabilities, atol=1e-6)


# --- lengths and channels


@pytest.mark.parametrize("mismatch", ["refuse", "resample"])
@pytest.mark.parametrize("length", [MIN_POINTS, 30, N_POINTS - 1, N_POINTS])
@pytest.mark.parametrize("name", ["bilstm_attention", "mlp"])
def test_a_series_down_to_the_models_minimum_is_padded_with_its_length(
    tmp_path, models, name, length, mismatch
):
    short = series_values(n_points=length)
    flags = ["--length-mismatch", mismatch] + (["--attention"] if name != "mlp" else [])
    found = read_output(run_predict(write_input(tmp_path, short), models[name], *flags))
    values = np.zeros((len(short), 1, N_POINTS), dtype=np.float32)
    values[:, 0, :length] = short
    lengths = None if length == N_POINTS else np.full(len(short), length)
    probabilities, steps = predict(load(models[name]), values, lengths)
    np.testing.assert_array_equal(found.probabilities.astype(np.float32), probabilities)
    if name != "mlp":
        assert found.weights.shape == short.shape  # on the input's own points
        downsample = tiny_config(name).downsample
        expected = attention_on_time_axis(steps, N_POINTS, downsample)[:, :length]
        expected = expected / expected.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(found.weights, expected, rtol=1e-5, atol=1e-7)


def test_longer_series_are_resampled_on_request(tmp_path, models):
    long = series_values(n_points=80)
    source, model = write_input(tmp_path, long), models["bilstm_attention"]
    found = read_output(run_predict(source, model, "--length-mismatch", "resample", "--attention"))
    expected = predict(load(model), resample(long, N_POINTS)[:, None, :].astype(np.float32))[0]
    np.testing.assert_array_equal(found.probabilities.astype(np.float32), expected)
    assert found.weights.shape == long.shape  # on the input's 80 points
    np.testing.assert_allclose(found.weights.sum(axis=1), 1.0, atol=1e-5)


def test_resample_is_linear_over_the_same_span_and_the_identity_at_the_right_length():
    ramps = np.stack([np.linspace(0, 1, 40), np.linspace(5, -5, 40)]).astype(np.float32)
    expected = np.stack([np.linspace(0, 1, 60), np.linspace(5, -5, 60)])
    np.testing.assert_allclose(resample(ramps, 60), expected, atol=1e-6)
    np.testing.assert_array_equal(resample(series_values(), N_POINTS), series_values())


def test_a_longer_series_among_shorter_ones_is_resampled_alone(tmp_path, models):
    series, _ = motion_series(4, seed=10)
    series[2] = np.random.default_rng(11).normal(size=(3, 50)).astype(np.float32)
    source = write_long(tmp_path / "in.csv", series)
    flags = ["--length-mismatch", "resample", "--attention"]
    found = read_output(run_predict(source, models["motion"], *flags))
    assert found.weights.shape == (4, 50)
    np.testing.assert_allclose(np.nansum(found.weights, axis=1), 1.0, atol=1e-5)
    model = load(models["motion"])
    expected = predict(model, resample(series[2], WIDTH)[None].astype(np.float32))[0][0]
    np.testing.assert_allclose(found.probabilities[2], expected, atol=1e-6)
    values, lengths = padded([s for k, s in enumerate(series) if k != 2])
    expected = predict(model, values, lengths)[0]
    np.testing.assert_allclose(found.probabilities[[0, 1, 3]], expected, atol=1e-6)


# --- refusals: exit 2, one line, nothing written; before the model loads where the contract says


class Refusal(NamedTuple):
    """argv after the input and output, the one line's pattern; and what is used."""

    flags: list[str]
    message: str
    model: str = "not a model"  # "not a model": refused before the model loads
    output: str = "out.csv"  # relative to the test's folder, or absolute
    source: str = "series.csv"


CPUS = resources.cpus()


def threads_refused(value: str) -> Refusal:
    return Refusal(
        ["--threads", value],
        rf"^error: argument --threads: {re.escape(repr(value))} is not an integer from 1 to "
        rf"{CPUS} \(this machine's CPUs\); {re.escape(HELP)}$",
    )


def batch_memory() -> Refusal:
    per_series = 1 * N_POINTS * 4 * resources.ACTIVATION_FACTOR
    largest = resources.memory_bytes() // per_series
    return Refusal(
        ["--batch-size", str(largest + 1)],
        rf"--batch-size = {largest + 1} series of 1 x {N_POINTS} points would take about \d+ GiB "
        rf"with the model's activations, more than this machine's \d+ GiB; allowed: at most "
        rf"{largest}$",
        model="mlp",
    )


REFUSALS = {
    # flags: argparse, before anything else
    **{f"--threads {v}": threads_refused(v) for v in ("0", str(CPUS + 1), "100000", "x", "-1")},
    "--threads 2.5": threads_refused("2.5"),
    "--batch-size 0": Refusal(["--batch-size", "0"], "'0' is not an integer from 1 to 1048576"),
    "--batch-size 2**20 + 1": Refusal(["--batch-size", str(2**20 + 1)], "not an integer from 1"),
    "--batch-size x": Refusal(["--batch-size", "x"], "'x' is not an integer from 1 to 1048576"),
    "--threshold 1.5": Refusal(["--threshold", "1.5"], r"'1\.5' is not a number from 0 to 1"),
    "--threshold nan": Refusal(["--threshold", "nan"], r"'nan' is not a number from 0 to 1"),
    "--layout xml": Refusal(["--layout", "xml"], "invalid choice: 'xml'"),
    "an unknown flag": Refusal(["--frobnicate"], "unrecognized arguments: --frobnicate"),
    # the output, checked before the model loads and the input is read
    "output: a folder": Refusal([], "is a folder; allowed: a file name", output="empty"),
    "output: a missing folder": Refusal([], "its folder .* does not exist", output="no/out.csv"),
    "output: the input": Refusal([], "would write over input", output="series.csv"),
    "output: a symlink to the input": Refusal([], "would write over input", output="link.csv"),
    "output: a hard link to the input": Refusal([], "would write over input", output="hard.csv"),
    "output: the model": Refusal([], "would write over --model", output="model.pt"),
    "output: params.yaml": Refusal(
        [], "would write over the params file params.yaml", output="params.yaml"
    ),
    "output: a socket": Refusal([], "is a socket", output="sock"),
    "output: a symlink that loops": Refusal([], "is a symlink that loops", output="loop"),
    "output: in /proc": Refusal([], r"cannot write in /proc \(", output="/proc/out.csv"),
    "output: in /sys": Refusal([], r"cannot write in /sys \(", output="/sys/out.csv"),
    # --plots, checked before the model loads and the input is read
    "--plots: a file": Refusal(["--plots", "notes.txt"], "notes.txt is a file; allowed: a folder"),
    "--plots: a folder of the user's": Refusal(
        ["--plots", "mine"], r"holds files this command did not write \(notes\.txt\)"
    ),
    "--plots: the pipeline's plots/attention": Refusal(
        ["--plots", "plots/attention"],
        r"did not write \(anomalous_1\.png, grid\.png, normal_1\.png\)",
    ),
    "--plots: the input's folder": Refusal(["--plots", "."], "would write over input"),
    "--plots: holding the output": Refusal(
        ["--plots", "empty"], "--plots .*empty would write over output", output="empty/out.csv"
    ),
    "--plots: the output's path": Refusal(["--plots", "out.csv"], "would write over output"),
    "--plots: a missing folder": Refusal(["--plots", "no/plots"], "its folder .* does not exist"),
    "--plots: in /proc": Refusal(["--plots", "/proc/plots"], r"cannot write in /proc \("),
    # what needs the model or the file: after the model loads, still before any output
    "--attention without attention": Refusal(
        ["--attention"], r"\(mlp\) has no attention weights; allowed: a model with attention", "mlp"
    ),
    "--threshold with 3 classes": Refusal(
        ["--threshold", "0.3"], "has 3 classes, whose prediction is the most probable", "motion"
    ),
    "1 channel to a 3-channel model": Refusal(
        [], r"row 2 \(id '1'\): 1 channel\(s\), but the model was trained on 3; allowed", "motion"
    ),
    "3 channels to a 1-channel model": Refusal(
        [],
        r"row 2 \(id 'a'\): 3 channel\(s\), but the model was trained on 1",
        "mlp",
        "out.csv",
        "long3.csv",
    ),
    "a series under the model's minimum": Refusal(
        [],
        rf"row 2: a series of {MIN_POINTS - 1} points; allowed: at least {MIN_POINTS} points in "
        r"every series \(the model's minimum\)$",
        "mlp",
        source="short.csv",
    ),
    "a series of 1 point": Refusal(  # the model's minimum, as for longer short series
        [],
        rf"row 2: a series of 1 point; allowed: at least {MIN_POINTS} points in every series "
        r"\(the model's minimum\)$",
        "mlp",
        source="one.csv",
    ),
    "a longer series": Refusal(
        [],
        rf"row 2 \(id '1'\): a series of 80 points, but the model mlp was trained on {N_POINTS}; "
        rf"allowed: series of at most {N_POINTS} points .*, or --length-mismatch resample$",
        "mlp",
        source="long.csv",
    ),
    "--label-column absent": Refusal(
        ["--label-column", "other"], "no column 'other' in the header", "mlp"
    ),
    "CSV flags with a .ts file": Refusal(
        ["--id-column", "name"],
        "--id-column: .*motion.ts is read by aeon's loader",
        "motion",
        source="motion.ts",
    ),
    "--batch-size beyond memory": batch_memory(),
    "a missing input": Refusal(
        [], "missing.csv: not found, or not a file", "mlp", source="missing.csv"
    ),
    "a .ts file without @classLabel": Refusal(
        [], "no @classLabel line in the header", "motion", source="bare.ts"
    ),
}


def refusal_folder(tmp: Path, models: dict[str, Path]) -> None:
    """The files the refusals name, in `tmp`."""
    write_input(tmp, series_values())
    write_input(tmp, series_values(n_points=MIN_POINTS - 1), name="short.csv")
    write_input(tmp, series_values(n_points=80), name="long.csv")
    (tmp / "one.csv").write_text("id,v0,v1\n1,0.5,\n")
    series, _ = motion_series(3, seed=8)
    write_long(tmp / "long3.csv", series, ["a", "b", "c"])
    write_ts(tmp / "motion.ts", series)
    (tmp / "bare.ts").write_text((tmp / "motion.ts").read_text().replace("@classLabel false\n", ""))
    (tmp / "model.pt").write_bytes(models["mlp"].read_bytes())
    (tmp / "params.yaml").write_text("dataset:\n  label_column: label\n")
    (tmp / "link.csv").symlink_to(tmp / "series.csv")
    (tmp / "hard.csv").hardlink_to(tmp / "series.csv")
    (tmp / "loop").symlink_to(tmp / "loop")
    (tmp / "notes.txt").write_text("mine")
    (tmp / "mine").mkdir()
    (tmp / "mine" / "notes.txt").write_text("mine")
    (tmp / "empty").mkdir()
    attention = tmp / "plots" / "attention"
    attention.mkdir(parents=True)
    for name in ("anomalous_1.png", "grid.png", "normal_1.png"):
        (attention / name).write_bytes(PNG_SIGNATURE + name.encode())
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp / "sock"))
    server.close()


@pytest.mark.parametrize("case", REFUSALS)
def test_every_refusal_is_one_line_exit_2_and_writes_nothing(
    tmp_path, models, cli, monkeypatch, case
):
    refusal = REFUSALS[case]
    refusal_folder(tmp_path, models)
    monkeypatch.chdir(tmp_path)  # relative paths, and params.yaml, are the test folder's
    model = tmp_path / "model.pt" if case == "output: the model" else models[refusal.model]
    threads = len(os.listdir("/proc/self/task"))
    was = snapshot(tmp_path)
    start = time.perf_counter()
    done = cli(refusal.source, refusal.output, "--model", model, *refusal.flags)
    seconds = time.perf_counter() - start
    assert done.code == 2
    assert_one_line_error(done.err, refusal.message)
    assert "is not a usable model" not in done.err  # refused before the model loads, if so
    assert done.out == ""
    assert snapshot(tmp_path) == was  # no output, no temporary file, nothing changed
    if refusal.model == "not a model":
        assert seconds < 5, f"{seconds:.1f} s before refusing"
        assert len(os.listdir("/proc/self/task")) == threads  # no thread started


@pytest.fixture
def read_only_folder(tmp_path) -> Iterator[Path]:
    """A read-only mount (a tmpfs remounted ro) holding old.csv."""
    with mounted(tmp_path / "ro", "size=64k,mode=755") as folder:
        (folder / "old.csv").write_text(OLD)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield folder


def test_a_read_only_mount_is_refused_before_the_model_loads(
    tmp_path, models, cli, read_only_folder
):
    source = write_input(tmp_path, series_values())
    was = snapshot(read_only_folder)
    for output, flags in (
        (read_only_folder / "out.csv", []),
        (read_only_folder / "old.csv", []),
        (tmp_path / "out.csv", ["--plots", read_only_folder / "plots"]),
    ):
        done = cli(source, output, "--model", models["not a model"], *flags)
        assert done.code == 2
        assert_one_line_error(done.err, r"cannot write in .* \(Read-only file system\); allowed")
    assert snapshot(read_only_folder) == was and not (tmp_path / "out.csv").exists()


def test_a_folder_of_another_user_is_refused_before_the_model_loads(tmp_path, models):
    """What a user who may not write the folder sees (case 04): the child runs the command as
    `nobody` when this is root, whom permissions do not stop."""
    if os.geteuid() != 0:
        pytest.skip("only root can run the command as another user here")
    folder = Path(tempfile.mkdtemp(prefix="attention-ts-predict-"))  # root's; others may enter
    folder.chmod(0o755)
    try:
        source = write_input(folder, series_values())
        output = folder / "out.csv"

        def work() -> str:
            sys.stderr = io.StringIO()
            try:
                run(lambda: main([str(source), str(output), "--model", "/nonexistent.pt"]))
            except SystemExit as done:
                return f"{done.code} {sys.stderr.getvalue()}"
            return "exit 0"

        assert as_another_user(work) == (
            f"2 error: output {output}: cannot write in {folder} (Permission denied); allowed: a "
            "path in an existing folder you can write, on a disk with room\n"
        )
        assert sorted(p.name for p in folder.iterdir()) == ["series.csv"]
    finally:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


DAMAGED = {  # a model file -> the one line
    "truncated": (lambda good: good.read_bytes()[:300], "is not a usable model"),
    "a text file": (lambda good: b"weights\n", "is not a usable model"),
    "empty": (lambda good: b"", "is not a usable model"),
    "a pickle of something else": (
        lambda good: __import__("pickle").dumps({"a": 1}, protocol=2),
        "is not a usable model",
    ),
    "missing": (None, "not found; run `dvc repro train` first"),
}


@pytest.mark.parametrize("case", DAMAGED)
def test_a_damaged_model_file_is_one_line_and_no_output(tmp_path, models, cli, case):
    make, message = DAMAGED[case]
    source = write_input(tmp_path, series_values())
    model = tmp_path / "model.pt"
    if make is not None:
        model.write_bytes(make(models["mlp"]))
    was = snapshot(tmp_path)
    done = cli(source, tmp_path / "out.csv", "--model", model)
    assert done.code == 2
    assert_one_line_error(done.err, rf"^error: model file {re.escape(str(model))} {message}")
    assert snapshot(tmp_path) == was


def test_a_model_of_another_architecture_than_its_config_is_refused(tmp_path, models, cli):
    wrong = tmp_path / "wrong.pt"
    model = tiny_model("bilstm_attention", N_POINTS)
    changed = tiny_config("bilstm_attention").model_copy(update={"hidden_size": 16})
    save_model(wrong, model, changed, N_POINTS, 1, SYNTHETIC_CLASSES)
    done = cli(write_input(tmp_path, series_values()), tmp_path / "out.csv", "--model", wrong)
    assert done.code == 2
    assert_one_line_error(done.err, f"model file {re.escape(str(wrong))} is not a usable model")
    assert temporaries(tmp_path) == [] and not (tmp_path / "out.csv").exists()


def test_a_score_that_is_not_finite_is_one_line_naming_the_row(tmp_path, models, cli):
    """A model with standardize = false cannot be scale-invariant; its NaN must not be a label."""
    values = series_values()
    values[2] *= 1e38 / np.abs(values[2]).max()
    source = write_input(tmp_path, values)
    output = tmp_path / "out.csv"
    output.write_text(OLD)
    done = cli(source, output, "--model", models["transformer"], "--batch-size", "2")
    assert done.code == 2
    assert_one_line_error(done.err, r"row 4 \(id '3'\): the model's score \(logit\) is nan")
    assert output.read_text() == OLD and temporaries(tmp_path) == []


def test_a_run_that_fails_after_the_model_loads_keeps_the_old_output(tmp_path, models, cli):
    source = write_input(tmp_path, series_values())
    output = tmp_path / "out.csv"
    output.write_text(OLD)
    plots = tmp_path / "plots"
    done = cli(source, output, "--model", models["motion"], "--plots", plots)  # 1 channel: no
    assert done.code == 2 and "1 channel(s), but the model was trained on 3" in done.err
    assert output.read_text() == OLD and not plots.exists() and temporaries(tmp_path) == []


# --- resources


def test_threads_up_to_the_machines_cpus_are_used_and_put_back(tmp_path, models, cli):
    before = torch.get_num_threads()
    source = write_input(tmp_path, series_values())
    for threads in sorted({1, CPUS}):
        done = cli(source, tmp_path / "out.csv", "--model", models["mlp"], "--threads", threads)
        assert done.code == 0, done.err
    assert torch.get_num_threads() == before


def test_threads_100000_is_refused_at_once_by_the_real_command(tmp_path, models):
    """Case 20: it used to start the threads, exhaust the machine's PIDs and hang."""
    source = write_input(tmp_path, series_values())
    start = time.perf_counter()
    done = child(source, tmp_path / "out.csv", "--model", models["mlp"], "--threads", "100000")
    assert time.perf_counter() - start < 60  # Python and torch starting; no thread, no hang
    assert done.returncode == 2 and done.stdout == ""
    assert_one_line_error(done.stderr, r"'100000' is not an integer from 1 to \d+")
    assert list(tmp_path.iterdir()) == [source]


# --- outputs through the command


class Written(NamedTuple):
    given: Path
    check: Callable[[bytes], None]  # given the reference output's bytes


def to_file(tmp: Path, old: bool = False) -> Written:
    path = tmp / "out.csv"
    if old:
        path.write_text(OLD)

    def check(ref: bytes) -> None:
        assert path.read_bytes() == ref and not path.is_symlink()

    return Written(path, check)


def to_symlink(tmp: Path) -> Written:
    (tmp / "data").mkdir()
    target = tmp / "data" / "target.csv"
    target.write_text(OLD)
    link = tmp / "link.csv"
    link.symlink_to(target)

    def check(ref: bytes) -> None:
        assert link.is_symlink() and os.readlink(link) == str(target)
        assert target.read_bytes() == ref

    return Written(link, check)


def to_dev_null(tmp: Path) -> Written:
    before = os.stat("/dev/null")

    def check(ref: bytes) -> None:
        after = os.stat("/dev/null")
        assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino

    return Written(Path("/dev/null"), check)


def to_own_device(tmp: Path) -> Written:
    if os.geteuid() != 0:
        pytest.skip("mknod of a character device needs root; /dev/null is the case for others")
    path = tmp / "fakenull"
    os.mknod(path, 0o644 | stat.S_IFCHR, os.makedev(1, 3))  # case 01's reproduction

    def check(ref: bytes) -> None:
        assert stat.S_ISCHR(path.lstat().st_mode) and path.lstat().st_rdev == os.makedev(1, 3)

    return Written(path, check)


def to_fifo(tmp: Path) -> Written:
    path = tmp / "pipe"
    os.mkfifo(path)
    got: list[bytes] = []

    def read() -> None:
        with open(path, "rb") as stream:
            got.append(stream.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    def check(ref: bytes) -> None:
        reader.join(timeout=30)
        assert got == [ref] and stat.S_ISFIFO(path.lstat().st_mode)

    return Written(path, check)


OUTPUTS = {
    "a new file": to_file,
    "an existing file": lambda tmp: to_file(tmp, old=True),
    "a symlink to a file": to_symlink,
    "/dev/null": to_dev_null,
    "a character device of our own": to_own_device,
    "a FIFO": to_fifo,
}


@pytest.mark.parametrize("case", OUTPUTS)
def test_each_kind_of_output_gets_the_predictions(tmp_path, models, cli, case):
    source = write_input(tmp_path, series_values())
    reference = run_predict(source, models["local_attention"], "--attention", output=tmp_path / "r")
    ref = reference.read_bytes()
    reference.unlink()
    written = OUTPUTS[case](tmp_path)
    done = cli(source, written.given, "--model", models["local_attention"], "--attention")
    assert done.code == 0, done.err
    assert done.err.endswith(f"; wrote {written.given}\n") and done.err.count("\n") == 1
    written.check(ref)
    assert temporaries(tmp_path) == []


STDOUT = {  # how the shell sets up the command's stdout -> what the file or pipe then holds
    "a pipe": "pipe",
    "> file": "w",
    ">> file": "a",
    "> file 2>&1": "w+stderr",
}


@pytest.mark.parametrize("output", ["/dev/stdout", "link to /proc/self/fd/1"])
@pytest.mark.parametrize("case", STDOUT)
def test_dev_stdout_writes_where_the_shell_pointed_it(tmp_path, models, case, output):
    source = write_input(tmp_path, series_values())
    ref = run_predict(source, models["mlp"], output=tmp_path / "r").read_bytes()
    given = Path(output)
    if output.startswith("link"):
        given = tmp_path / "stdout"
        given.symlink_to("/proc/self/fd/1")
    how = STDOUT[case]
    log = tmp_path / "log.csv"
    log.write_text(OLD)
    if how == "pipe":
        done = child(source, given, "--model", models["mlp"], capture_output=False,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.encode() == ref
    else:
        with open(log, "a" if how == "a" else "w") as stream:
            err = subprocess.STDOUT if how == "w+stderr" else subprocess.PIPE
            done = child(source, given, "--model", models["mlp"], capture_output=False,
                         stdout=stream, stderr=err)  # fmt: skip
        assert done.returncode == 0
        text = log.read_text()
        if how == "a":
            assert text == OLD + ref.decode()
        elif how == "w":
            assert text == ref.decode()
        else:
            assert text.startswith(ref.decode()) and text[len(ref) :].startswith("predicted 6 ")
    assert temporaries(tmp_path) == [] and given.exists()
    assert not output.startswith("link") or given.is_symlink()


def test_a_file_size_limit_is_one_line_and_the_old_output_is_kept(tmp_path, models):
    """RLIMIT_FSIZE (ulimit -f): writing past it fails with EFBIG, as a full disk with ENOSPC."""
    source = write_input(tmp_path, series_values(40))
    output = tmp_path / "out.csv"
    output.write_text(OLD)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))  # the output is about 28 kB

    model = models["local_attention"]
    done = child(source, output, "--model", model, "--attention", preexec_fn=limit)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"error: output {output}: cannot write in {tmp_path} (File too large); allowed: a path "
        "in an existing folder you can write, on a disk with room\n"
    )
    assert output.read_text() == OLD and temporaries(tmp_path) == []


def test_ctrl_c_mid_run_leaves_no_temporary_file_and_no_output(tmp_path, models):
    source = write_input(tmp_path, series_values(60), [f"s{k}" for k in range(60)])
    output, plots = tmp_path / "out.csv", tmp_path / "plots"
    was = snapshot(tmp_path)
    command = [sys.executable, "-m", "attention_ts.cli.predict", str(source), str(output)]
    command += ["--model", str(models["bilstm_attention"]), "--plots", str(plots)]

    def default() -> None:  # Ctrl-C as in a shell: a pytest worker may ignore it, and so its child
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    process = subprocess.Popen(
        command, cwd=REPO, stderr=subprocess.PIPE, text=True, preexec_fn=default
    )
    try:
        deadline = time.monotonic() + 240
        while not list(tmp_path.glob(".plots.tmp-*/*.png")):  # mid-run: plots being drawn
            assert process.poll() is None and time.monotonic() < deadline, "never got there"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        err = process.communicate(timeout=120)[1]
    finally:
        process.kill()
    assert process.returncode == 130
    assert (
        err.startswith("interrupted by SIGINT: stopped before finishing") and err.count("\n") == 1
    )
    assert snapshot(tmp_path) == was  # no output, no plots, no temporary file


def test_help_exits_0_and_mentions_every_flag():
    done = child("--help")
    assert done.returncode == 0 and done.stderr == ""
    words = ["--model", "--layout", "--header", "--id-column", "--label-column", "--threshold"]
    words += ["--attention", "--plots", "--length-mismatch", "--batch-size", "--threads"]
    words += ["ucr", ".ts", ".arff", "p_<class>", "prediction", "padded"]
    words += ["dataset.label_column", "scored", "/dev/stdout", "docs/contracts.md"]
    for word in words:
        assert word in done.stdout, word


def test_the_summary_line_counts_each_class_and_names_the_output(tmp_path, models, cli):
    source = write_input(tmp_path, series_values())
    done = cli(source, tmp_path / "out.csv", "--model", models["mlp"])
    found = read_output(tmp_path / "out.csv")
    counts = [found.predictions.count(name) for name in SYNTHETIC_CLASSES]
    assert done.code == 0 and done.out == "" and done.err.count("\n") == 1
    assert done.err.startswith(
        f"predicted 6 series of {source} with {models['mlp']}: {counts[0]} normal, {counts[1]} "
        "anomalous (anomalous when p_anomalous >= 0.5); "
    )
    assert re.search(rf"; \d+\.\d s; wrote {re.escape(str(tmp_path / 'out.csv'))}\n$", done.err)


def test_dash_as_output_is_stdout(tmp_path, models):
    """The Unix convention: `-` writes to stdout, it is no file of that name."""
    source = write_input(tmp_path, series_values())
    reference = run_predict(source, models["mlp"], output=tmp_path / "r.csv")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = child(source, "-", "--model", models["mlp"], cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == reference.read_text()
    assert not (tmp_path / "-").exists()
