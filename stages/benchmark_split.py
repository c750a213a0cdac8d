"""Stage split@<dataset> of benchmark/dvc.yaml: its resamples -> data/benchmark/<dataset>/.

    python -m stages.benchmark_split GunPoint

Reads the archive dataset's official train and test `.ts` files from the
installed aeon package (never the network) and, for each resample r of
benchmark.resamples, redraws them for r > 0 (`archive.resample_split`:
stratified, the official train size) and holds out benchmark.val of the
train part for validation, stratified and seeded by benchmark.seed (a class
too small to spare a series stays in train: `catalog.split_counts`). Writes
train, val and test of resample r to data/benchmark/<dataset>/<r>/ as
data.save_dataset does.
"""

import argparse
from collections.abc import Sequence

from attention_ts.config.catalog import archive_datasets
from attention_ts.config.params import load_params
from attention_ts.core.io import atomic_output
from attention_ts.core.stage import PipelineError, run
from attention_ts.data.archive import DATA_DIR, read_archive, resample_split
from attention_ts.data.dataset import SPLITS, save_dataset, split


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset")
    args = parser.parse_args(argv)
    params = load_params().benchmark
    shipped = archive_datasets()
    if args.dataset not in shipped:
        raise PipelineError(
            f"{args.dataset!r} is not a classification dataset aeon ships; allowed: "
            + ", ".join(shipped)
        )
    official = read_archive(args.dataset)
    with atomic_output(DATA_DIR / args.dataset) as folder:
        folder.mkdir()
        for resample in params.resamples:
            train, test = resample_split(*official, resample)
            parts = split(train.table["label"], (1 - params.val, params.val), params.seed)
            datasets = {name: train.subset(parts[name]) for name in ("train", "val")}
            datasets["test"] = test
            output = folder / str(resample)
            output.mkdir()
            for name in SPLITS:
                save_dataset(output, name, datasets[name])
            sizes = ", ".join(f"{name} {len(datasets[name].table)}" for name in SPLITS)
            print(f"{args.dataset} resample {resample}: {sizes} series")


if __name__ == "__main__":
    run(main)
