"""Where the train stage's time goes, and what other settings cost and score.

    python -m benchmarks.train_settings                      # about 4 minutes on 2 cores
    python -m benchmarks.train_settings --profile            # + torch.profiler's top ops

After `dvc repro` (it reads data/split). First, one epoch of the committed
model timed per optimizer step at several batch sizes and thread counts
(median of 30 steps, after 3 warm-up steps; seconds per epoch = that x
steps per epoch); with --profile, torch.profiler's table of the ops that
take the time, 10 steps at the committed batch size. Then each setting of
SETTINGS trained in this process through `training.fit_model` (the train
stage's code) and scored on the test split: training seconds, epochs, test
F1. Writes benchmarks/train_settings.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import f1_score
from torch import nn

from attention_ts.config.params import load_params, resolve_config
from attention_ts.core.numerics import describe_cpu
from attention_ts.data.dataset import load_dataset
from attention_ts.models.classifiers import build_model, predict
from attention_ts.training.loop import fit_model, loss_of, make_deterministic, make_optimizer

RESULTS = Path("benchmarks/train_settings.json")
SPLIT_DIR = Path("data/split")
STEP_GRID = [(64, 2), (64, 1), (256, 2), (1024, 2)]  # (batch size, threads)
# changes to model.* / train.* tried (each on top of the committed params)
SETTINGS = [
    {},
    {"train": {"max_epochs": 15, "min_steps": 1000}},  # the defaults before issue 15
    {"train": {"max_epochs": 4, "min_steps": 0}},  # 0: one pass an epoch
    {"train": {"max_epochs": 3, "min_steps": 0}},
    {"model": {"conv_channels": 16}},
    {"model": {"conv_channels": 16}, "train": {"max_epochs": 6}},
    {"train": {"batch_size": 128, "lr": 0.01}},
]


def step_seconds(params, batch_size: int, threads: int, profile: bool) -> dict:
    """One epoch's cost of the committed model at this batch size and thread count."""
    train_set = load_dataset(SPLIT_DIR, "train")
    make_deterministic(0, threads)
    model = build_model(resolve_config(params.model, train_set.series.shape[2]), 500, 1, 2)
    series, labels = torch.from_numpy(train_set.series), torch.from_numpy(train_set.table["label"])
    optimizer = make_optimizer(model, params.train)
    batches = torch.randperm(len(series), generator=torch.Generator().manual_seed(0))
    batches = batches.split(batch_size)

    def step(batch: torch.Tensor) -> None:
        loss = loss_of(model(series[batch], None)[0], labels[batch])
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), params.train.grad_clip)
        optimizer.step()

    times = []
    for k, batch in enumerate(batches[:33]):
        start = time.perf_counter()
        step(batch)
        if k >= 3:
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    record = {"batch_size": batch_size, "threads": threads, "step_ms": round(median * 1000, 1)}
    record["epoch_s"] = round(median * len(batches), 2)
    if profile:
        with torch.profiler.profile() as profiler:
            for batch in batches[:10]:
                step(batch)
        print(profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))
    return record


def changed(params, change: dict):
    model = params.model.model_copy(update=dict(**change.get("model", {})))
    return model, params.train.model_copy(update=dict(**change.get("train", {})))


def train_and_score(params, change: dict) -> dict:
    """`fit_model` at the committed params with `change`: seconds, epochs, test F1."""
    train_set, val_set, test_set = (load_dataset(SPLIT_DIR, s) for s in ("train", "val", "test"))
    model_params, train_params = changed(params, change)
    start = time.perf_counter()
    model, _, result = fit_model(model_params, train_params, train_set, val_set, lambda s: None)
    seconds = time.perf_counter() - start
    probabilities, _ = predict(model, test_set.series)
    predicted = (probabilities[:, 1] >= params.evaluate.threshold).astype(np.int64)
    return {
        "change": change,
        "train_s": round(seconds, 1),
        "epochs_run": result.epochs_run,
        "test_f1": round(f1_score(test_set.table["label"], predicted), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    params = load_params()
    steps = [
        step_seconds(params, b, t, args.profile and (b, t) == STEP_GRID[0]) for b, t in STEP_GRID
    ]
    for record in steps:
        print(record, flush=True)
    settings = []
    for change in SETTINGS:
        settings.append(train_and_score(params, change))
        print(settings[-1], flush=True)
    output = {"machine": describe_cpu(), "steps": steps, "settings": settings}
    RESULTS.write_text(json.dumps(output, indent=2) + "\n")


if __name__ == "__main__":
    main()
