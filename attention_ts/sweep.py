"""Gather a grid of experiments into a table and a plot: a test metric against one param, per model.

    dvc exp run --queue -S 'generate.noise=0,0.05,0.1,0.2,0.4' -S 'model.name=mlp,cnn,lstm'
    dvc queue start
    python -m attention_ts.sweep --rev <baseline commit>   # defaults: x generate.noise, f1

Reads `dvc exp show --json` (the experiments of one baseline commit) and
writes reports/sweep.md, reports/sweep.csv and reports/sweep.png: one row
per value of `--x`, one column (one line) per value of `--series`. Each cell
is the test metric from metrics/evaluate.json of the newest experiment with
those two params.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Sequence
from pathlib import Path

from attention_ts.experiments import Candidate, collect, exp_show
from attention_ts.io import atomic_output
from attention_ts.plotting import plt, save_figure
from attention_ts.stage import PipelineError, run

EVALUATE_METRICS = "metrics/evaluate.json"
OUTPUT = Path("reports")


def grid(
    candidates: list[Candidate], x: str, series: str, metric: str
) -> tuple[list, list, dict[tuple, float]]:
    """(sorted x values, series names in first-seen order, {(x, series): metric})."""
    cells: dict[tuple, float] = {}
    for c in candidates:
        if not c.is_experiment or x not in c.params or series not in c.params:
            continue
        value = c.metrics.get(EVALUATE_METRICS, {}).get(metric)
        if isinstance(value, (int, float)):
            cells.setdefault((c.params[x], c.params[series]), float(value))  # newest first
    if not cells:
        raise PipelineError(f"no experiment has params {x} and {series} and a test {metric}")
    xs = sorted({key[0] for key in cells})
    names = list(dict.fromkeys(key[1] for key in cells))
    return xs, names, cells


def write_reports(xs: list, names: list, cells: dict, x: str, metric: str, out: Path) -> None:
    header = [x, *names]
    rows = [[value, *(cells.get((value, n), "") for n in names)] for value in xs]
    with atomic_output(out / "sweep.csv") as tmp, open(tmp, "w", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells_text = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row[1:]]
        lines.append(f"| {row[0]} | " + " | ".join(cells_text) + " |")
    with atomic_output(out / "sweep.md") as tmp:
        tmp.write_text(f"Test {metric} by {x}\n\n" + "\n".join(lines) + "\n")

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
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rev", default="HEAD", help="baseline commit of the experiments")
    parser.add_argument("--x", default="generate.noise", help="param on the x axis")
    parser.add_argument("--series", default="model.name", help="param that makes one line each")
    parser.add_argument("--metric", default="f1", help="key of metrics/evaluate.json")
    parser.add_argument("--out", type=Path, default=OUTPUT, help="folder for the reports")
    args = parser.parse_args(argv)
    xs, names, cells = grid(collect(exp_show("--rev", args.rev)), args.x, args.series, args.metric)
    write_reports(xs, names, cells, args.x, args.metric, args.out)
    print((args.out / "sweep.md").read_text())


if __name__ == "__main__":
    run(main)
