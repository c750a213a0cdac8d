"""What the pinned numerics cost: the train stage with and without the pins, side by side.

    python -m benchmarks.numerics --runs 3     # about 3 minutes on 2 cores

Times `python -m stages.train` on the committed split and params, pinned (the
default: the same bits on every x86-64 machine, see attention_ts/core/numerics.py)
and native (ATTENTION_TS_NATIVE_NUMERICS=1 and none of the pins in the
environment: this CPU's own fastest code paths), alternating native, pinned,
native, pinned, ... so that both see the same machine. Writes the median
seconds of each, the ratio pinned / native, and what each variant trained
(metrics/train.json) to benchmarks/numerics.json: native numerics are another
machine's in miniature, so the latter shows how far the training moves when
the rounding changes. Ends with a pinned run, so the workspace keeps the
committed model. Run from the repository root after
`dvc repro`, with the venv active.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from attention_ts.core.numerics import describe_cpu, native_environ
from benchmarks.timings import command

RESULTS = Path("benchmarks/numerics.json")
SUMMARY = Path("metrics/train.json")
VARIANTS = {"native": native_environ, "pinned": lambda: dict(os.environ)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each variant")
    args = parser.parse_args()
    seconds: dict[str, list[float]] = {name: [] for name in VARIANTS}
    trained = {}
    for _ in range(args.runs):
        for name, environ in VARIANTS.items():  # pinned last: the committed model stays in place
            start = time.perf_counter()
            command(sys.executable, "-m", "stages.train", env=environ())()
            seconds[name].append(round(time.perf_counter() - start, 3))
            trained[name] = json.loads(SUMMARY.read_text())
    medians = {name: statistics.median(times) for name, times in seconds.items()}
    results = {
        "machine": describe_cpu(),
        "train_stage": {
            name: {"median_s": medians[name], "runs_s": seconds[name]} for name in VARIANTS
        },
        "ratio_pinned_to_native": round(medians["pinned"] / medians["native"], 3),
        "trained": trained,
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
