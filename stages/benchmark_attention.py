"""Stage attention@<dataset>-<model> of benchmark/dvc.yaml: where a model looks on real series.

    python -m stages.benchmark_attention GunPoint local_attention

The model of resample 0 (the official split), on benchmark.plot_series test
series of each class drawn by plot.seed, as the pipeline's attention plots
are (explain.series_views): each series up to its own length, one row per
class. Writes plots/benchmark/attention/<dataset>/<model>.png (in git) and
the gradient saliency of the same series to
plots/benchmark/saliency/<dataset>/<model>.png (DVC-cached).
"""

import argparse
from collections.abc import Sequence
from pathlib import Path

import torch

from attention_ts.config.params import ATTENTION_MODELS, load_params
from attention_ts.core.stage import run
from attention_ts.data.archive import cell_dir, split_dir
from attention_ts.data.dataset import load_dataset
from attention_ts.explain.maps import series_views
from attention_ts.explain.plotting import save_grid_plot
from attention_ts.models.classifiers import load_model
from attention_ts.results.comparison import MODEL_FILE

OUTPUT = Path("plots/benchmark")
KINDS = ("attention", "saliency")  # a folder each, under OUTPUT


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset")
    parser.add_argument("model", choices=ATTENTION_MODELS)
    args = parser.parse_args(argv)
    params = load_params()
    torch.set_num_threads(params.train.threads)
    test = load_dataset(split_dir(args.dataset, 0), "test")
    checkpoint = load_model(cell_dir(args.dataset, args.model, 0) / MODEL_FILE)
    for kind in KINDS:
        rows = series_views(
            test,
            checkpoint,
            params.benchmark.plot_series,
            params.plot.seed,
            params.evaluate.threshold,
            kind,
        )
        path = OUTPUT / kind / args.dataset / f"{args.model}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        save_grid_plot(rows, path, test.classes)
    print(f"wrote the {' and '.join(KINDS)} of {args.model} on {args.dataset} under {OUTPUT}")


if __name__ == "__main__":
    run(main)
