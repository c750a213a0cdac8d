"""Measure the README's timing targets and write the medians to benchmarks/results.json.

    python -m benchmarks.timings            # about 9 minutes on 2 cores

What it times (wall clock, median of several runs; these machines are noisy):
- install: a new venv and `pip install -q -r requirements.txt` into it with no
  pip cache, the first half of the Quick start's first command;
- generate: the vectorized generator at the committed params, in process;
- train stage: `python -m stages.train` on the committed split (its outputs
  are deterministic, so rerunning it leaves the workspace as it was);
- `dvc repro` in a fresh `git clone` of HEAD (no data, no cache), with the
  installed environment: what a newcomer's first run costs. Stages whose
  committed outputs come out byte-identical (evaluate, plot_attention) are
  rightly skipped by DVC there, so this also times `dvc repro --force` in a
  fresh clone, which runs every stage;
- no-op `dvc repro` in that clone right after.
Run it from the repository root after `dvc repro`, with the venv active.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from attention_ts.config.params import load_params
from attention_ts.core.numerics import describe_cpu
from attention_ts.data.synthetic import generate

RESULTS = Path("benchmarks/results.json")


def median_seconds(action: Callable[[], object], runs: int) -> dict:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return {"median_s": round(statistics.median(times), 3), "runs_s": [round(t, 3) for t in times]}


def command(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> Callable[[], None]:
    """A call that runs `args` in environment `env` (default: this one) with this venv on PATH."""
    env = env or dict(os.environ)
    env = {**env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"}

    def run() -> None:
        subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True)

    return run


def _new_paths(parent: Path, name: str) -> Iterator[Path]:
    """parent/name0, parent/name1, ...: a new folder for each run."""
    return (parent / f"{name}{i}" for i in itertools.count())


def fresh_venv_install(venv_parent: Path) -> Callable[[], None]:
    """Each call creates a venv and installs requirements.txt into it, with no pip cache."""
    venvs = _new_paths(venv_parent, "venv")

    def run() -> None:
        venv = next(venvs)
        command(sys.executable, "-m", "venv", str(venv))()
        python = str(venv / "bin" / "python")
        command(python, "-m", "pip", "install", "-q", "--no-cache-dir", "-r", "requirements.txt")()

    return run


def fresh_clone_repro(clone_parent: Path, *repro_args: str) -> Callable[[], None]:
    """Each call clones HEAD anew and runs `dvc repro *repro_args` in it."""
    clones = _new_paths(clone_parent, "clone")

    def run() -> None:
        clone = next(clones)
        subprocess.run(["git", "clone", "-q", ".", str(clone)], check=True)
        command(sys.executable, "-m", "dvc", "repro", *repro_args, cwd=clone)()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each slow measurement")
    args = parser.parse_args()
    params = load_params()
    results = {
        "machine": describe_cpu(),
        "generate_10k_x_500": median_seconds(lambda: generate(params.generate), runs=10),
        "train_stage": median_seconds(command(sys.executable, "-m", "stages.train"), args.runs),
    }
    with tempfile.TemporaryDirectory() as tmp:
        parent = Path(tmp)
        results["install"] = median_seconds(fresh_venv_install(parent / "venvs"), args.runs)
        fresh, forced = parent / "fresh", parent / "forced"
        results["dvc_repro_fresh_clone"] = median_seconds(fresh_clone_repro(fresh), args.runs)
        results["dvc_repro_force_fresh_clone"] = median_seconds(
            fresh_clone_repro(forced, "--force"), args.runs
        )
        noop = command(sys.executable, "-m", "dvc", "repro", cwd=fresh / "clone0")
        results["dvc_repro_noop"] = median_seconds(noop, runs=5)
        # reproducibility: the rerun in a fresh clone changed no tracked file (dvc.lock, metrics/)
        changed = subprocess.run(
            ["git", "status", "--porcelain"], cwd=forced / "clone0", capture_output=True, text=True
        ).stdout.split("\n")
        results["fresh_clone_changed_tracked_files"] = [line for line in changed if line]
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    for name, value in results.items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
