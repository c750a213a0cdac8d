"""The model comparison: where each model's results live and how to read them back.

Each branch of compare/dvc.yaml (`fit@<model>`, stages/fit_model.py) writes
models/compare/<model>/ with the model, its scores (test metrics and sizes,
the same on every rerun) and its timing (measured, so it varies run to run).
The compare stage reads them back with `read_result` and writes the
git-tracked metrics and bar-chart data (scores only, so a rerun reproduces
them byte for byte) and a table that also holds the timings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from attention_ts.core.io import atomic_output, read_json
from attention_ts.core.stage import PipelineError

FIT_DIR = Path("models/compare")
MODEL_FILE = "model.pt"
SCORES_FILE = "scores.json"
TIMING_FILE = "timing.json"
HEATMAP_FILE = "heatmap.npz"  # explain.heatmap_rows of each kind of weights the model has
CURVES_FILE = "faithfulness_curves.json"  # faithfulness.faithfulness_report's curves

RERUN = "run `dvc repro compare/dvc.yaml` to train every model"
TIMING_FIELDS = ("train_seconds", "inference_series_per_s")
# test scores of each model, in the table's order: class 1's F1 and PR AUC for two classes
# (tuned_f1: F1 at the val-tuned threshold), macro F1 and accuracy for more
BINARY_SCORES = ("f1", "roc_auc", "pr_auc", "tuned_f1")
MULTICLASS_SCORES = ("macro_f1", "accuracy", "roc_auc")


@dataclass(frozen=True)
class ModelResult:
    model: str
    quality: dict[str, float]  # test scores: BINARY_SCORES or MULTICLASS_SCORES, in order
    n_parameters: int
    best_epoch: int
    train_seconds: float
    inference_series_per_s: float

    def scores(self) -> dict[str, Any]:
        """Everything but the timings: what a rerun reproduces exactly."""
        return {**self.quality, "n_parameters": self.n_parameters, "best_epoch": self.best_epoch}

    def timing(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in TIMING_FIELDS}

    def row(self) -> list[Any]:
        """The table row: model, test scores, parameters, best epoch, timings."""
        return [self.model, *self.scores().values(), *self.timing().values()]


def read_result(directory: Path, name: str) -> ModelResult:
    """The result of model `name` from `directory`/`name`/ as its fit stage wrote it.

    Two classes (the test metrics have class 1's "f1"): BINARY_SCORES; more:
    MULTICLASS_SCORES.
    """
    scores = read_json(directory / name / SCORES_FILE, RERUN)
    timing = read_json(directory / name / TIMING_FILE, RERUN)
    try:
        test = scores["test"]
        if "f1" in test:
            quality = {key: test[key] for key in BINARY_SCORES[:-1]}
            quality["tuned_f1"] = test.get("tuned", {}).get("f1", math.nan)  # none: no val
        else:
            quality = {key: test[key] for key in MULTICLASS_SCORES}
        return ModelResult(
            model=name,
            quality=quality,
            n_parameters=scores["n_parameters"],
            best_epoch=scores["train"]["best_epoch"],
            train_seconds=timing["train_seconds"],
            inference_series_per_s=timing["inference_series_per_s"],
        )
    except KeyError as error:
        raise PipelineError(
            f"{directory / name} lacks {error}; rerun `dvc repro compare/dvc.yaml`"
        ) from None


def bar_chart_rows(results: list[ModelResult]) -> list[dict[str, Any]]:
    """One record per model, the shape `dvc plots` draws as bars.

    "f1" is what compare/dvc.yaml draws: class 1's F1 for two classes, the
    macro F1 for more (then also under "macro_f1", with the accuracy).
    """
    rows = []
    for r in results:
        q = r.quality
        if "f1" in q:
            rows.append(
                {"model": r.model, "f1": q["f1"], "roc_auc": q["roc_auc"], "pr_auc": q["pr_auc"]}
            )
        else:
            rows.append(
                {
                    "model": r.model,
                    "f1": q["macro_f1"],
                    "macro_f1": q["macro_f1"],
                    "accuracy": q["accuracy"],
                    "roc_auc": q["roc_auc"],
                }
            )
    return rows


def read_localization(directory: Path, name: str) -> dict[str, dict]:
    """Localization scores of model `name` by kind of weights ("uniform" is the chance level)."""
    return _read_part(directory, name, "localization")


def read_faithfulness(directory: Path, name: str) -> dict[str, Any]:
    """The faithfulness summary of model `name` (`faithfulness.faithfulness_report`)."""
    return _read_part(directory, name, "faithfulness")


def read_curves(directory: Path, name: str) -> dict[str, Any]:
    """The faithfulness curves of model `name` (`faithfulness.faithfulness_report`)."""
    return read_json(directory / name / CURVES_FILE, RERUN)


def _read_part(directory: Path, name: str, part: str) -> Any:
    """scores.json's `part` of model `name`; PipelineError naming the file when it lacks it."""
    try:
        return read_json(directory / name / SCORES_FILE, RERUN)[part]
    except KeyError:
        raise PipelineError(
            f"{directory / name / SCORES_FILE} lacks {part} scores; "
            "rerun `dvc repro compare/dvc.yaml`"
        ) from None


def save_heatmaps(path: Path, rows: dict[str, dict[str, np.ndarray]]) -> None:
    """Write {kind: explain.heatmap_rows(...)} as one .npz of plain arrays, atomically."""
    arrays = {
        f"{kind}/{name}": array for kind, parts in rows.items() for name, array in parts.items()
    }
    with atomic_output(path) as tmp, open(tmp, "wb") as stream:
        np.savez(stream, **arrays)


def load_heatmaps(path: Path) -> dict[str, dict[str, np.ndarray]]:
    """Read back what `save_heatmaps` wrote (no pickled objects)."""
    rows: dict[str, dict[str, np.ndarray]] = {}
    with np.load(path, allow_pickle=False) as arrays:
        for key in arrays.files:
            kind, field = key.split("/")
            rows.setdefault(kind, {})[field] = arrays[key]
    return rows
