"""The archive benchmark's results: one per cell, gathered next to the published accuracies.

A cell is one (dataset, model, resample) of benchmark/dvc.yaml (the data:
`archive`). Each writes its scores (the same on every rerun) and its timing
(measured) under models/benchmark/<dataset>/<model>/<resample>/; the
summary stage reads them back here, with the published accuracies of
benchmark/reference.csv, and computes the table, ranks and targets.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from attention_ts.config.params import ATTENTION_MODELS
from attention_ts.core.io import read_json
from attention_ts.core.stage import PipelineError
from attention_ts.data.archive import cell_dir

RERUN = "run `dvc repro benchmark/dvc.yaml` to fit every cell"
REFERENCE_FILE = Path("benchmark/reference.csv")
REFERENCE_COLUMNS = ("dataset", "method", "accuracy", "source")
# in the table's order; resnet: the bake-off redux's mean of 30 resamples (aeon's ResNet)
REFERENCE_METHODS = ("minirocket", "rocket", "inceptiontime", "resnet", "dtw_1nn")
REPORTED = ("accuracy", "balanced_accuracy", "macro_f1")  # test scores, mean and std per cell
TIMINGS = ("train_seconds", "stage_seconds", "inference_series_per_s")  # of each cell
HARNESS_TOLERANCE = 0.02  # our minirocket vs the published one: is the harness sound?
MINIROCKET_MARGIN = 0.02  # target: the attention model's mean accuracy vs our minirocket's
RESNET_WINS = 4  # target: at or above published ResNet on this many of its datasets


def read_cells(datasets: list[str], models: list[str], resamples: list[int]) -> pd.DataFrame:
    """One row per cell: dataset, model, resample, REPORTED, val_accuracy, TIMINGS.

    val_accuracy is NaN for a model that held out no validation (minirocket).
    Raises PipelineError naming a cell whose files are missing or damaged.
    """
    rows = []
    for dataset in datasets:
        for model in models:
            for resample in resamples:
                folder = cell_dir(dataset, model, resample)
                scores = read_json(folder / "scores.json", RERUN)
                timing = read_json(folder / "timing.json", RERUN)
                try:
                    row = {key: scores["test"][key] for key in REPORTED}
                    row["val_accuracy"] = scores["validation"].get("accuracy", math.nan)
                    row.update({key: timing[key] for key in TIMINGS})
                except KeyError as error:
                    raise PipelineError(
                        f"{folder} lacks {error}; rerun `dvc repro benchmark/dvc.yaml`"
                    ) from None
                rows.append({"dataset": dataset, "model": model, "resample": resample, **row})
    return pd.DataFrame(rows)


def summarize(cells: pd.DataFrame) -> pd.DataFrame:
    """Per (dataset, model), in the cells' order: mean and std over resamples of REPORTED.

    Columns `<score>` and `<score>_std` (population std, 0 for one resample),
    `val_accuracy` (mean), and the median of each of TIMINGS.
    """
    groups = cells.groupby(["dataset", "model"], sort=False)
    summary = groups[list(REPORTED)].mean()
    for key in REPORTED:
        summary[f"{key}_std"] = groups[key].std(ddof=0)
    summary["val_accuracy"] = groups["val_accuracy"].mean()
    for key in TIMINGS:
        summary[key] = groups[key].median()
    return summary.reset_index()


def metrics(summary: pd.DataFrame) -> dict[str, dict[str, dict[str, float]]]:
    """{dataset: {model: {"accuracy": mean, "accuracy_std": std, ...}}}: what git tracks."""
    keys = [name for key in REPORTED for name in (key, f"{key}_std")]
    result: dict[str, dict[str, dict[str, float]]] = {}
    for row in summary.itertuples(index=False):
        result.setdefault(row.dataset, {})[row.model] = {k: float(getattr(row, k)) for k in keys}
    return result


def accuracy_matrix(summary: pd.DataFrame) -> pd.DataFrame:
    """Mean test accuracy, datasets x models, in the summary's order."""
    matrix = summary.pivot(index="dataset", columns="model", values="accuracy")
    return matrix.loc[summary["dataset"].unique(), summary["model"].unique()]


def mean_ranks(summary: pd.DataFrame) -> dict[str, float]:
    """Each model's rank by mean accuracy, averaged over datasets (1 = best; ties share ranks)."""
    ranks = accuracy_matrix(summary).rank(axis=1, ascending=False, method="average")
    return {model: float(rank) for model, rank in ranks.mean().items()}


