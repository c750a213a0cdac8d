"""Stage generate: the series -> data/generated/.

Synthetic sine waves, some with an anomalous segment of one of several kinds
(docs/anomalies.md; `dataset.source = generate`),
or the user's own labelled series read from `dataset.path` (`source = file`),
and, when `dataset.test_path` names another file, its official test set
(data/generated/test.*). Writes series.npy (series, channels, points),
series.csv (the per-series table), classes.json and source.json (which
files, with their SHA-256). Generated series are
streamed: computed and written a chunk of rows at a time
(`data.generate_chunks`), so memory is bounded by the chunk, not by
generate.n_series.
"""

from pathlib import Path

from attention_ts.config.params import load_params
from attention_ts.core.io import atomic_output, rows_per_chunk, write_json
from attention_ts.core.stage import run
from attention_ts.data.dataset import (
    SOURCE_FILE,
    read_labelled,
    save_chunks,
    save_dataset,
    source_line,
    source_record,
)
from attention_ts.data.synthetic import generate_chunks

OUTPUT = Path("data/generated")


def main() -> None:
    params = load_params()
    test = None
    with atomic_output(OUTPUT) as tmp:
        tmp.mkdir()
        if params.dataset.source == "file":
            record = source_record(params.dataset)
            write_json(tmp / SOURCE_FILE, record)
            print(source_line(tmp))
            dataset, test = read_labelled(params.dataset)
            save_dataset(tmp, "series", dataset)
            if test is not None:
                save_dataset(tmp, "test", test)
            n_series, n_channels, n_points = dataset.series.shape
            table, classes = dataset.table, dataset.classes
            origin = f"read from {params.dataset.path}"
        else:
            n_series, n_channels, n_points = params.generate.n_series, 1, params.generate.n_points
            rows = rows_per_chunk((n_points,))  # float64 rows: what the generator computes in
            table, classes, chunks = generate_chunks(params.generate, rows)
            print(f"data: generated from generate.* (seed {params.generate.seed})")
            save_chunks(tmp, "series", (n_series, n_channels, n_points), table, classes, chunks)
            origin = "generated"
            record = source_record(params.dataset, tmp / "series.npy")
            record["train"]["file"] = str(OUTPUT / "series.npy")
            write_json(tmp / SOURCE_FILE, record)
            print(source_line(tmp))
    lengths = table["length"]
    shown = f"{lengths.min()} to {n_points}" if lengths.min() < n_points else f"{n_points}"
    print(
        f"{origin}: {n_series} series of {shown} points, {n_channels} channel(s), "
        f"{len(classes)} classes ({', '.join(classes)})"
    )
    if test is not None:
        print(f"official test set read from {params.dataset.test_path}: {len(test.table)} series")


if __name__ == "__main__":
    run(main)
