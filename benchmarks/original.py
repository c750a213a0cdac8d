"""The train stage against the original tutorial's own training code, side by side, alternating.

    git clone https://github.com/PieroPaialungaAI/TimeSeriesAttention /tmp/original  # not ours
    python -m benchmarks.original --original /tmp/original      # about 20 minutes on 2 cores
    python -m benchmarks.original --original /tmp/original --per-epoch-only   # 4 minutes

Three measurements, each `--runs` times, one after the other in turn (original,
train stage, pipeline-original, original, ...), so that a machine that
slows down slows all three alike:

- the original code, whole run: a child process that seeds Python's,
  numpy's and torch's generators with 0 and runs what the tutorial's
  notebook runs (`Dataset()`, `to_torch()`, `train_val_test_split()`,
  `AttentionModel().train_model(data)`: batch 32, Adam 1e-3, up to 50
  epochs, patience 5), on a copy of the checkout, on this CPU's own code
  paths (no pins: the code as its users run it). Records the wall time,
  the epochs it ran and the seconds of each epoch (from timestamps of its
  per-epoch lines);
- `python -m stages.train` at the committed params (after `dvc repro`, which
  makes data/split), wall time: Python start, loading, training, saving;
- the original architecture and settings run through this pipeline (the
  README's `original` experiment: no front end, raw input, Adam 1e-3, batch
  32, no schedule), `--epochs` epochs of it through `training.fit_model` on
  data/split, seconds per epoch.

Writes the medians and the ratios (original whole run / train stage, and
pipeline-original / original per epoch) to benchmarks/original.json.

`--per-epoch-only` measures, instead, one epoch of the original code's
training (its data, its loop) and one of the pipeline-original, alternating
`--runs` times in one process (so both see the same machine at the same
moment), once on the pinned code paths (`attention_ts.core.numerics`) and once on
this CPU's own (ATTENTION_TS_NATIVE_NUMERICS=1); it adds them to the file under "per_epoch".
Run it from the repository root with the venv active and nothing else busy.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from attention_ts.core.numerics import describe_cpu, native_environ

RESULTS = Path("benchmarks/original.json")
STAMP = re.compile(r"^\[([0-9.]+)\] Epoch", re.MULTILINE)

# the notebook's training cell, seeded, with a timestamp on every line it prints
ORIGINAL_DRIVER = """
import builtins, random, sys, time
import numpy as np, torch
random.seed(0); np.random.seed(0); torch.manual_seed(0)
start, say = time.perf_counter(), builtins.print
builtins.print = lambda *a, **k: say(f"[{time.perf_counter() - start:.3f}]", *a, **k, flush=True)
from data import Dataset
from model import AttentionModel
data = Dataset(); data.to_torch(); data.train_val_test_split()
epochs = {"num_epochs": int(sys.argv[1])} if sys.argv[1:] else {}  # else its default, 50
AttentionModel().train_model(data=data, **epochs)
"""

# the README's `original` experiment, `epochs` epochs of it, timed per epoch
PIPELINE_ORIGINAL = """
import dataclasses, json, sys, time
import attention_ts
from pathlib import Path
from attention_ts.data.dataset import load_dataset
from attention_ts.config.params import load_params
from attention_ts.training.loop import fit_model

params, epochs = load_params(), int(sys.argv[1])
model = params.model.model_copy(update=dict(downsample=1, standardize=False))
train = params.train.model_copy(update=dict(optimizer="adam", lr=0.001, weight_decay=0.0,
    grad_clip=0.0, schedule="none", batch_size=32, max_epochs=50, patience=5))
splits = [load_dataset(Path("data/split"), name) for name in ("train", "val")]
stamps = [time.perf_counter()]

class Enough(Exception):
    pass

def on_epoch(stats):
    stamps.append(time.perf_counter())
    if len(stamps) > epochs:
        raise Enough

try:
    fit_model(model, train, *splits, on_epoch=on_epoch)
except Enough:
    pass
print(json.dumps([b - a for a, b in zip(stamps, stamps[1:])]))
"""


# one epoch of the original code's training (its data, its loop, its DataLoader) and one of
# the README's `original` experiment through fit_model, alternating, in this one process
SIDE_BY_SIDE = """
import contextlib, dataclasses, io, json, sys, time
from pathlib import Path
import attention_ts  # pins the code paths, unless ATTENTION_TS_NATIVE_NUMERICS=1
import numpy as np, torch
from attention_ts.data.dataset import load_dataset
from attention_ts.config.params import load_params
from attention_ts.training.loop import fit_model
from data import Dataset
from model import AttentionModel

repo, runs = Path(sys.argv[1]), int(sys.argv[2])
np.random.seed(0); torch.manual_seed(0)
data = Dataset(); data.to_torch(); data.train_val_test_split()
original = AttentionModel()
params = load_params(repo / "params.yaml")
model = params.model.model_copy(update=dict(downsample=1, standardize=False))
train = params.train.model_copy(update=dict(optimizer="adam", lr=0.001, weight_decay=0.0,
    grad_clip=0.0, schedule="none", batch_size=32, max_epochs=50, patience=5))
splits = [load_dataset(repo / "data/split", name) for name in ("train", "val")]

