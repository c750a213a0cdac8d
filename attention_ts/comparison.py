"""The model comparison: where each model's results live and how to read them back.

Each branch of compare/dvc.yaml (`fit@<model>`, stages/fit_model.py) writes
models/compare/<model>/ with the model, its scores (test metrics and sizes,
the same on every rerun) and its timing (measured, so it varies run to run).
The compare stage reads them back with `read_result` and writes the
git-tracked metrics and bar-chart data (scores only, so a rerun reproduces
them byte for byte) and a table that also holds the timings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from attention_ts.io import atomic_output
from attention_ts.stage import PipelineError

FIT_DIR = Path("models/compare")
MODEL_FILE = "model.pt"
SCORES_FILE = "scores.json"
TIMING_FILE = "timing.json"
HEATMAP_FILE = "heatmap.npz"  # explain.heatmap_rows of each kind of weights the model has

TIMING_FIELDS = ("train_seconds", "inference_series_per_s")


@dataclass(frozen=True)
class ModelResult:
    model: str
    f1: float
    roc_auc: float
    pr_auc: float
    tuned_f1: float
    n_parameters: int
    best_epoch: int
    train_seconds: float
    inference_series_per_s: float

    def scores(self) -> dict[str, Any]:
        """Everything but the timings: what a rerun reproduces exactly."""
        keep = [f.name for f in fields(self) if f.name not in ("model", *TIMING_FIELDS)]
        return {name: getattr(self, name) for name in keep}

    def timing(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in TIMING_FIELDS}


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise PipelineError(
            f"{path} not found; run `dvc repro compare/dvc.yaml` to train every model"
        ) from None
    except json.JSONDecodeError as error:
        raise PipelineError(f"{path} is not valid JSON ({error}); rerun its fit stage") from None


def read_result(directory: Path, name: str) -> ModelResult:
    """The result of model `name` from `directory`/`name`/ as its fit stage wrote it."""
    scores = _read_json(directory / name / SCORES_FILE)
    timing = _read_json(directory / name / TIMING_FILE)
    try:
        test = scores["test"]
        return ModelResult(
            model=name,
            f1=test["f1"],
            roc_auc=test["roc_auc"],
            pr_auc=test["pr_auc"],
            tuned_f1=test["tuned"]["f1"],
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
    """One record per model, the shape `dvc plots` draws as bars."""
    return [
        {"model": r.model, "f1": r.f1, "roc_auc": r.roc_auc, "pr_auc": r.pr_auc} for r in results
    ]


def read_localization(directory: Path, name: str) -> dict[str, dict]:
    """Localization scores of model `name` by kind of weights ("uniform" is the chance level)."""
    try:
        return _read_json(directory / name / SCORES_FILE)["localization"]
    except KeyError:
        raise PipelineError(
            f"{directory / name / SCORES_FILE} lacks localization scores; "
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
