"""The pipeline at its committed defaults on archive datasets aeon ships; only dataset.* set.

    python -m benchmarks.real_data                       # about 15 minutes on 2 cores
    python -m benchmarks.real_data --datasets GunPoint --models local_attention

Clones HEAD into a temporary folder and there, for each dataset, runs
`dvc exp run compare/dvc.yaml:fit@<model> ... -S dataset.source=file
-S dataset.path=<train .ts> -S dataset.test_path=<test .ts>`: each model of
the comparison with its committed settings (model.*, train.* and its
compare.<model> entry), on the official train/test split as aeon ships it
inside its wheel (read from the installed package, never from the network),
validation carved from the train file. Records each model's test accuracy,
balanced accuracy and macro F1, best epoch and train seconds
(models/compare/<model>/scores.json, timing.json) next to the published
accuracies of MiniRocket and 1-NN DTW (full window) where they exist
(REFERENCE below), and writes benchmarks/real_data.json.
Run it from the repository root with the venv active and nothing else busy.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import aeon.datasets

from attention_ts.numerics import describe_cpu

RESULTS = Path("benchmarks/real_data.json")
ARCHIVE = Path(aeon.datasets.__file__).parent / "data"
DATASETS = ("GunPoint", "ItalyPowerDemand", "ArrowHead", "BasicMotions", "JapaneseVowels")
MODELS = ("bilstm_attention", "local_attention", "cnn", "minirocket")
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


def run_dataset(clone: Path, dataset: str, models: list[str]) -> dict:
    """One `dvc exp run` of `models`' fit stages on `dataset` in `clone`; their scores."""
    train, test = files(dataset)
    overrides = {"dataset.source": "file", "dataset.path": train, "dataset.test_path": test}
    command = [sys.executable, "-m", "dvc", "exp", "run", "--name", dataset]
    command += [f"compare/dvc.yaml:fit@{model}" for model in models]
    command += [arg for key, value in overrides.items() for arg in ("-S", f"{key}={value}")]
    identity = {
        f"GIT_{who}_{what}": value
        for who in ("AUTHOR", "COMMITTER")
        for what, value in (("NAME", "benchmark"), ("EMAIL", "benchmark@example.invalid"))
    }
    env = {**os.environ, **identity}  # dvc exp commits the experiment
    done = subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{dataset}: dvc exp run failed:\n{done.stderr[-2000:]}")
    row = {}
    for model in models:
        folder = clone / "models/compare" / model
        scores = json.loads((folder / "scores.json").read_text())
        timing = json.loads((folder / "timing.json").read_text())
        row[model] = {
            **{key: scores["test"][key] for key in REPORTED},
            "best_epoch": scores["train"]["best_epoch"],
            "steps": scores["train"].get("steps"),
            "train_seconds": timing["train_seconds"],
        }
    return row


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
            row = {
                "reference": REFERENCE.get(dataset, {}),
                **run_dataset(clone, dataset, args.models),
            }
            print(dataset, json.dumps(row), flush=True)
            results["datasets"][dataset] = row
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
