"""Resamples of the UCR/UEA archive datasets aeon ships, and where the benchmark keeps them.

The files are found by `readers.archive_files` (inside the installed aeon
package, never the network). Resample 0 is the official train/test split;
resample r > 0 is aeon's `stratified_resample_data` of train + test with
random_state r: the same
number of train series of each class, drawn anew (the archive's convention,
as in tsml-eval and the MiniRocket paper's 30 resamples).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from attention_ts.data import Dataset, concat

DATA_DIR = Path("data/benchmark")  # <dataset>/<resample>/: train, val, test as data.save_dataset
FIT_DIR = Path("models/benchmark")  # <dataset>/<model>/<resample>/: model.pt, scores, timing


def split_dir(dataset: str, resample: int) -> Path:
    return DATA_DIR / dataset / str(resample)


def cell_dir(dataset: str, model: str, resample: int) -> Path:
    return FIT_DIR / dataset / model / str(resample)


def resample_split(train: Dataset, test: Dataset, resample: int) -> tuple[Dataset, Dataset]:
    """Train and test series of `resample`: 0 the official split, r > 0 a stratified redraw.

    r > 0 pools train and test and draws, for each class, as many train
    series as the official train split has (aeon's
    `benchmarking.resampling.stratified_resample_data`, random_state r);
    the rest is test. Series are renumbered by their place in the pool
    (the train file's rows first), so ids stay unique; each split is in pool
    order. Both datasets must have the same width and classes (as
    `data.read_labelled` returns them).
    """
    if resample == 0:
        return train, test
    from aeon.benchmarking.resampling import stratified_resample_data

    pool = concat(train, test)
    pool.table["id"] = np.arange(len(pool.table))
    rows = np.arange(len(pool.table))[:, None]  # (n, 1): aeon moves these row numbers around
    n_train = len(train.table)
    new_train, _, new_test, _ = stratified_resample_data(
        rows[:n_train], train.table["label"], rows[n_train:], test.table["label"], resample
    )
    return pool.subset(np.sort(new_train[:, 0])), pool.subset(np.sort(new_test[:, 0]))
