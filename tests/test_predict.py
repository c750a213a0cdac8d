"""`python -m attention_ts.cli.predict`: a saved model applied to the series of a user's file.

Tiny models saved in a temporary folder (a fresh clone has no models/): binary
one-channel models of 60 points, and a 3-class, 3-channel model trained in
the module on series of 20 to 40 points. The command runs in-process through
`main` except for the few checks that need the real process: --help, the exit
status and the one-line errors.
"""

from __future__ import annotations

import csv
import dataclasses
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import matplotlib.image
import numpy as np
import pytest
import torch

import attention_ts.cli.predict
import attention_ts.explain.plotting
from attention_ts.cli.predict import main, resample
from attention_ts.config.catalog import SYNTHETIC_CLASSES
from attention_ts.config.params import ATTENTION_MODELS, MODEL_NAMES, Params, build
from attention_ts.core.stage import PipelineError
from attention_ts.data.dataset import NO_SEGMENT, TABLE_DTYPE, Dataset
from attention_ts.data.series_io import SeriesBatch, write_series
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
from attention_ts.training.loop import fit_model
from tests.conftest import REPO, tiny_config, tiny_model, tiny_raw_params

N_POINTS = 60
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CLASSES = ("down", "flat", "up")  # the 3-class model's
CHANNELS = ("x", "y", "z")  # its channel names in the long CSV
WIDTH = 40  # its n_points: the longest of its training series


