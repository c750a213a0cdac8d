"""Stage attention@<dataset>-<model> of benchmark/dvc.yaml: where a model looks on real series.

    python -m stages.benchmark_attention GunPoint local_attention

The model of resample 0 (the official split), on benchmark.plot_series test
series of each class drawn by plot.seed, as the pipeline's attention plots
are (explain.series_views): each series up to its own length, one row per
class. Writes plots/benchmark/attention/<dataset>/<model>.png (in git) and
the gradient saliency of the same series to
plots/benchmark/saliency/<dataset>/<model>.png (DVC-cached). Then whether
its attention and saliency explain its decisions on the whole test split
(`faithfulness.archive_report`: uniform attention, deletion against random
points and against the same runs shifted, model randomization) ->
reports/benchmark/explain/<dataset>/<model>.json (in git).
"""

import argparse
from collections.abc import Sequence
from pathlib import Path

import torch

from attention_ts.config.params import ATTENTION_MODELS, load_params
from attention_ts.core.io import write_json
from attention_ts.core.stage import run
from attention_ts.data.archive import cell_dir, split_dir
from attention_ts.data.dataset import load_dataset
from attention_ts.explain.faithfulness import archive_report
from attention_ts.explain.maps import series_views
from attention_ts.explain.plotting import save_grid_plot
from attention_ts.models.classifiers import load_model
from attention_ts.results.comparison import MODEL_FILE

OUTPUT = Path("plots/benchmark")
KINDS = ("attention", "saliency")  # a folder each, under OUTPUT
EXPLAIN_DIR = Path("reports/benchmark/explain")  # <dataset>/<model>.json


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
    report = archive_report(
        checkpoint,
        test,
        KINDS,
        params.faithfulness.seed,
        params.faithfulness.steps,
        params.evaluate.threshold,
    )
    write_json(EXPLAIN_DIR / args.dataset / f"{args.model}.json", report)
    print(f"wrote the {' and '.join(KINDS)} of {args.model} on {args.dataset} under {OUTPUT}")
    print(
        f"accuracy {report['accuracy']:.4f}, with uniform attention "
        f"{report['uniform']['accuracy']:.4f}; deletion area of attention minus shifted runs' "
        f"{report['attention']['deletion']['shifted']['gap']:+.4f}; rank correlation with a "
        f"re-initialized model {report['attention']['randomization']:.3f}"
    )


if __name__ == "__main__":
    run(main)
