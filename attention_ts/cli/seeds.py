"""Every documented number over several training seeds: queue, run and summarize with DVC.

    python -m attention_ts.cli.seeds run compare/dvc.yaml --name comparison
    python -m attention_ts.cli.seeds run compare/dvc.yaml --name kinds \\
        -S 'generate.anomalies=[spike],[level_shift]'
    python -m attention_ts.cli.seeds report --name comparison   # again, from the saved list

`run` queues `n_seeds` (params.yaml; `--n-seeds` for one run) experiments
per setting with the DVC queue,
`dvc exp run PIPELINE --queue -S train.seed=0,1,...,n_seeds-1`, plus
each `-S` given (DVC's sweep syntax: `a,b` runs both), runs the queue
(`dvc exp run --run-all -j JOBS`, which also runs anything queued before; give
parallel runs `-S train.threads=1`, two threads each oversubscribe 2 cores) and
writes the report. It refuses to queue with uncommitted changes to tracked
files: commit first, so that the report's baseline commit is the code run.

`report` reads those experiments back (`dvc exp show --json`), leaves out
each metrics file that a run at the experiment's params did not write (a
comparison experiment holds the default pipeline's files as committed, of
the baseline's seed: see `experiments.stale`) and names them on stderr,
groups them by the params they differ in apart from train.seed, and writes
reports/seeds/NAME.json (mean, sample std and count of every number in
every metrics file, per group; the experiment names) and NAME.md: the
comparison, localization, faithfulness and intervention tables as mean +-
std, and the attention targets with the number of seeds that met them. A
claim met by only some seeds says so there.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from attention_ts.cli.experiments import (
    Candidate,
    by_reason,
    collect,
    current_only,
    differing_params,
    dvc,
    exp_show,
    flatten,
)
from attention_ts.config.params import load_params
from attention_ts.core.io import atomic_output, read_json, write_json
from attention_ts.core.stage import PipelineError, run
from attention_ts.core.tables import Column, markdown_table

OUTPUT = Path("reports/seeds")
SEED = "train.seed"
QUEUED = re.compile(r"Queued experiment '([^']+)'")
POLICY = "interpolate"  # the removal policy the faithfulness table shows
# (metrics file, row keys, columns) of the tables: the keys are the file's nesting levels
TABLES = (
    ("metrics/compare.json", ("model",), ("f1", "macro_f1", "roc_auc")),
    ("metrics/localization.json", ("model", "weights"), ("pointing_game", "mass_inside", "lift")),
    (
        "metrics/faithfulness.json",
        ("model", "method"),
        (
            f"{POLICY}.deletion_area",
            f"{POLICY}.deletion_ratio",
            f"{POLICY}.insertion_ratio",
            "randomization",
            "contiguity",
            "pointing_game",
        ),
    ),
    (
        "metrics/faithfulness.json",
        ("model", "interventions"),
        ("f1", "uniform.f1", "uniform.total_variation", "permuted.f1"),
    ),
)
TARGETS = "metrics/faithfulness.json"


def queue(pipeline: str, n_seeds: int, overrides: Sequence[str]) -> list[str]:
    """Queue the seeds x settings experiments; their names, as DVC reports them.

    Raises PipelineError when git-tracked files have uncommitted changes
    (DVC would queue them too, and the report would name the wrong commit)
    or DVC queues nothing.
    """
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    if changed:
        more = ", ..." if len(changed) > 1 else ""
        raise PipelineError(
            f"uncommitted changes ({changed[0].strip()}{more}); allowed: a clean work tree, so "
            "the experiments run the committed code: commit or stash first"
        )
    seeds = ",".join(str(seed) for seed in range(n_seeds))
    args = ["exp", "run", pipeline, "--queue", "-S", f"{SEED}={seeds}"]
    for override in overrides:
        args += ["-S", override]
    names = QUEUED.findall(dvc(*args))
    if not names:
        raise PipelineError(f"dvc {' '.join(args)} queued no experiment")
    return names


def values(candidates: list[Candidate]) -> pd.DataFrame:
    """One row per number: group (the differing params but the seed), seed, file, key, value.

    Booleans (a target met or not) are kept as 0/1. Raises PipelineError
    when no candidate has a train.seed param.
    """
    varying = [key for key in differing_params(candidates) if key != SEED]
    rows = []
    for c in candidates:
        if SEED not in c.params:
            continue
        group = ", ".join(f"{key}={c.params.get(key, '-')}" for key in varying) or "default"
        for file, metrics in c.metrics.items():
            for key, value in flatten(metrics).items():
                if isinstance(value, (bool, int, float)):
                    rows.append((group, c.params[SEED], file, key, float(value)))
    if not rows:
        raise PipelineError("no finished experiment with a train.seed param; run them first")
    return pd.DataFrame(rows, columns=["group", "seed", "file", "key", "value"])


def summarize(table: pd.DataFrame) -> pd.DataFrame:
    """Mean, sample std (0 for one seed) and count of seeds per (group, file, key)."""
    newest = table.drop_duplicates(["group", "seed", "file", "key"])  # exp show lists newest first
    stats = newest.groupby(["group", "file", "key"], sort=False)["value"].agg(
        ["mean", "std", "count"]
    )
    return stats.fillna({"std": 0.0}).reset_index()


def _cell(stats: pd.DataFrame, group: str, file: str, key: str) -> str:
    """ "mean +- std" of one number, "" where no seed has it."""
    found = stats[(stats.group == group) & (stats.file == file) & (stats.key == key)]
    if found.empty:
        return ""
    row = found.iloc[0]
    return f"{row['mean']:.3f} +- {row['std']:.3f}"


def tables(stats: pd.DataFrame) -> list[str]:
    """The markdown tables of TABLES: a row per group and row key, "mean +- std" cells."""
    groups = list(dict.fromkeys(stats.group))
    sections = []
    for file, levels, columns in TABLES:
        keys = stats[stats.file == file].key
        depth = len(levels)
        prefixes = dict.fromkeys(
            ".".join(key.split(".")[:depth]) for key in keys if key.count(".") >= depth
        )
        rows = []
        for group in groups:
            for prefix in prefixes:
                cells = [_cell(stats, group, file, f"{prefix}.{column}") for column in columns]
                if any(cells) and not prefix.startswith("targets."):
                    rows.append([group, *prefix.split("."), *cells])
        if rows:
            header = [Column(name, name) for name in ("group", *levels, *columns)]
            sections.append(markdown_table(header, rows, f"### {file}: by {', '.join(levels)}"))
    return sections


def target_table(stats: pd.DataFrame) -> str:
    """The attention targets (faithfulness.json's "targets"): value, and seeds that met each."""
    met = stats[(stats.file == TARGETS) & stats.key.str.match(r"targets\..*\.met$")]
    rows = []
    for _, row in met.iterrows():
        name = row.key.removeprefix("targets.").removesuffix(".met")
        value = _cell(stats, row.group, TARGETS, f"targets.{name}.value")
        count = int(row["count"])
        met_by = round(row["mean"] * count)
        note = "" if met_by in (0, count) else " (not every seed)"
        rows.append([row.group, name, value, f"{met_by} of {count}{note}"])
    columns = [Column(name, name) for name in ("group", "target", "value", "seeds that met it")]
    return markdown_table(columns, rows, "### Attention targets") if rows else ""


def write_report(stats: pd.DataFrame, names: list[str], baseline: str, out: Path) -> None:
    """`out`.json (every statistic, the experiments, their baseline) and `out`.md (the tables)."""
    counts = stats.groupby("group", sort=False)["count"].max()
    seeds = ", ".join(f"{group}: {int(n)}" for group, n in counts.items())
    intro = f"Mean +- sample std over training seeds ({SEED}); seeds per group: {seeds}.\n"
    text = "\n".join([intro, *tables(stats), target_table(stats)])
    summary = {"baseline": baseline, "experiments": names, "statistics": stats.to_dict("records")}
    write_json(out.with_suffix(".json"), summary)
    with atomic_output(out.with_suffix(".md")) as tmp:
        tmp.write_text(text)


def report(name: str, names: list[str], baseline: str, out_dir: Path) -> Path:
    """Summarize experiments `names` of commit `baseline` into `out_dir`/`name`.{json,md}.

    Each experiment's metrics files that a run at its params did not write
    (the default pipeline's, say, in a comparison experiment: they are the
    baseline's) are left out of its numbers, and named in one line on stderr.
    Raises PipelineError when no experiment has a metrics file left.
    """
    wanted = set(names)
    found = [c for c in collect(exp_show("--rev", baseline)) if c.name in wanted]
    candidates, left_out = current_only(found)
    if left_out:
        named = by_reason((f"{file} of {c.name}", why) for c, file, why in left_out)
        print(
            f"left out {len(left_out)} of the experiments' metrics files, which a run at their "
            f"params did not write: {named}",
            file=sys.stderr,
        )
    if not candidates:
        raise PipelineError(
            f"none of the experiments {', '.join(names)} has metrics that a run at its params "
            "wrote (failed, still queued, or none of its stages ran); allowed: finished "
            "experiments: queue and run them again with `run` (see --help)"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    write_report(summarize(values(candidates)), names, baseline, out_dir / name)
    return (out_dir / name).with_suffix(".md")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m attention_ts.cli.seeds",
        description=__doc__.split("\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("run", help="queue n_seeds experiments per setting, run, report")
    start.add_argument("pipeline", help="dvc.yaml of the pipeline, e.g. compare/dvc.yaml")
    start.add_argument("-S", dest="overrides", action="append", default=[], help="as dvc exp run")
    start.add_argument("--n-seeds", type=int, help="seeds 0..N-1 (default: n_seeds in params.yaml)")
    start.add_argument("--jobs", type=int, default=1, help="experiments run at a time (dvc -j)")
    again = commands.add_parser("report", help="report the experiments of an earlier run")
    for command in (start, again):
        command.add_argument("--name", required=True, help="report name: reports/seeds/NAME.md")
        command.add_argument("--out", type=Path, default=OUTPUT, help="folder for the reports")
    args = parser.parse_args(argv)
    if args.command == "run":
        baseline = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        n_seeds = args.n_seeds or load_params().n_seeds
        if n_seeds < 1:
            raise PipelineError(f"--n-seeds {n_seeds} is invalid; allowed: an integer >= 1")
        names = queue(args.pipeline, n_seeds, args.overrides)
        print(f"queued {len(names)} experiments on {baseline[:7]}: {', '.join(names)}")
        run_all = ["exp", "run", "--run-all", "-j", str(args.jobs)]  # its progress shown
        subprocess.run([sys.executable, "-m", "dvc", *run_all], check=False)  # failed: no metrics
    else:
        rerun = f"run `python -m attention_ts.cli.seeds run PIPELINE --name {args.name}` first"
        saved = read_json(args.out / f"{args.name}.json", rerun)
        names, baseline = saved["experiments"], saved["baseline"]
    print(report(args.name, names, baseline, args.out).read_text())


if __name__ == "__main__":
    run(main)
