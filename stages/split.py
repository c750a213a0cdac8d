"""Stage split: stratified, seeded train/val/test split -> data/split/{train,val,test}.{npy,csv}."""

from pathlib import Path

from attention_ts.data import SPLITS, load_dataset, save_dataset, split
from attention_ts.io import atomic_output
from attention_ts.params import check_split_sizes, load_params
from attention_ts.stage import run

INPUT = Path("data/generated")
OUTPUT = Path("data/split")


def main() -> None:
    params = load_params().split
    dataset = load_dataset(INPUT, "series")
    labels = dataset.table["label"]
    counts = (int((labels == 0).sum()), int((labels == 1).sum()))
    check_split_sizes(counts, params, f"{counts[0]} normal and {counts[1]} anomalous series")
    indices = split(labels, params.fractions(), params.seed)
    with atomic_output(OUTPUT) as tmp:
        for name in SPLITS:
            part = dataset.subset(indices[name])
            save_dataset(tmp, name, part)
            print(f"{name}: {len(part.table)} series, {part.table['label'].mean():.1%} anomalous")


if __name__ == "__main__":
    run(main)
