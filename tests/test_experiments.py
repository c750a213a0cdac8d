"""Ranking experiments: by validation metrics only, failed runs skipped, differing params shown.

And whether a metrics file in a commit was written by a run at that commit's
params and data (`stale`), on tiny git repositories whose lock files are
written by hand as DVC writes them: nothing runs.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest

from attention_ts.cli import seeds
from attention_ts.cli.experiments import (
    Candidate,
    by_reason,
    collect,
    current_only,
    differing_params,
    format_table,
    rank,
    same_data,
    stale,
)
from attention_ts.core.stage import PipelineError
from tests.conftest import write_params


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


# The project's pipelines in small: the data, a fit per entry of `compare` (foreach) and the
# comparison over the models' folder, which the fits write into (models/compare).
DVC_YAML = {
    "dvc.yaml": """\
stages:
  generate:
    cmd: generate
    params: [generate.noise]
    outs: [data/generated]
  split:
    cmd: split
    deps: [data/generated]
    params: [split.train]
    outs: [data/split]
  train:
    cmd: train
    deps: [data/split]
    params: [train.seed]
    metrics:
      - metrics/train.json:
          cache: false
""",
    "compare/dvc.yaml": """\
vars:
  - ../params.yaml:compare
stages:
  fit:
    foreach: ${compare}
    do:
      wdir: ..
      cmd: fit ${key}
      deps:
        - data/split
      params:
        - compare.${key}
      outs:
        - models/compare/${key}
  compare:
    wdir: ..
    cmd: compare
    deps: [models/compare]
    params: [compare]
    metrics:
      - metrics/compare.json:
          cache: false
""",
}
PARAMS = {
    "generate": {"noise": 0.0},
    "split": {"train": 0.6},
    "train": {"seed": 0},
    "compare": {"mlp": {"lr": 0.01}, "cnn": {"lr": 0.02}},
}
IDENTITY = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


class Runs:
    """A git repository (the current directory) holding DVC_YAML, whose stages "run" by
    writing what DVC would: their lock entries and metrics files. Nothing is computed: a
    folder out's md5 is made up from the stage's inputs, a metrics file says the noise.

    `copy` gives another state of the same repository (an experiment), `commit` commits
    a state and returns its record as `dvc exp show --json` lists it.
    """

    def __init__(self) -> None:
        self.params = copy.deepcopy(PARAMS)
        self.locks: dict[str, dict] = {"dvc.lock": {}, "compare/dvc.lock": {}}
        self.md5: dict[str, str] = {}  # each out's md5, as its stage's last run wrote it
        self.files: dict[str, bytes | None] = {".dvc/config": b""}  # None: removed
        self.files.update({path: text.encode() for path, text in DVC_YAML.items()})
        if not Path(".git").exists():
            _git("init", "-q")

    def copy(self) -> Runs:
        return copy.deepcopy(self)

    def stages(self) -> dict[str, tuple[list[str], list[str], list[str]]]:
        """DVC's address of each stage DVC_YAML declares at these params: (params, deps, outs)."""
        fits = {
            f"compare/dvc.yaml:fit@{model}": (
                [f"compare.{model}"],
                ["data/split"],
                [f"models/compare/{model}"],
            )
            for model in self.params["compare"]
        }
        return {
            "generate": (["generate.noise"], [], ["data/generated"]),
            "split": (["split.train"], ["data/generated"], ["data/split"]),
            "train": (["train.seed"], ["data/split"], ["metrics/train.json"]),
            **fits,
            "compare/dvc.yaml:compare": (["compare"], ["models/compare"], ["metrics/compare.json"]),
        }

    def _dep_md5(self, path: str) -> str:
        """A dep's md5 now; a folder of other outs (models/compare) is made up from theirs."""
        inside = sorted((out, md5) for out, md5 in self.md5.items() if out.startswith(f"{path}/"))
        return self.md5.get(path) or _md5(repr(inside).encode()) + ".dir"

    def run(self, *addresses: str) -> Runs:
        """Run these stages (every stage, in order, when none is named); this state."""
        for address in addresses or list(self.stages()):
            keys, deps, outs = self.stages()[address]
            params = {key: copy.deepcopy(self._param(key)) for key in keys}
            recorded = [
                {"path": d, "hash": "md5", "md5": self._dep_md5(d), "size": 1} for d in deps
            ]
            entry = {
                "cmd": address,
                "deps": recorded,
                "params": {"params.yaml": params},
                "outs": [],
            }
            for out in outs:
                if out.endswith(".json"):
                    noise = self.params["generate"]["noise"]
                    models = self.params["compare"] if "compare" in out else ["model"]
                    data = json.dumps(
                        {m: {"f1": 1 - noise, "best_val_loss": noise} for m in models}
                    )
                    self.files[out] = data.encode()
                    self.md5[out] = _md5(self.files[out])
                else:
                    self.md5[out] = _md5(repr((address, params, recorded)).encode()) + ".dir"
                entry["outs"].append({"path": out, "hash": "md5", "md5": self.md5[out], "size": 1})
            lock, _, name = address.rpartition(":")
            lock = lock.replace("dvc.yaml", "dvc.lock") or "dvc.lock"
            self.locks[lock].setdefault("stages", {})[name] = entry
        return self

    def _param(self, key: str) -> object:
        value = self.params
        for part in key.split("."):
            value = value[part]
        return value

    def commit(self, name: str, baseline: str | None = None) -> dict:
        """Commit this state; its record in `dvc exp show --json`, named `name`.

        With `baseline` (a commit), as DVC keeps an experiment of it: a commit on
        top of it, named by a ref under refs/exps/; HEAD is left at `baseline`.
        """
        if baseline:
            _git("checkout", "-q", "--detach", baseline)
        _git("rm", "-rqf", "--ignore-unmatch", ".")
        for path, data in self.files.items():
            if data is not None:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                Path(path).write_bytes(data)
        write_params(Path("params.yaml"), self.params)
        for path, lock in self.locks.items():
            if lock:
                write_params(Path(path), {"schema": "2.0", **lock})
        _git("add", "-A")
        _git("commit", "-qm", name, "--allow-empty")  # an experiment that changed nothing
        rev = _git("rev-parse", "HEAD").strip()
        if baseline:
            _git("update-ref", f"refs/exps/{baseline[:2]}/{baseline[2:]}/{name}", rev)
            _git("checkout", "-q", "--detach", baseline)
        metrics = {
            path: {"data": json.loads(data)}
            for path, data in self.files.items()
            if path.startswith("metrics/") and data is not None
        }
        params = {"params.yaml": {"data": self.params}}
        return {"rev": rev, "name": name, "data": {"metrics": metrics, "params": params}}


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout


