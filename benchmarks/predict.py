"""Time `python -m attention_ts.cli.predict` on 100,000 generated series; measure its peak memory.

    python -m benchmarks.predict --runs 3 --attention --baseline-rev 2135717  # 2 cores: ~10 min
    python -m benchmarks.predict --model models/compare/local_attention/model.pt --attention

Generates series with the project's generator (params.yaml's generate
section, n_series changed) into a wide CSV in a temporary folder, then runs
the command on it as a child process, `--runs` times per model: wall time
(Python start and model loading included), the seconds the command itself
reports (reading, predicting, writing), and the child's peak resident memory
(VmHWM, polled from /proc), and the peak of the summed resident memory of the
child and the processes it starts (none now; a baseline's reading process), polled the
same way (an upper bound: pages they share count twice). The same runs on the first
10,000 series show that memory does not grow with the number of series. With
--attention it also times the runs that write the 500 attention weights per
series, and with --threads N the runs with that many torch threads. With
--baseline-rev REV each command also runs from `git archive REV attention_ts`
(the code of that commit, same Python, model and input), alternating with the
current code run by run, and the speedup (baseline median / current median) is
recorded. Medians go to benchmarks/predict.json. Run it from the repository root after
`dvc repro` (for models/model.pt), with the venv active and nothing else busy.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

from attention_ts.config.params import load_params
from attention_ts.core.numerics import describe_cpu
from attention_ts.data.files import Series, write_series
from attention_ts.data.synthetic import generate

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path("benchmarks/predict.json")
SIZES = (100_000, 10_000)
# from the command's summary line: "...; 2.3 s; wrote ..." (a baseline's: "... in 2.3 s, ...")
REPORTED_SECONDS = re.compile(r"(?: in |; )([0-9.]+) s[,;] ")
POLL_S = 0.05


def tree_pids(pid: int) -> list[int]:
    """`pid` and its descendants, from /proc/<pid>/task/*/children."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(child) for child in (task / "children").read_text().split()]
    return found


def status_kib(pid: int, field: str) -> int:
    """A memory field (VmHWM, VmRSS) of /proc/<pid>/status in KiB; 0 once the process is gone."""
    with contextlib.suppress(OSError, IndexError):
        return int(Path(f"/proc/{pid}/status").read_text().split(f"{field}:")[1].split()[0])
    return 0


def peak_rss_mib(child: subprocess.Popen) -> float:
    """The child's peak resident memory, polled from /proc until it exits.

    VmHWM is the high-water mark of the child's own address space, so a poll
    misses nothing but growth in its last POLL_S. (rusage's ru_maxrss would
    also count this process's memory: the child is forked from it.)
    """
    return peak_memories_mib(child)[0]


def peak_memories_mib(child: subprocess.Popen) -> tuple[float, float]:
    """(`peak_rss_mib`, the peak of the child's process tree's summed RSS), MiB.

    The tree's sum (the child and the reading process it forks) is sampled
    every POLL_S until the child exits; pages they share count twice, so it
    is an upper bound.
    """
    own_kib = tree_kib = 0
    while child.poll() is None:
        own_kib = max(own_kib, status_kib(child.pid, "VmHWM"))
        tree_kib = max(tree_kib, sum(status_kib(pid, "VmRSS") for pid in tree_pids(child.pid)))
        time.sleep(POLL_S)
    return own_kib / 1024, max(tree_kib, own_kib) / 1024


def run_once(command: list[str], log: Path, cwd: Path = REPO) -> tuple[float, float, float, float]:
    """(wall s, seconds the command reports, peak RSS MiB, peak tree RSS MiB) of one child run."""
    start = time.perf_counter()
    with open(log, "w") as stderr:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, cwd=cwd)
        peak, tree = peak_memories_mib(child)
    wall = time.perf_counter() - start
    summary = log.read_text()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} (in {cwd}) failed: {summary}")
    reported = float(REPORTED_SECONDS.search(summary).group(1))
    return wall, reported, peak, tree


def summarize(samples: list[tuple[float, float, float, float]], n_series: int) -> dict:
    """Medians (and each run) of run_once's (wall, reported, peak, tree peak) samples."""
    walls, reported, peaks, trees = zip(*samples)
    return {
        "median_s": round(statistics.median(walls), 2),
        "runs_s": [round(t, 2) for t in walls],
        "series_per_s": round(n_series / statistics.median(walls)),
        "command_reported_median_s": round(statistics.median(reported), 2),
        "command_reported_series_per_s": round(n_series / statistics.median(reported)),
        "peak_rss_mib": round(max(peaks)),
        "peak_rss_runs_mib": [round(p) for p in peaks],
        "peak_tree_rss_mib": round(max(trees)),
    }


def write_inputs(folder: Path) -> dict:
    """One wide CSV per size in SIZES (the smaller ones: the first series of the largest)."""
    params = load_params().generate
    start = time.perf_counter()
    data = generate(params.model_copy(update={"n_series": max(SIZES)}))  # pydantic params
    values = data.series  # (n, 1, points): the generator's series have one channel
    lengths = np.full(len(values), values.shape[2], dtype=np.int64)
    for size in SIZES:
        ids = [str(i) for i in range(size)]
        rows = list(range(2, size + 2))  # a wide CSV's lines, after its header
        found = Series(values[:size], lengths[:size], ids, rows, None)
        write_series(folder / f"{size}.csv", found)
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


def baseline_code(folder: Path, rev: str) -> Path:
    """`git archive REV attention_ts` unpacked into folder/baseline: the code to compare with."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev, "attention_ts"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder / "baseline", filter="data")
    return folder / "baseline"


def time_model(model: Path, folder: Path, args: argparse.Namespace, baseline: Path | None) -> dict:
    """Each variant on each input size, `args.runs` times round robin, summarized.

    With a baseline folder, each command also runs there (python -m runs the
    package of its working directory), the two alternating which goes first.
    """
    timings = {}
    codes = {"current": REPO} if baseline is None else {"baseline": baseline, "current": REPO}
    model = model.resolve()
    for size in SIZES:
        base = [sys.executable, "-m", "attention_ts.cli.predict", str(folder / f"{size}.csv")]
        commands = variants([*base, str(folder / "out.csv"), "--model", str(model)], size, args)
        samples: dict[tuple[str, str], list] = {
            (name, code): [] for name in commands for code in codes
        }
        for run in range(args.runs):  # round robin, so that a busy spell hits all alike
            for name, argv in commands.items():
                order = list(codes) if run % 2 == 0 else list(codes)[::-1]
                for code in order:
                    samples[name, code].append(run_once(argv, folder / "log.txt", codes[code]))
        for name in commands:
            timings[name] = summarize(samples[name, "current"], size)
            if baseline is not None:
                before = summarize(samples[name, "baseline"], size)
                timings[name]["baseline"] = before
                now = timings[name]
                now["speedup_wall"] = round(before["median_s"] / now["median_s"], 2)
                now["speedup_command_reported"] = round(
                    before["command_reported_median_s"] / now["command_reported_median_s"], 2
                )
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
        help="also time with --threads N (repeatable; default: the command's default only)",
    )
    parser.add_argument(
        "--baseline-rev",
        metavar="REV",
        help="also time the code of this git revision, alternating, and record the speedup",
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
        baseline = None
        if args.baseline_rev:
            baseline = baseline_code(folder, args.baseline_rev)
            results["baseline_rev"] = subprocess.run(
                ["git", "-C", str(REPO), "rev-parse", "--short", args.baseline_rev],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            results["current_rev"] = subprocess.run(
                ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
        models = args.model or [Path("models/model.pt")]
        results["models"] = {
            str(model): time_model(model, folder, args, baseline) for model in models
        }
    results["load_average_1min"]["end"] = round(os.getloadavg()[0], 2)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
