"""Time `python -m attention_ts.predict` on 100,000 generated series and measure its peak memory.

    python -m benchmarks.predict --runs 3 --attention --threads 1   # about 7 minutes on 2 cores
    python -m benchmarks.predict --model models/compare/local_attention/model.pt --attention

Generates series with the project's generator (params.yaml's generate
section, n_series changed) into a wide CSV in a temporary folder, then runs
the command on it as a child process, `--runs` times per model: wall time
(Python start and model loading included), the seconds the command itself
reports (reading, predicting, writing), and the child's peak resident memory
(VmHWM, polled from /proc). The same runs on the first 10,000 series show that
memory does not grow with the number of series. With --attention it also
times the runs that write the 500 attention weights per series, and with
--threads N the runs with that many torch threads (on a shared 2-core
machine one thread can beat two: see the README). Medians go
to benchmarks/predict.json. Run it from the repository root after
`dvc repro` (for models/model.pt), with the venv active and nothing else busy.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from attention_ts.data import generate
from attention_ts.numerics import describe_cpu
from attention_ts.params import load_params
from attention_ts.series_io import SeriesBatch, write_series

RESULTS = Path("benchmarks/predict.json")
SIZES = (100_000, 10_000)
REPORTED_SECONDS = re.compile(r" in ([0-9.]+) s, ")  # from the command's summary line
POLL_S = 0.05


def peak_rss_mib(child: subprocess.Popen) -> float:
    """The child's peak resident memory, polled from /proc until it exits.

    VmHWM is the high-water mark of the child's own address space, so a poll
    misses nothing but growth in its last POLL_S. (rusage's ru_maxrss would
    also count this process's memory: the child is forked from it.)
    """
    peak_kib, status = 0, Path(f"/proc/{child.pid}/status")
    while child.poll() is None:
        with contextlib.suppress(OSError):  # the child may be gone already
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kib = max(peak_kib, int(line.split()[1]))
        time.sleep(POLL_S)
    return peak_kib / 1024


def run_once(command: list[str], log: Path) -> tuple[float, float, float]:
    """(wall seconds, seconds the command reports, peak RSS in MiB) of one child run."""
    start = time.perf_counter()
    with open(log, "w") as stderr:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        peak = peak_rss_mib(child)
    wall = time.perf_counter() - start
    summary = log.read_text()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {summary}")
    reported = float(REPORTED_SECONDS.search(summary).group(1))
    return wall, reported, peak


def summarize(samples: list[tuple[float, float, float]], n_series: int) -> dict:
    """Medians (and each run) of run_once's (wall, reported, peak) samples."""
    walls, reported, peaks = zip(*samples)
    return {
        "median_s": round(statistics.median(walls), 2),
        "runs_s": [round(t, 2) for t in walls],
        "series_per_s": round(n_series / statistics.median(walls)),
        "command_reported_median_s": round(statistics.median(reported), 2),
        "command_reported_series_per_s": round(n_series / statistics.median(reported)),
        "peak_rss_mib": round(max(peaks)),
        "peak_rss_runs_mib": [round(p) for p in peaks],
    }


def write_inputs(folder: Path) -> dict:
    """One wide CSV per size in SIZES (the smaller ones: the first series of the largest)."""
    params = load_params().generate
    start = time.perf_counter()
    data = generate(dataclasses.replace(params, n_series=max(SIZES)))
    values = data.series[:, 0]  # (n, points): the generator's series have one channel
    for size in SIZES:
        ids = [str(i) for i in range(size)]
        write_series(folder / f"{size}.csv", SeriesBatch(ids, [], values[:size], None))
    return {
        "n_points": params.n_points,
        "noise": params.noise,
        "csv_mib": {size: round((folder / f"{size}.csv").stat().st_size / 2**20) for size in SIZES},
        "generate_and_write_s": round(time.perf_counter() - start, 1),
    }


def variants(base: list[str], size: int, args: argparse.Namespace) -> dict[str, list[str]]:
    """The command lines to time on one input: plain, and as --attention and --threads ask."""
    commands = {f"{size} series": base}
    if args.attention:
        commands[f"{size} series, --attention"] = [*base, "--attention"]
    for threads in args.threads:
        commands[f"{size} series, --threads {threads}"] = [*base, "--threads", str(threads)]
    return commands


def time_model(model: Path, folder: Path, args: argparse.Namespace) -> dict:
    """Each variant on each input size, `args.runs` times round robin, summarized."""
    timings = {}
    for size in SIZES:
        base = [sys.executable, "-m", "attention_ts.predict", str(folder / f"{size}.csv")]
        commands = variants([*base, str(folder / "out.csv"), "--model", str(model)], size, args)
        samples: dict[str, list] = {name: [] for name in commands}
        for _ in range(args.runs):  # round robin, so that a busy spell hits all alike
            for name, argv in commands.items():
                samples[name].append(run_once(argv, folder / "log.txt"))
        for name, runs in samples.items():
            timings[name] = summarize(runs, size)
            print(f"{model}, {name}: {timings[name]}", flush=True)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement")
    parser.add_argument(
        "--model",
        type=Path,
        action="append",
        help="model(s) to time (repeatable; default models/model.pt)",
    )
    parser.add_argument("--attention", action="store_true", help="also time --attention")
    parser.add_argument(
        "--threads",
        type=int,
        action="append",
        default=[],
        help="also time with --threads N (repeatable; default: torch's own count only)",
    )
    args = parser.parse_args()
    results: dict = {
        "machine": describe_cpu(),
        "command": " ".join(["python -m benchmarks.predict", *sys.argv[1:]]),
        # on 2 cores, about 1 or more: other processes were using a core
        "load_average_1min": {"start": round(os.getloadavg()[0], 2)},
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results["input"] = write_inputs(folder)
        models = args.model or [Path("models/model.pt")]
        results["models"] = {str(model): time_model(model, folder, args) for model in models}
    results["load_average_1min"]["end"] = round(os.getloadavg()[0], 2)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