def series_values(n: int = 6, n_points: int = N_POINTS) -> np.ndarray:
    """Sines, every other one with a flat stretch: (n, n_points) float32."""
    t = np.linspace(0, 2 * np.pi, n_points)
    values = np.sin(np.outer(np.arange(1, n + 1), t))  # (n, n_points)
    values[::2, n_points // 3 : n_points // 2] = values[::2, n_points // 3 : n_points // 3 + 1]
    return values.astype(np.float32)


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    """Saved tiny models: name -> model.pt."""
    folder = tmp_path_factory.mktemp("models")
    paths = {}
    for name in ("bilstm_attention", "local_attention", "mlp", "transformer"):
        paths[name] = folder / f"{name}.pt"
        model = tiny_model(name, N_POINTS)
        save_model(paths[name], model, tiny_config(name), N_POINTS, 1, SYNTHETIC_CLASSES)
    paths["standardized"] = folder / "standardized.pt"  # standardize = true, the pipeline's default
    config = tiny_config("bilstm_attention", standardize=True)
    model = tiny_model("bilstm_attention", N_POINTS, standardize=True)
    save_model(paths["standardized"], model, config, N_POINTS, 1, SYNTHETIC_CLASSES)
    return paths


def write_input(folder: Path, values: np.ndarray, ids: list[str] | None = None) -> Path:
    ids = ids or [str(k + 1) for k in range(len(values))]
    path = folder / "series.csv"
    write_series(path, SeriesBatch(ids, [], values, None), "wide")
    return path


class Predictions(NamedTuple):
    """An output CSV, read back."""

    ids: list[str]
    probabilities: np.ndarray  # (n, classes) float64
    predictions: list[str]  # (n,) class names
    weights: np.ndarray | None  # (n, W), NaN for an empty cell; None without --attention
    classes: tuple[str, ...]  # from the p_<class> column names
    texts: list[list[str]]  # (n,) each row's cells as written


def read_output(path: Path) -> Predictions:
    """An output CSV, its columns checked: id, p_<class>..., prediction[, w0...]."""
    with open(path, newline="") as stream:
        header, *rows = list(csv.reader(stream))
    assert header[0] == "id"
    k = header.index("prediction")
    assert k >= 3 and all(name.startswith("p_") for name in header[1:k])
    classes = tuple(name[2:] for name in header[1:k])
    assert all(len(row) == len(header) for row in rows)
    probabilities = np.array([row[1:k] for row in rows], dtype=np.float64)
    weights = None
    if len(header) > k + 1:
        assert header[k + 1 :] == [f"w{i}" for i in range(len(header) - k - 1)]
        weights = np.array([[float(x) if x else np.nan for x in row[k + 1 :]] for row in rows])
    predictions = [row[k] for row in rows]
    return Predictions([row[0] for row in rows], probabilities, predictions, weights, classes, rows)


def as_input(values: np.ndarray) -> np.ndarray:
    """Series (n, points) of one channel as models.predict takes them: (n, 1, points)."""
    return values.reshape(len(values), 1, values.shape[1])


def binary_predictions(probabilities: np.ndarray, threshold: float = 0.5) -> list[str]:
    """The class names a binary model's (n, 2) probabilities give at the threshold."""
    return [SYNTHETIC_CLASSES[int(p >= threshold)] for p in probabilities[:, 1]]


def load(path: Path) -> torch.nn.Module:
    return load_model(path).model


def run_predict(source: Path, model: Path, *flags: str, output: Path | None = None) -> Path:
    """main() on `source` with `model`; the output goes next to the source unless given."""
    output = output or source.with_name("out.csv")
    main([str(source), str(output), "--model", str(model), *flags])
    return output


def assert_no_output(folder: Path, name: str = "out.csv") -> None:
    assert not (folder / name).exists()
    assert not list(folder.glob(f".{name}.tmp-*"))


def test_probabilities_are_the_models_and_predictions_follow_the_threshold(tmp_path, models):
    values = series_values()
    output = run_predict(
        write_input(tmp_path, values), models["bilstm_attention"], "--threshold", "0.3"
    )
    found = read_output(output)
    expected = predict(load(models["bilstm_attention"]), as_input(values))[0]  # (n, 2)
    assert found.classes == SYNTHETIC_CLASSES
    np.testing.assert_array_equal(found.probabilities.astype(np.float32), expected)  # 9 digits
    assert found.predictions == binary_predictions(expected, 0.3)
    assert found.ids == ["1", "2", "3", "4", "5", "6"] and found.weights is None


def test_p_anomalous_of_the_synthetic_data_is_the_sigmoid_of_the_logit_to_the_bit(tmp_path):
    """The binary column is what the `probability` column was before classes: sigmoid(logit)."""
    params = build(Params, tiny_raw_params()).generate
    data = generate(dataclasses.replace(params, n_series=12))  # (12, 1, 100)
    n_points = data.series.shape[2]
    config = tiny_config("bilstm_attention", standardize=True)
    model_path = tmp_path / "model.pt"
    model = tiny_model("bilstm_attention", n_points, standardize=True)
    save_model(model_path, model, config, n_points, 1, SYNTHETIC_CLASSES)
    found = read_output(run_predict(write_input(tmp_path, data.series[:, 0]), model_path))
    with torch.no_grad():
        logits = load(model_path)(torch.from_numpy(data.series), None)[0]  # (12,)
    positive = torch.sigmoid(logits).numpy()
    assert [row[2] for row in found.texts] == [f"{p:.9g}" for p in positive.tolist()]
    assert [row[1] for row in found.texts] == [f"{p:.9g}" for p in (1 - positive).tolist()]
    assert found.predictions == binary_predictions(np.stack([1 - positive, positive], axis=1))


def test_wide_long_and_tsv_inputs_give_the_same_output(tmp_path, models):
    values = series_values()
    labels = ["0", "1"] * 3
    outputs = []
    for layout in ("wide", "long", "tsv"):
        source = tmp_path / f"in_{layout}.{'tsv' if layout == 'tsv' else 'csv'}"
        ids = [str(k + 1) for k in range(len(values))]  # tsv ids are line numbers
        write_series(source, SeriesBatch(ids, [], values, labels), layout)
        output = tmp_path / f"out_{layout}.csv"
        flags = ["--attention", "--label-column", "label"]
        run_predict(source, models["local_attention"], *flags, output=output)
        outputs.append(output.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]


def test_ids_pass_through_quoted_where_csv_needs_it(tmp_path, models):
    ids = ["a,b", 'say "hi"', "ünï", " padded ", "x", "y"]
    source = write_input(tmp_path, series_values(), ids)
    output = run_predict(source, models["mlp"])
    assert read_output(output).ids == [series_id.strip() for series_id in ids]


@pytest.mark.parametrize("name", ["bilstm_attention", "local_attention"])
def test_attention_columns_are_weights_per_point_on_the_time_axis(tmp_path, models, name):
    values = series_values()
    source = write_input(tmp_path, values)
    output = run_predict(source, models[name], "--attention", "--batch-size", "4")
    weights = read_output(output).weights
    assert weights.shape == values.shape
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-5)
    steps = predict(load(models[name]), as_input(values))[1]
    expected = attention_on_time_axis(steps, N_POINTS, tiny_config(name).downsample)
    np.testing.assert_allclose(weights, expected, rtol=1e-5, atol=1e-9)


def test_attention_names_the_models_that_have_it(tmp_path, models):
    source = write_input(tmp_path, series_values())
    allowed = r"allowed: a model with attention \(bilstm_attention, local_attention\)"
    with pytest.raises(PipelineError, match=rf"\(mlp\) has no attention weights; {allowed}"):
        run_predict(source, models["mlp"], "--attention")
    assert_no_output(tmp_path)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_attention_models_are_those_whose_forward_returns_weights(name):
    model = build_model(tiny_config(name), N_POINTS)
    if isinstance(model, FixedFeatures):  # never attention; minirocket would need fitting first
        assert name not in ATTENTION_MODELS
    else:
        weights = model(torch.zeros(1, 1, N_POINTS))[1]
        assert (weights is not None) == (name in ATTENTION_MODELS)


def test_plots_are_real_pngs_named_after_the_ids(tmp_path, models):
    ids = ["a/b", "a_b", "c", "A_B", "..", "x"]
    source = write_input(tmp_path, series_values(), ids)
    for name in ("bilstm_attention", "mlp"):  # with and without attention
        plots = tmp_path / f"plots_{name}"
        run_predict(source, models[name], "--plots", str(plots))
        names = sorted(path.name for path in plots.iterdir())
        assert names == sorted(
            ["a_b.png", "a_b-row3.png", "c.png", "A_B-row5.png", "series.png"] + ["x.png"]
        )
        for path in plots.iterdir():
            assert path.read_bytes()[:8] == PNG_SIGNATURE
            image = matplotlib.image.imread(path)  # (height, width, channels)
            assert image.shape[0] > 100 and image.shape[1] > 300 and image.std() > 0.05


