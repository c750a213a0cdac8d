"""Stage faithfulness: does the model's decision depend on what its explanations show?

Runs the standard tests of explanations (attention_ts/explain/faithfulness.py) on
`faithfulness.n_series` test series, for each method of `faithfulness.methods`
the model has (attention, gradient saliency, Integrated Gradients,
occlusion): deletion and insertion curves against a random order, the
cascading model-randomization check, contiguity, localization against the
known segments, and, for an attention model, attention interventions on the
whole test split. Writes metrics/explanations.json (the summary) and
plots/faithfulness/: curves.png (deletion and insertion curves),
randomization.png (the cascade) and curves.json (every curve's values).
"""

from pathlib import Path

import torch

from attention_ts.config.params import load_params
from attention_ts.core.io import atomic_output, write_json
from attention_ts.core.stage import run
from attention_ts.data.dataset import load_dataset, source_line
from attention_ts.explain.faithfulness import faithfulness_report
from attention_ts.explain.faithfulness_summary import headline
from attention_ts.explain.plotting import save_randomization_plot, save_removal_curves
from attention_ts.models.classifiers import load_model

SPLIT_DIR = Path("data/split")
MODEL = Path("models/model.pt")
METRICS = Path("metrics/explanations.json")
PLOTS_DIR = Path("plots/faithfulness")


def main() -> None:
    params = load_params()
    print(source_line(SPLIT_DIR))
    torch.set_num_threads(params.train.threads)
    test = load_dataset(SPLIT_DIR, "test")
    checkpoint = load_model(MODEL)
    summary, curves = faithfulness_report(
        checkpoint,
        test,
        params.faithfulness,
        params.evaluate.threshold,
        params.localization.tolerance,
    )
    with atomic_output(PLOTS_DIR) as tmp:
        tmp.mkdir()
        save_removal_curves(curves, tmp / "curves.png")
        save_randomization_plot(curves["randomization"], tmp / "randomization.png")
        write_json(tmp / "curves.json", curves)
    write_json(METRICS, summary)
    policy = params.faithfulness.policies[0]
    for method, row in headline(summary, policy).items():
        shown = ", ".join(f"{k} {'-' if v is None else f'{v:.3f}'}" for k, v in row.items())
        print(f"{checkpoint.config.name}, {method} ({policy}): {shown}")


if __name__ == "__main__":
    run(main)
