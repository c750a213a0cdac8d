"""Stage attention_metrics: does the model look at the anomalous segment? -> metrics/attention.json.

Scores, on the test split, where the model's attention (if it has any) and
its gradient saliency put their weight, against the true segment of every
anomalous series, and the same scores of uniform weights (the chance level);
see attention_ts/explain/localization.py. Draws plots/localization/heatmap.png (the
weights of `localization.heatmap_series` anomalous series, sorted by segment
start, true borders on top) and argmax.png (where the weights peak relative
to the segment).

Data without a known segment (a user's file, of any number of classes) has
nothing to localize: each kind of weights then gets only its entropy over
every test series ({"located_series": 0, "n_series", "entropy"}; uniform
= 1), and the heatmaps say "no known segments".
"""

from pathlib import Path

import torch

from attention_ts.config.params import load_params
from attention_ts.core.io import atomic_output, write_json
from attention_ts.core.stage import run
from attention_ts.data.dataset import load_dataset, source_line
from attention_ts.explain.maps import heatmap_rows, localization_report
from attention_ts.explain.plotting import save_argmax_histogram, save_heatmap_grid
from attention_ts.models.classifiers import load_model

SPLIT_DIR = Path("data/split")
MODEL = Path("models/model.pt")
METRICS = Path("metrics/attention.json")
PLOTS_DIR = Path("plots/localization")


def main() -> None:
    params = load_params()
    print(source_line(SPLIT_DIR))
    torch.set_num_threads(params.train.threads)
    test = load_dataset(SPLIT_DIR, "test")
    checkpoint = load_model(MODEL)
    report, weights = localization_report(checkpoint, test, params.localization.tolerance)
    rows = heatmap_rows(weights, test, params.localization.heatmap_series)
    name = checkpoint.config.name
    with atomic_output(PLOTS_DIR) as tmp:
        panels = [(f"{name}: {kind}", kind_rows) for kind, kind_rows in rows.items()]
        save_heatmap_grid([panels or [(f"{name}: no per-step weights", None)]], tmp / "heatmap.png")
        relative = {kind: kind_rows["relative_argmax"] for kind, kind_rows in rows.items()}
        save_argmax_histogram(relative, tmp / "argmax.png")
    write_json(METRICS, report)
    if report["uniform"].get("located_series") == 0:
        print("no test series has a known segment: the entropy of the weights only")
    for kind, scores in report.items():
        shown = (f"{key} {value:.3f}" for key, value in scores.items() if isinstance(value, float))
        print(f"{kind}: {', '.join(shown)}")


if __name__ == "__main__":
    run(main)
