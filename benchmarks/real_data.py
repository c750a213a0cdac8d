"""The pipeline at its committed defaults on archive datasets aeon ships; only dataset.* set.

    python -m benchmarks.real_data                       # about 10 minutes on 2 cores
    python -m benchmarks.real_data --datasets GunPoint --models local_attention

Clones HEAD into a temporary folder and there, for each dataset and model,
runs `dvc exp run -S dataset.source=file -S dataset.path=<train .ts>
-S dataset.test_path=<test .ts> -S model.name=<model>`: the official train/test
split as aeon ships it inside its wheel (read from the installed package,
never from the network), validation carved from the train file. Records the
test accuracy, balanced accuracy and macro F1 (metrics/evaluate.json), the
best epoch and steps (metrics/train.json) and the wall time of each run next
to the published accuracies of MiniRocket and 1-NN DTW (full window) where
they exist (REFERENCE below), and writes benchmarks/real_data.json.
Run it from the repository root with the venv active and nothing else busy.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aeon.datasets

from attention_ts.numerics import describe_cpu

RESULTS = Path("benchmarks/real_data.json")
ARCHIVE = Path(aeon.datasets.__file__).parent / "data"
DATASETS = ("GunPoint", "ItalyPowerDemand", "ArrowHead", "BasicMotions", "JapaneseVowels")
MODELS = ("bilstm_attention", "local_attention")
# Published test accuracies: MiniRocket, mean of 30 resamples (angus924/minirocket,
# results_ucr109_mean.csv); 1-NN DTW with a full window (UCR archive 2018, DataSummary.csv).
REFERENCE = {
    "GunPoint": {"minirocket": 0.9924, "dtw_1nn": 0.907},
    "ItalyPowerDemand": {"minirocket": 0.9596, "dtw_1nn": 0.950},
    "ArrowHead": {"minirocket": 0.8810, "dtw_1nn": 0.703},
}
REPORTED = ("accuracy", "balanced_accuracy", "macro_f1")


def files(dataset: str) -> tuple[Path, Path]:
    """The train and test .ts files of `dataset` inside the installed aeon package."""
    folder = ARCHIVE / dataset
    return folder / f"{dataset}_TRAIN.ts", folder / f"{dataset}_TEST.ts"


def run_one(clone: Path, dataset: str, model: str) -> dict:
    """`dvc exp run` of one dataset and model in `clone`; its metrics and wall seconds."""
    train, test = files(dataset)
    overrides = {
        "dataset.source": "file",
        "dataset.path": train,
        "dataset.test_path": test,
        "model.name": model,
    }
    command = [sys.executable, "-m", "dvc", "exp", "run", "--name", f"{dataset}-{model}"]
    command += [arg for key, value in overrides.items() for arg in ("-S", f"{key}={value}")]
    start = time.perf_counter()
    identity = {
        f"GIT_{who}_{what}": value
        for who in ("AUTHOR", "COMMITTER")
        for what, value in (("NAME", "benchmark"), ("EMAIL", "benchmark@example.invalid"))
    }
    env = {**os.environ, **identity}  # dvc exp commits the experiment
    done = subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{dataset} {model}: dvc exp run failed:\n{done.stderr[-2000:]}")
    seconds = time.perf_counter() - start
    evaluated = json.loads((clone / "metrics/evaluate.json").read_text())
    trained = json.loads((clone / "metrics/train.json").read_text())
    return {
        **{key: evaluated[key] for key in REPORTED},
        "best_epoch": trained["best_epoch"],
        "steps": trained.get("steps"),
        "seconds": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    shipped = sorted(folder.name for folder in ARCHIVE.iterdir() if folder.is_dir())
    parser.add_argument("--datasets", nargs="+", default=DATASETS, choices=shipped)
    parser.add_argument("--models", nargs="+", default=MODELS)
    args = parser.parse_args()
    results: dict = {"machine": describe_cpu(), "datasets": {}}
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", ".", str(clone)], check=True)
        for dataset in args.datasets:
            row = {"reference": REFERENCE.get(dataset, {})}
            for model in args.models:
                row[model] = run_one(clone, dataset, model)
                print(dataset, model, row[model], flush=True)
            results["datasets"][dataset] = row
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
