"""Stage compare of compare/dvc.yaml: every model's results side by side.

Reads models/compare/<model>/ for each model under `compare` in params and writes
- metrics/compare.json: test F1, ROC AUC, PR AUC, F1 at the val-tuned
  threshold, parameter count and best epoch per model (git-tracked, the
  same on every rerun);
- plots/compare/scores.json: the bar chart data (`dvc plots show`);
- reports/compare/timings.json: train seconds and inference series/s per
  model (DVC-cached: measured, so they differ from run to run);
- reports/compare/table.md and table.csv: all of the above in one table.
"""

from dataclasses import astuple
from pathlib import Path

from attention_ts.comparison import FIT_DIR, bar_chart_rows, read_result
from attention_ts.io import write_json
from attention_ts.params import load_params
from attention_ts.stage import run
from attention_ts.tables import Column, write_table

METRICS = Path("metrics/compare.json")
BARS = Path("plots/compare/scores.json")
REPORTS = Path("reports/compare")
COLUMNS = [  # in the order of ModelResult's fields
    Column("model", "model"),
    Column("f1", "F1", "{:.4f}"),
    Column("roc_auc", "ROC AUC", "{:.4f}"),
    Column("pr_auc", "PR AUC", "{:.4f}"),
    Column("tuned_f1", "F1 at val-tuned threshold", "{:.4f}"),
    Column("n_parameters", "parameters", "{:,}"),
    Column("best_epoch", "best epoch"),
    Column("train_seconds", "train s", "{:.1f}"),
    Column("inference_series_per_s", "inference series/s", "{:,.0f}"),
]


def main() -> None:
    params = load_params()
    results = [read_result(FIT_DIR, name) for name in params.compare]
    write_json(METRICS, {r.model: r.scores() for r in results})
    write_json(BARS, {"models": bar_chart_rows(results)})
    write_json(REPORTS / "timings.json", {r.model: r.timing() for r in results})
    write_table(REPORTS / "table", COLUMNS, [astuple(r) for r in results])
    print((REPORTS / "table.md").read_text())


if __name__ == "__main__":
    run(main)
