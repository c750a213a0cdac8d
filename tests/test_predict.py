"""`python -m attention_ts.predict`: a saved model applied to the series of a user's file.

Tiny models saved in a temporary folder (a fresh clone has no models/); the
command runs in-process through `main` except for the few checks that need
the real process: --help, the exit status and the one-line errors.
"""

from __future__ import annotations

import csv
import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
import torch

from attention_ts.models import (
    ATTENTION_MODELS,
    FixedFeatures,
    attention_on_time_axis,
    build_model,
    load_model,
    predict,
    save_model,
)
from attention_ts.params import MODEL_NAMES
from attention_ts.plotting import SeriesView
from attention_ts.predict import main, resample
from attention_ts.series_io import SeriesBatch, write_series
from attention_ts.stage import PipelineError
from tests.conftest import REPO, tiny_config, tiny_model

N_POINTS = 60
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


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
        save_model(paths[name], tiny_model(name, N_POINTS), tiny_config(name), N_POINTS)
    paths["standardized"] = folder / "standardized.pt"  # standardize = true, the pipeline's default
    config = tiny_config("bilstm_attention", standardize=True)
    model = tiny_model("bilstm_attention", N_POINTS, standardize=True)
    save_model(paths["standardized"], model, config, N_POINTS)
    return paths


def write_input(folder: Path, values: np.ndarray, ids: list[str] | None = None) -> Path:
    ids = ids or [str(k + 1) for k in range(len(values))]
    path = folder / "series.csv"
    write_series(path, SeriesBatch(ids, [], values, None), "wide")
    return path


def read_output(path: Path) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray | None]:
    """(ids, probabilities, labels, weights or None) of an output CSV."""
    with open(path, newline="") as stream:
        header, *rows = list(csv.reader(stream))
    assert header[:3] == ["id", "probability", "label"]
    numbers = np.array([row[1:] for row in rows], dtype=np.float64)
    weights = numbers[:, 2:] if len(header) > 3 else None
    assert header[3:] == [f"w{i}" for i in range(0 if weights is None else weights.shape[1])]
    return [row[0] for row in rows], numbers[:, 0], numbers[:, 1].astype(int), weights


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


def test_probabilities_are_the_models_and_labels_follow_the_threshold(tmp_path, models):
    values = series_values()
    output = run_predict(
        write_input(tmp_path, values), models["bilstm_attention"], "--threshold", "0.3"
    )
    ids, probabilities, labels, weights = read_output(output)
    expected = predict(load(models["bilstm_attention"]), values)[0]
    np.testing.assert_array_equal(probabilities.astype(np.float32), expected)  # 9 digits: exact
    np.testing.assert_array_equal(labels, expected >= 0.3)
    assert ids == ["1", "2", "3", "4", "5", "6"] and weights is None


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
    assert read_output(output)[0] == [series_id.strip() for series_id in ids]


@pytest.mark.parametrize("name", ["bilstm_attention", "local_attention"])
def test_attention_columns_are_weights_per_point_on_the_time_axis(tmp_path, models, name):
    values = series_values()
    source = write_input(tmp_path, values)
    weights = read_output(run_predict(source, models[name], "--attention", "--batch-size", "4"))[3]
    assert weights.shape == values.shape
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-5)
    steps = predict(load(models[name]), values)[1]
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
        assert (model(torch.zeros(1, N_POINTS))[1] is not None) == (name in ATTENTION_MODELS)


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


def test_other_lengths_are_refused_or_resampled(tmp_path, models):
    short = series_values(n_points=40)
    source, model = write_input(tmp_path, short), models["bilstm_attention"]
    message = (
        f"{source}: series of 40 points, but the model {model} was trained on 60; "
        "allowed: series of 60 points, or --length-mismatch resample"
    )
    with pytest.raises(PipelineError, match=re.escape(message)):
        run_predict(source, model)
    assert_no_output(tmp_path)
    output = run_predict(source, model, "--length-mismatch", "resample", "--attention")
    _, probabilities, _, weights = read_output(output)
    expected = predict(load(models["bilstm_attention"]), resample(short, N_POINTS))[0]
    np.testing.assert_array_equal(probabilities.astype(np.float32), expected)
    assert weights.shape == short.shape  # on the input's 40 points
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-5)
    single = write_input(tmp_path, short[:, :1])
    with pytest.raises(PipelineError, match="series of 1 point cannot be resampled; allowed"):
        run_predict(single, model, "--length-mismatch", "resample", output=tmp_path / "one.csv")


def test_resample_at_the_models_length_changes_nothing(tmp_path, models):
    source = write_input(tmp_path, series_values())
    outputs = []
    for mismatch in ("refuse", "resample"):
        flags = ["--attention", "--length-mismatch", mismatch]
        outputs.append(run_predict(source, models["local_attention"], *flags).read_bytes())
    assert outputs[0] == outputs[1]


def test_incompatible_model_and_bad_flags_are_pipeline_errors(tmp_path, models):
    source = write_input(tmp_path, series_values())
    config = tiny_config("bilstm_attention")
    wrong = tmp_path / "wrong.pt"
    model = tiny_model("bilstm_attention", N_POINTS)
    save_model(wrong, model, dataclasses.replace(config, hidden_size=16), N_POINTS)
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
    command = [sys.executable, "-m", "attention_ts.predict", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_cli_predicts_and_prints_a_one_line_summary(tmp_path, models):
    source = write_input(tmp_path, series_values())
    done = cli(
        str(source), str(tmp_path / "out.csv"), "--model", str(models["mlp"]), "--threads", "1"
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("predicted 6 series of ") and "series/s; wrote" in done.stderr
    assert len(read_output(tmp_path / "out.csv")[0]) == 6


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
        ids, probabilities, labels, _ = read_output(output)
        assert ids == expected[0] and np.isfinite(probabilities).all()
        if factor == 2.0**100:  # a power of two: exactly
            np.testing.assert_array_equal(probabilities, expected[1])
        np.testing.assert_allclose(probabilities, expected[1], rtol=0, atol=1e-6)
        np.testing.assert_array_equal(labels, expected[2])


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
    ids, probabilities, _, _ = read_output(run_predict(source, models["mlp"]))
    assert ids == ["1", "2", "3", "4", "5", "6"]  # line numbers, the first line a series too
    np.testing.assert_array_equal(
        probabilities.astype(np.float32), predict(load(models["mlp"]), values)[0]
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
    ids = read_output(run_predict(source, models["mlp"], "--header", "yes"))[0]
    assert ids == ["2", "3", "4", "5", "6", "7"]
    ids = read_output(run_predict(source, models["mlp"], "--header", "no"))[0]
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
    assert output[0] == expected[0]
    np.testing.assert_array_equal(output[1], expected[1])
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
