"""End to end: the real `dvc repro` on tiny params in a temporary git repository.

Checks what the stages write, that a second repro does nothing, that each kind
of param change reruns exactly the stages it should (DVC's plan for each, and
a real rerun for a new model and a new split), that a forced rerun reproduces
every output byte for byte, and that a bad key stops the pipeline.
"""

from __future__ import annotations

import csv
import json
import sys

import numpy as np
import pytest

from attention_ts.core import numerics
from tests.conftest import CALLER_SWITCHES, TINY_COMPARE, tiny_raw_params
from tests.project import Project

ALL_STAGES = {
    "check",
    "generate",
    "split",
    "train",
    "evaluate",
    "plot_attention",
    "attention_metrics",
    "faithfulness",
}
SCORED = {"evaluate", "plot_attention", "attention_metrics", "faithfulness"}  # read the model
PNG = b"\x89PNG\r\n\x1a\n"
pytestmark = pytest.mark.e2e


@pytest.fixture
def project(built_project, tmp_path) -> Project:
    """A copy of the tiny project after `dvc repro` (conftest.py), for this test to change."""
    return built_project.copy(tmp_path / "project")


@pytest.fixture
def compared(compared_project, tmp_path) -> Project:
    """A copy of the tiny project after `dvc repro` and `dvc repro compare/dvc.yaml`."""
    return compared_project.copy(tmp_path / "compared")


def test_a_fresh_project_runs_every_stage(built_project):
    assert built_project.ran == ALL_STAGES


