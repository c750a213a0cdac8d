"""The compare stage gathers each model's fit results into metrics, bar-chart data and a table."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from attention_ts.core.stage import PipelineError
from attention_ts.results.comparison import (
    CURVES_FILE,
    FIT_DIR,
    HEATMAP_FILE,
    SCORES_FILE,
    TIMING_FILE,
    load_heatmaps,
    read_result,
    save_heatmaps,
)
from tests.conftest import REPO, default_raw_params, write_params

UNIFORM = {
    "mass_inside": 0.25,
    "lift": 1.0,
    "pointing_game": 0.25,
    "pointing_game_tolerance": 0.3,
    "auprc": 0.25,
    "normal_entropy": 1.0,
}


def _areas(area: float, random: float) -> dict:
    """faithfulness.compare_areas' shape: the same areas for both curves and outcomes."""
    scores = {"area": area, "random_area": random, "ratio": area / random, "gap": area - random}
    return {
        curve: {"probability": scores, "accuracy": scores} for curve in ("deletion", "insertion")
    }


def _faithfulness(methods: list[str], area: float, located: bool = True) -> tuple[dict, dict]:
    """A made-up (summary, curves) of faithfulness.faithfulness_report: deletion area `area`."""
    summary = {
        "n_series": 10,
        "random": {"contiguity": 9.0},
        "methods": {
            method: {
                "contiguity": 1.5,
                "randomization": 0.1,
                "localization": {**UNIFORM, "pointing_game": area} if located else None,
                "interpolate": _areas(area, 0.1),
                "mean": _areas(area / 2, 0.1),
            }
            for method in methods
        },
        "interventions": None,
    }
    if "attention" in methods:
        moved = {"f1": 0.5, "total_variation": 0.3, "decisions_changed": 0.4}
        summary["interventions"] = {"f1": 0.99, "uniform": moved, "permuted": moved}
    line = {"deletion": {"probability": [1.0, 0.5, 0.0], "accuracy": [1.0, 0.5, 0.5]}}
    line["insertion"] = line["deletion"]
    by_method = {name: line for name in ["random", *methods]}
    curves = {"fractions": [0.0, 0.5, 1.0], "interpolate": by_method, "mean": by_method}
    curves["randomization"] = [{"layer": "head", **dict.fromkeys(methods, 0.1)}]
    return summary, curves


def _write_fit(root: Path, name: str, f1: float, seconds: float) -> None:
    """What stages/fit_model.py writes for one model, with made-up numbers."""
    directory = root / FIT_DIR / name
    directory.mkdir(parents=True)
    test = {"f1": f1, "roc_auc": f1 + 0.001, "pr_auc": f1 + 0.002, "tuned": {"f1": f1 + 0.003}}
    kinds = {"mlp": ["saliency"], "bilstm_attention": ["attention", "saliency"]}.get(name, [])
    localization = {kind: {**UNIFORM, "mass_inside": f1 / 2} for kind in ["uniform", *kinds]}
    localization["uniform"] = UNIFORM
    faithfulness, curves = _faithfulness([*kinds, "occlusion"], f1 / 2)
    scores = {
        "test": test,
        "train": {"best_epoch": 4},
        "n_parameters": len(name) * 100,
        "localization": localization,
        "faithfulness": faithfulness,
    }
    (directory / SCORES_FILE).write_text(json.dumps(scores))
    (directory / CURVES_FILE).write_text(json.dumps(curves))
    weights = np.random.default_rng(0).dirichlet(np.ones(50), size=8)  # (8 series, 50 points)
    rows = {"weights": weights, "starts": np.arange(8), "ends": np.arange(8) + 20}
    save_heatmaps(directory / HEATMAP_FILE, {kind: rows for kind in kinds})
    timing = {"train_seconds": seconds, "inference_series_per_s": 1000.0 / seconds}
    (directory / TIMING_FILE).write_text(json.dumps(timing))


