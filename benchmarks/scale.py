"""How far one machine goes: time and peak memory of the streamed stages as the data grow.

    python -m benchmarks.scale                  # about 25 minutes on 2 cores; ~45 GB of disk
    python -m benchmarks.scale --no-10m         # the curves only (about 8 minutes, 3 GB)
    python -m benchmarks.scale --ddp-only       # train.processes 1 vs 2 only (2 minutes)
    python -m benchmarks.scale --model-only     # model.hidden_size 32, 128, 512 only (3 minutes)

Runs the pipeline's own stages (`python -m stages.generate`, `stages.split`,
`stages.train`) as child processes in a temporary folder, each on a copy of
params.yaml with the sizes changed, and records each stage's wall time and
peak resident memory (VmHWM, polled from /proc: `benchmarks.predict.peak_rss_mib`):

- train time and peak memory vs the number of training series (1k, 10k,
  100k, 1M; 500 points) and vs series length (100, 500, 2,000 points; 10k
  series): one epoch (train.max_epochs = 1, train.min_steps = 0; split 0.8 /
  0.1 / 0.1, so n training series come from n / 0.8 generated), the stage's
  whole run (Python start, validation, saving) included;
- generate and split of 10,000,000 series x 500 points (about 19 GB of
  float32 each), the issue's memory target: peak RSS under 4 GB;
- the train stage, one epoch of 10k series, with train.processes = 1 and 2
  (data-parallel, gloo), wall time of each, 3 runs alternating (the peak
  memory of torchrun's children is not polled);
- the train stage, one epoch of 10k series, with model.hidden_size 32 (the
  default), 128 and 512: wall time, peak RSS and parameters.

Writes benchmarks/scale.json and the two curves, docs/scale/series.png and
docs/scale/length.png. Run it from the repository root with the venv active
and nothing else busy; --workdir puts the temporary folders on a disk with room.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import yaml  # noqa: E402

from attention_ts.core.numerics import describe_cpu
from benchmarks.predict import peak_rss_mib  # noqa: E402

RESULTS = Path("benchmarks/scale.json")
PLOTS = Path("docs/scale")
ROOT = Path(__file__).resolve().parent.parent
TRAIN_SHARE = 0.8  # split.train in these runs: n training series come from n / 0.8 generated
SERIES = (1_000, 10_000, 100_000, 1_000_000)  # training series, at 500 points
LENGTHS = (100, 500, 2_000)  # points, at 10,000 training series
BIG = 10_000_000  # generated and split, at 500 points
HIDDEN_SIZES = (32, 128, 512)  # model.hidden_size, at 10,000 training series of 500 points


def run_stage(stage: str, folder: Path) -> dict:
    """Run `python -m stages.<stage>` in `folder`: its wall seconds and peak RSS in MiB."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    with open(folder / f"{stage}.log", "w") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", f"stages.{stage}"], cwd=folder, env=env, stdout=log, stderr=log
        )
        peak = peak_rss_mib(child)
    wall = time.perf_counter() - start
    if child.returncode != 0:
        log = (folder / f"{stage}.log").read_text()
        raise SystemExit(f"stages.{stage} failed in {folder}:\n{log}")
    return {"wall_s": round(wall, 1), "peak_rss_mib": round(peak)}


def project(workdir: Path, n_series: int, n_points: int, processes: int = 1) -> Path:
    """A folder with params.yaml (the repository's, sizes changed) for the stages to run in."""
    folder = Path(tempfile.mkdtemp(prefix=f"scale-{n_series}x{n_points}-", dir=workdir))
    write_params(folder, n_series, n_points, processes)
    return folder


