"""Numbers over training seeds: the queued grid, the groups, mean +- std, targets per seed."""

from __future__ import annotations

import json
import subprocess

import pytest

from attention_ts.cli import seeds
from attention_ts.cli.experiments import Candidate
from attention_ts.config.params import Params, ParamsError, build
from attention_ts.core.stage import PipelineError
from tests.conftest import default_raw_params


def _candidate(seed: int, anomalies: str, f1: float, ratio: float) -> Candidate:
    """A finished comparison experiment as `experiments.collect` returns it."""
    faithfulness = {
        "targets": {
            "local_attention": {
                "deletion_ratio": {"value": ratio, "target": ">= 3.0", "met": ratio >= 3}
            }
        },
        "local_attention": {
            "attention": {
                "interpolate": {"deletion_area": ratio / 10, "deletion_ratio": ratio},
                "randomization": 0.1,
                "contiguity": 2.0,
                "pointing_game": f1 - 0.1,
            },
            "interventions": {"f1": f1, "uniform": {"f1": 0.5}, "permuted": {"f1": 0.6}},
        },
    }
    metrics = {
        "metrics/compare.json": {"local_attention": {"f1": f1, "best_epoch": 3}},
        "metrics/faithfulness.json": faithfulness,
    }
    params = {"train.seed": seed, "generate.anomalies": anomalies, "train.lr": 0.005}
    return Candidate(f"exp-{anomalies}-{seed}", "abc", True, metrics, params)


CANDIDATES = [
    _candidate(0, "[flat]", 1.0, 4.0),
    _candidate(1, "[flat]", 0.9, 2.0),
    _candidate(0, "[spike]", 0.8, 1.0),
]


def test_statistics_are_per_group_of_params_apart_from_the_seed():
    stats = seeds.summarize(seeds.values(CANDIDATES))
    f1 = stats[(stats.file == "metrics/compare.json") & (stats.key == "local_attention.f1")]
    rows = {row.group: (row["mean"], row["std"], row["count"]) for _, row in f1.iterrows()}
    assert rows["generate.anomalies=[flat]"] == pytest.approx((0.95, 0.0707107, 2))
    assert rows["generate.anomalies=[spike]"] == (0.8, 0.0, 1)  # one seed: std 0, count says so


def test_a_rerun_seed_counts_once_the_newest():
    newer = _candidate(1, "[flat]", 0.7, 2.0)  # `dvc exp show` lists the newest first
    stats = seeds.summarize(seeds.values([newer, *CANDIDATES]))
    f1 = stats[(stats.key == "local_attention.f1") & (stats.group == "generate.anomalies=[flat]")]
    assert f1.iloc[0]["count"] == 2 and f1.iloc[0]["mean"] == pytest.approx(0.85)


def test_tables_show_mean_and_std_and_targets_met_by_some_seeds_are_marked():
    stats = seeds.summarize(seeds.values(CANDIDATES))
    text = "\n".join(seeds.tables(stats))
    assert "| generate.anomalies=[flat] | local_attention | 0.950 +- 0.071 |" in text
    assert "| generate.anomalies=[flat] | local_attention | attention | 0.300 +- 0.141 |" in text
    assert (
        "| generate.anomalies=[flat] | local_attention | interventions | 0.950 +- 0.071 |" in text
    )
    targets = seeds.target_table(stats)
    assert (
        "| generate.anomalies=[flat] | local_attention.deletion_ratio | 3.000 +- 1.414 |" in targets
    )
    assert "1 of 2 (not every seed) |" in targets
    assert (
        "| generate.anomalies=[spike] | local_attention.deletion_ratio | 1.000 +- 0.000 | 0 of 1 |"
        in targets
    )


def test_report_files_hold_the_experiments_and_every_statistic(tmp_path):
    stats = seeds.summarize(seeds.values(CANDIDATES))
    seeds.write_report(stats, ["exp-a", "exp-b"], "abc1234", tmp_path / "kinds")
    saved = json.loads((tmp_path / "kinds.json").read_text())
    assert saved["baseline"] == "abc1234" and saved["experiments"] == ["exp-a", "exp-b"]
    assert len(saved["statistics"]) == len(stats)
    assert (tmp_path / "kinds.md").read_text().startswith("Mean +- sample std over training seeds")


IDENTITY = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


@pytest.fixture
def clean_repo(tmp_path, monkeypatch):
    """A git repository with one committed file, as the current directory."""
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text("n_seeds: 2\n")
    for command in (["init", "-q"], ["add", "params.yaml"], ["commit", "-qm", "params"]):
        subprocess.run(["git", *command], check=True)
    return tmp_path


def test_queue_asks_dvc_for_every_seed_times_every_setting(clean_repo, monkeypatch):
    calls = []

    def fake_dvc(*args):
        calls.append(args)
        return "Queued experiment 'a-b' for future execution.\nQueued experiment 'c-d' for future"

    monkeypatch.setattr(seeds, "dvc", fake_dvc)
    names = seeds.queue("compare/dvc.yaml", 3, ["generate.anomalies=[spike],[flat]"])
    assert names == ["a-b", "c-d"]
    assert calls == [
        (
            "exp", "run", "compare/dvc.yaml", "--queue",
            "-S", "train.seed=0,1,2", "-S", "generate.anomalies=[spike],[flat]",
        )
    ]  # fmt: skip
    monkeypatch.setattr(seeds, "dvc", lambda *args: "")
    with pytest.raises(PipelineError, match="queued no experiment"):
        seeds.queue("dvc.yaml", 2, [])


def test_queue_refuses_uncommitted_changes_that_the_report_would_misname(clean_repo, monkeypatch):
    monkeypatch.setattr(seeds, "dvc", lambda *args: pytest.fail("dvc must not run"))
    (clean_repo / "params.yaml").write_text("n_seeds: 3\n")
    with pytest.raises(PipelineError, match="^uncommitted changes \\(M params.yaml\\); allowed"):
        seeds.queue("dvc.yaml", 2, [])
    (clean_repo / "other.txt").write_text("x")
    subprocess.run(["git", "add", "other.txt"], check=True)
    with pytest.raises(PipelineError, match="^uncommitted changes \\(A  other.txt, ...\\)"):
        seeds.queue("dvc.yaml", 2, [])


def test_experiments_without_a_seed_param_are_a_clear_error():
    unseeded = Candidate("x", "abc", True, {"metrics/compare.json": {"m": {"f1": 1.0}}}, {})
    with pytest.raises(PipelineError, match="no finished experiment with a train.seed param"):
        seeds.values([unseeded])


@pytest.mark.parametrize("value", [0, -1, 2.5, True])
def test_n_seeds_must_be_a_positive_integer(value):
    raw = {**default_raw_params(), "n_seeds": value}
    with pytest.raises(ParamsError, match="^n_seeds = .* is invalid; allowed: "):
        build(Params, raw)