def _write_multiclass_fit(root: Path, name: str, macro_f1: float) -> None:
    """What stages/fit_model.py writes for a model of 3 classes on data without segments."""
    directory = root / FIT_DIR / name
    directory.mkdir(parents=True)
    test = {"accuracy": 0.8, "balanced_accuracy": 0.79, "macro_f1": macro_f1, "roc_auc": 0.9}
    unlocated = {"located_series": 0, "n_series": 30}
    localization = {
        "uniform": {**unlocated, "entropy": 1.0},
        "attention": {**unlocated, "entropy": 0.5},
        "saliency": {**unlocated, "entropy": 0.75},
    }
    faithfulness, curves = _faithfulness(["attention", "saliency"], 0.3, located=False)
    scores = {
        "test": {**test, "log_loss": 0.4, "per_class": {}},
        "train": {"best_epoch": 2},
        "n_parameters": 1234,
        "localization": localization,
        "faithfulness": faithfulness,
    }
    (directory / SCORES_FILE).write_text(json.dumps(scores))
    (directory / CURVES_FILE).write_text(json.dumps(curves))
    empty = {"weights": np.zeros((0, 50)), "starts": np.zeros(0), "ends": np.zeros(0)}
    save_heatmaps(directory / HEATMAP_FILE, {"attention": empty, "saliency": empty})
    (directory / TIMING_FILE).write_text(
        json.dumps({"train_seconds": 3.0, "inference_series_per_s": 10.0})
    )


def _run_compare(root: Path, models: list[str]) -> subprocess.CompletedProcess:
    raw = default_raw_params()
    raw["compare"] = {name: {} for name in models}
    write_params(root / "params.yaml", raw)
    return subprocess.run(
        [sys.executable, "-m", "stages.compare"],
        cwd=root,
        env={"PYTHONPATH": str(REPO), "PATH": ""},
        capture_output=True,
        text=True,
    )


def test_compare_stage_gathers_the_models_in_params_in_their_order(tmp_path):
    _write_fit(tmp_path, "mlp", 0.91, 2.0)
    _write_fit(tmp_path, "cnn", 0.95, 40.0)
    _write_fit(tmp_path, "lstm", 0.99, 20.0)  # fitted earlier, no longer compared
    result = _run_compare(tmp_path, ["cnn", "mlp"])
    assert result.returncode == 0, result.stderr

    metrics = json.loads((tmp_path / "metrics/compare.json").read_text())
    assert list(metrics) == ["cnn", "mlp"]
    assert metrics["cnn"] == {
        "f1": 0.95,
        "roc_auc": 0.951,
        "pr_auc": 0.952,
        "tuned_f1": 0.953,
        "n_parameters": 300,
        "best_epoch": 4,
    }
    assert "train_seconds" not in json.dumps(metrics)  # timings vary run to run; not in git

    timings = json.loads((tmp_path / "reports/compare/timings.json").read_text())
    assert timings["mlp"] == {"train_seconds": 2.0, "inference_series_per_s": 500.0}
    bars = json.loads((tmp_path / "plots/compare/scores.json").read_text())["models"]
    assert [(b["model"], b["f1"]) for b in bars] == [("cnn", 0.95), ("mlp", 0.91)]

    with open(tmp_path / "reports/compare/table.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["model"] for r in rows] == ["cnn", "mlp"]
    assert float(rows[1]["train_seconds"]) == 2.0 and int(rows[0]["n_parameters"]) == 300
    table = (tmp_path / "reports/compare/table.md").read_text().splitlines()
    assert table[0].startswith("| model | F1 | ROC AUC | PR AUC |")
    assert table[2] == "| cnn | 0.9500 | 0.9510 | 0.9520 | 0.9530 | 300 | 4 | 40.0 | 25 |"


def test_a_model_that_was_not_fitted_is_one_clear_error(tmp_path):
    _write_fit(tmp_path, "mlp", 0.91, 2.0)
    result = _run_compare(tmp_path, ["mlp", "cnn"])
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: models/compare/cnn/scores.json not found; "
        "run `dvc repro compare/dvc.yaml` to train every model"
    )
    assert not (tmp_path / "metrics").exists()


def test_a_result_missing_a_metric_names_it(tmp_path):
    _write_fit(tmp_path, "mlp", 0.91, 2.0)
    scores = tmp_path / FIT_DIR / "mlp" / SCORES_FILE
    scores.write_text(json.dumps({"test": {"f1": 0.9}}))
    with pytest.raises(PipelineError, match="lacks 'roc_auc'"):
        read_result(tmp_path / FIT_DIR, "mlp")