def write_params(
    folder: Path, n_series: int, n_points: int, processes: int, hidden_size: int = 32
) -> None:
    """params.yaml with these sizes, one epoch (train.max_epochs 1, min_steps 0), `processes`."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["generate"].update(n_series=n_series, n_points=n_points)
    params["split"].update(train=TRAIN_SHARE, val=0.1, test=0.1)
    params["train"].update(max_epochs=1, min_steps=0, processes=processes)
    params["model"].update(hidden_size=hidden_size)
    (folder / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def disk_gib(folder: Path) -> float:
    return round(sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**30, 2)


def pipeline(workdir: Path, n_train: int, n_points: int, stages: tuple[str, ...]) -> dict:
    """Generate n_train / TRAIN_SHARE series of n_points, run `stages`; their measurements."""
    n_series = round(n_train / TRAIN_SHARE)
    folder = project(workdir, n_series, n_points)
    try:
        record = {"n_series": n_series, "n_train": n_train, "n_points": n_points}
        for stage in stages:
            record[stage] = run_stage(stage, folder)
            print(f"{n_series} x {n_points}: {stage} {record[stage]}", flush=True)
        record["data_gib"] = disk_gib(folder / "data")
        return record
    finally:
        shutil.rmtree(folder)


def data_parallel(workdir: Path, runs: int = 3) -> dict:
    """The train stage on 10k training series, one epoch, train.processes 1 and 2, alternating."""
    n_series = round(10_000 / TRAIN_SHARE)
    folder = project(workdir, n_series, 500)
    try:
        run_stage("generate", folder)
        run_stage("split", folder)
        walls: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(runs):
            for processes in walls:
                write_params(folder, n_series, 500, processes)
                walls[processes].append(run_stage("train", folder)["wall_s"])
                print(f"train.processes = {processes}: {walls[processes][-1]} s", flush=True)
        return {
            "n_train": 10_000,
            "n_points": 500,
            **{
                f"processes_{p}": {"median_s": statistics.median(w), "runs_s": w}
                for p, w in walls.items()
            },
        }
    finally:
        shutil.rmtree(folder)


def model_size(workdir: Path) -> list[dict]:
    """The train stage on 10k training series, one epoch, at each model.hidden_size of SIZES."""
    n_series = round(10_000 / TRAIN_SHARE)
    folder = project(workdir, n_series, 500)
    try:
        run_stage("generate", folder)
        run_stage("split", folder)
        records = []
        for hidden_size in HIDDEN_SIZES:
            write_params(folder, n_series, 500, 1, hidden_size)
            record = {"hidden_size": hidden_size, "train": run_stage("train", folder)}
            summary = json.loads((folder / "metrics/train.json").read_text())
            records.append({**record, "n_parameters": summary["n_parameters"]})
            print(records[-1], flush=True)
        return records
    finally:
        shutil.rmtree(folder)


def plot(records: list[dict], x_key: str, x_label: str, path: Path) -> None:
    """Train time and peak memory of the train stage against `x_key`, log-log, one figure."""
    xs = [r[x_key] for r in records]
    fig, (time_ax, memory_ax) = plt.subplots(1, 2, figsize=(9, 3.4))
    time_ax.plot(xs, [r["train"]["wall_s"] for r in records], "o-")
    memory_ax.plot(xs, [r["train"]["peak_rss_mib"] / 1024 for r in records], "o-", color="C1")
    time_ax.set(xlabel=x_label, ylabel="train stage, one epoch (s)", xscale="log", yscale="log")
    memory_ax.set(xlabel=x_label, ylabel="peak RSS (GiB)", xscale="log")
    memory_ax.set_ylim(bottom=0)
    for ax in (time_ax, memory_ax):
        ax.grid(alpha=0.3)
    fig.suptitle("python -m benchmarks.scale (2 CPU cores)", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--no-10m", action="store_true", help="skip the 10M-series generate+split")
    parser.add_argument("--ddp-only", action="store_true", help="only train.processes 1 vs 2")
    parser.add_argument("--model-only", action="store_true", help="only model.hidden_size")
    args = parser.parse_args()
    if args.ddp_only or args.model_only:  # one part, merged into the results there are
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        if args.ddp_only:
            results["data_parallel"] = data_parallel(args.workdir)
        if args.model_only:
            results["model_size"] = model_size(args.workdir)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        return
    stages = ("generate", "split", "train")
    by_series = [pipeline(args.workdir, n, 500, stages) for n in SERIES]
    by_length = [
        next(r for r in by_series if r["n_train"] == 10_000)
        if n_points == 500
        else pipeline(args.workdir, 10_000, n_points, stages)
        for n_points in LENGTHS
    ]
    results = {
        "machine": describe_cpu(),
        "command": "python -m benchmarks.scale" + (" --no-10m" if args.no_10m else ""),
        "by_series": by_series,
        "by_length": by_length,
    }
    results["data_parallel"] = data_parallel(args.workdir)
    results["model_size"] = model_size(args.workdir)
    if not args.no_10m:
        results["generate_and_split_10m"] = pipeline(
            args.workdir, round(BIG * TRAIN_SHARE), 500, ("generate", "split")
        )
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    plot(by_series, "n_train", "training series (500 points)", PLOTS / "series.png")
    plot(by_length, "n_points", "points per series (10,000 training series)", PLOTS / "length.png")
    print(f"wrote {RESULTS}, {PLOTS}/series.png and {PLOTS}/length.png")


if __name__ == "__main__":
    main()
