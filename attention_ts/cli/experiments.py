"""Rank DVC experiments by a validation metric and optionally apply the best one.

    python -m attention_ts.cli.experiments                      # rank by best_val_loss
    python -m attention_ts.cli.experiments --by best_val_f1 --apply
    python -m attention_ts.cli.experiments --rev <commit>       # experiments of another baseline

Candidates are the baseline commit and its experiments, as `dvc exp show
--json` lists them. The ranking uses only `metrics/train.json`, which the
train stage computes on the validation split: choosing a model by its test
metrics would leak the test set into the choice and inflate the reported
score. Experiments with other dataset.*, generate.* or split.* params than the baseline
(a noise sweep, say) are listed apart, not ranked: their validation split
holds other series. An experiment whose metrics/train.json was not written
by a run at its own params (it did not train: the file is the baseline's) is
listed apart too (`stale`). `--apply` runs `dvc exp apply` on the winner,
unless the baseline itself wins.

`stale` (for this ranking and the reports of cli.sweep and cli.seeds) says whether a metrics
file in a commit was written by a run at that commit's params and data.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import json
import subprocess
import sys
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from dvc.dependency import Dependency
from dvc.exceptions import DvcException
from dvc.repo import Repo
from dvc.stage import Stage
from dvc.utils.serialize import load_path

from attention_ts.core.stage import PipelineError, run

TRAIN_METRICS = "metrics/train.json"
DATA_SECTIONS = ("dataset.", "generate.", "split.")  # what decides the validation split
VALIDATION_METRICS = {"best_val_loss": "min", "best_val_f1": "max"}
_MISSING = object()  # a param that a params file lacks: equal to no recorded value


@dataclass(frozen=True)
class Candidate:
    name: str
    rev: str
    is_experiment: bool
    metrics: dict[str, dict]  # per metrics file: {"metrics/train.json": {...}, ...}
    params: dict[str, Any]  # flattened: "train.lr" -> 0.003

    @property
    def label(self) -> str:
        return self.name + ("" if self.is_experiment else " (baseline)")

    @property
    def validation(self) -> dict[str, Any]:
        return self.metrics.get(TRAIN_METRICS, {})


def flatten(tree: dict, prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} -> {"a.b": 1}: nested keys joined by dots."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def _candidate(record: dict, name: str, is_experiment: bool) -> Candidate | None:
    data = record.get("data") or {}
    files = data.get("metrics") or {}
    metrics = {path: content.get("data") or {} for path, content in files.items()}
    if record.get("error") or not metrics.get(TRAIN_METRICS):
        return None  # a failed or still running experiment has nothing to rank
    params = (data.get("params") or {}).get("params.yaml", {}).get("data", {})
    return Candidate(name, record["rev"], is_experiment, metrics, flatten(params))


def collect(exp_show: list[dict]) -> list[Candidate]:
    """Baselines and their experiments from `dvc exp show --json` (the workspace is skipped)."""
    candidates = []
    for baseline in exp_show:
        if baseline.get("rev") == "workspace":
            continue
        found = _candidate(baseline, baseline.get("name") or baseline["rev"][:7], False)
        candidates += [found] if found else []
        for experiment in baseline.get("experiments") or []:
            latest = experiment["revs"][0]
            name = experiment.get("name") or latest.get("name") or latest["rev"][:7]
            found = _candidate(latest, name, True)
            candidates += [found] if found else []
    return candidates


def same_data(candidates: list[Candidate]) -> tuple[list[Candidate], list[Candidate]]:
    """(those with the baseline's dataset.*, generate.* and split.* params, the others).

    Validation metrics compare models only on the same validation split: an
    experiment on noisier data (a noise sweep) has a worse loss whatever its
    model, so it is set apart, not ranked.
    """
    baseline = next((c for c in candidates if not c.is_experiment), None)
    if baseline is None:
        return candidates, []

    def data(c: Candidate) -> dict:
        return {k: v for k, v in c.params.items() if k.startswith(DATA_SECTIONS)}

    kept = [c for c in candidates if data(c) == data(baseline)]
    return kept, [c for c in candidates if data(c) != data(baseline)]


def rank(candidates: list[Candidate], by: str) -> list[Candidate]:
    """Best first by the validation metric `by`; ties keep the listed order."""
    if by not in VALIDATION_METRICS:
        raise PipelineError(
            f"--by {by} is not a validation metric; allowed: {', '.join(VALIDATION_METRICS)}"
        )
    usable = [c for c in candidates if isinstance(c.validation.get(by), (int, float))]
    sign = 1 if VALIDATION_METRICS[by] == "min" else -1
    return sorted(usable, key=lambda c: sign * c.validation[by])


def differing_params(candidates: list[Candidate]) -> list[str]:
    """The param keys whose values are not the same in every candidate."""
    keys = sorted({key for c in candidates for key in c.params})
    return [k for k in keys if len({_same_value(c.params.get(k)) for c in candidates}) > 1]


def _same_value(value: Any) -> str:
    """A key equal for equal values: `-S x=0` stores the int 0 where params.yaml has 0.0."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return repr(float(value)) if number else json.dumps(value)


def format_table(ranked: list[Candidate], by: str) -> str:
    columns = [*VALIDATION_METRICS, *differing_params(ranked)]
    header = ["rank", "name", *columns]
    rows = [
        [str(i), c.label] + [str(c.validation.get(k, c.params.get(k, "-"))) for k in columns]
        for i, c in enumerate(ranked, start=1)
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in [header, *rows]]
    return f"ranked by {by} ({VALIDATION_METRICS[by]}imum is best, validation split)\n" + "\n".join(
        lines
    )


def _git(*args: str) -> bytes:
    """Run `git args...`; its stdout, or PipelineError with its stderr."""
    result = subprocess.run(["git", *args], capture_output=True)
    if result.returncode != 0:
        raise PipelineError(f"git {' '.join(args)} failed: {result.stderr.decode().strip()}")
    return result.stdout


@dataclass(frozen=True)
class _Stage:
    """A stage at a commit, as DVC reads it there: the md5s its lock entry records."""

    outs: dict[str, str | None]  # path from the repository root -> md5 (None: never ran)
    deps: dict[str, str | None]  # the files and folders it reads, likewise; params apart
    changed: list[tuple[str, str]]  # (params file, key): recorded other than the file holds


def _param(tree: Any, key: str) -> Any:
    """tree["a"]["b"] for key "a.b", as DVC looks params up; _MISSING where there is none."""
    for part in key.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return _MISSING
        tree = tree[part]
    return tree


def _read(repo: Repo, stage: Stage, load: Callable[[str], Any]) -> tuple[str, _Stage]:
    """DVC's address of `stage` ("split", "compare/dvc.yaml:fit@mlp") and what it records.

    `load` reads a params file (DVC's path) at the commit `repo` is switched to.
    """

    def path(entry: Dependency) -> str:
        return repo.fs.relpath(entry.fs_path, repo.root_dir)

    changed = []
    for params in stage.params:
        recorded, now = params.hash_info.value or {}, load(params.fs_path)
        for key in sorted(recorded.keys() | set(params.params)):
            if recorded.get(key, _MISSING) != _param(now, key):
                changed.append((path(params), key))
    outs = {path(out): out.hash_info.value for out in stage.outs}
    deps = {path(dep): dep.hash_info.value for dep in stage.deps if dep not in stage.params}
    where = repo.fs.relpath(stage.dvcfile.path, repo.root_dir)
    name = stage.name if where == "dvc.yaml" else f"{where}:{stage.name}"
    return name, _Stage(outs, deps, changed)


@functools.lru_cache(maxsize=8)  # a commit's metrics files are checked one by one
def _stages(commit: str) -> dict[str, _Stage]:
    """The stages of every dvc.yaml in `commit`, by DVC's address.

    DVC reads the dvc.yaml files, lock files and params files from git, not
    from the work tree, so a lock entry left by a stage since removed from
    dvc.yaml (`-S '~compare.mlp'` leaves fit@mlp's) is not a stage. Raises
    PipelineError when DVC cannot read them.
    """
    try:
        with Repo() as repo, repo.switch(commit):

            @functools.cache  # once per file: DVC's own read_params parses it again for every stage
            def load(path: str) -> Any:
                return load_path(path, repo.fs) if repo.fs.exists(path) else {}

            return dict(_read(repo, stage, load) for stage in repo.index.stages)
    except DvcException as error:  # a dvc.yaml, lock or params file it cannot read
        raise PipelineError(f"DVC cannot read the pipelines of commit {commit}: {error}") from None


def stale(rev: str, path: str) -> str | None:
    """Why the file `path` in commit `rev` was not written by a run at `rev`'s params and data.

    None when it was. Reads, with git and DVC in the current repository, only
    what `rev` holds: its dvc.yaml files with their lock files and params
    files, and `path` (from the repository root, e.g. "metrics/compare.json");
    never the work tree or the DVC cache. `path` was written at `rev` when
    (a) the lock entry of the stage that has it as an out records the md5 of
    its bytes at `rev`, (b) every param that entry records equals the value in
    `rev`'s params file, and (c) every dep of that stage that another stage
    has as an out has the md5 that stage's entry records, and that stage
    meets (b) and (c) in turn, up the graph. A dep that is a folder holding
    other stages' outs (`models/compare`) has no md5 of its own in their
    entries: only those stages are checked. Folder md5s are compared as the
    lock files record them, never recomputed. Returns the first reason found,
    one clause: "stage compare/dvc.yaml:fit@mlp ran on another data/split than
    stage split wrote". Raises PipelineError when `rev` is not a commit or DVC
    cannot read its pipelines.
    """
    commit = _git("rev-parse", "--verify", f"{rev}^{{commit}}").decode().strip()
    stages = _stages(commit)
    writer = next((name for name, stage in stages.items() if path in stage.outs), None)
    if writer is None:
        return "no stage writes it"
    shown = subprocess.run(["git", "cat-file", "blob", f"{commit}:{path}"], capture_output=True)
    if shown.returncode != 0:
        return "it is not in the commit"
    recorded = stages[writer].outs[path]
    if recorded is None:
        return f"stage {writer} never ran"
    if hashlib.md5(shown.stdout).hexdigest() != recorded:
        return f"it was changed after stage {writer} wrote it"
    checked: set[str] = set()  # a stage reached twice (every fit's data/split) is checked once

    def why(name: str) -> str | None:
        """Why stage `name` does not meet (b) and (c); None when it does."""
        checked.add(name)
        if stages[name].changed:
            file, key = stages[name].changed[0]
            return f"stage {name} ran with another {key} than {file} has"
        for dep, md5 in stages[name].deps.items():
            for producer, stage in stages.items():
                for out in stage.outs:
                    if out == dep and stage.outs[out] != md5:
                        return f"stage {name} ran on another {dep} than stage {producer} wrote"
                    within = out.startswith(f"{dep}/") or dep.startswith(f"{out}/")
                    if (out == dep or within) and producer not in checked:
                        reason = why(producer)
                        if reason:
                            return reason
        return None

    return why(writer)


def current_only(
    candidates: Iterable[Candidate], files: Collection[str] | None = None
) -> tuple[list[Candidate], list[tuple[Candidate, str, str]]]:
    """The candidates without their metrics files that a run at their params did not write.

    Each of `files` (every metrics file when None) that a candidate has is
    checked with `stale` at the candidate's rev, and left out of its metrics
    when stale; a candidate left with no metrics is left out. Returns (those
    kept, (candidate, file, reason) for each file left out). Raises
    PipelineError as `stale` does.
    """
    kept, left_out = [], []
    for c in candidates:
        reasons = {f: stale(c.rev, f) for f in c.metrics if files is None or f in files}
        left_out += [(c, file, reason) for file, reason in reasons.items() if reason]
        metrics = {file: m for file, m in c.metrics.items() if not reasons.get(file)}
        kept += [dataclasses.replace(c, metrics=metrics)] if metrics else []
    return kept, left_out


def by_reason(named: Iterable[tuple[str, str]]) -> str:
    """ "a, c (why 1); b (why 2)" for [("a", "why 1"), ("b", "why 2"), ("c", "why 1")]."""
    names: dict[str, list[str]] = {}
    for name, reason in named:
        names.setdefault(reason, []).append(name)
    return "; ".join(f"{', '.join(group)} ({reason})" for reason, group in names.items())


def exp_show(*args: str) -> list[dict]:
    """`dvc exp show --json` with extra `args`, parsed."""
    return json.loads(dvc("exp", "show", "--json", *args))


def dvc(*args: str) -> str:
    """Run `dvc args...` with this Python's DVC; its stdout, or PipelineError with its stderr."""
    result = subprocess.run([sys.executable, "-m", "dvc", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise PipelineError(f"dvc {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m attention_ts.cli.experiments", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--by", default="best_val_loss", help="validation metric to rank by")
    parser.add_argument("--apply", action="store_true", help="dvc exp apply the best experiment")
    parser.add_argument("--rev", default="HEAD", help="baseline commit of the experiments")
    args = parser.parse_args(argv)
    candidates, left_out = current_only(collect(exp_show("--rev", args.rev)), [TRAIN_METRICS])
    if left_out:  # an experiment that trained nothing carries the baseline's file
        named = by_reason((c.label, why) for c, _, why in left_out)
        print(f"not ranked, {TRAIN_METRICS} not written by a run at their params: {named}")
    comparable, other_data = same_data(candidates)
    ranked = rank(comparable, args.by)
    if not ranked:
        raise PipelineError(
            "no finished experiment has metrics/train.json; run `dvc exp run` first"
        )
    print(format_table(ranked, args.by))
    if other_data:
        names = ", ".join(c.name for c in other_data)
        print(f"not ranked, other dataset.*/generate.*/split.* params than the baseline: {names}")
    best = ranked[0]
    if args.apply and best.is_experiment:
        dvc("exp", "apply", best.name)
        print(f"applied {best.name} to the workspace")
    elif args.apply:
        print(f"the baseline {best.name} is best; nothing to apply")


if __name__ == "__main__":
    run(main)
