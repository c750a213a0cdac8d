"""The labelled sample file under tests/data/: a small dataset made by the generator.

It is written in the layout `dataset.source = file` reads (id, label, values),
so the own-data path can be tested on known series. `python -m
tests.sample_data` writes it again; tests/test_own_data.py checks that the
committed file is exactly what this makes.
"""

from __future__ import annotations

import numpy as np

from attention_ts.data import Dataset, generate
from attention_ts.params import GenerateParams, build
from attention_ts.series_io import SeriesBatch, write_series
from tests.conftest import REPO, default_raw_params

SAMPLE = REPO / "tests/data/labelled_sample.csv"
DECIMALS = 3  # the file's values are the generated ones rounded to this many decimals


def sample_dataset() -> Dataset:
    """200 series of 100 points, half with a flat segment, a little noise."""
    raw = default_raw_params()["generate"]
    raw.update(n_series=200, n_points=100, noise=0.05, seed=7)
    return generate(build(GenerateParams, raw, "generate"))


def sample_series() -> SeriesBatch:
    """The sample dataset as the file holds it: ids, labels 0/1, rounded values."""
    dataset = sample_dataset()
    return SeriesBatch(
        ids=[str(i) for i in dataset.table["id"]],
        rows=list(range(2, len(dataset.table) + 2)),
        values=np.round(dataset.series.astype(np.float64), DECIMALS),  # (n, points)
        labels=[str(label) for label in dataset.table["label"]],
    )


def main() -> None:
    write_series(SAMPLE, sample_series())
    print(f"wrote {SAMPLE.relative_to(REPO)}")


if __name__ == "__main__":
    main()
