"""The benchmark's quick try in a fresh clone, timed: its wall, its stages' seconds, DVC's share.

    python -m benchmarks.dvc_overhead          # 2 cores: 2 to 7 minutes, by the machine's speed
    python -m benchmarks.dvc_overhead --dataset ItalyPowerDemand

Clones this repository's HEAD into a temporary folder and runs there, with
the environment's Python, the quick try of docs/benchmark.md: `dvc exp run
benchmark/dvc.yaml -S 'benchmark.datasets=[<dataset>]' -S
'benchmark.resamples=[0]'` (the gate, one split, a fit per model, the
attention stages, the summary). A `python` first on PATH records when each
stage's command starts and ends, so the run splits into the stages' own
seconds (Python's start included) and DVC's: the wall minus the stages',
per stage. Writes benchmarks/dvc_overhead.json: the commit, the CPU, the
lock's size, and per run the wall, the stages' sum, DVC's seconds a stage
and the median gap between one stage's end and the next one's start. Run
it with nothing else busy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import write_runs

RESULTS = Path("benchmarks/dvc_overhead.json")
SHIM = """#!/bin/sh
start=$(date +%s.%N)
"{python}" "$@"
code=$?
echo "$start $(date +%s.%N)" >> "{log}"
exit $code
"""


def quick_try(dataset: str) -> list[str]:
    """The quick try's command line (docs/benchmark.md) on `dataset`."""
    return [
        "dvc", "exp", "run", "benchmark/dvc.yaml",
        "-S", f"benchmark.datasets=[{dataset}]", "-S", "benchmark.resamples=[0]",
    ]  # fmt: skip


def one_run(dataset: str) -> dict:
    """Clone HEAD, run the quick try there with the timing `python` on PATH; raise if it fails."""
    with tempfile.TemporaryDirectory() as folder:
        clone, shims, log = Path(folder) / "clone", Path(folder) / "bin", Path(folder) / "stages"
        subprocess.run(["git", "clone", "-q", str(Path.cwd()), str(clone)], check=True)
        lock_bytes = (clone / "benchmark/dvc.lock").stat().st_size
        shims.mkdir()
        (shims / "python").write_text(SHIM.format(python=sys.executable, log=log))
        (shims / "python").chmod(0o755)
        env = {**os.environ, "PATH": f"{shims}:{Path(sys.executable).parent}:{os.environ['PATH']}"}
        for role in ("AUTHOR", "COMMITTER"):  # dvc exp run commits in the clone
            env.setdefault(f"GIT_{role}_NAME", "benchmark")
            env.setdefault(f"GIT_{role}_EMAIL", "benchmark@localhost")
        start = time.time()
        command = quick_try(dataset)
        done = subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True)
        wall = time.time() - start
        if done.returncode != 0:
            raise SystemExit(f"the quick try failed (exit {done.returncode}): {done.stderr[-500:]}")
        spans = sorted(tuple(map(float, line.split())) for line in log.read_text().splitlines())
    own = sum(end - begin for begin, end in spans)
    gaps = [nxt[0] - prev[1] for prev, nxt in zip(spans, spans[1:])]
    return {
        "lock_bytes": lock_bytes,
        "stages": len(spans),
        "wall_s": round(wall, 1),
        "stages_s": round(own, 1),
        "dvc_s_per_stage": round((wall - own) / len(spans), 2),
        "median_gap_s": round(statistics.median(gaps), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="GunPoint", help="one of benchmark.datasets")
    parser.add_argument("--runs", type=int, default=1, help="fresh clones, one after another")
    args = parser.parse_args()
    runs = [one_run(args.dataset) for _ in range(args.runs)]
    write_runs(RESULTS, " ".join(quick_try(args.dataset)), runs, "wall_s", "dvc_s_per_stage")


if __name__ == "__main__":
    main()
