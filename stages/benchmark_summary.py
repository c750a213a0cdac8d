"""Stage summary of benchmark/dvc.yaml: the cells gathered, next to the published accuracies.

Reads every cell of benchmark.datasets x benchmark.models x
benchmark.resamples (attention_ts.results.benchmark) and benchmark/reference.csv, and writes:
- metrics/benchmark.json: {dataset: {model: {"accuracy": mean, "accuracy_std": std,
  ...}}} over resamples, for `dvc metrics diff`;
- metrics/benchmark_summary.json: mean rank of each model, the attention
  model chosen on validation, and the targets (harness check, >= 1-NN DTW,
  >= published ResNet on 4 datasets, mean within 0.02 of our minirocket);
- reports/benchmark/explanation.{md,csv}: per dataset x model of
  benchmark.explain, the attention stage's tests of its explanations
  (reports/benchmark/explain/<dataset>/<model>.json);
- reports/benchmark/accuracy.{md,csv}: datasets x models, mean +- std
  accuracy, the published columns beside them; balanced_accuracy and
  macro_f1.{md,csv} the same without them (published numbers are accuracies);
- reports/benchmark/table.{md,csv}: every score and the median timings per
  dataset x model (DVC-cached: timings are measured), timings.json the
  medians and totals over cells;
- plots/benchmark/critical_difference.png and pairwise_scatter.png, drawn by
  aeon's results plotting: the critical-difference diagram of all models,
  and the chosen attention model against our minirocket, per dataset.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from attention_ts.config.params import load_params
from attention_ts.core.io import read_json, write_json
from attention_ts.core.stage import run
from attention_ts.core.tables import Column, write_table
from attention_ts.explain.plotting import save_figure
from attention_ts.results.benchmark import (
    REFERENCE_METHODS,
    REPORTED,
    RERUN,
    TIMINGS,
    accuracy_matrix,
    choose_attention,
    mean_ranks,
    metrics,
    read_cells,
    read_reference,
    summarize,
    targets,
)

METRICS = Path("metrics/benchmark.json")
SUMMARY = Path("metrics/benchmark_summary.json")
REPORTS = Path("reports/benchmark")
PLOTS = Path("plots/benchmark")
CD_MIN_MODELS = 3  # the Friedman test behind the critical-difference diagram
CD_MIN_DATASETS = 2  # ranks over one dataset test nothing
SCORE_TITLES = {
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "macro_f1": "macro F1",
}


def score_table(
    summary: pd.DataFrame,
    score: str,
    reference: pd.DataFrame | None = None,
    ranks: dict[str, float] | None = None,
) -> None:
    """reports/benchmark/<score>: one row per dataset, mean +- std of `score` per model.

    With `reference` (the published accuracies), a column per published
    method beside the models (empty where no number was found); with
    `ranks`, a last row of each model's mean rank.
    """
    models = list(summary["model"].unique())
    cells = summary.set_index(["dataset", "model"])
    methods = [] if reference is None else list(REFERENCE_METHODS)
    rows = []
    for dataset in summary["dataset"].unique():
        row = [dataset]
        for model in models:
            mean, std = cells.loc[(dataset, model), [score, f"{score}_std"]]
            row.append(f"{mean:.3f} ± {std:.3f}")
        for method in methods:
            found = reference[(reference["dataset"] == dataset) & (reference["method"] == method)]
            row.append(f"{found['accuracy'].iloc[0]:.4f}" if len(found) else "")
        rows.append(row)
    if ranks is not None:
        rows.append(["mean rank", *(f"{ranks[m]:.2f}" for m in models), *[""] * len(methods)])
    columns = [Column("dataset", "dataset")]
    columns += [Column(model, model) for model in models]
    columns += [Column(f"published_{m}", f"published {m}") for m in methods]
    title = f"Test {SCORE_TITLES[score]}, mean ± std over resamples"
    write_table(REPORTS / score, columns, rows, title)


def full_table(summary: pd.DataFrame) -> None:
    """reports/benchmark/table: every score (mean, std) and the median timings per cell."""
    columns = [Column("dataset", "dataset"), Column("model", "model")]
    for key in REPORTED:
        columns += [Column(key, SCORE_TITLES[key], "{:.4f}"), Column(f"{key}_std", "std", "{:.4f}")]
    columns += [
        Column("val_accuracy", "validation accuracy", "{:.4f}"),
        Column("train_seconds", "train s (median)", "{:.1f}"),
        Column("stage_seconds", "stage s (median)", "{:.1f}"),
        Column("inference_series_per_s", "inference series/s (median)", "{:,.0f}"),
    ]
    rows = summary[[c.key for c in columns]].astype(object).where(summary.notna(), None)
    write_table(REPORTS / "table", columns, rows.values.tolist())


def plots(summary: pd.DataFrame, attention: str | None) -> None:
    """aeon's critical-difference diagram and a pairwise scatter of mean accuracies.

    The scatter puts the chosen `attention` model (else the first model)
    against minirocket (else the next model): one point per dataset.
    """
    from aeon.visualisation import plot_critical_difference, plot_pairwise_scatter

    accuracy = accuracy_matrix(summary)
    if accuracy.shape[0] >= CD_MIN_DATASETS and accuracy.shape[1] >= CD_MIN_MODELS:
        figure, _ = plot_critical_difference(  # textspace: inches for the longest model name
            accuracy.to_numpy(), list(accuracy.columns), width=9, textspace=3
        )
    else:  # aeon's Friedman test refuses fewer; the picture says so rather than going missing
        figure = plt.figure(figsize=(6, 1))
        figure.text(
            0.5,
            0.5,
            f"a critical-difference diagram needs {CD_MIN_MODELS} or more models on "
            f"{CD_MIN_DATASETS} or more datasets",
            ha="center",
            va="center",
        )
    save_figure(figure, PLOTS / "critical_difference.png")
    first = attention or accuracy.columns[0]
    others = [model for model in accuracy.columns if model != first]
    second = "minirocket" if "minirocket" in others else others[0]
    figure, _ = plot_pairwise_scatter(
        accuracy[first].to_numpy(), accuracy[second].to_numpy(), first, second
    )
    save_figure(figure, PLOTS / "pairwise_scatter.png")


EXPLAIN = REPORTS / "explain"  # <dataset>/<model>.json: stages/benchmark_attention.py
EXPLANATION_COLUMNS = [
    Column("dataset", "dataset"),
    Column("model", "model"),
    Column("method", "weights"),
    Column("accuracy", "test accuracy", "{:.3f}"),
    Column("uniform_drop", "drop with uniform attention", "{:+.3f}"),
    Column("gap_random", "deletion gap vs random points", "{:+.3f}"),
    Column("gap_shifted", "deletion gap vs shifted runs", "{:+.3f}"),
    Column("randomization", "rank corr. with re-initialized model", "{:.3f}"),
]


def explanation_table(datasets: list[str], models: list[str]) -> None:
    """reports/benchmark/explanation.{md,csv}: a row per dataset x model x method."""
    rows = []
    for dataset in datasets:
        for model in models:
            report = read_json(EXPLAIN / dataset / f"{model}.json", RERUN)
            uniform = report["uniform"]["drop"] if report["uniform"] else None
            for method in ("attention", "saliency"):
                deletion = report[method]["deletion"]
                rows.append(
                    [
                        dataset,
                        model,
                        method,
                        report["accuracy"],
                        uniform if method == "attention" else None,
                        deletion["random"]["gap"],
                        deletion["shifted"]["gap"],
                        report[method]["randomization"],
                    ]
                )
    title = (
        "Resample 0 (the official split), whole test split: faithful when the drop and the "
        "gaps are above 0 and the rank correlation near 0"
    )
    write_table(REPORTS / "explanation", EXPLANATION_COLUMNS, rows, title)


def main() -> None:
    params = load_params().benchmark
    cells = read_cells(params.datasets, params.models, params.resamples)
    reference = read_reference()
    summary = summarize(cells)
    ranks = mean_ranks(summary)
    attention = choose_attention(summary)
    write_json(METRICS, metrics(summary))
    validation = summary.groupby("model", sort=False)["val_accuracy"].mean().dropna()
    write_json(
        SUMMARY,
        {
            "mean_rank": ranks,
            "validation_accuracy": {model: float(v) for model, v in validation.items()},
            "targets": targets(summary, reference, attention),
        },
    )
    score_table(summary, "accuracy", reference, ranks)
    for score in REPORTED[1:]:
        score_table(summary, score)
    full_table(summary)
    timings = {f"median_{key}": float(cells[key].median()) for key in TIMINGS}
    timings.update(
        cells=len(cells),
        total_train_seconds=float(cells["train_seconds"].sum()),
        total_stage_seconds=float(cells["stage_seconds"].sum()),
    )
    write_json(REPORTS / "timings.json", timings)
    explanation_table(params.datasets, params.explain)
    plots(summary, attention)
    print((REPORTS / "accuracy.md").read_text())
    print(f"attention model chosen on validation: {attention or 'none benchmarked'}")


if __name__ == "__main__":
    run(main)