class Enough(Exception):
    pass

def stop(stats):
    raise Enough

seconds = {"original": [], "pipeline_original": []}
for _ in range(runs):
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        original.train_model(data=data, num_epochs=1)
    seconds["original"].append(time.perf_counter() - start)
    start = time.perf_counter()
    with contextlib.suppress(Enough):
        fit_model(model, train, *splits, on_epoch=stop)
    seconds["pipeline_original"].append(time.perf_counter() - start)
print(json.dumps(seconds))
"""


def original_run(checkout: Path, epochs: int | None = None, pinned: bool = False) -> dict:
    """The original code's seeded run in a copy of `checkout`: wall, epochs, epoch seconds.

    epochs None: its own default (50, early stopping); pinned: on the
    code paths `attention_ts.core.numerics` pins (this process's environment),
    else on this CPU's own.
    """
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "original"
        shutil.copytree(checkout, copy, ignore=shutil.ignore_patterns(".git", "*.pth"))
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", ORIGINAL_DRIVER, *([] if epochs is None else [str(epochs)])],
            cwd=copy,
            env=dict(os.environ) if pinned else native_environ(),
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - start
    stamps = [float(s) for s in STAMP.findall(done.stdout)]
    epochs = [b - a for a, b in zip(stamps, stamps[1:])]
    return {"wall_s": wall, "epochs": len(stamps), "epoch_s": statistics.median(epochs)}


def train_stage() -> dict:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "stages.train"], check=True, capture_output=True)
    return {"wall_s": time.perf_counter() - start}


def pipeline_original(epochs: int, native: bool = False) -> dict:
    """Seconds per epoch of the README's `original` experiment, `epochs` epochs of fit_model."""
    env = native_environ() if native else dict(os.environ)
    done = subprocess.run(
        [sys.executable, "-c", PIPELINE_ORIGINAL, str(epochs)],
        check=True,
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(Path.cwd())},
    )
    return {"epoch_s": statistics.median(json.loads(done.stdout.splitlines()[-1]))}


def medians(runs: list[dict]) -> dict:
    keys = runs[0].keys()
    return {
        **{f"median_{key}": round(statistics.median(r[key] for r in runs), 2) for key in keys},
        "runs": [{key: round(value, 2) for key, value in r.items()} for r in runs],
    }


def per_epoch(args: argparse.Namespace) -> None:
    """One epoch of each, in one process, alternating `--runs` times: pinned, then native."""
    output = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    output["per_epoch"] = {
        "command": f"python -m benchmarks.original --original PATH --per-epoch-only "
        f"--runs {args.runs}",
    }
    for mode, env in (("pinned", dict(os.environ)), ("native", native_environ())):
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / "original"
            shutil.copytree(args.original, copy, ignore=shutil.ignore_patterns(".git", "*.pth"))
            done = subprocess.run(
                [sys.executable, "-c", SIDE_BY_SIDE, str(Path.cwd()), str(args.runs)],
                cwd=copy,
                env={**env, "PYTHONPATH": str(Path.cwd())},
                capture_output=True,
                text=True,
                check=True,
            )
        epochs = json.loads(done.stdout.splitlines()[-1])
        output["per_epoch"][mode] = {
            name: {"median_s": round(statistics.median(v), 2), "runs_s": [round(t, 2) for t in v]}
            for name, v in epochs.items()
        }
        print(mode, output["per_epoch"][mode], flush=True)
    RESULTS.write_text(json.dumps(output, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--original", type=Path, required=True, help="a checkout of the tutorial")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the pipeline-original")
    parser.add_argument("--per-epoch-only", action="store_true")
    args = parser.parse_args()
    if not (args.original / "model.py").exists():
        raise SystemExit(f"{args.original} has no model.py: not a checkout of the tutorial")
    if args.per_epoch_only:
        per_epoch(args)
        return
    results: dict[str, list[dict]] = {"original": [], "train_stage": [], "pipeline_original": []}
    for run in range(args.runs):
        for name, measure in (
            ("original", lambda: original_run(args.original)),
            ("train_stage", train_stage),
            ("pipeline_original", lambda: pipeline_original(args.epochs)),
        ):
            results[name].append(measure())
            print(f"run {run + 1}: {name} {results[name][-1]}", flush=True)
    summary = {name: medians(runs) for name, runs in results.items()}
    original, stage = summary["original"], summary["train_stage"]
    summary["ratio_original_to_train_stage"] = round(
        original["median_wall_s"] / stage["median_wall_s"], 1
    )
    summary["ratio_pipeline_original_to_original_per_epoch"] = round(
        summary["pipeline_original"]["median_epoch_s"] / original["median_epoch_s"], 2
    )
    output = {
        "machine": describe_cpu(),
        "command": f"python -m benchmarks.original --original PATH --runs {args.runs} "
        f"--epochs {args.epochs}",
        **summary,
    }
    kept = json.loads(RESULTS.read_text()).get("per_epoch") if RESULTS.exists() else None
    RESULTS.write_text(
        json.dumps({**output, **({"per_epoch": kept} if kept else {})}, indent=2) + "\n"
    )
    print(json.dumps(output, indent=2))


if __name__ == "__main__":
    main()