def test_plot_titles_of_series_without_a_known_label_give_the_prediction_only():
    values = series_values()[0]
    view = SeriesView(
        "pump-7", values[None, :], len(values), None, ("normal", "anomalous"), None, 1, 0.9, None
    )
    assert view.title == "series pump-7: predicted anomalous (p=0.900)"


def test_plots_refuse_to_replace_a_folder_holding_other_files(tmp_path, models):
    source = write_input(tmp_path, series_values())
    plots = tmp_path / "plots"  # not holding the input: that is refused before (test below)
    plots.mkdir()
    (plots / "notes.txt").write_text("keep me")
    with pytest.raises(PipelineError, match="holds more than PNG files"):
        run_predict(source, models["mlp"], "--plots", str(plots))
    assert (plots / "notes.txt").exists()
    assert_no_output(tmp_path)


def test_resample_is_linear_over_the_same_span_and_the_identity_at_the_right_length():
    ramps = np.stack([np.linspace(0, 1, 40), np.linspace(5, -5, 40)]).astype(np.float32)
    expected = np.stack([np.linspace(0, 1, 60), np.linspace(5, -5, 60)])
    np.testing.assert_allclose(resample(ramps, 60), expected, atol=1e-6)
    values = series_values()
    np.testing.assert_array_equal(resample(values, N_POINTS), values)


@pytest.mark.parametrize("name", ["bilstm_attention", "local_attention", "mlp"])
@pytest.mark.parametrize("mismatch", ["refuse", "resample"])
def test_shorter_series_are_padded_with_their_lengths_never_resampled(
    tmp_path, models, name, mismatch
):
    """Every model takes lengths; the MLP sees zeros past them."""
    short = series_values(n_points=40)
    flags = ["--length-mismatch", mismatch] + (["--attention"] if name != "mlp" else [])
    found = read_output(run_predict(write_input(tmp_path, short), models[name], *flags))
    padded = np.zeros((len(short), 1, N_POINTS), dtype=np.float32)
    padded[:, 0, :40] = short
    lengths = np.full(len(short), 40)
    probabilities, steps = predict(load(models[name]), padded, lengths)
    np.testing.assert_array_equal(found.probabilities.astype(np.float32), probabilities)
    if name == "mlp":
        return
    assert found.weights.shape == short.shape  # on the input's 40 points
    np.testing.assert_allclose(found.weights.sum(axis=1), 1.0, atol=1e-5)
    expected = attention_on_time_axis(steps, N_POINTS, tiny_config(name).downsample)[:, :40]
    np.testing.assert_allclose(found.weights, expected, rtol=1e-5, atol=1e-9)


def test_longer_series_are_refused_naming_the_row_or_resampled(tmp_path, models):
    long = series_values(n_points=80)
    source, model = write_input(tmp_path, long), models["bilstm_attention"]
    message = (
        f"{source}: row 2 (id '1'): series of 80 points, but the model {model} was trained on "
        "60; allowed: series of at most 60 points (shorter ones are padded), or "
        "--length-mismatch resample"
    )
    with pytest.raises(PipelineError, match=f"^{re.escape(message)}$"):
        run_predict(source, model)
    assert_no_output(tmp_path)
    found = read_output(run_predict(source, model, "--length-mismatch", "resample", "--attention"))
    expected = predict(load(model), as_input(resample(long, N_POINTS)))[0]
    np.testing.assert_array_equal(found.probabilities.astype(np.float32), expected)
    assert found.weights.shape == long.shape  # on the input's 80 points
    np.testing.assert_allclose(found.weights.sum(axis=1), 1.0, atol=1e-5)


def test_resample_at_the_models_length_changes_nothing(tmp_path, models):
    source = write_input(tmp_path, series_values())
    outputs = []
    for mismatch in ("refuse", "resample"):
        flags = ["--attention", "--length-mismatch", mismatch]
        outputs.append(run_predict(source, models["local_attention"], *flags).read_bytes())
    assert outputs[0] == outputs[1]
    short = write_input(tmp_path, series_values(n_points=30))  # padded under both
    outputs = []
    for mismatch in ("refuse", "resample"):
        flags = ["--attention", "--length-mismatch", mismatch]
        outputs.append(run_predict(short, models["local_attention"], *flags).read_bytes())
    assert outputs[0] == outputs[1]


