"""Time the whole model comparison from scratch, and each model's train and inference speed.

    python -m benchmarks.comparison --runs 3     # about 5 minutes a run on 2 cores

Each run clones HEAD into a temporary folder (no data, no DVC cache) and runs
`dvc repro compare/dvc.yaml` there: generate, split, every fit@<model> stage
and compare, which is what a newcomer's first comparison costs. It records
the wall time of each run and the train seconds and inference series/s that
each fit stage measured, and writes the medians to benchmarks/comparison.json.
Run it from the repository root with the venv active and nothing else busy.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from attention_ts.core.numerics import describe_cpu
from attention_ts.results.comparison import FIT_DIR, TIMING_FIELDS, TIMING_FILE
from benchmarks.timings import fresh_clone_repro, median_seconds

RESULTS = Path("benchmarks/comparison.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh-clone comparisons to time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        whole = median_seconds(fresh_clone_repro(Path(tmp), "compare/dvc.yaml"), args.runs)
        per_run = [
            {
                p.parent.name: json.loads(p.read_text())
                for p in (clone / FIT_DIR).glob(f"*/{TIMING_FILE}")
            }
            for clone in sorted(Path(tmp).glob("clone*"))
        ]
    models = {
        name: {
            field: statistics.median(run[name][field] for run in per_run) for field in TIMING_FIELDS
        }
        for name in per_run[0]
    }
    results = {
        "machine": describe_cpu(),
        "whole_comparison_fresh_clone": whole,
        "per_model_median": models,
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
