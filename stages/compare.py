"""Stage compare of compare/dvc.yaml: every model's results side by side.

Reads models/compare/<model>/ for each model under `compare` in params and writes
- metrics/compare.json: test F1, ROC AUC, PR AUC, F1 at the val-tuned
  threshold (two classes; more: macro F1, accuracy, ROC AUC), parameter
  count and best epoch per model (git-tracked, the same on every rerun);
- plots/compare/scores.json: the bar chart data (`dvc plots show`);
- reports/compare/timings.json: train seconds and inference series/s per
  model (DVC-cached: measured, so they differ from run to run);
- reports/compare/table.md and table.csv: all of the above in one table;
- metrics/localization.json and reports/compare/localization.{md,csv}: where
  each model's attention and gradient saliency look, and uniform weights
  (the chance level), scored against the true segments (git-tracked; data
  without known segments: the entropy of the weights only);
- plots/compare/heatmaps.png: those weights on anomalous test series, one
  row of heatmaps per model.
"""

from pathlib import Path

from attention_ts.comparison import (
    FIT_DIR,
    HEATMAP_FILE,
    ModelResult,
    bar_chart_rows,
    load_heatmaps,
    read_localization,
    read_result,
)
from attention_ts.io import write_json
from attention_ts.localization import KINDS
from attention_ts.params import load_params
from attention_ts.plotting import save_heatmap_grid
from attention_ts.stage import run
from attention_ts.tables import Column, write_table

METRICS = Path("metrics/compare.json")
LOCALIZATION = Path("metrics/localization.json")
HEATMAPS = Path("plots/compare/heatmaps.png")
BARS = Path("plots/compare/scores.json")
REPORTS = Path("reports/compare")
SCORE_COLUMNS = {  # ModelResult.quality: comparison.BINARY_SCORES or MULTICLASS_SCORES
    "f1": Column("f1", "F1", "{:.4f}"),
    "roc_auc": Column("roc_auc", "ROC AUC", "{:.4f}"),
    "pr_auc": Column("pr_auc", "PR AUC", "{:.4f}"),
    "tuned_f1": Column("tuned_f1", "F1 at val-tuned threshold", "{:.4f}"),
    "macro_f1": Column("macro_f1", "macro F1", "{:.4f}"),
    "accuracy": Column("accuracy", "accuracy", "{:.4f}"),
}
OTHER_COLUMNS = [  # in the order of ModelResult.row after the scores
    Column("n_parameters", "parameters", "{:,}"),
    Column("best_epoch", "best epoch"),
    Column("train_seconds", "train s", "{:.1f}"),
    Column("inference_series_per_s", "inference series/s", "{:,.0f}"),
]
LOCALIZATION_COLUMNS = [
    Column("model", "model"),
    Column("weights", "weights"),
    Column("mass_inside", "mass inside segment", "{:.3f}"),
    Column("lift", "x uniform", "{:.2f}"),
    Column("pointing_game", "pointing game", "{:.3f}"),
    Column("pointing_game_tolerance", "pointing game +-{tolerance}", "{:.3f}"),
    Column("auprc", "AUPRC", "{:.3f}"),
    Column("normal_entropy", "entropy on normal series", "{:.3f}"),
]
UNLOCATED_COLUMNS = [  # localization.unlocated_scores: data without a known segment
    Column("model", "model"),
    Column("weights", "weights"),
    Column("n_series", "test series"),
    Column("entropy", "entropy (uniform = 1)", "{:.3f}"),
]
UNLOCATED_TITLE = "No test series has a known segment: the spread of the weights only."


def table_columns(results: list[ModelResult]) -> list[Column]:
    """The table's columns for these results (all binary or all of more classes)."""
    scores = [SCORE_COLUMNS[key] for key in results[0].quality]
    return [Column("model", "model"), *scores, *OTHER_COLUMNS]


def write_localization(names: list[str], tolerance: int) -> None:
    """Localization metrics, table and heatmaps of the models that have per-step weights."""
    reports = {name: read_localization(FIT_DIR, name) for name in names}
    uniform = next(iter(reports.values()))["uniform"]  # the same test split for every model
    kinds = {name: [k for k in KINDS if k in report] for name, report in reports.items()}
    explained = [name for name in names if kinds[name]]
    metrics = {name: {k: reports[name][k] for k in kinds[name]} for name in explained}
    write_json(LOCALIZATION, {"uniform": uniform, **metrics})

    rows = [("uniform (chance level)", "-", uniform)]
    rows += [(name, kind, reports[name][kind]) for name in explained for kind in kinds[name]]
    if uniform.get("located_series") == 0:
        columns, title = UNLOCATED_COLUMNS, UNLOCATED_TITLE
    else:
        columns, title = LOCALIZATION_COLUMNS, ""
    columns = [c._replace(title=c.title.format(tolerance=tolerance)) for c in columns]
    table = [[name, kind, *(s[c.key] for c in columns[2:])] for name, kind, s in rows]
    write_table(REPORTS / "localization", columns, table, title)

    heatmaps = {name: load_heatmaps(FIT_DIR / name / HEATMAP_FILE) for name in explained}
    panels = [[(f"{name}: {k}", heatmaps[name].get(k)) for k in KINDS] for name in explained]
    save_heatmap_grid(panels or [[("no model has per-step weights", None)]], HEATMAPS)


def main() -> None:
    params = load_params()
    results = [read_result(FIT_DIR, name) for name in params.compare]
    write_json(METRICS, {r.model: r.scores() for r in results})
    write_json(BARS, {"models": bar_chart_rows(results)})
    write_json(REPORTS / "timings.json", {r.model: r.timing() for r in results})
    write_table(REPORTS / "table", table_columns(results), [r.row() for r in results])
    write_localization(list(params.compare), params.localization.tolerance)
    print((REPORTS / "table.md").read_text())
    print((REPORTS / "localization.md").read_text())


if __name__ == "__main__":
    run(main)
