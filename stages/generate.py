"""Stage generate: the series -> data/generated/.

Synthetic sine waves, some with an anomalous segment of one of several kinds
(docs/anomalies.md; `dataset.source = generate`),
or the user's own labelled series read from `dataset.path` (`source = file`),
and, when `dataset.test_path` names another file, its official test set
(data/generated/test.*). Writes series.npy (series, channels, points),
series.csv (the per-series table) and classes.json.
"""

from pathlib import Path

from attention_ts.data import generate, read_labelled, save_dataset
from attention_ts.io import atomic_output
from attention_ts.params import load_params
from attention_ts.stage import run

OUTPUT = Path("data/generated")


def main() -> None:
    params = load_params()
    test = None
    if params.dataset.source == "file":
        dataset, test = read_labelled(params.dataset)
        origin = f"read from {params.dataset.path}"
    else:
        dataset = generate(params.generate)
        origin = "generated"
    with atomic_output(OUTPUT) as tmp:
        save_dataset(tmp, "series", dataset)
        if test is not None:
            save_dataset(tmp, "test", test)
    n_series, n_channels, n_points = dataset.series.shape
    lengths = f"{dataset.lengths.min()} to {n_points}" if dataset.ragged else f"{n_points}"
    print(
        f"{origin}: {n_series} series of {lengths} points, {n_channels} channel(s), "
        f"{len(dataset.classes)} classes ({', '.join(dataset.classes)})"
    )
    if test is not None:
        print(f"official test set read from {params.dataset.test_path}: {len(test.table)} series")


if __name__ == "__main__":
    run(main)
