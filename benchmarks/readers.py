"""Time read_labelled_file on a 10,000 x 500 labelled .ts and wide .csv against today's readers.

    python -m benchmarks.readers        # about 3 minutes on 2 cores, nothing else busy

Writes, into a temporary folder, 10,000 series of 500 points (values with 4
decimals, labels 0 and 1, which the old reader needs) as a .ts file (aeon's
writer) and as a wide CSV (id, label, values) with the same number texts.
Then times, in fresh child processes, round robin (the order reversed on
every other run, so that a busy spell hits all alike), `--runs` times each:

- .ts: aeon's load_from_ts_file alone (there is no .ts reader before this
  one) vs. read_labelled_file (aeon's loader plus the line scan, the label
  and value checks); aeon imported before the clock starts in both (its
  import is timed once on its own);
- .csv: data.read_labelled as it is at commit BASELINE (run from a `git
  archive` of that commit: today's series_io and its checks) vs.
  read_labelled_file; and, for context, pandas.read_csv alone (no checks)
  with its default and its exact ("round_trip") float converter.

Only the call is timed (imports and interpreter start are not); the peak
memory is the child's whole, imports included. It also
times, in this process, parsing the CSV's value cells chunk by chunk (1,000
lines, as series_io does) with numpy.loadtxt (series_io's fast path) and
with pandas.read_csv (default and round_trip converters), and counts how
often each converter differs from Python's float() on 200,000 random number
texts. Medians go to benchmarks/readers.json.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
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
BASELINE = "8532275"  # main before issue 12: data.read_labelled on series_io's checks
DECIMALS = 4

# the child's peak memory is VmHWM (its own address space's high-water mark, reset at exec;
# ru_maxrss is not: on Linux a child keeps the forking parent's)
CHILD = """
import json, sys, time
{setup}
start = time.perf_counter()
result = {call}
elapsed = time.perf_counter() - start
n = None if result is None else len(result[0])  # series read
status = open("/proc/self/status").read().split("VmHWM:")[1]
peak = int(status.split()[0]) / 1024
print(json.dumps({{"s": elapsed, "n": n, "peak_rss_mib": peak}}))
"""


def contenders(folder: Path) -> dict[str, dict[str, tuple[str, str, Path]]]:
    """{file kind: {name: (setup code, timed call, PYTHONPATH)}} of what is timed."""
    ts, wide = folder / "series.ts", folder / "series.csv"
    old = folder / "baseline"
    return {
        "ts": {
            "aeon load_from_ts_file alone": (
                "from aeon.datasets import load_from_ts_file",
                f"load_from_ts_file({str(ts)!r})",
                REPO,
            ),
            "read_labelled_file": (
                "import aeon.datasets\nfrom attention_ts.data.readers import read_labelled_file",
                f"read_labelled_file({str(ts)!r}, 'label')",
                REPO,
            ),
        },
        "csv": {
            f"data.read_labelled at {BASELINE}": (
                "from attention_ts.data import read_labelled\n"
                "from attention_ts.config.params import DatasetParams\n"
                f"params = DatasetParams(source='file', path={str(wide)!r}, label_column='label', "
                "normal_label='0', anomalous_label='1')",
                "read_labelled(params)",
                old,
            ),
            "read_labelled_file": (
                "from attention_ts.data.readers import read_labelled_file",
                f"read_labelled_file({str(wide)!r}, 'label')",
                REPO,
            ),
            "pandas.read_csv alone, no checks (default converter)": (
                "import pandas",
                f"[pandas.read_csv({str(wide)!r}, dtype={{'id': str, 'label': str}})]",
                REPO,
            ),
            "pandas.read_csv alone, no checks (round_trip converter)": (
                "import pandas",
                f"[pandas.read_csv({str(wide)!r}, dtype={{'id': str, 'label': str}}, "
                "float_precision='round_trip')]",
                REPO,
            ),
        },
    }


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
    """Each contender `runs` times, round robin, order reversed every other run; medians."""
    results = {}
    for kind, timed in contenders(folder).items():
        samples: dict[str, list[dict]] = {name: [] for name in timed}
        for run in range(runs):
            names = list(timed) if run % 2 == 0 else list(reversed(timed))
            for name in names:
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
    aeon_import = run_child(folder, "", "__import__('aeon.datasets') and None", REPO)
    results["aeon_import_s"] = round(aeon_import["s"], 2)
    return results


def time_chunk_parsers(path: Path, runs: int) -> dict:
    """series_io's chunked parse of the CSV's values: numpy.loadtxt vs pandas.read_csv."""
    import pandas

    from attention_ts.data import series_io

    with open(path, "rb") as stream:
        row, text = series_io.first_line(path, stream, ",")
        names = series_io.header_names(path, row, text)
        table = series_io.wide_table(path, row, names, "id", "label")[0]
        chunks = list(series_io.read_lines(path, stream, 1000, ",", row))

    def numpy_chunk(lines: series_io.Lines) -> np.ndarray:
        return series_io.parse_fast(table, lines)[0]

    def pandas_chunk(lines: series_io.Lines, precision: str | None) -> np.ndarray:
        frame = pandas.read_csv(
            io.StringIO("\n".join(lines.texts)),
            header=None,
            names=range(len(names)),
            usecols=table.numeric,
            dtype=np.float64,
            quoting=csv.QUOTE_NONE,
            na_filter=False,
            float_precision=precision,
        )
        return frame.to_numpy()

    parsers = {
        "numpy.loadtxt (series_io's fast path, with its checks)": numpy_chunk,
        "pandas.read_csv, default converter": lambda lines: pandas_chunk(lines, None),
        "pandas.read_csv, round_trip converter": lambda lines: pandas_chunk(lines, "round_trip"),
    }
    samples: dict[str, list[float]] = {name: [] for name in parsers}
    reference = [numpy_chunk(chunk) for chunk in chunks]
    for run in range(runs):
        for name in parsers if run % 2 == 0 else reversed(parsers):
            start = time.perf_counter()
            parsed = [parsers[name](chunk) for chunk in chunks]
            samples[name].append(time.perf_counter() - start)
            assert all(np.array_equal(a, b) for a, b in zip(parsed, reference)), name
    return {
        name: {"median_s": round(statistics.median(s), 2), "runs_s": [round(t, 2) for t in s]}
        for name, s in samples.items()
    }


def converter_exactness(n_texts: int = 200_000) -> dict:
    """How many of `n_texts` random number texts each parser reads unlike Python's float()."""
    import pandas

    rng = random.Random(1)
    texts = []
    for _ in range(n_texts):
        kind = rng.random()
        if kind < 0.4:
            texts.append(repr(rng.uniform(-1e6, 1e6)))  # 17 significant digits, typically
        elif kind < 0.7:
            texts.append(f"{rng.random() * 10 ** rng.randint(-300, 300):.17g}")
        else:
            texts.append(f"{np.float32(rng.gauss(0, 1)):.9g}")  # as write_series writes
    expected = np.array([float(text) for text in texts])
    counts = {}
    for name, precision in (("default", None), ("round_trip", "round_trip")):
        parsed = pandas.read_csv(
            io.StringIO("\n".join(texts)),
            header=None,
            dtype=np.float64,
            quoting=csv.QUOTE_NONE,
            na_filter=False,
            float_precision=precision,
        )[0].to_numpy()
        counts[f"pandas.read_csv, {name} converter"] = int((parsed != expected).sum())
    counts["numpy.loadtxt"] = int((np.loadtxt(texts, dtype=np.float64) != expected).sum())
    return {"n_texts": n_texts, "differ_from_float": counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=500)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    from attention_ts.core.numerics import describe_cpu

    record = {
        "machine": describe_cpu(),
        "command": "python -m benchmarks.readers",
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        record["input"] = write_inputs(folder, args.series, args.points)
        print(f"inputs: {record['input']}", flush=True)
        record["readers"] = time_readers(folder, args.runs, args.series)
        record["csv_chunk_parsers"] = time_chunk_parsers(folder / "series.csv", args.runs)
    record["converter_exactness"] = converter_exactness()
    args.output.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
