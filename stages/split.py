"""Stage split: stratified, seeded train/val/test split -> data/split/{train,val,test}.{npy,csv}.

Without a test file the series are split by split.train/val/test. With one
(`dataset.test_path`), it is the test split as given (the official split),
and train and validation are carved from the train file, stratified and
seeded, in the proportion split.train : split.val.
"""

import shutil
from pathlib import Path

import numpy as np

from attention_ts.config.params import check_split_sizes, load_params
from attention_ts.core.io import atomic_output
from attention_ts.core.stage import run
from attention_ts.data.dataset import (
    SOURCE_FILE,
    SPLITS,
    load_dataset,
    save_dataset,
    source_line,
    split,
)

INPUT = Path("data/generated")
OUTPUT = Path("data/split")


def main() -> None:
    params = load_params().split
    print(source_line(INPUT))
    dataset = load_dataset(INPUT, "series", lazy=True)
    test_file = (INPUT / "test.npy").exists()
    labels = dataset.table["label"]
    note = check_split_sizes(dataset.class_counts(), params, "in the data", test_file=test_file)
    if note:
        print(note)
    fractions = params.official() if test_file else params.fractions()
    parts = {
        name: (dataset, index) for name, index in split(labels, fractions, params.seed).items()
    }
    if test_file:
        test = load_dataset(INPUT, "test", lazy=True)
        parts["test"] = (test, np.arange(len(test.table)))
    with atomic_output(OUTPUT) as tmp:
        tmp.mkdir()
        shutil.copyfile(INPUT / SOURCE_FILE, tmp / SOURCE_FILE)
        for name in SPLITS:
            source, index = parts[name]
            save_dataset(tmp, name, source, index)
            shares = source.table["label"][index]
            mix = ", ".join(
                f"{(shares == k).mean():.1%} {c}" for k, c in enumerate(dataset.classes)
            )
            print(f"{name}: {len(shares)} series ({mix})")


if __name__ == "__main__":
    run(main)