def test_outputs_hold_what_they_should(project):
    tiny = tiny_raw_params()
    n_test = round(tiny["generate"]["n_series"] * tiny["split"]["test"])
    metrics = project.json("metrics/evaluate.json")
    with open(project.root / "plots/evaluate/predictions.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == metrics["n_series"] == n_test
    classes = metrics["confusion_matrix"]["classes"]
    assert list(rows[0]) == ["id", "label", "prediction", *(f"p_{name}" for name in classes)]
    labels = np.array([classes.index(r["label"]) for r in rows])  # class names in the file
    predicted = np.array([classes.index(r["prediction"]) for r in rows])
    probability = np.array([float(r["p_anomalous"]) for r in rows])
    assert np.array_equal(predicted, probability >= metrics["threshold"])
    assert metrics["accuracy"] == pytest.approx(np.mean(labels == predicted))
    counts = metrics["confusion"]
    assert counts["tp"] == int(np.sum((labels == 1) & (predicted == 1)))
    assert sum(counts.values()) == n_test
    for key in ("accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc"):
        assert 0.0 <= metrics[key] <= 1.0
    tuned = metrics["tuned"]
    assert 0.0 < tuned["threshold"] < 1.0 and 0.0 <= tuned["val_f1"] <= 1.0
    assert sum(tuned["confusion"].values()) == n_test

    roc = project.json("plots/evaluate/roc.json")["roc"]
    assert (roc[0]["fpr"], roc[0]["tpr"]) == (0.0, 0.0) and (roc[-1]["fpr"], roc[-1]["tpr"]) == (
        1.0,
        1.0,
    )
    area = np.trapezoid([p["tpr"] for p in roc], [p["fpr"] for p in roc])
    assert area == pytest.approx(metrics["roc_auc"])

    summary = project.json("metrics/train.json")
    losses = (project.root / "plots/training/plots/metrics/val/loss.tsv").read_text().splitlines()
    assert losses[0].split("\t") == ["step", "loss"]
    assert len(losses) - 1 == summary["epochs_run"] <= tiny["train"]["max_epochs"]
    assert 1 <= summary["best_epoch"] <= summary["epochs_run"]

    pictures = sorted(p.name for p in (project.root / "plots/attention").iterdir())
    assert pictures == [
        "anomalous_1.png",
        "anomalous_2.png",
        "grid.png",
        "normal_1.png",
        "normal_2.png",
    ]
    for name in pictures:
        assert (project.root / "plots/attention" / name).read_bytes()[:8] == PNG

    localization = project.json("metrics/attention.json")
    assert list(localization) == ["uniform", "attention", "saliency"]
    for scores in localization.values():
        assert scores["n_anomalous"] == int(labels.sum())
        assert scores["n_normal"] == n_test - int(labels.sum())
        assert 0.0 <= scores["mass_inside"] <= 1.0 and 0.0 <= scores["pointing_game"] <= 1.0
        assert scores["pointing_game"] <= scores["pointing_game_tolerance"]
    assert localization["uniform"]["lift"] == pytest.approx(1.0)
    assert localization["uniform"]["normal_entropy"] == pytest.approx(1.0)
    for name in ("heatmap.png", "argmax.png"):
        assert (project.root / "plots/localization" / name).read_bytes()[:8] == PNG

    explained = project.json("metrics/explanations.json")
    methods = ["attention", "saliency", "integrated_gradients", "occlusion"]
    assert list(explained["methods"]) == methods  # the tiny model is bilstm_attention
    assert explained["n_series"] == n_test  # faithfulness.n_series is more than the test split
    for scores in explained["methods"].values():
        assert scores["localization"]["n_anomalous"] == int(labels.sum())
        assert -1.0 <= scores["randomization"] <= 1.0 and scores["contiguity"] >= 1
    assert set(explained["interventions"]) == {"f1", "uniform", "permuted"}
    assert explained["interventions"]["f1"] == pytest.approx(metrics["f1"])  # the whole test split
    curves = project.json("plots/faithfulness/curves.json")
    assert len(curves["fractions"]) == tiny["faithfulness"]["steps"] + 1
    assert list(curves["interpolate"]) == ["random", *methods]
    for name in ("curves.png", "randomization.png"):
        assert (project.root / "plots/faithfulness" / name).read_bytes()[:8] == PNG

    test_ids = {int(r["id"]) for r in rows}
    with open(project.root / "data/split/train.csv") as f:
        train_ids = {int(r["id"]) for r in csv.DictReader(f)}
    assert not test_ids & train_ids


def test_second_repro_runs_nothing(project):
    assert project.repro() == set()
    assert "up to date" in project.dvc("status", "dvc.yaml").stdout  # compare/ has not run yet


def test_forced_rerun_reproduces_every_output(project):
    """Byte for byte, and where the numerics are pinned, whatever the caller exports.

    There each library's switch is exported to another value than its pin
    (test_numerics.py shows that without the pins the same switches change
    the model): the pins win, in every stage.
    """
    exported = CALLER_SWITCHES if numerics.pinned() else {}
    lock_before = (project.root / "dvc.lock").read_text()
    project.dvc("repro", "--force", env=exported)
    assert (project.root / "dvc.lock").read_text() == lock_before


PARAM_CHANGES = [
    ("plot", "seed", 7, {"check", "plot_attention"}),
    ("localization", "tolerance", 3, {"check", "attention_metrics", "faithfulness"}),
    ("evaluate", "threshold", 0.4, {"check", "evaluate", "plot_attention", "faithfulness"}),
    ("faithfulness", "steps", 3, {"check", "faithfulness"}),
    ("train", "lr", 0.01, {"check", "train"} | SCORED),
    ("model", "hidden_size", 6, {"check", "train"} | SCORED),
    ("split", "seed", 1, ALL_STAGES - {"generate"}),
    ("generate", "seed", 3, ALL_STAGES),
]
# run for real too: a new model reruns what scores it; a new split, everything after it
RUN_FOR_REAL = [PARAM_CHANGES[4], PARAM_CHANGES[6]]


CASE = ("section", "key", "value", "expected")


def _ids(cases: list[tuple]) -> list[str]:
    return [f"{section}.{key}" for section, key, *_ in cases]


@pytest.mark.parametrize(CASE, PARAM_CHANGES, ids=_ids(PARAM_CHANGES))
def test_a_param_change_plans_a_rerun_of_only_what_depends_on_it(
    project, section, key, value, expected
):
    """DVC's plan (`dvc repro --dry --force-downstream`): the stages that read the param, and all
    downstream of them. The next test runs some for real: the plan is what runs."""
    project.set_param(section, key, value)
    assert project.plan() == expected


@pytest.mark.parametrize(CASE, RUN_FOR_REAL, ids=_ids(RUN_FOR_REAL))
def test_a_param_change_reruns_only_what_depends_on_it(project, section, key, value, expected):
    project.set_param(section, key, value)
    assert project.repro() == expected


def test_unknown_key_fails_the_pipeline_with_one_clear_line(project):
    raw = project.params()
    raw["train"]["lrr"] = 0.1
    project.write_params(raw)
    lock_before = (project.root / "dvc.lock").read_text()
    result = project.dvc("repro", check=False)
    assert result.returncode != 0
    assert "error: train.lrr is not a known parameter (did you mean train.lr?)" in result.stderr
    assert "Traceback" not in result.stderr
    assert (project.root / "dvc.lock").read_text() == lock_before


COMPARE = "compare/dvc.yaml"
FITS = {f"{COMPARE}:fit@{name}" for name in TINY_COMPARE}


def test_comparison_trains_and_scores_every_model_on_the_same_split(compared_project, compared):
    assert compared_project.ran == FITS | {f"{COMPARE}:compare"}
    project = compared
    compared = project.json("metrics/compare.json")
    assert list(compared) == list(TINY_COMPARE)
    for name, scores in compared.items():
        fit = project.json(f"models/compare/{name}/scores.json")
        assert scores["f1"] == fit["test"]["f1"] and scores["roc_auc"] == fit["test"]["roc_auc"]
        assert 0.0 <= scores["f1"] <= 1.0 and scores["n_parameters"] == fit["n_parameters"]
        timing = project.json(f"models/compare/{name}/timing.json")
        assert timing["train_seconds"] > 0 and timing["inference_series_per_s"] > 0
    # same settings and seed as the pipeline's own model: the very same numbers
    pipeline = project.json("metrics/evaluate.json")
    assert compared["bilstm_attention"]["f1"] == pipeline["f1"]
    assert (
        compared["bilstm_attention"]["n_parameters"]
        == project.json("metrics/train.json")["n_parameters"]
    )
    assert compared["minirocket"]["n_parameters"] == 84 + 1  # its entry set 84 kernels
    bars = project.json("plots/compare/scores.json")["models"]
    assert [b["model"] for b in bars] == list(TINY_COMPARE)
    table = (project.root / "reports/compare/table.md").read_text()
    assert all(f"| {name} |" in table for name in TINY_COMPARE)
    # where each model looks: its own pipeline run scores the same
    localization = project.json("metrics/localization.json")
    assert list(localization) == ["uniform", "mlp", "bilstm_attention", "local_attention"]
    assert localization["bilstm_attention"] == {
        kind: scores
        for kind, scores in project.json("metrics/attention.json").items()
        if kind != "uniform"
    }
    assert project.json("metrics/attention.json")["uniform"] == localization["uniform"]
    assert "up to date" in project.dvc("status", COMPARE).stdout


def test_changing_one_models_entry_reruns_only_that_model(compared):
    project = compared
    original = project.params()
    project.set_param("compare", "mlp", {"train": {"lr": 0.02}})
    assert project.repro(COMPARE) == {"check", f"{COMPARE}:fit@mlp", f"{COMPARE}:compare"}
    project.write_params(original)
    project.set_param("train", "lr", 0.02)  # a shared setting: every model reruns
    assert project.plan(COMPARE) == FITS | {"check", f"{COMPARE}:compare"}  # DVC's plan, as above


def test_forced_comparison_reproduces_the_scores(compared):
    project = compared
    scores = (project.root / "metrics/compare.json").read_text()
    bars = (project.root / "plots/compare/scores.json").read_text()
    localization = (project.root / "metrics/localization.json").read_text()
    project.dvc("repro", "--force", COMPARE)
    assert (project.root / "metrics/compare.json").read_text() == scores
    assert (project.root / "plots/compare/scores.json").read_text() == bars
    assert (project.root / "metrics/localization.json").read_text() == localization


def test_dvc_exp_run_with_a_set_param(project):
    project.run("git", "add", "-A")
    project.run("git", "commit", "-qm", "pipeline outputs")
    project.dvc("exp", "run", "-S", "plot.seed=5", "-n", "other-seed")
    shown = json.loads(project.dvc("exp", "show", "--json").stdout)
    assert "other-seed" in json.dumps(shown)
    ranking = project.run(sys.executable, "-m", "attention_ts.cli.experiments").stdout
    assert "other-seed" in ranking and "(baseline)" in ranking
    assert project.dvc("exp", "run", "-S", "train.lrr=0.1", check=False).returncode != 0


def test_noise_sweep_of_the_comparison(compared):
    project = compared
    swept = ["mlp", "local_attention"]  # two models make the table's columns; each reruns
    raw = project.params()
    raw["compare"] = {name: TINY_COMPARE[name] for name in swept}
    project.write_params(raw)
    project.run("git", "add", "-A")
    project.run("git", "commit", "-qm", "comparison outputs")
    project.dvc("exp", "run", COMPARE, "-S", "generate.noise=0.2", "-n", "noisy")
    project.run(sys.executable, "-m", "attention_ts.cli.sweep")
    with open(project.root / "reports/sweep.csv") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["generate.noise", *swept]
    assert [row[0] for row in rows[1:]] == ["0.2"]
    assert all(0.0 <= float(cell) <= 1.0 for cell in rows[1][1:])
