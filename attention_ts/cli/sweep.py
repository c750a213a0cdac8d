"""Gather comparison experiments into a table and a plot: each model's test metric against a param.

    dvc exp run compare/dvc.yaml --queue -S 'generate.noise=0,0.05,0.1,0.2,0.4'
    dvc queue start
    python -m attention_ts.cli.sweep --rev <baseline commit>   # defaults: x generate.noise, f1
    python -m attention_ts.cli.sweep --file metrics/localization.json --metric attention.lift

Reads `dvc exp show --json` (the experiments of one baseline commit) and
writes reports/sweep.md, reports/sweep.csv and reports/sweep.png: one row
per value of `--x`, one column (one line) per model. Each cell is the test
metric of that model in metrics/compare.json of the newest experiment with
that value of `--x` (or of `--file`, e.g. the localization scores).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from attention_ts.cli.experiments import Candidate, collect, exp_show
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
    """
    cells: dict[tuple, float] = {}
    for c in candidates:
        if not c.is_experiment or x not in c.params:
            continue
        for model, scores in c.metrics.get(file, {}).items():
            value = _lookup(scores, metric)
            if isinstance(value, (int, float)):
                cells.setdefault((c.params[x], model), float(value))  # newest first
    if not cells:
        raise PipelineError(
            f"no experiment has param {x} and a {metric} in {file}; "
            "run the comparison as experiments first (see --help)"
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
    xs, names, cells = grid(collect(exp_show("--rev", args.rev)), args.x, args.metric, args.file)
    write_reports(xs, names, cells, args.x, args.metric, args.out)
    print((args.out / "sweep.md").read_text())


if __name__ == "__main__":
    run(main)
