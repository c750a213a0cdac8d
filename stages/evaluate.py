"""Stage evaluate: test-split metrics from probabilities -> metrics/evaluate.json, plots/evaluate/.

Writes the metrics at `evaluate.threshold`; next to them, the threshold that
maximizes F1 on the validation split and the test metrics at it (tuned on
val, never on test); the ROC and precision-recall curves; and one row per
test series (id, label, probability, prediction), which is also the data of
the confusion-matrix plot.
"""

import csv
from pathlib import Path

import numpy as np
import torch

from attention_ts.data import load_dataset
from attention_ts.evaluation import evaluate_model
from attention_ts.io import atomic_output, write_json
from attention_ts.metrics import precision_recall_curve, roc_curve
from attention_ts.models import load_model
from attention_ts.params import load_params
from attention_ts.stage import run

SPLIT_DIR = Path("data/split")
MODEL = Path("models/model.pt")
METRICS = Path("metrics/evaluate.json")
PLOTS_DIR = Path("plots/evaluate")


def _points(columns: dict[str, np.ndarray]) -> list[dict[str, float]]:
    """Column arrays -> a list of rows, the JSON shape `dvc plots` reads."""
    names = list(columns)
    return [dict(zip(names, map(float, row))) for row in zip(*columns.values())]


def main() -> None:
    params = load_params()
    torch.set_num_threads(params.train.threads)
    val, test = (load_dataset(SPLIT_DIR, name) for name in ("val", "test"))
    model = load_model(MODEL).model
    labels = test.table["label"]
    threshold = params.evaluate.threshold
    metrics, probabilities = evaluate_model(model, val, test, threshold)
    fpr, tpr, roc_thresholds = roc_curve(labels, probabilities, drop_intermediate=True)
    precision, recall, pr_thresholds = precision_recall_curve(
        labels, probabilities, drop_intermediate=True
    )
    # each curve starts at threshold +inf (nothing anomalous); JSON has no inf, 1 means the same
    roc = {"fpr": fpr, "tpr": tpr, "threshold": np.minimum(roc_thresholds, 1.0)}
    pr = {"recall": recall, "precision": precision, "threshold": np.minimum(pr_thresholds, 1.0)}
    write_json(PLOTS_DIR / "roc.json", {"roc": _points(roc)})
    write_json(PLOTS_DIR / "pr.json", {"pr": _points(pr)})
    with atomic_output(PLOTS_DIR / "predictions.csv") as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "label", "probability", "prediction"])
        for row, probability in zip(test.table, probabilities.tolist()):
            prediction = int(probability >= threshold)
            writer.writerow([row["id"], row["label"], f"{probability:.6f}", prediction])
    write_json(METRICS, metrics)
    print(", ".join(f"{k} {v:.4f}" for k, v in metrics.items() if isinstance(v, float)))


if __name__ == "__main__":
    run(main)
