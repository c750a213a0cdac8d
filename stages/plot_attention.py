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

import torch

from attention_ts.config.params import load_params
from attention_ts.core.io import atomic_output
from attention_ts.core.stage import run
from attention_ts.data.dataset import load_dataset, source_line
from attention_ts.explain.maps import series_views
from attention_ts.explain.plotting import SeriesView, file_names, save_grid_plot, save_series_plot
from attention_ts.models.classifiers import load_model

SPLIT_DIR = Path("data/split")
MODEL = Path("models/model.pt")
OUTPUT = Path("plots/attention")


def save_plots(rows: list[list[SeriesView]], classes: tuple[str, ...], folder: Path) -> None:
    """`<class>_<k>.png` for each view of each class (`rows`), and grid.png, into `folder`."""
    for stem, views in zip(file_names(classes), rows):
        for number, view in enumerate(views, start=1):
            save_series_plot(view, folder / f"{stem}_{number}.png")
    save_grid_plot(rows, folder / "grid.png", classes)


def main() -> None:
    params = load_params()
    print(source_line(SPLIT_DIR))
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
