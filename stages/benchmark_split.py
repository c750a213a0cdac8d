"""Stage split@<dataset>-<resample> of benchmark/dvc.yaml: one resample -> data/benchmark/.

    python -m stages.benchmark_split GunPoint 0

Reads the archive dataset's official train and test `.ts` files from the
installed aeon package (never the network), redraws them for resample r > 0
(`benchmark.resample_split`: stratified, the official train size), and holds
out benchmark.val of the train part for validation, stratified and seeded by
benchmark.seed. Writes train, val and test as data.save_dataset does.
"""

import argparse
from collections.abc import Sequence

from attention_ts.config.catalog import archive_datasets
from attention_ts.config.params import load_params
from attention_ts.core.io import atomic_output
from attention_ts.core.stage import PipelineError, run
from attention_ts.data.archive import read_archive, resample_split, split_dir
from attention_ts.data.dataset import SPLITS, save_dataset, split


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset")
    parser.add_argument("resample", type=int)
    args = parser.parse_args(argv)
    params = load_params().benchmark
    shipped = archive_datasets()
    if args.dataset not in shipped:
        raise PipelineError(
            f"{args.dataset!r} is not a classification dataset aeon ships; allowed: "
            + ", ".join(shipped)
        )
    train, test = resample_split(*read_archive(args.dataset), args.resample)
    parts = split(train.table["label"], (1 - params.val, params.val), params.seed)
    datasets = {name: train.subset(parts[name]) for name in ("train", "val")} | {"test": test}
    output = split_dir(args.dataset, args.resample)
    with atomic_output(output) as tmp:
        for name in SPLITS:
            save_dataset(tmp, name, datasets[name])
    sizes = ", ".join(f"{name} {len(datasets[name].table)}" for name in SPLITS)
    print(f"{args.dataset} resample {args.resample}: {sizes} series -> {output}")


if __name__ == "__main__":
    run(main)
