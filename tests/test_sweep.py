"""The sweep report: one row per x value, one column per model, newest experiment wins.

Only experiments whose metrics file a run at their params wrote count: the
end-to-end tests below run the command on tiny git repositories whose
experiments are hand-written lock files (tests/test_experiments.py).
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys

import pytest

from attention_ts.cli.experiments import Candidate
from attention_ts.cli.sweep import grid, write_reports
from attention_ts.core.stage import PipelineError
from tests.conftest import REPO
from tests.test_experiments import (
    COMPARISON,
    DEFAULT_PIPELINE,
    Runs,
    edit_file,
    new_runs,
    set_param,
)


def _exp(noise: float, f1: dict[str, float], is_experiment: bool = True) -> Candidate:
    compare = {model: {"f1": value, "roc_auc": 1.0} for model, value in f1.items()}
    metrics = {"metrics/train.json": {"best_val_loss": 0.1}, "metrics/compare.json": compare}
    return Candidate(f"noise-{noise}", "rev", is_experiment, metrics, {"generate.noise": noise})


CANDIDATES = [
    _exp(0.0, {"cnn": 0.5}, is_experiment=False),  # the baseline: older than its experiments
    _exp(0.1, {"cnn": 0.95}),
    _exp(0.0, {"cnn": 1.0, "mlp": 0.98}),
    _exp(0.1, {"cnn": 0.10}),  # older duplicate of (0.1, cnn): ignored
]


def test_grid_collects_the_newest_cell_per_noise_and_model():
    xs, names, cells = grid(CANDIDATES, "generate.noise", "f1")
    assert xs == [0.0, 0.1]
    assert names == ["cnn", "mlp"]
    assert cells == {(0.1, "cnn"): 0.95, (0.0, "cnn"): 1.0, (0.0, "mlp"): 0.98}


def test_the_baseline_is_a_cell_where_no_experiment_is():
    xs, _, cells = grid(
        [*CANDIDATES, _exp(0.2, {"cnn": 0.7}, is_experiment=False)], "generate.noise", "f1"
    )
    assert xs == [0.0, 0.1, 0.2] and cells[(0.2, "cnn")] == 0.7 and cells[(0.0, "cnn")] == 1.0


def test_grid_without_matching_experiments_is_a_clear_error():
    with pytest.raises(
        PipelineError,
        match="^no experiment has param train.lr and a f1 in a metrics/compare.json that a run "
        "at its params wrote; allowed: ",
    ):
        grid(CANDIDATES, "train.lr", "f1")
    with pytest.raises(PipelineError, match="no experiment has param generate.noise and a mcc"):
        grid(CANDIDATES, "generate.noise", "mcc")


def test_reports_hold_the_table(tmp_path):
    xs, names, cells = grid(CANDIDATES, "generate.noise", "f1")
    write_reports(xs, names, cells, "generate.noise", "f1", tmp_path)
    with open(tmp_path / "sweep.csv") as f:
        rows = list(csv.reader(f))
    assert rows == [["generate.noise", "cnn", "mlp"], ["0.0", "1.0", "0.98"], ["0.1", "0.95", ""]]
    table = (tmp_path / "sweep.md").read_text().splitlines()
    assert table[2] == "| generate.noise | cnn | mlp |"
    assert table[4] == "| 0.0 | 1.000 | 0.980 |"
    assert (tmp_path / "sweep.png").read_bytes()[:4] == b"\x89PNG"


def test_grid_reads_nested_keys_of_another_metrics_file():
    localization = {
        "uniform": {"lift": 1.0},  # no "attention" entry: not a column
        "local_attention": {"attention": {"lift": 3.5}, "saliency": {"lift": 2.0}},
        "mlp": {"saliency": {"lift": 1.2}},
    }
    metrics = {"metrics/localization.json": localization}
    candidate = Candidate("noisy", "rev", True, metrics, {"generate.noise": 0.1})
    xs, names, cells = grid(
        [candidate], "generate.noise", "attention.lift", "metrics/localization.json"
    )
    assert (xs, names, cells) == ([0.1], ["local_attention"], {(0.1, "local_attention"): 3.5})


@pytest.fixture
def runs(tmp_path, monkeypatch) -> Runs:
    return new_runs(tmp_path, monkeypatch)


def _sweep(*args: str) -> subprocess.CompletedProcess:
    """`python -m attention_ts.cli.sweep args` here, running this checkout's code."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "attention_ts.cli.sweep", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env)


SKIPPED = "skipped {} whose metrics/compare.json a run at their params did not write: "


def test_experiments_that_did_not_run_the_comparison_are_skipped_and_named(runs, tmp_path):
    baseline = runs.commit("baseline")["rev"]
    set_param(runs.copy(), "generate.noise", 0.2).run().commit("compared", baseline)
    set_param(runs.copy(), "generate.noise", 0.1).run(*DEFAULT_PIPELINE).commit(
        "default-only", baseline
    )
    edited = set_param(runs.copy(), "generate.noise", 0.2).run()  # newer than compared, same noise
    edit_file(edited, COMPARISON, b'{"mlp": {"f1": 0.5}, "cnn": {"f1": 0.5}}').commit(
        "edited", baseline
    )
    result = _sweep("--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(SKIPPED.format("2 experiments"))
    fit = r"stage compare/dvc.yaml:fit@\w+"
    assert re.search(
        rf"default-only \({fit} ran on another data/split than stage split wrote\)", line
    )
    assert "edited (it was changed after stage compare/dvc.yaml:compare wrote it)" in line
    with open(tmp_path / "out/sweep.csv") as f:
        rows = list(csv.reader(f))
    assert rows == [["generate.noise", "mlp", "cnn"], ["0.0", "1.0", "1.0"], ["0.2", "0.8", "0.8"]]


def test_no_experiment_that_ran_the_comparison_is_a_refusal_that_writes_nothing(runs, tmp_path):
    set_param(runs, "compare.mlp", {"lr": 0.5})  # committed without rerunning the comparison
    baseline = runs.commit("baseline")["rev"]
    set_param(runs.copy(), "generate.noise", 0.1).run(*DEFAULT_PIPELINE).commit(
        "default-only", baseline
    )
    (tmp_path / "out").mkdir()
    (tmp_path / "out/sweep.csv").write_text("the committed report\n")
    result = _sweep("--out", str(tmp_path / "out"))
    assert result.returncode == 2
    skipped, error = result.stderr.splitlines()
    assert skipped.startswith(SKIPPED.format("2 experiments"))
    why = "stage compare/dvc.yaml:compare ran with another compare than params.yaml has"
    assert skipped.endswith(f" (baseline), default-only ({why})")  # the baseline's name: a branch
    assert error.startswith("error: no experiment has param generate.noise and a f1 in a ")
    assert "; allowed: " in error
    assert os.listdir(tmp_path / "out") == ["sweep.csv"]
    assert (tmp_path / "out/sweep.csv").read_text() == "the committed report\n"
