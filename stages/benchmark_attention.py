"""Stage attention@<dataset> of benchmark/dvc.yaml: attention on real series -> plots/benchmark/.

    python -m stages.benchmark_attention GunPoint

For each attention model of benchmark.models, its model of resample 0 (the
official split): benchmark.plot_series test series of each class, drawn by
plot.seed, as the pipeline's attention plots are (explain.series_views),
each up to its own length, one row per class. Writes
plots/benchmark/attention/<dataset>/<model>.png (in git) and the gradient
saliency of the same series to plots/benchmark/saliency/<dataset>/<model>.png
(DVC-cached).
"""

import argparse
from collections.abc import Sequence
from pathlib import Path

import torch

from attention_ts.archive import cell_dir, split_dir
from attention_ts.comparison import MODEL_FILE
from attention_ts.data import load_dataset
from attention_ts.explain import series_views
from attention_ts.io import atomic_output
from attention_ts.models import load_model
from attention_ts.params import ATTENTION_MODELS, load_params
from attention_ts.plotting import save_grid_plot
from attention_ts.stage import run

OUTPUT = Path("plots/benchmark")
KINDS = ("attention", "saliency")  # a folder each, under OUTPUT


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset")
    dataset = parser.parse_args(argv).dataset
    params = load_params()
    torch.set_num_threads(params.train.threads)
    test = load_dataset(split_dir(dataset, 0), "test")
    models = [name for name in params.benchmark.models if name in ATTENTION_MODELS]
    checkpoints = {name: load_model(cell_dir(dataset, name, 0) / MODEL_FILE) for name in models}
    for kind in KINDS:
        with atomic_output(OUTPUT / kind / dataset) as tmp:
            tmp.mkdir()
            for name, checkpoint in checkpoints.items():
                rows = series_views(
                    test,
                    checkpoint,
                    params.benchmark.plot_series,
                    params.plot.seed,
                    params.evaluate.threshold,
                    kind,
                )
                save_grid_plot(rows, tmp / f"{name}.png", test.classes)
    print(f"wrote the {' and '.join(KINDS)} of {', '.join(models)} to {OUTPUT}/*/{dataset}")


if __name__ == "__main__":
    run(main)