def test_compare_stage_gathers_where_each_model_looks(tmp_path):
    for name, f1 in [("bilstm_attention", 0.99), ("mlp", 0.9), ("flat_run_rule", 1.0)]:
        _write_fit(tmp_path, name, f1, 1.0)
    result = _run_compare(tmp_path, ["bilstm_attention", "mlp", "flat_run_rule"])
    assert result.returncode == 0, result.stderr

    localization = json.loads((tmp_path / "metrics/localization.json").read_text())
    assert list(localization) == ["uniform", "bilstm_attention", "mlp"]  # the rule has no weights
    assert localization["uniform"] == UNIFORM
    assert list(localization["bilstm_attention"]) == ["attention", "saliency"]
    assert localization["mlp"]["saliency"]["mass_inside"] == 0.45
    with open(tmp_path / "reports/compare/localization.csv") as f:
        rows = [(r["model"], r["weights"], r["mass_inside"]) for r in csv.DictReader(f)]
    assert rows == [
        ("uniform (chance level)", "-", "0.25"),
        ("bilstm_attention", "attention", "0.495"),
        ("bilstm_attention", "saliency", "0.495"),
        ("mlp", "saliency", "0.45"),
    ]
    header = (tmp_path / "reports/compare/localization.md").read_text().splitlines()[0]
    assert "pointing game +-10" in header  # the tolerance in params.yaml
    height, width, _ = matplotlib.image.imread(tmp_path / "plots/compare/heatmaps.png").shape
    assert (height, width) == (2 * 3 * 80, 2 * 5 * 80)  # a row per model, a column per kind

    faithfulness = json.loads((tmp_path / "metrics/faithfulness.json").read_text())
    assert list(faithfulness) == ["targets", "bilstm_attention", "mlp", "flat_run_rule"]
    assert list(faithfulness["targets"]) == ["bilstm_attention"]  # the one attention model
    targets = faithfulness["targets"]["bilstm_attention"]
    assert targets["deletion_ratio"] == {
        "value": pytest.approx(4.95),
        "target": ">= 3.0",
        "met": True,
    }
    assert targets["randomization"]["met"] and targets["uniform_f1"]["met"]  # 0.1 < 0.2, 0.5 < 0.9
    assert faithfulness["mlp"]["saliency"]["interpolate"]["deletion_area"] == 0.45
    assert faithfulness["mlp"]["saliency"]["mean"]["deletion_ratio"] == pytest.approx(2.25)
    assert "interventions" not in faithfulness["mlp"]
    with open(tmp_path / "reports/compare/faithfulness.csv") as f:
        rows = [(r["model"], r["method"], r["policy"]) for r in csv.DictReader(f)]
    assert rows[:3] == [
        ("bilstm_attention", "attention", "interpolate"),
        ("bilstm_attention", "saliency", "interpolate"),
        ("bilstm_attention", "occlusion", "interpolate"),
    ]
    assert len(rows) == 2 * (3 + 2 + 1)  # policies x methods of each model
    header = (tmp_path / "reports/compare/faithfulness.md").read_text().splitlines()[2]
    assert "runs in top 10%" in header
    with open(tmp_path / "reports/compare/interventions.csv") as f:
        assert [r["model"] for r in csv.DictReader(f)] == ["bilstm_attention"]
    height, width, _ = matplotlib.image.imread(tmp_path / "plots/compare/deletion.png").shape
    assert width == 3 * 3 * 80  # a panel per model


def test_heatmap_data_round_trips_without_pickle(tmp_path):
    rows = {"weights": np.eye(3), "starts": np.arange(3), "ends": np.arange(3) + 1}
    save_heatmaps(tmp_path / "h.npz", {"attention": rows, "saliency": rows})
    loaded = load_heatmaps(tmp_path / "h.npz")
    assert list(loaded) == ["attention", "saliency"]
    for name, array in rows.items():
        np.testing.assert_array_equal(loaded["saliency"][name], array)


def test_a_comparison_of_many_classes_shows_macro_f1_and_the_spread_of_the_weights(tmp_path):
    _write_multiclass_fit(tmp_path, "bilstm_attention", 0.75)
    result = _run_compare(tmp_path, ["bilstm_attention"])
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "metrics/compare.json").read_text())
    assert metrics["bilstm_attention"] == {
        "macro_f1": 0.75,
        "accuracy": 0.8,
        "roc_auc": 0.9,
        "n_parameters": 1234,
        "best_epoch": 2,
    }
    bars = json.loads((tmp_path / "plots/compare/scores.json").read_text())["models"]
    assert bars[0]["f1"] == bars[0]["macro_f1"] == 0.75  # compare/dvc.yaml draws "f1"
    table = (tmp_path / "reports/compare/table.md").read_text().splitlines()
    assert table[0].startswith("| model | macro F1 | accuracy | ROC AUC | parameters |")
    assert table[2] == "| bilstm_attention | 0.7500 | 0.8000 | 0.9000 | 1,234 | 2 | 3.0 | 10 |"

    localization = (tmp_path / "reports/compare/localization.md").read_text().splitlines()
    assert localization[0].startswith("No test series has a known segment")
    assert localization[2] == "| model | weights | test series | entropy (uniform = 1) |"
    assert localization[5] == "| bilstm_attention | attention | 30 | 0.500 |"
    assert (tmp_path / "plots/compare/heatmaps.png").exists()