def choose_attention(summary: pd.DataFrame) -> str | None:
    """The attention model of highest validation accuracy, averaged over every dataset.

    Chosen on validation only, never on test: one model for all datasets.
    None when benchmark.models has no attention model.
    """
    candidates = summary[summary["model"].isin(ATTENTION_MODELS)]
    if candidates.empty:
        return None
    by_model = candidates.groupby("model", sort=False)["val_accuracy"].mean()
    return str(by_model.idxmax())


def read_reference(path: Path = REFERENCE_FILE) -> pd.DataFrame:
    """The published accuracies: one row per (dataset, method) with its source, as a frame.

    Raises PipelineError, naming the file and the row, for missing columns,
    an unknown method, an accuracy outside [0, 1], an empty source or a
    (dataset, method) given twice.
    """
    try:
        table = pd.read_csv(path, dtype={"dataset": str, "method": str, "source": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise PipelineError(f"{path}: cannot be read as CSV ({error})") from None
    if tuple(table.columns) != REFERENCE_COLUMNS:
        raise PipelineError(
            f"{path}: columns {list(table.columns)}; allowed: {', '.join(REFERENCE_COLUMNS)}"
        )
    accuracy = pd.to_numeric(table["accuracy"], errors="coerce")
    problems = {
        "an accuracy that is not a number in [0, 1]": ~accuracy.between(0, 1),
        f"a method not in {', '.join(REFERENCE_METHODS)}": ~table["method"].isin(REFERENCE_METHODS),
        "no source": table["source"].fillna("").str.strip() == "",
        "a (dataset, method) given twice": table.duplicated(["dataset", "method"]),
    }
    for problem, bad in problems.items():
        if bad.any():
            line = int(np.flatnonzero(bad.to_numpy())[0]) + 2  # header is line 1
            raise PipelineError(
                f"{path}, line {line}: {problem}; allowed: one row per (dataset, method) with "
                "an accuracy in [0, 1] and its source"
            )
    return table.assign(accuracy=accuracy)


def published(reference: pd.DataFrame, method: str) -> dict[str, float]:
    """{dataset: accuracy} that `method` has a published number for."""
    rows = reference[reference["method"] == method]
    return dict(zip(rows["dataset"], rows["accuracy"].astype(float)))


def targets(
    summary: pd.DataFrame, reference: pd.DataFrame, attention: str | None
) -> dict[str, Any]:
    """The benchmark's checks, from mean accuracies and the published ones.

    - harness: our minirocket within HARNESS_TOLERANCE of published MiniRocket,
      per dataset that has a number (when minirocket is benchmarked);
    - dtw: the chosen `attention` model >= published 1-NN DTW, per dataset;
    - resnet: it >= published ResNet per dataset, and "met" when it is on
      RESNET_WINS or more of them;
    - minirocket: its mean accuracy over every benchmarked dataset minus our
      minirocket's (target >= -MINIROCKET_MARGIN), when minirocket is benchmarked.
    The last three only when there is an attention model.
    """
    accuracy = accuracy_matrix(summary)
    result: dict[str, Any] = {"attention_model": attention}
    if "minirocket" in accuracy:
        ours_minirocket = accuracy["minirocket"]
        result["harness"] = {
            dataset: {
                "ours": float(ours_minirocket[dataset]),
                "published": value,
                "within": bool(abs(ours_minirocket[dataset] - value) <= HARNESS_TOLERANCE),
            }
            for dataset, value in published(reference, "minirocket").items()
            if dataset in accuracy.index
        }
    if attention is None:
        return result
    ours = accuracy[attention]

    def at_least(method: str) -> dict[str, dict[str, Any]]:
        return {
            dataset: {
                "ours": float(ours[dataset]),
                "published": value,
                "at_least": bool(ours[dataset] >= value),
            }
            for dataset, value in published(reference, method).items()
            if dataset in ours.index
        }

    result["dtw"] = at_least("dtw_1nn")
    resnet = at_least("resnet")
    wins = sum(row["at_least"] for row in resnet.values())
    result["resnet"] = {"datasets": resnet, "wins": wins, "met": wins >= RESNET_WINS}
    if "minirocket" in accuracy:
        mean_ours, mean_minirocket = float(ours.mean()), float(accuracy["minirocket"].mean())
        result["minirocket"] = {
            "ours": mean_ours,
            "minirocket": mean_minirocket,
            "difference": mean_ours - mean_minirocket,
            "within": bool(mean_ours - mean_minirocket >= -MINIROCKET_MARGIN),
        }
    return result
