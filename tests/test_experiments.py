"""Ranking experiments: by validation metrics only, failed runs skipped, differing params shown."""

from __future__ import annotations

import pytest

from attention_ts.cli.experiments import collect, differing_params, format_table, rank, same_data
from attention_ts.core.stage import PipelineError


def _record(
    rev: str, val_loss: float | None, val_f1: float, lr: float, name=None, noise: float = 0.0
) -> dict:
    metrics = (
        {}
        if val_loss is None
        else {
            "metrics/train.json": {"data": {"best_val_loss": val_loss, "best_val_f1": val_f1}},
            "metrics/evaluate.json": {"data": {"f1": 1.0 - val_loss}},  # test: must not matter
        }
    )
    sections = {
        "train": {"lr": lr, "seed": 0},
        "model": {"name": "x"},
        "generate": {"noise": noise},
    }
    params = {"params.yaml": {"data": sections}}
    return {"rev": rev, "name": name, "data": {"metrics": metrics, "params": params}, "error": None}


EXP_SHOW = [
    {
        "rev": "workspace",
        **{k: v for k, v in _record("workspace", 0.0, 1.0, 9.0).items() if k != "rev"},
    },
    {
        **_record("aaaaaaa1", 0.30, 0.90, 0.005, name="main"),
        "experiments": [
            {"name": "fast", "revs": [_record("bbbbbbb2", 0.10, 0.95, 0.01)]},
            {"name": "slow", "revs": [_record("ccccccc3", 0.20, 0.97, 0.001)]},
            {"name": "broken", "revs": [_record("ddddddd4", None, 0.0, 0.1)]},
        ],
    },
]


def test_collect_skips_the_workspace_and_failed_runs():
    names = [c.name for c in collect(EXP_SHOW)]
    assert names == ["main", "fast", "slow"]


def test_rank_by_loss_and_by_f1():
    candidates = collect(EXP_SHOW)
    assert [c.name for c in rank(candidates, "best_val_loss")] == ["fast", "slow", "main"]
    assert [c.name for c in rank(candidates, "best_val_f1")] == ["slow", "fast", "main"]


def test_test_metrics_cannot_be_used_to_rank():
    with pytest.raises(PipelineError, match="not a validation metric"):
        rank(collect(EXP_SHOW), "f1")


def test_table_shows_only_the_params_that_differ():
    ranked = rank(collect(EXP_SHOW), "best_val_loss")
    assert differing_params(ranked) == ["train.lr"]
    table = format_table(ranked, "best_val_loss").splitlines()
    assert table[1].split() == ["rank", "name", "best_val_loss", "best_val_f1", "train.lr"]
    assert table[2].split() == ["1", "fast", "0.1", "0.95", "0.01"]
    assert "(baseline)" in table[4]


def test_experiments_on_other_data_are_set_apart():
    noisy = {"name": "noisy", "revs": [_record("eeeeeee5", 0.05, 0.99, 0.005, noise=0.1)]}
    exp_show = [EXP_SHOW[0], {**EXP_SHOW[1], "experiments": [*EXP_SHOW[1]["experiments"], noisy]}]
    kept, other = same_data(collect(exp_show))
    assert [c.name for c in kept] == ["main", "fast", "slow"]
    assert [c.name for c in other] == ["noisy"]


def test_an_int_and_an_equal_float_are_the_same_param_value():
    records = [_record("aaaaaaa1", 0.3, 0.9, 0.005, name="main")]
    records.append(_record("bbbbbbb2", 0.1, 0.9, 0.005, noise=0))  # -S generate.noise=0
    records[0]["data"]["params"]["params.yaml"]["data"]["generate"]["noise"] = 0.0
    candidates = collect([{**records[0], "experiments": [{"name": "x", "revs": [records[1]]}]}])
    assert differing_params(candidates) == []