def test_incompatible_model_and_bad_flags_are_pipeline_errors(tmp_path, models):
    source = write_input(tmp_path, series_values())
    config = tiny_config("bilstm_attention")
    wrong = tmp_path / "wrong.pt"
    model = tiny_model("bilstm_attention", N_POINTS)
    changed = dataclasses.replace(config, hidden_size=16)
    save_model(wrong, model, changed, N_POINTS, 1, SYNTHETIC_CLASSES)
    with pytest.raises(PipelineError, match=f"model file {wrong} is not a usable model"):
        run_predict(source, wrong)
    for flags, message in [
        (["--threshold", "1.5"], "'1.5' is not a number in \\[0, 1\\]"),
        (["--batch-size", "0"], "'0' is not an integer >= 1"),
        (["--layout", "xml"], "invalid choice: 'xml'"),
        (["--model", str(tmp_path)], "is not a usable model"),
    ]:
        with pytest.raises(PipelineError, match=message):
            main([str(source), str(tmp_path / "out.csv"), *flags])
    with pytest.raises(PipelineError, match="is a folder; allowed: a file name"):
        run_predict(source, models["mlp"], output=tmp_path)
    assert_no_output(tmp_path)


def cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "attention_ts.cli.predict", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_cli_predicts_and_prints_a_one_line_summary(tmp_path, models):
    source = write_input(tmp_path, series_values())
    done = cli(
        str(source), str(tmp_path / "out.csv"), "--model", str(models["mlp"]), "--threads", "1"
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("predicted 6 series of ") and "series/s; wrote" in done.stderr
    found = read_output(tmp_path / "out.csv")
    counts = [found.predictions.count(name) for name in SYNTHETIC_CLASSES]
    rule = "(anomalous when p_anomalous >= 0.5)"
    assert f": {counts[0]} normal, {counts[1]} anomalous {rule} in " in done.stderr


@pytest.mark.parametrize("problem", ["truncated model", "bad series file"])
def test_cli_errors_are_one_line_exit_2_and_no_output(tmp_path, models, problem):
    source = write_input(tmp_path, series_values())
    model = tmp_path / "model.pt"
    model.write_bytes(models["mlp"].read_bytes())
    if problem == "truncated model":
        model.write_bytes(model.read_bytes()[:300])
        expected = f"error: model file {model} is not a usable model"
    else:
        lines = source.read_text().splitlines()
        lines[3] = lines[3].rsplit(",", 1)[0] + ",nan"
        source.write_text("\n".join(lines) + "\n")
        expected = f"error: {source}: row 4, column {N_POINTS + 1} (v{N_POINTS - 1}): 'nan'"
    done = cli(str(source), str(tmp_path / "out.csv"), "--model", str(model))
    assert done.returncode == 2
    assert done.stderr.startswith(expected) and done.stderr.count("\n") == 1, done.stderr
    assert_no_output(tmp_path)


def test_help_exits_0_and_mentions_every_flag():
    done = cli("--help")
    assert done.returncode == 0
    flags = ["--model", "--layout", "--header", "--id-column", "--label-column", "--threshold"]
    flags += ["--attention", "ucr", "numpy.savetxt", "model.standardize = false"]
    flags += [".ts", ".arff", "@classLabel false", "channel", "p_<class>", "prediction", "padded"]
    flags += ["--plots", "--length-mismatch", "--batch-size", "--threads", "evaluate.threshold"]
    for flag in flags:
        assert flag in done.stdout, flag


def test_a_standardized_model_gives_the_same_probabilities_at_any_scale(tmp_path, models):
    """Values up to 1e38 (below float32's maximum) used to give NaN, scored as label 0."""
    values = series_values()
    expected = read_output(run_predict(write_input(tmp_path, values), models["standardized"]))
    for factor in (2.0**100, 1e30, 1e38 / np.abs(values).max()):
        scaled = (values * factor).astype(np.float32)
        output = tmp_path / "scaled.csv"
        run_predict(write_input(tmp_path, scaled), models["standardized"], output=output)
        found = read_output(output)
        assert found.ids == expected.ids and np.isfinite(found.probabilities).all()
        if factor == 2.0**100:  # a power of two: exactly
            np.testing.assert_array_equal(found.probabilities, expected.probabilities)
        np.testing.assert_allclose(found.probabilities, expected.probabilities, rtol=0, atol=1e-6)
        assert found.predictions == expected.predictions


def test_a_score_that_is_not_finite_is_one_line_naming_the_row_exit_2_and_no_output(
    tmp_path, models
):
    """A model with standardize = false cannot be scale-invariant; its NaN must not be a label."""
    values = series_values()
    values[2] *= 1e38 / np.abs(values[2]).max()
    source = write_input(tmp_path, values)
    flags = ["--model", str(models["transformer"]), "--batch-size", "2"]  # the 2nd batch fails
    done = cli(str(source), str(tmp_path / "out.csv"), *flags)
    assert done.returncode == 2
    expected = f"error: {source}: row 4 (id '3'): the model's score (logit) is nan, not finite: "
    assert done.stderr.startswith(expected) and done.stderr.count("\n") == 1, done.stderr
    assert "model.standardize = true" in done.stderr
    assert_no_output(tmp_path)


def test_a_csv_without_a_header_row_is_read_whole(tmp_path, models):
    """numpy.savetxt writes no header: the first series used to become the column names."""
    values = series_values()
    source = tmp_path / "saved.csv"
    np.savetxt(source, values, delimiter=",")
    found = read_output(run_predict(source, models["mlp"]))
    assert found.ids == ["1", "2", "3", "4", "5", "6"]  # line numbers, the first line a series too
    np.testing.assert_array_equal(
        found.probabilities.astype(np.float32), predict(load(models["mlp"]), as_input(values))[0]
    )


def test_a_first_row_of_column_numbers_is_neither_header_nor_series_silently(tmp_path, models):
    """0, 1, ..., n - 1 is what pandas writes as the header of an array; --header decides."""
    values = series_values()
    source = tmp_path / "numbered.csv"
    np.savetxt(
        source, values, delimiter=",", header=",".join(map(str, range(N_POINTS))), comments=""
    )
    message = (
        f"{source}: row 1: the first row counts 0, 1, ..., 59: column numbers (a header) or a "
        "series?; allowed: --header yes (it is a header) or --header no (it is a series)"
    )
    with pytest.raises(PipelineError, match=re.escape(message)):
        run_predict(source, models["mlp"])
    assert_no_output(tmp_path)
    ids = read_output(run_predict(source, models["mlp"], "--header", "yes")).ids
    assert ids == ["2", "3", "4", "5", "6", "7"]
    ids = read_output(run_predict(source, models["mlp"], "--header", "no")).ids
    assert ids == ["1", "2", "3", "4", "5", "6", "7"]


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_a_ucr_file_with_the_label_first_and_no_header_reads_with_layout_ucr(
    tmp_path, models, delimiter
):
    """The older UCR archive's files are comma-separated: the label is not a time point."""
    values = series_values()
    source = tmp_path / "Sines_TEST"
    np.savetxt(source, np.column_stack([np.arange(6) % 2, values]), delimiter=delimiter, fmt="%.9g")
    expected = read_output(run_predict(write_input(tmp_path, values), models["mlp"]))
    output = read_output(run_predict(source, models["mlp"], "--layout", "ucr"))
    assert output.ids == expected.ids
    np.testing.assert_array_equal(output.probabilities, expected.probabilities)
    if delimiter == ",":  # read as wide, the label is one point too many, and the message says so
        hint = "61 points, but the model .* was trained on 60 \\(a label first\\? --layout ucr"
        with pytest.raises(PipelineError, match=hint):
            run_predict(source, models["mlp"], output=tmp_path / "wide.csv")


OVERWRITES = {  # how an output could replace the input, the model or the other output
    "output is the input": lambda folder: (folder / "series.csv", None),
    "output is a symlink to the input": lambda folder: (link(folder / "series.csv", True), None),
    "output is a hard link to the input": lambda folder: (link(folder / "series.csv"), None),
    "output is the model": lambda folder: (folder / "model.pt", None),
    "--plots holds the input": lambda folder: (folder / "out.csv", folder),
    "--plots links to the input's folder": lambda folder: (folder / "out.csv", link(folder, True)),
    "output is inside --plots": lambda folder: (folder / "plots" / "out.csv", folder / "plots"),
}


def link(target: Path, symbolic: bool = False) -> Path:
    """A new symbolic or hard link to `target`, next to it (a folder: inside it)."""
    path = (target if target.is_dir() else target.parent) / f"link-to-{target.name}"
    if symbolic:
        path.symlink_to(target)
    else:
        path.hardlink_to(target)
    return path


@pytest.mark.parametrize("case", OVERWRITES)
def test_no_output_writes_over_the_input_the_model_or_another_output(tmp_path, models, case):
    source = write_input(tmp_path, series_values())
    model = tmp_path / "model.pt"
    model.write_bytes(models["mlp"].read_bytes())
    (tmp_path / "plots").mkdir()
    before = {path: path.read_bytes() for path in (source, model)}
    output, plots = OVERWRITES[case](tmp_path)
    flags = [] if plots is None else ["--plots", str(plots)]
    with pytest.raises(
        PipelineError, match=r"would write over (input|--model|output) .*; allowed: "
    ):
        run_predict(source, model, *flags, output=output)
    assert {path: path.read_bytes() for path in before} == before
    assert not list(tmp_path.rglob(".*.tmp-*")) and not list(tmp_path.rglob("*.png"))


def test_predict_over_its_own_input_is_one_line_exit_2_and_the_input_is_kept(tmp_path, models):
    """It used to exit 0 and replace the series with the predictions."""
    source = write_input(tmp_path, series_values())
    before = source.read_bytes()
    done = cli(str(source), str(source), "--model", str(models["mlp"]))
    assert done.returncode == 2
    assert done.stderr == f"error: output {source} would write over input {source}; allowed: " + (
        "an output path that is not, does not link to and does not hold what the command reads "
        "or its other outputs\n"
    )
    assert source.read_bytes() == before


# a 3-class, 3-channel model trained on series of unequal length


def motion_series(n: int, seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    """(series, labels): n series (3 channels, 20 to 40 points) float32, labels 0..2 (CLASSES).

    Each channel drifts down, stays flat or rises (by class), at its own
    rate, with noise; series 0 is the longest (WIDTH points).
    """
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % len(CLASSES)
    lengths = rng.integers(20, WIDTH + 1, size=n)
    lengths[0] = WIDTH
    series = []
    for label, length in zip(labels, lengths):
        t = np.linspace(0.0, 1.0, length)
        rates = np.array([1.0, 2.0, 0.5])[:, None] * (label - 1.0)  # (3, 1)
        series.append((rates * t + 0.1 * rng.normal(size=(3, length))).astype(np.float32))
    return series, labels


def padded(series: list[np.ndarray], width: int = WIDTH) -> tuple[np.ndarray, np.ndarray]:
    """(series (n, channels, width) float32 zero past each length, lengths (n,))."""
    values = np.zeros((len(series), series[0].shape[0], width), dtype=np.float32)
    lengths = np.array([s.shape[1] for s in series])
    for k, s in enumerate(series):
        values[k, :, : s.shape[1]] = s
    return values, lengths


def as_dataset(series: list[np.ndarray], labels: np.ndarray) -> Dataset:
    values, lengths = padded(series)
    table = np.zeros(len(series), dtype=TABLE_DTYPE)
    table["id"] = np.arange(len(series))
    table["label"] = labels
    table["amplitude"] = table["frequency"] = np.nan
    table["segment_start"] = table["segment_end"] = NO_SEGMENT
    table["length"] = lengths
    return Dataset(values, table, CLASSES)


@pytest.fixture(scope="module")
def motion_model(tmp_path_factory) -> Path:
    """local_attention trained a few epochs on 60 series: 3 classes, 3 channels, 20-40 points."""
    params = build(Params, tiny_raw_params()).train
    params = dataclasses.replace(params, max_epochs=4, patience=4, min_steps=120)
    train_set = as_dataset(*motion_series(48, seed=1))
    val_set = as_dataset(*motion_series(12, seed=2))
    config = tiny_config("local_attention")
    model, config, _ = fit_model(config, params, train_set, val_set, lambda stats: None)
    path = tmp_path_factory.mktemp("motion") / "model.pt"
    save_model(path, model, config, WIDTH, len(CHANNELS), CLASSES)
    return path


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


TS_FIRST_ROW = 10  # the line of a write_ts file's first series


def write_long(path: Path, series: list[np.ndarray], ids: list[str] | None = None) -> Path:
    """A long CSV with a channel column: id,t,channel,value, the channels interleaved."""
    ids = ids or [str(TS_FIRST_ROW + k) for k in range(len(series))]  # as a .ts file's ids
    lines = ["id,t,channel,value"]
    for series_id, values in zip(ids, series):
        for t in range(values.shape[1]):
            lines += [f"{series_id},{t},{c},{v:.9g}" for c, v in zip(CHANNELS, values[:, t])]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_ts_file_and_a_long_csv_give_the_models_class_probabilities(tmp_path, motion_model):
    series, labels = motion_series(9, seed=3)
    ts = write_ts(tmp_path / "motion.ts", series, [CLASSES[k] for k in labels])
    long = write_long(tmp_path / "motion.csv", series)
    from_ts = run_predict(ts, motion_model, "--attention", output=tmp_path / "ts.csv")
    from_long = run_predict(long, motion_model, "--attention", output=tmp_path / "long.csv")
    assert from_ts.read_bytes() == from_long.read_bytes()
    found = read_output(from_ts)
    assert found.classes == CLASSES
    assert found.ids == [str(TS_FIRST_ROW + k) for k in range(9)]  # line numbers
    np.testing.assert_allclose(found.probabilities.sum(axis=1), 1.0, atol=1e-6)
    assert found.predictions == [CLASSES[k] for k in found.probabilities.argmax(axis=1)]
    values, lengths = padded(series)
    expected = predict(load(motion_model), values, lengths)[0]
    np.testing.assert_allclose(found.probabilities, expected, rtol=0, atol=1e-6)


def test_attention_of_each_series_is_on_its_own_points_the_rest_empty(tmp_path, motion_model):
    series, _ = motion_series(9, seed=4)
    found = read_output(
        run_predict(write_long(tmp_path / "in.csv", series), motion_model, "--attention")
    )
    assert found.weights.shape == (9, WIDTH)  # the longest series' points
    values, lengths = padded(series)
    steps = predict(load(motion_model), values, lengths)[1]
    on_axis = attention_on_time_axis(steps, WIDTH, tiny_config("local_attention").downsample)
    for k, length in enumerate(lengths):
        assert not np.isnan(found.weights[k, :length]).any()
        assert np.isnan(found.weights[k, length:]).all()  # empty cells
        assert found.texts[k][-(WIDTH - length) :] == [""] * (WIDTH - length) or length == WIDTH
        np.testing.assert_allclose(found.weights[k, :length].sum(), 1.0, atol=1e-5)
        np.testing.assert_allclose(found.weights[k, :length], on_axis[k, :length], atol=1e-6)


def test_a_series_gets_the_same_probabilities_alone_or_among_longer_ones(tmp_path, motion_model):
    """Padding is internal: a series' result does not depend on the file or batch it is in."""
    series, _ = motion_series(9, seed=5)
    k = int(np.argmin([s.shape[1] for s in series]))
    alone = read_output(
        run_predict(write_long(tmp_path / "alone.csv", [series[k]]), motion_model, "--attention")
    )
    source = write_long(tmp_path / "all.csv", series)
    for batch_size in ("1", "4", "1000"):
        found = read_output(
            run_predict(source, motion_model, "--attention", "--batch-size", batch_size)
        )
        np.testing.assert_allclose(found.probabilities[k], alone.probabilities[0], atol=1e-6)
        length = series[k].shape[1]
        np.testing.assert_allclose(found.weights[k, :length], alone.weights[0], atol=1e-6)


def test_weight_columns_widen_when_a_later_batch_has_a_longer_series(tmp_path, motion_model):
    series, _ = motion_series(9, seed=6)
    series = sorted(series, key=lambda s: s.shape[1])  # the longest last
    source = write_long(tmp_path / "in.csv", series)
    whole = run_predict(source, motion_model, "--attention", output=tmp_path / "whole.csv")
    for batch_size in ("1", "2"):
        output = tmp_path / f"batches_{batch_size}.csv"
        run_predict(source, motion_model, "--attention", "--batch-size", batch_size, output=output)
        found, expected = read_output(output), read_output(whole)
        assert output.read_text().split("\n")[0] == whole.read_text().split("\n")[0]  # header
        assert found.ids == expected.ids and found.predictions == expected.predictions
        np.testing.assert_allclose(found.probabilities, expected.probabilities, atol=1e-6)
        np.testing.assert_allclose(found.weights, expected.weights, atol=1e-6)  # NaN: NaN
    assert read_output(whole).weights.shape == (9, WIDTH)
    assert not list(tmp_path.glob(".*"))  # no temporary file left


def test_a_ts_file_without_labels_is_read(tmp_path, motion_model):
    series, _ = motion_series(5, seed=7)
    labelled = write_ts(tmp_path / "labelled.ts", series, ["up", "down", "??", "x", "up"])
    unlabelled = write_ts(tmp_path / "unlabelled.ts", series)
    outputs = [
        run_predict(path, motion_model, output=tmp_path / f"{path.stem}.csv").read_bytes()
        for path in (labelled, unlabelled)
    ]
    assert outputs[0] == outputs[1]  # the labels are not read, nor checked against the classes


def test_csv_flags_with_a_ts_file_are_refused(tmp_path, motion_model):
    source = write_ts(tmp_path / "in.ts", motion_series(3, seed=8)[0])
    for flags in (["--label-column", "label"], ["--header", "no"], ["--id-column", "name"]):
        with pytest.raises(PipelineError, match=f"^{flags[0]}: {source} is read by aeon's loader"):
            run_predict(source, motion_model, *flags)
    assert_no_output(tmp_path)


def test_another_channel_count_than_the_models_is_one_line_naming_the_row(
    tmp_path, models, motion_model
):
    one = write_input(tmp_path, series_values(n_points=30))
    message = (
        f"error: {one}: row 2 (id '1'): 1 channel, but the model {motion_model} was trained "
        f"on 3 (several channels: a long CSV with a 'channel' column, or a .ts file); allowed: "
        "series of 3 channels\n"
    )
    done = cli(str(one), str(tmp_path / "out.csv"), "--model", str(motion_model))
    assert done.returncode == 2 and done.stderr == message
    three = write_long(tmp_path / "three.csv", motion_series(3, seed=9)[0], ["a", "b", "c"])
    message = rf"^{three}: row 2 \(id 'a'\): 3 channels, but the model .* was trained on 1; allowed"
    with pytest.raises(PipelineError, match=message):
        run_predict(three, models["local_attention"])
    assert_no_output(tmp_path)


def test_a_longer_series_among_shorter_ones_is_refused_or_resampled(tmp_path, motion_model):
    series, _ = motion_series(4, seed=10)
    rng = np.random.default_rng(11)
    series[2] = rng.normal(size=(3, 50)).astype(np.float32)  # longer than the model's 40
    source = write_long(tmp_path / "in.csv", series)
    message = (
        f"{source}: row {1 + 3 * sum(s.shape[1] for s in series[:2]) + 1} (id '12'): series of "
        f"50 points, but the model {motion_model} was trained on 40; allowed: series of at most "
        "40 points (shorter ones are padded), or --length-mismatch resample"
    )
    with pytest.raises(PipelineError, match=f"^{re.escape(message)}$"):
        run_predict(source, motion_model)
    assert_no_output(tmp_path)
    flags = ["--length-mismatch", "resample", "--attention"]
    found = read_output(run_predict(source, motion_model, *flags))
    assert found.weights.shape == (4, 50)  # the longest series, on its own points
    np.testing.assert_allclose(np.nansum(found.weights, axis=1), 1.0, atol=1e-5)
    model = load(motion_model)
    expected = predict(model, resample(series[2], WIDTH)[None])[0][0]
    np.testing.assert_allclose(found.probabilities[2], expected, atol=1e-6)
    shorter = [s for k, s in enumerate(series) if k != 2]
    values, lengths = padded(shorter)
    expected = predict(model, values, lengths)[0]
    np.testing.assert_allclose(found.probabilities[[0, 1, 3]], expected, atol=1e-6)


def test_threshold_is_refused_for_more_than_two_classes(tmp_path, motion_model):
    source = write_ts(tmp_path / "in.ts", motion_series(3, seed=12)[0])
    message = "--threshold 0.3: the model .* has 3 classes, whose prediction is the most probable"
    with pytest.raises(PipelineError, match=message):
        run_predict(source, motion_model, "--threshold", "0.3")


def test_plots_of_several_channels_show_each_series_on_its_own_points(
    tmp_path, motion_model, monkeypatch
):
    drawn = []

    def record(view: SeriesView, path: Path) -> None:
        drawn.append(view)
        save_series_plot(view, path)

    monkeypatch.setattr(attention_ts.explain.plotting, "save_series_plot", record)
    series, _ = motion_series(3, seed=13)
    plots = tmp_path / "plots"
    source = write_ts(tmp_path / "in.ts", series)
    output = run_predict(source, motion_model, "--plots", str(plots), "--attention")
    assert sorted(path.name for path in plots.iterdir()) == ["10.png", "11.png", "12.png"]
    for path in plots.iterdir():
        image = matplotlib.image.imread(path)
        assert image.shape[0] > 100 and image.shape[1] > 300 and image.std() > 0.05
    found = read_output(output)
    for k, view in enumerate(drawn):
        length = series[k].shape[1]
        assert view.classes == CLASSES and view.length == length and view.label is None
        np.testing.assert_array_equal(view.values, series[k])  # (3, length)
        assert view.attention.shape == (length,)
        np.testing.assert_allclose(view.attention, found.weights[k, :length], atol=1e-6)
        name = found.predictions[k]
        p = found.probabilities[k, CLASSES.index(name)]
        assert view.title.startswith(f"series {10 + k}: predicted {name} (p={p:.3f})")


def test_an_arff_file_is_read_by_aeon_its_labels_ignored(tmp_path, models):
    values = series_values()
    lines = ["@relation sines"] + [f"@attribute t{i} numeric" for i in range(N_POINTS)]
    lines += ["@attribute target {a,b}", "@data"]
    lines += [",".join(f"{v:.9g}" for v in row) + ",a" for row in values.tolist()]
    source = tmp_path / "sines.arff"
    source.write_text("\n".join(lines) + "\n")
    found = read_output(run_predict(source, models["mlp"]))
    expected = read_output(run_predict(write_input(tmp_path, values), models["mlp"]))
    assert found.ids == [str(N_POINTS + 4 + k) for k in range(len(values))]  # line numbers
    np.testing.assert_array_equal(found.probabilities, expected.probabilities)


def test_a_ts_file_without_a_classlabel_line_is_refused(tmp_path, motion_model):
    source = write_ts(tmp_path / "in.ts", motion_series(3, seed=14)[0])
    source.write_text(source.read_text().replace("@classLabel false\n", ""))
    message = f"^{source}: no @classLabel line in the header .*; allowed: @classLabel false"
    with pytest.raises(PipelineError, match=message):
        run_predict(source, motion_model)
    assert_no_output(tmp_path)


@pytest.mark.parametrize("name", ["bilstm_attention", "local_attention", "mlp", "transformer"])
def test_micro_batches_at_one_thread_give_the_bits_of_one_pass(name):
    """predict_full runs 128 series a pass at one thread; the bits are those of one pass."""
    model = tiny_model(name, N_POINTS)
    series = as_input(series_values(1000 - 3))  # micro-batches 128 x 7, then the rest, 101
    assert attention_ts.cli.predict.micro_batches(1000 - 3)[-1] == slice(896, 997)
    assert attention_ts.cli.predict.micro_batches(3 * 128 + 5)[-1] == slice(256, 389)  # rest 5
    assert attention_ts.cli.predict.micro_batches(129) == [slice(0, 129)]  # no pass of 1 series
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        names = [str(k) for k in range(len(series))]
        found = attention_ts.cli.predict.predict_full(model, series, 1000, names)
        expected = predict(model, series, None, 1000, names)
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_array_equal(found[0], expected[0])
    if expected[1] is not None:
        np.testing.assert_array_equal(found[1], expected[1])


def test_weight_cells_are_each_weight_formatted_as_before():
    """Runs of equal weights are formatted once; the text is that of formatting each value."""
    rng = np.random.default_rng(0)
    choices = np.array([0.0, -0.0, 1e-7, 0.123456789, 1 / 3, np.nan], dtype=np.float32)
    weights = rng.choice(choices, size=(7, 40))
    weights[:, ::3] = rng.random((7, 14))
    weights = weights[:, 1:-2]  # not contiguous
    cell = ",%.6g"  # each weight, as Output wrote it before
    expected = ["".join(cell % value for value in row) for row in weights.tolist()]
    assert attention_ts.cli.predict.weight_cells(weights) == expected
    rows = [weights[k, :k] for k in range(7)]  # ragged, one empty
    expected = ["".join(cell % value for value in row.tolist()) for row in rows]
    assert attention_ts.cli.predict.ragged_weight_cells(rows) == expected
