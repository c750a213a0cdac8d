"""Stage fit@<model> of compare/dvc.yaml: train and score one model -> models/compare/<model>/.

    python -m stages.fit_model cnn

Trains the model with its settings in params (model.* and train.*, changed
by compare.<model>) on the pipeline's split, as the train stage does, and
scores it as the evaluate stage does, and where its attention and gradient
saliency look as the attention_metrics stage does. Writes model.pt,
scores.json (test metrics, validation summary, parameter count, localization
scores), heatmap.npz (the heatmap data of each kind of weights) and
timing.json (train seconds, inference series/s on the test split).
"""

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from attention_ts.comparison import (
    FIT_DIR,
    HEATMAP_FILE,
    MODEL_FILE,
    SCORES_FILE,
    TIMING_FILE,
    save_heatmaps,
)
from attention_ts.data import load_dataset
from attention_ts.evaluation import evaluate_model, inference_throughput
from attention_ts.explain import heatmap_rows, localization_report
from attention_ts.io import atomic_output, write_json
from attention_ts.models import Checkpoint, count_parameters, save_model
from attention_ts.params import MODEL_NAMES, load_params
from attention_ts.stage import PipelineError, run
from attention_ts.training import fit_model

SPLIT_DIR = Path("data/split")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", choices=MODEL_NAMES)
    name = parser.parse_args(argv).model
    params = load_params()
    if name not in params.compare:
        raise PipelineError(
            f"compare.{name} is not in params.yaml; allowed: {', '.join(params.compare)}"
        )
    config, train_params = params.compare_config(name)
    train_set, val_set, test_set = (
        load_dataset(SPLIT_DIR, split) for split in ("train", "val", "test")
    )

    start = time.perf_counter()
    model, config, result = fit_model(
        config, train_params, train_set, val_set, lambda s: print(name, s)
    )
    train_seconds = time.perf_counter() - start
    metrics, _ = evaluate_model(model, val_set, test_set, params.evaluate.threshold)
    series_per_s = inference_throughput(model, test_set.series, lengths=test_set.model_lengths())
    _, n_channels, n_points = train_set.series.shape
    checkpoint = Checkpoint(model, config, n_points, n_channels, train_set.classes)
    localization, weights = localization_report(checkpoint, test_set, params.localization.tolerance)
    heatmaps = heatmap_rows(weights, test_set, params.localization.heatmap_series)

    with atomic_output(FIT_DIR / name) as tmp:
        tmp.mkdir()
        save_model(tmp / MODEL_FILE, model, config, n_points, n_channels, train_set.classes)
        scores = {
            "test": metrics,
            "train": result.summary(),
            "n_parameters": count_parameters(model),
            "localization": localization,
        }
        write_json(tmp / SCORES_FILE, scores)
        save_heatmaps(tmp / HEATMAP_FILE, heatmaps)
        timing = {
            "train_seconds": round(train_seconds, 2),
            "inference_series_per_s": round(series_per_s),
        }
        write_json(tmp / TIMING_FILE, timing)
    f1 = f"F1 {metrics['f1']:.4f}" if "f1" in metrics else f"macro F1 {metrics['macro_f1']:.4f}"
    print(f"{name}: test {f1}, ROC AUC {metrics['roc_auc']:.4f}, {timing}")


if __name__ == "__main__":
    run(main)
