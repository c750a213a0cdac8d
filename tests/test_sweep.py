"""The sweep report: one row per x value, one column per model, newest experiment wins."""

from __future__ import annotations

import csv

import pytest

from attention_ts.cli.experiments import Candidate
from attention_ts.cli.sweep import grid, write_reports
from attention_ts.core.stage import PipelineError


def _exp(noise: float, f1: dict[str, float], is_experiment: bool = True) -> Candidate:
    compare = {model: {"f1": value, "roc_auc": 1.0} for model, value in f1.items()}
    metrics = {"metrics/train.json": {"best_val_loss": 0.1}, "metrics/compare.json": compare}
    return Candidate(f"noise-{noise}", "rev", is_experiment, metrics, {"generate.noise": noise})


CANDIDATES = [
    _exp(0.0, {"cnn": 0.5}, is_experiment=False),  # the baseline commit is not a cell
    _exp(0.1, {"cnn": 0.95}),
    _exp(0.0, {"cnn": 1.0, "mlp": 0.98}),
    _exp(0.1, {"cnn": 0.10}),  # older duplicate of (0.1, cnn): ignored
]


def test_grid_collects_the_newest_cell_per_noise_and_model():
    xs, names, cells = grid(CANDIDATES, "generate.noise", "f1")
    assert xs == [0.0, 0.1]
    assert names == ["cnn", "mlp"]
    assert cells == {(0.1, "cnn"): 0.95, (0.0, "cnn"): 1.0, (0.0, "mlp"): 0.98}


def test_grid_without_matching_experiments_is_a_clear_error():
    with pytest.raises(
        PipelineError, match="no experiment has param train.lr and a f1 in metrics/compare.json"
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
