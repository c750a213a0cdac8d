"""Stage plot_attention: signal + attention for a seeded choice of test series -> plots/attention/.

(For a model without attention weights the plots show the signal and the prediction only.)

Draws `plot.n_per_class` normal and as many anomalous test series, one PNG
each (normal_1.png, anomalous_1.png, ...; fixed names so `dvc plots diff`
pairs them across revisions) and grid.png with all of them.
"""

from pathlib import Path

import numpy as np
import torch

from attention_ts.data import NO_SEGMENT, load_dataset
from attention_ts.io import atomic_output
from attention_ts.models import attention_on_time_axis, load_model, predict
from attention_ts.params import load_params
from attention_ts.plotting import CLASS_NAMES, SeriesView, save_grid_plot, save_series_plot
from attention_ts.stage import run

SPLIT_DIR = Path("data/split")
MODEL = Path("models/model.pt")
OUTPUT = Path("plots/attention")


def _segment(row: np.void) -> tuple[int, int] | None:
    """[start, end) of the series' flat segment; None if normal or, in a user's file, unknown."""
    if row["segment_start"] == NO_SEGMENT:
        return None
    return int(row["segment_start"]), int(row["segment_end"])


def main() -> None:
    params = load_params()
    torch.set_num_threads(params.train.threads)
    test = load_dataset(SPLIT_DIR, "test")
    checkpoint = load_model(MODEL)
    rng = np.random.default_rng(params.plot.seed)

    rows = []
    for label in (0, 1):
        members = np.flatnonzero(test.table["label"] == label)
        count = min(params.plot.n_per_class, len(members))
        chosen = np.sort(rng.choice(members, size=count, replace=False))
        names = test.subset(chosen).names("test")
        probabilities, weights = predict(checkpoint.model, test.series[chosen], names=names)
        attention = (  # None for models without attention: the plots then show the signal only
            None
            if weights is None
            else attention_on_time_axis(weights, checkpoint.n_points, checkpoint.config.downsample)
        )
        rows.append(
            [
                SeriesView(
                    series_id=int(row["id"]),
                    values=test.series[index],
                    attention=None if attention is None else attention[k],
                    label=label,
                    probability=float(probabilities[k]),
                    prediction=int(probabilities[k] >= params.evaluate.threshold),
                    segment=_segment(row),
                )
                for k, (index, row) in enumerate(zip(chosen, test.table[chosen]))
            ]
        )

    with atomic_output(OUTPUT) as tmp:
        for label, views in enumerate(rows):
            for number, view in enumerate(views, start=1):
                save_series_plot(view, tmp / f"{CLASS_NAMES[label]}_{number}.png")
        save_grid_plot(rows, tmp / "grid.png")
    print(f"wrote {sum(map(len, rows))} attention plots and grid.png to {OUTPUT}")


if __name__ == "__main__":
    run(main)
