"""Stage evaluate: test-split metrics from probabilities -> metrics/evaluate.json, plots/evaluate/.

Writes the metrics (`metrics.classification_metrics`: binary data at
`evaluate.threshold`, more classes by arg-max); for binary data next to
them the threshold that maximizes F1 on the validation split and the test
metrics at it (tuned on val, never on test); the ROC and precision-recall
curves (`metrics.curves`: of the positive class, or micro-averaged over the
classes); and one row per test series (id, label and prediction as class
names, then p_<class>, its probability of each class), which is also the
data of the confusion-matrix plot. metrics/evaluate.json also names the
train and test files the series came from, with their SHA-256 (`data`).
"""

import csv
from pathlib import Path

import torch

from attention_ts.config.params import load_params
from attention_ts.core.io import atomic_output, read_json, write_json
from attention_ts.core.stage import run
from attention_ts.data.dataset import SOURCE_FILE, load_dataset, source_line
from attention_ts.models.classifiers import load_model, predicted_classes
from attention_ts.training.evaluation import evaluate_model
from attention_ts.training.metrics import curves

SPLIT_DIR = Path("data/split")
MODEL = Path("models/model.pt")
METRICS = Path("metrics/evaluate.json")
PLOTS_DIR = Path("plots/evaluate")


def main() -> None:
    params = load_params()
    print(source_line(SPLIT_DIR))
    torch.set_num_threads(params.train.threads)
    val, test = (load_dataset(SPLIT_DIR, name) for name in ("val", "test"))
    model = load_model(MODEL).model
    labels, classes = test.table["label"], test.classes
    threshold = params.evaluate.threshold
    metrics, probabilities = evaluate_model(model, val, test, threshold)
    roc, pr = curves(labels, probabilities, classes)
    write_json(PLOTS_DIR / "roc.json", {"roc": roc})
    write_json(PLOTS_DIR / "pr.json", {"pr": pr})
    predicted = predicted_classes(probabilities, threshold)
    with atomic_output(PLOTS_DIR / "predictions.csv") as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "label", "prediction", *(f"p_{name}" for name in classes)])
        for row, prediction, p in zip(test.table, predicted, probabilities.tolist()):
            names = classes[row["label"]], classes[prediction]
            writer.writerow([row["id"], *names, *(f"{value:.6f}" for value in p)])
    write_json(METRICS, {**metrics, "data": read_json(SPLIT_DIR / SOURCE_FILE, "run `dvc repro`")})
    print(", ".join(f"{k} {v:.4f}" for k, v in metrics.items() if isinstance(v, float)))


if __name__ == "__main__":
    run(main)
