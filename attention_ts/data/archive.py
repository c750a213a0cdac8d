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

from attention_ts.config.catalog import archive_files
from attention_ts.config.params import DatasetParams
from attention_ts.core.stage import PipelineError
from attention_ts.data.dataset import Dataset, concat, read_labelled

DATA_DIR = Path("data/benchmark")  # <dataset>/<resample>/: train, val, test as data.save_dataset
FIT_DIR = Path("models/benchmark")  # <dataset>/<model>/<resample>/: model.pt, scores, timing


def read_archive(name: str) -> tuple[Dataset, Dataset]:
    """The official train and test sets of archive dataset `name`, from the files aeon ships
    (`read_labelled` of its `.ts` pair: the checks of every own file). Raises SeriesFileError."""
    train, test = archive_files(name)
    files = DatasetParams(
        source="file",
        path=str(train),
        test_path=str(test),
        label_column="label",
        classes=[],
        missing="refuse",
    )
    return read_labelled(files)


def split_dir(dataset: str, resample: int) -> Path:
    """Where the split stage writes `resample` of `dataset`: train, val and test."""
    return DATA_DIR / dataset / str(resample)


def cell_dir(dataset: str, model: str, resample: int) -> Path:
    """Where the fit stage writes the cell (`dataset`, `model`, `resample`)."""
    return FIT_DIR / dataset / model / str(resample)


def resample_split(train: Dataset, test: Dataset, resample: int) -> tuple[Dataset, Dataset]:
    """Train and test series of `resample`: 0 the official split, r > 0 a stratified redraw.

    r > 0 pools train and test and draws, for each class, as many train
    series as the official train split has; the rest is test (aeon's
    `benchmarking.resampling.stratified_resample_data_indices`, random_state
    r, given the class names as the files write them, so classes are drawn
    in the order of their names, as tsml-eval does). Series are renumbered
    by their place in the pool (the train file's rows first), so ids stay
    unique; each split is in pool order. Both datasets have the same width
    and classes (as `data.read_labelled` returns them). Raises PipelineError
    when a class has series in only one of the two files (there is no
    stratified redraw of it).
    """
    if resample == 0:
        return train, test
    from aeon.benchmarking.resampling import stratified_resample_data_indices

    names = np.asarray(train.classes)
    labels = [names[d.table["label"]] for d in (train, test)]
    one_sided = sorted(set(labels[0].tolist()) ^ set(labels[1].tolist()))
    if one_sided:
        raise PipelineError(
            f"class {', '.join(map(repr, one_sided))} has series in only one of the train and "
            f"test files, so resample {resample} cannot keep the class counts; allowed: "
            "resample 0 (the official split) for this dataset"
        )
    pool = concat(train, test)
    pool.table["id"] = np.arange(len(pool.table))
    new_train, new_test = stratified_resample_data_indices(*labels, resample)
    return pool.subset(np.sort(new_train)), pool.subset(np.sort(new_test))
