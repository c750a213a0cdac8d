"""Stage fit@<model> of compare/dvc.yaml: train and score one model -> models/compare/<model>/.

    python -m stages.fit_model cnn

Trains the model with its settings in params (model.* and train.*, changed
by compare.<model>) on the pipeline's split, as the train stage does, and
scores it as the evaluate stage does, and where its attention and gradient
saliency look as the attention_metrics stage does, and tests its explanations
as the faithfulness stage does. Writes model.pt, scores.json (test metrics,
validation summary, parameter count, localization scores, the faithfulness
summary), heatmap.npz (the heatmap data of each kind of weights),
faithfulness_curves.json (deletion, insertion and randomization curves) and
timing.json (train seconds, inference series/s on the test split).
"""

import argparse
from collections.abc import Sequence
from pathlib import Path

from attention_ts.config.params import MODEL_NAMES, load_params
from attention_ts.core.io import atomic_output, write_json
from attention_ts.core.stage import PipelineError, run
from attention_ts.data.dataset import load_dataset, source_line
from attention_ts.explain.faithfulness import faithfulness_report
from attention_ts.explain.maps import heatmap_rows, localization_report
from attention_ts.results.comparison import CURVES_FILE, FIT_DIR, HEATMAP_FILE, save_heatmaps
from attention_ts.training.fitting import fit_and_score, save_fit

SPLIT_DIR = Path("data/split")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", choices=MODEL_NAMES)
    name = parser.parse_args(argv).model
    params = load_params()
    print(source_line(SPLIT_DIR))
    if name not in params.compare:
        raise PipelineError(
            f"compare.{name} is not in params.yaml; allowed: {', '.join(params.compare)}"
        )
    config, train_params = params.compare_config(name)
    splits = tuple(load_dataset(SPLIT_DIR, split) for split in ("train", "val", "test"))
    fitted = fit_and_score(name, config, train_params, splits, params.evaluate.threshold)
    test_set = splits[2]
    tolerance = params.localization.tolerance
    localization, weights = localization_report(fitted.checkpoint, test_set, tolerance)
    heatmaps = heatmap_rows(weights, test_set, params.localization.heatmap_series)
    threshold = params.evaluate.threshold
    faithfulness, curves = faithfulness_report(
        fitted.checkpoint, test_set, params.faithfulness, threshold, tolerance
    )

    with atomic_output(FIT_DIR / name) as tmp:
        tmp.mkdir()
        save_fit(tmp, fitted, localization=localization, faithfulness=faithfulness)
        save_heatmaps(tmp / HEATMAP_FILE, heatmaps)
        write_json(tmp / CURVES_FILE, curves)
    metrics = fitted.metrics
    f1 = f"F1 {metrics['f1']:.4f}" if "f1" in metrics else f"macro F1 {metrics['macro_f1']:.4f}"
    print(f"{name}: test {f1}, ROC AUC {metrics['roc_auc']:.4f}, {fitted.timing}")


if __name__ == "__main__":
    run(main)
