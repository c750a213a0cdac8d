"""Time files.read_series against the reader it replaced, on a 10,000 x 500 wide .csv and .ts.

    python -m benchmarks.readers        # a few minutes on 2 cores, nothing else busy

Writes, into a temporary folder, 10,000 series of 500 points (values with 4
decimals, labels 0 and 1) as a .ts file (aeon's writer) and as a wide CSV
(id, label, values) with the same number texts. Then times, in fresh child
processes, round robin (the order reversed on every other run, so that a
busy spell hits both alike), `--runs` times each, on each file:

- the old reader: data.readers.read_labelled_file at commit BASELINE (main
  before series files were read by pandas and aeon), run from a `git
  archive` of that commit: series_io's hand-written CSV parser, aeon's
  loader plus its checks for .ts;
- the new one: attention_ts.data.files.read_series(path, label_required=True).

aeon is imported before the clock starts for the .ts file (both readers
load it; its import is timed once on its own). Only the call is timed
(imports and interpreter start are not); the peak memory is the child's
whole, imports included. Medians, and the ratio new / old of the medians,
go to benchmarks/readers.json (`--output` for another file).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks/readers.json"
BASELINE = "c9d4fbf"  # main before files.py: data.readers on series_io's hand-written parser
DECIMALS = 4
OLD, NEW = f"read_labelled_file at {BASELINE}", "read_series"

# the child's peak memory is VmHWM (its own address space's high-water mark, reset at exec;
# ru_maxrss is not: on Linux a child keeps the forking parent's)
CHILD = """
import json, sys, time
{setup}
start = time.perf_counter()
result = {call}
elapsed = time.perf_counter() - start
n = None if result is None else len(result[0])  # LabelledSeries.series, Series.values
status = open("/proc/self/status").read().split("VmHWM:")[1]
peak = int(status.split()[0]) / 1024
print(json.dumps({{"s": elapsed, "n": n, "peak_rss_mib": peak}}))
"""


def contenders(folder: Path) -> dict[str, dict[str, tuple[str, str, Path]]]:
    """{file kind: {name: (setup code, timed call, PYTHONPATH)}}: the old and the new reader."""
    timed = {}
    for kind in ("csv", "ts"):
        path = str(folder / f"series.{kind}")
        aeon = "import aeon.datasets\n" if kind == "ts" else ""
        timed[kind] = {
            OLD: (
                aeon + "from attention_ts.data.readers import read_labelled_file",
                f"read_labelled_file({path!r}, 'label')",
                folder / "baseline",
            ),
            NEW: (
                aeon + "from attention_ts.data.files import read_series",
                f"read_series({path!r}, label_required=True)",
                REPO,
            ),
        }
    return timed


def write_inputs(folder: Path, n_series: int, n_points: int) -> dict:
    """The .ts (aeon's writer) and the wide CSV of the same values; the baseline's code."""
    from aeon.datasets import save_to_ts_file

    rng = np.random.default_rng(0)
    values = np.round(rng.normal(size=(n_series, n_points)), DECIMALS)  # (n, points) float64
    labels = np.array([str(k % 2) for k in range(n_series)])
    start = time.perf_counter()
    save_to_ts_file(
        values[:, None, :], labels, label_type="classification", path=folder, problem_name="series"
    )
    with open(folder / "series.csv", "w") as stream:
        stream.write(",".join(["id", "label", *(f"v{i}" for i in range(n_points))]) + "\n")
        for k, row in enumerate(values.tolist()):
            stream.write(f"{k},{labels[k]}," + ",".join(map(str, row)) + "\n")
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", BASELINE, "attention_ts"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder / "baseline", filter="data")
    return {
        "n_series": n_series,
        "n_points": n_points,
        "values": f"standard normal, {DECIMALS} decimals",
        "ts_mib": round((folder / "series.ts").stat().st_size / 2**20, 1),
        "csv_mib": round((folder / "series.csv").stat().st_size / 2**20, 1),
        "write_s": round(time.perf_counter() - start, 1),
    }


def run_child(folder: Path, setup: str, call: str, pythonpath: Path) -> dict:
    """One timed call in a fresh interpreter (cwd `folder`, so the repo is not on its path)."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD.format(setup=setup, call=call)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"{call} failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def time_readers(folder: Path, runs: int, n_series: int) -> dict:
    """Each reader `runs` times per file, round robin, order reversed every other run: medians
    and the ratio new / old."""
    results = {}
    for kind, timed in contenders(folder).items():
        samples: dict[str, list[dict]] = {name: [] for name in timed}
        for run in range(runs):
            for name in list(timed) if run % 2 == 0 else list(reversed(timed)):
                sample = run_child(folder, *timed[name])
                assert sample["n"] == n_series, (name, sample)
                samples[name].append(sample)
                print(f"{kind}, {name}: {sample['s']:.2f} s", flush=True)
        results[kind] = {
            name: {
                "median_s": round(statistics.median(s["s"] for s in got), 2),
                "runs_s": [round(s["s"], 2) for s in got],
                "peak_rss_mib": round(max(s["peak_rss_mib"] for s in got)),
            }
            for name, got in samples.items()
        }
        medians = [statistics.median(s["s"] for s in samples[name]) for name in (NEW, OLD)]
        results[kind]["ratio_new_old"] = round(medians[0] / medians[1], 2)
    aeon_import = run_child(folder, "", "__import__('aeon.datasets') and None", REPO)
    results["aeon_import_s"] = round(aeon_import["s"], 2)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each reader on each file")
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=500)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    from attention_ts.core.numerics import describe_cpu

    record = {
        "machine": describe_cpu(),
        "command": " ".join(["python -m benchmarks.readers", *sys.argv[1:]]),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "baseline": BASELINE,
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        record["input"] = write_inputs(folder, args.series, args.points)
        print(f"inputs: {record['input']}", flush=True)
        record["readers"] = time_readers(folder, args.runs, args.series)
    args.output.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
