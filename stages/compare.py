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
  row of heatmaps per model;
- metrics/faithfulness.json and reports/compare/faithfulness.{md,csv}: the
  tests of each model's explanations (attention_ts/explain/faithfulness.py: deletion
  and insertion areas against random, rank correlation after cascading
  randomization, contiguity, pointing game; attention interventions) and
  the attention targets (`faithfulness.ATTENTION_TARGETS`), git-tracked;
  plots/compare/deletion.png: each model's deletion curves.
"""

from pathlib import Path

from attention_ts.config.params import load_params
from attention_ts.core.io import write_json
from attention_ts.core.stage import run
from attention_ts.core.tables import Column, write_table
from attention_ts.explain.faithfulness_summary import attention_targets, compact, headline
from attention_ts.explain.localization import KINDS
from attention_ts.explain.plotting import save_deletion_grid, save_heatmap_grid
from attention_ts.results.comparison import (
    FIT_DIR,
    HEATMAP_FILE,
    ModelResult,
    bar_chart_rows,
    load_heatmaps,
    read_curves,
    read_faithfulness,
    read_localization,
    read_result,
)

METRICS = Path("metrics/compare.json")
LOCALIZATION = Path("metrics/localization.json")
HEATMAPS = Path("plots/compare/heatmaps.png")
FAITHFULNESS = Path("metrics/faithfulness.json")
DELETION = Path("plots/compare/deletion.png")
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
FAITHFULNESS_COLUMNS = [
    Column("model", "model"),
    Column("method", "method"),
    Column("policy", "removed points"),
    Column("deletion_area", "deletion area", "{:.3f}"),
    Column("deletion_random", "random", "{:.3f}"),
    Column("deletion_ratio", "ratio", "{:.1f}"),
    Column("insertion_area", "insertion area", "{:.3f}"),
    Column("insertion_random", "random", "{:.3f}"),
    Column("insertion_ratio", "ratio", "{:.1f}"),
    Column("randomization", "rank corr. after randomization", "{:.2f}"),
    Column("contiguity", "runs in top {share}", "{:.1f}"),
    Column("pointing_game", "pointing game", "{:.3f}"),
]
INTERVENTION_COLUMNS = [
    Column("model", "model"),
    Column("f1", "test F1", "{:.4f}"),
    Column("uniform_f1", "F1, uniform attention", "{:.4f}"),
    Column("uniform_total_variation", "output moved (TVD)", "{:.3f}"),
    Column("permuted_f1", "F1, permuted attention", "{:.4f}"),
    Column("permuted_total_variation", "output moved (TVD)", "{:.3f}"),
]


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


def write_faithfulness(names: list[str], policies: list[str], top_share: float) -> None:
    """The faithfulness metrics, tables and deletion curves of every model."""
    summaries = {name: read_faithfulness(FIT_DIR, name) for name in names}
    targets = {name: attention_targets(s, policies[0]) for name, s in summaries.items()}
    metrics = {name: compact(s) for name, s in summaries.items()}
    write_json(FAITHFULNESS, {"targets": {k: v for k, v in targets.items() if v}, **metrics})

    columns = [
        c._replace(title=c.title.format(share=f"{top_share:.0%}")) for c in FAITHFULNESS_COLUMNS
    ]
    rows = [
        [name, method, policy, *(row[c.key] for c in columns[3:])]
        for name, summary in summaries.items()
        for policy in policies
        for method, row in headline(summary, policy).items()
    ]
    title = "Deletion, insertion: areas of the predicted class's probability; random: random order."
    write_table(REPORTS / "faithfulness", columns, rows, title)
    rows = [
        [name, s["interventions"]["f1"]]
        + [
            s["interventions"][kind][key]
            for kind in ("uniform", "permuted")
            for key in ("f1", "total_variation")
        ]
        for name, s in summaries.items()
        if s["interventions"] is not None
    ]
    write_table(REPORTS / "interventions", INTERVENTION_COLUMNS, rows)
    curves = {name: read_curves(FIT_DIR, name) for name in names}
    save_deletion_grid(curves, policies[0], DELETION)


def main() -> None:
    params = load_params()
    results = [read_result(FIT_DIR, name) for name in params.compare]
    write_json(METRICS, {r.model: r.scores() for r in results})
    write_json(BARS, {"models": bar_chart_rows(results)})
    write_json(REPORTS / "timings.json", {r.model: r.timing() for r in results})
    write_table(REPORTS / "table", table_columns(results), [r.row() for r in results])
    write_localization(list(params.compare), params.localization.tolerance)
    faithfulness = params.faithfulness
    write_faithfulness(list(params.compare), faithfulness.policies, faithfulness.top_share)
    print((REPORTS / "table.md").read_text())
    print((REPORTS / "localization.md").read_text())
    print((REPORTS / "faithfulness.md").read_text())
    print((REPORTS / "interventions.md").read_text())


if __name__ == "__main__":
    run(main)
