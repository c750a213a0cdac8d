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
holds other series. `--apply` runs `dvc exp apply` on the winner, unless the
baseline itself wins.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from attention_ts.core.stage import PipelineError, run

TRAIN_METRICS = "metrics/train.json"
DATA_SECTIONS = ("dataset.", "generate.", "split.")  # what decides the validation split
VALIDATION_METRICS = {"best_val_loss": "min", "best_val_f1": "max"}


@dataclass(frozen=True)
class Candidate:
    name: str
    rev: str
    is_experiment: bool
    metrics: dict[str, dict]  # per metrics file: {"metrics/train.json": {...}, ...}
    params: dict[str, Any]  # flattened: "train.lr" -> 0.003

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
        [str(i), c.name + ("" if c.is_experiment else " (baseline)")]
        + [str(c.validation.get(k, c.params.get(k, "-"))) for k in columns]
        for i, c in enumerate(ranked, start=1)
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in [header, *rows]]
    return f"ranked by {by} ({VALIDATION_METRICS[by]}imum is best, validation split)\n" + "\n".join(
        lines
    )


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
    comparable, other_data = same_data(collect(exp_show("--rev", args.rev)))
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
