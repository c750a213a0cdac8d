"""Stage plot_attention: signal + attention for a seeded choice of test series -> plots/attention/.

(For a model without attention weights the plots show the signal and the prediction only.)

Draws `plot.n_per_class` test series of every class, one PNG each
(`<class>_<k>.png`: normal_1.png, anomalous_1.png, ... for the synthetic
data; the class name made file-safe by `plotting.file_names`; fixed names so
`dvc plots diff` pairs them across revisions) and grid.png with all of them,
one row per class. Each series is drawn up to its own length, its channels
stacked in one axes (up to three) or a panel each, with the attention of its
valid points; the title gives the predicted class and its probability (two
classes: class 1 when its probability >= evaluate.threshold; more: the most
probable).
"""

from pathlib import Path

import numpy as np
import torch

from attention_ts.data import NO_SEGMENT, Dataset, load_dataset
from attention_ts.io import atomic_output
from attention_ts.localization import on_valid_points
from attention_ts.metrics import predicted_classes
from attention_ts.models import Checkpoint, attention_on_time_axis, load_model, predict
from attention_ts.params import load_params
from attention_ts.plotting import SeriesView, file_names, save_grid_plot, save_series_plot
from attention_ts.stage import run

SPLIT_DIR = Path("data/split")
MODEL = Path("models/model.pt")
OUTPUT = Path("plots/attention")


def _segment(row: np.void) -> tuple[int, int] | None:
    """[start, end) of the series' flat segment; None if normal or, in a user's file, unknown."""
    if row["segment_start"] == NO_SEGMENT:
        return None
    return int(row["segment_start"]), int(row["segment_end"])


def series_views(
    test: Dataset, checkpoint: Checkpoint, n_per_class: int, seed: int, threshold: float
) -> list[list[SeriesView]]:
    """Up to `n_per_class` test series of each class, drawn by `seed`: a list per class.

    Two classes predict class 1 at probability >= `threshold`, more the most
    probable (`metrics.predicted_classes`); the attention is that of each
    series' valid points.
    """
    lengths = test.model_lengths()  # None when every series has all points: no mask
    rng = np.random.default_rng(seed)
    rows = []
    for label in range(len(test.classes)):
        members = np.flatnonzero(test.table["label"] == label)
        count = min(n_per_class, len(members))
        chosen = np.sort(rng.choice(members, size=count, replace=False))
        if count == 0:  # a class the official test file lacks: its row says so
            rows.append([])
            continue
        chosen_lengths = None if lengths is None else lengths[chosen]
        names = test.subset(chosen).names("test")
        probabilities, weights = predict(
            checkpoint.model, test.series[chosen], chosen_lengths, names=names
        )
        predictions = predicted_classes(probabilities, threshold)
        attention = None  # for models without attention: the plots then show the signal only
        if weights is not None:
            on_axis = attention_on_time_axis(
                weights, checkpoint.n_points, checkpoint.config.downsample
            )
            attention = on_valid_points(on_axis, chosen_lengths)  # (count, points)
        rows.append(
            [
                SeriesView(
                    series_id=int(row["id"]),
                    values=test.series[index],
                    length=int(row["length"]),
                    attention=None if attention is None else attention[k],
                    classes=checkpoint.classes,
                    label=label,
                    prediction=int(predictions[k]),
                    probability=float(probabilities[k, predictions[k]]),
                    segment=_segment(row),
                )
                for k, (index, row) in enumerate(zip(chosen, test.table[chosen]))
            ]
        )
    return rows


def save_plots(rows: list[list[SeriesView]], classes: tuple[str, ...], folder: Path) -> None:
    """`<class>_<k>.png` for each view of each class (`rows`), and grid.png, into `folder`."""
    for stem, views in zip(file_names(classes), rows):
        for number, view in enumerate(views, start=1):
            save_series_plot(view, folder / f"{stem}_{number}.png")
    save_grid_plot(rows, folder / "grid.png", classes)


def main() -> None:
    params = load_params()
    torch.set_num_threads(params.train.threads)
    test = load_dataset(SPLIT_DIR, "test")
    checkpoint = load_model(MODEL)
    plot = params.plot
    rows = series_views(test, checkpoint, plot.n_per_class, plot.seed, params.evaluate.threshold)
    with atomic_output(OUTPUT) as tmp:
        save_plots(rows, test.classes, tmp)
    print(f"wrote {sum(map(len, rows))} attention plots and grid.png to {OUTPUT}")


if __name__ == "__main__":
    run(main)