def new_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runs:
    """The baseline: every stage run at PARAMS, not committed; in a new git repository."""
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    monkeypatch.chdir(tmp_path)
    return Runs().run()


@pytest.fixture
def runs(tmp_path, monkeypatch) -> Runs:
    return new_runs(tmp_path, monkeypatch)


def set_param(runs: Runs, key: str, value: object) -> Runs:
    """`dvc exp run -S key=value` without running: params.yaml changed, nothing else."""
    section, _, name = key.partition(".")
    runs.params[section][name] = value
    return runs


def edit_file(runs: Runs, path: str, data: bytes | None) -> Runs:
    """The file `path` changed to `data` (None: removed) with no stage run."""
    runs.files[path] = data
    return runs


def drop_model(runs: Runs, model: str) -> Runs:
    """`-S '~compare.MODEL'`: its fit stage is gone from dvc.yaml, its lock entry stays."""
    del runs.params["compare"][model]
    return runs


def forget_lock(runs: Runs, lock: str) -> Runs:
    """The lock file `lock` removed: its stages never ran."""
    runs.locks[lock] = {}
    return runs


DEFAULT_PIPELINE = ("generate", "split", "train")
COMPARISON = "metrics/compare.json"
ON_OTHER_SPLIT = (
    r"stage compare/dvc.yaml:fit@(mlp|cnn) ran on another data/split than stage split wrote"
)
CASES = {  # name: (the experiment made from the baseline, file, why it is stale: a regex; or None)
    "the baseline": (lambda r: r, COMPARISON, None),
    "the whole pipeline at another noise": (
        lambda r: set_param(r, "generate.noise", 0.2).run(),
        COMPARISON,
        None,
    ),
    "the default pipeline alone at another noise: the baseline's comparison": (
        lambda r: set_param(r, "generate.noise", 0.1).run(*DEFAULT_PIPELINE),
        COMPARISON,
        ON_OTHER_SPLIT,
    ),
    "...whose own train.json is current": (
        lambda r: set_param(r, "generate.noise", 0.1).run(*DEFAULT_PIPELINE),
        "metrics/train.json",
        None,
    ),
    "the stage's param changed, nothing ran": (
        lambda r: set_param(r, "compare.mlp", {"lr": 0.1}),
        COMPARISON,
        "stage compare/dvc.yaml:compare ran with another compare than params.yaml has",
    ),
    "an upstream stage's param changed, nothing ran": (
        lambda r: set_param(r, "generate.noise", 0.1),
        COMPARISON,
        "stage generate ran with another generate.noise than params.yaml has",
    ),
    "an upstream stage reran, the comparison did not": (
        lambda r: set_param(r, "split.train", 0.5).run("split"),
        COMPARISON,
        ON_OTHER_SPLIT,
    ),
    "the file edited after the run": (
        lambda r: edit_file(r, COMPARISON, b'{"mlp": {"f1": 1.0}}'),
        COMPARISON,
        "it was changed after stage compare/dvc.yaml:compare wrote it",
    ),
    "a file no stage writes": (
        lambda r: edit_file(r, "metrics/notes.json", b"{}"),
        "metrics/notes.json",
        "no stage writes it",
    ),
    "a stage that never ran: no lock entry": (
        lambda r: forget_lock(r, "compare/dvc.lock"),
        COMPARISON,
        "stage compare/dvc.yaml:compare never ran",
    ),
    "the file not in the commit": (
        lambda r: edit_file(r, COMPARISON, None),
        COMPARISON,
        "it is not in the commit",
    ),
    "a stage removed from dvc.yaml keeps its stale lock entry, which does not count": (
        lambda r: drop_model(set_param(r, "generate.noise", 0.3), "cnn").run(),
        COMPARISON,
        None,
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_stale_says_why_a_file_was_not_written_at_its_commit(runs, name):
    change, path, reason = CASES[name]
    baseline = runs.commit("baseline")["rev"]
    rev = change(runs.copy()).commit("experiment", baseline)["rev"]
    found = stale(rev, path)
    assert found is None if reason is None else re.fullmatch(reason, found or ""), found


def test_stale_refuses_what_is_not_a_commit_or_not_a_pipeline(runs):
    with pytest.raises(PipelineError, match="^git rev-parse .* failed: fatal: "):
        stale("no-such-rev", COMPARISON)
    rev = edit_file(runs, "compare/dvc.yaml", b"stages: [\n").commit("broken")["rev"]
    with pytest.raises(PipelineError, match=f"^DVC cannot read the pipelines of commit {rev}: "):
        stale(rev, COMPARISON)


def test_current_only_leaves_out_each_stale_file_and_says_why(runs):
    baseline = runs.commit("baseline")
    noisy = set_param(runs.copy(), "generate.noise", 0.1).run(*DEFAULT_PIPELINE).commit("noisy")
    edited = edit_file(
        edit_file(runs.copy(), COMPARISON, b"{}"), "metrics/train.json", b'{"m": {}}'
    )
    experiments = [("noisy", noisy), ("edited", edited.commit("edited"))]
    records = [{**baseline, "experiments": [{"name": n, "revs": [r]} for n, r in experiments]}]
    kept, left_out = current_only(collect(records))
    assert [(c.name, sorted(c.metrics)) for c in kept] == [
        ("baseline", [COMPARISON, "metrics/train.json"]),
        ("noisy", ["metrics/train.json"]),  # edited: no file left, so left out
    ]
    assert sorted((c.name, file) for c, file, _ in left_out) == [
        ("edited", COMPARISON),
        ("edited", "metrics/train.json"),
        ("noisy", COMPARISON),
    ]
    assert [reason for c, _, reason in left_out if c.name == "noisy"][0].startswith("stage ")
    kept, left_out = current_only(collect(records), ["metrics/train.json"])
    assert [(c.name, sorted(c.metrics)) for c in kept][1] == (
        "noisy",
        [COMPARISON, "metrics/train.json"],
    )  # fmt: skip: the files not asked for are not checked
    assert [(c.name, file) for c, file, _ in left_out] == [("edited", "metrics/train.json")]


def test_by_reason_groups_the_names():
    named = [("a", "why 1"), ("b", "why 2"), ("c", "why 1")]
    assert by_reason(named) == "a, c (why 1); b (why 2)"
    assert Candidate("main", "r", False, {}, {}).label == "main (baseline)"


COMPARISON_STAGES = (
    "compare/dvc.yaml:fit@mlp",
    "compare/dvc.yaml:fit@cnn",
    "compare/dvc.yaml:compare",
)


def test_seeds_report_leaves_out_the_files_its_experiments_did_not_write(runs, tmp_path, capsys):
    """`seeds run compare/dvc.yaml`: its experiments' metrics/train.json is the baseline's."""
    baseline = runs.commit("baseline")["rev"]
    for seed in (1, 2):  # the tiny fits do not read train.seed; the real ones do: all rerun
        experiment = set_param(runs.copy(), "train.seed", seed).run(*COMPARISON_STAGES)
        experiment.commit(f"seed-{seed}", baseline)
    seeds.report("tiny", ["seed-1", "seed-2"], baseline, tmp_path / "out")
    statistics = json.loads((tmp_path / "out/tiny.json").read_text())["statistics"]
    assert {row["file"] for row in statistics} == {COMPARISON}
    assert all(row["count"] == 2 for row in statistics)
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("left out 2 of the experiments' metrics files, which a run at their ")
    assert "metrics/train.json of seed-1" in line and "metrics/train.json of seed-2" in line
    assert line.endswith(" (stage train ran with another train.seed than params.yaml has)")
