"""Stage generate: synthetic sine waves, some with a flat segment -> data/generated/."""

from pathlib import Path

from attention_ts.data import generate, save_dataset
from attention_ts.io import atomic_output
from attention_ts.params import load_params
from attention_ts.stage import run

OUTPUT = Path("data/generated")


def main() -> None:
    params = load_params().generate
    dataset = generate(params)
    with atomic_output(OUTPUT) as tmp:
        save_dataset(tmp, "series", dataset)
    print(f"generated {dataset.series.shape[0]} series of {dataset.series.shape[1]} points")


if __name__ == "__main__":
    run(main)
