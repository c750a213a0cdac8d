"""Stage generate: the series -> data/generated/.

Synthetic sine waves, some with a flat segment (`dataset.source = generate`),
or the user's own labelled series read from `dataset.path` (`source = file`).
"""

from pathlib import Path

from attention_ts.data import generate, read_labelled, save_dataset
from attention_ts.io import atomic_output
from attention_ts.params import load_params
from attention_ts.stage import run

OUTPUT = Path("data/generated")


def main() -> None:
    params = load_params()
    if params.dataset.source == "file":
        dataset = read_labelled(params.dataset)
        origin = f"read from {params.dataset.path}"
    else:
        dataset = generate(params.generate)
        origin = "generated"
    with atomic_output(OUTPUT) as tmp:
        save_dataset(tmp, "series", dataset)
    n_series, n_points = dataset.series.shape
    print(f"{origin}: {n_series} series of {n_points} points")


if __name__ == "__main__":
    run(main)
