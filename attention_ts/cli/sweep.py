"""Gather comparison experiments into a table and a plot: each model's test metric against a param.

    dvc exp run compare/dvc.yaml --queue -S 'generate.noise=0,0.05,0.1,0.2,0.4'
    dvc queue start
    python -m attention_ts.cli.sweep --rev <baseline commit>   # defaults: x generate.noise, f1
    python -m attention_ts.cli.sweep --file metrics/localization.json --metric attention.lift

Reads `dvc exp show --json` (the experiments of one baseline commit) and
writes reports/sweep.md, reports/sweep.csv and reports/sweep.png: one row
per value of `--x`, one column (one line) per model. Each cell is the test
metric of that model in metrics/compare.json of the newest experiment with
that value of `--x` (or of `--file`, e.g. the localization scores); the
baseline commit counts after all of its experiments.

Only a file that a run at the experiment's own params and data wrote counts
(its lock files say so; see `experiments.stale`). metrics/compare.json is in
git, so every experiment has one: the baseline's, where the comparison did
not run (an experiment of the default pipeline alone, say). Such an
experiment is skipped and named on stderr with the reason; when none
counts, the command refuses and writes nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from attention_ts.cli.experiments import Candidate, by_reason, collect, current_only, exp_show
from attention_ts.core.stage import PipelineError, run
from attention_ts.core.tables import Column, write_table
from attention_ts.explain.plotting import plt, save_figure

COMPARE_METRICS = "metrics/compare.json"
OUTPUT = Path("reports")


def _lookup(scores: object, metric: str) -> object:
    """scores["a"]["b"] for metric "a.b"; None where a key is missing."""
    for key in metric.split("."):
        scores = scores.get(key) if isinstance(scores, dict) else None
    return scores


def grid(
    candidates: list[Candidate], x: str, metric: str, file: str = COMPARE_METRICS
) -> tuple[list, list, dict[tuple, float]]:
    """(sorted x values, model names in first-seen order, {(x, model): metric}).

    `metric` is a key of each model's entry in `file`, dotted for nested keys.
    Of several candidates with the same value of `x`, the first experiment
    listed wins (`dvc exp show` lists the newest first), and a baseline only
    where none of its experiments has the cell. Raises PipelineError when no
    candidate has a cell.
    """
    cells: dict[tuple, float] = {}
    for c in sorted(candidates, key=lambda c: not c.is_experiment):  # stable: experiments first
        if x not in c.params:
            continue
        for model, scores in c.metrics.get(file, {}).items():
            value = _lookup(scores, metric)
            if isinstance(value, (int, float)):
                cells.setdefault((c.params[x], model), float(value))
    if not cells:
        raise PipelineError(
            f"no experiment has param {x} and a {metric} in a {file} that a run at its params "
            f"wrote; allowed: experiments that ran the stage writing {file} (see --help)"
        )
    xs = sorted({key[0] for key in cells})
    names = list(dict.fromkeys(key[1] for key in cells))
    return xs, names, cells


def write_reports(xs: list, names: list, cells: dict, x: str, metric: str, out: Path) -> None:
    columns = [Column(x, x), *(Column(name, name, "{:.3f}") for name in names)]
    rows = [[value, *(cells.get((value, n), "") for n in names)] for value in xs]
    write_table(out / "sweep", columns, rows, title=f"Test {metric} by {x}")

    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    for name in names:
        points = [(value, cells[(value, name)]) for value in xs if (value, name) in cells]
        ax.plot(*zip(*points), marker="o", label=str(name))
    ax.set_xlabel(x)
    ax.set_ylabel(f"test {metric}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    save_figure(fig, out / "sweep.png")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m attention_ts.cli.sweep",
        description=__doc__.split("\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rev", default="HEAD", help="baseline commit of the experiments")
    parser.add_argument("--x", default="generate.noise", help="param on the x axis")
    parser.add_argument("--file", default=COMPARE_METRICS, help="metrics file, keyed by model")
    parser.add_argument("--metric", default="f1", help="per-model key in --file (a.b: nested)")
    parser.add_argument("--out", type=Path, default=OUTPUT, help="folder for the reports")
    args = parser.parse_args(argv)
    candidates, left_out = current_only(collect(exp_show("--rev", args.rev)), [args.file])
    if left_out:
        named = by_reason((c.label, why) for c, _, why in left_out)
        count = f"{len(left_out)} experiment" + ("s" if len(left_out) > 1 else "")
        print(
            f"skipped {count} whose {args.file} a run at their params did not write: {named}",
            file=sys.stderr,
        )
    xs, names, cells = grid(candidates, args.x, args.metric, args.file)
    write_reports(xs, names, cells, args.x, args.metric, args.out)
    print((args.out / "sweep.md").read_text())


if __name__ == "__main__":
    run(main)
