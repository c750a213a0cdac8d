"""Measure the README's timing targets and write the medians to benchmarks/results.json.

    python -m benchmarks.timings            # about 6 minutes on 2 cores

What it times (wall clock, median of several runs; these machines are noisy):
- generate: the vectorized generator at the committed params, in process;
- train stage: `python -m stages.train` on the committed split (its outputs
  are deterministic, so rerunning it leaves the workspace as it was);
- full `dvc repro` in a fresh `git clone` of HEAD (no data, no cache), with
  the installed environment;
- no-op `dvc repro` in that clone right after.
Run it from the repository root after `dvc repro`, with the venv active.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from attention_ts.data import generate
from attention_ts.params import load_params

RESULTS = Path("benchmarks/results.json")


def _median_seconds(action: Callable[[], object], runs: int) -> dict:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return {"median_s": round(statistics.median(times), 3), "runs_s": [round(t, 3) for t in times]}


def _command(*args: str, cwd: Path | None = None) -> Callable[[], None]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}

    def run() -> None:
        subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True)

    return run


def _fresh_clone_repro(clone_parent: Path) -> Callable[[], None]:
    """Each call clones HEAD anew and runs the whole pipeline in it."""
    counter = iter(range(1000))

    def run() -> None:
        clone = clone_parent / f"clone{next(counter)}"
        subprocess.run(["git", "clone", "-q", ".", str(clone)], check=True)
        _command(sys.executable, "-m", "dvc", "repro", cwd=clone)()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each slow measurement")
    args = parser.parse_args()
    params = load_params()
    results = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}",
        "generate_10k_x_500": _median_seconds(lambda: generate(params.generate), runs=10),
        "train_stage": _median_seconds(_command(sys.executable, "-m", "stages.train"), args.runs),
    }
    with tempfile.TemporaryDirectory() as tmp:
        parent = Path(tmp)
        results["dvc_repro_fresh_clone"] = _median_seconds(_fresh_clone_repro(parent), args.runs)
        noop = _command(sys.executable, "-m", "dvc", "repro", cwd=parent / "clone0")
        results["dvc_repro_noop"] = _median_seconds(noop, runs=5)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    for name, value in results.items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
