"""Stage fit@<dataset>-<model> of benchmark/dvc.yaml: its cells -> models/benchmark/<d>/<m>/.

    python -m stages.benchmark_fit GunPoint local_attention

One cell per resample of benchmark.resamples, in one process (a stage per
cell cost DVC about 9 s of its own work each).
Trains the model with its settings of the comparison (model.* and train.*,
changed by compare.<model>, then model.* by benchmark.model:
`Params.benchmark_config`) on the resample's train part and scores it on
its test part, as compare's fit stages do (`fitting.fit_and_score`). A model
whose head is fitted in closed form (minirocket: ridge regression that picks
its own penalty by leave-one-out) needs no validation, so it trains on
train + val, the whole train split, as its authors' published numbers do.
Writes models/benchmark/<dataset>/<model>/<resample>/: model.pt,
scores.json (test metrics, validation accuracy of the models that held it
out) and timing.json (train seconds, the stage's seconds after Python
started, inference series/s).
"""

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from attention_ts.config.params import MODEL_NAMES, Params, load_params
from attention_ts.core.io import atomic_output
from attention_ts.core.stage import PipelineError, run
from attention_ts.data.archive import cell_dir, split_dir
from attention_ts.data.dataset import concat, load_dataset
from attention_ts.models.classifiers import MODELS, predict, predicted_classes
from attention_ts.training.fitting import fit_and_score, save_fit


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset")
    parser.add_argument("model", choices=MODEL_NAMES)
    args = parser.parse_args(argv)
    params = load_params()
    if args.model not in params.compare:
        raise PipelineError(
            f"benchmark.models lists {args.model}, which has no compare.{args.model} entry (its "
            f"settings); allowed: add `{args.model}: {{}}` under compare, or a model of compare "
            f"({', '.join(params.compare)})"
        )
    output = cell_dir(args.dataset, args.model, 0).parent
    with atomic_output(output) as folder:
        folder.mkdir()
        for resample in params.benchmark.resamples:
            fit_cell(params, args.dataset, args.model, resample, folder / str(resample))


def fit_cell(params: Params, dataset: str, model: str, resample: int, output: Path) -> None:
    """Fit and score `model` on `resample` of `dataset`; write the cell to `output` (new)."""
    start = time.perf_counter()
    config, train_params = params.benchmark_config(model)
    folder = split_dir(dataset, resample)
    train, val, test = (load_dataset(folder, name) for name in ("train", "val", "test"))
    closed_form = getattr(MODELS[model], "closed_form_head", False)
    fit_on = concat(train, val) if closed_form else train
    fitted = fit_and_score(
        model, config, train_params, (fit_on, val, test), params.evaluate.threshold
    )
    validation = {}
    if not closed_form and len(val.table):  # a class too small to split stays in train
        probabilities, _ = predict(fitted.checkpoint.model, val.series, val.model_lengths())
        predictions = predicted_classes(probabilities, params.evaluate.threshold)
        validation["accuracy"] = float(np.mean(predictions == val.table["label"]))
    # the cell's own seconds, from reading its split to scoring (not Python's start, about 3 s)
    fitted.timing["stage_seconds"] = round(time.perf_counter() - start, 2)
    output.mkdir()
    save_fit(output, fitted, validation=validation)
    print(
        f"{dataset} {model} resample {resample}: test accuracy "
        f"{fitted.metrics['accuracy']:.4f}, {fitted.timing}"
    )


if __name__ == "__main__":
    run(main)
