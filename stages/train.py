"""Stage train: fit the model on train, early-stop on val -> models/model.pt.

Writes the per-epoch curves (train loss, val loss, val F1: of the positive
class for two classes, macro F1 for more) with dvclive to plots/training/ and
a summary of the run to metrics/train.json. The series are read a batch at a
time (`load_dataset(..., lazy=True)`), so the train split need not fit in
memory. With train.processes = N > 1 the stage runs itself again as N
data-parallel processes under torchrun (`attention_ts.training.distributed`); under
a torchrun you started (several nodes, docs/scale.md) it trains in that world.
Only the first process (rank 0) writes the outputs.
"""

import math
from pathlib import Path

from dvclive import Live

from attention_ts.config.params import load_params
from attention_ts.core.io import write_json
from attention_ts.core.stage import run
from attention_ts.data.checks import check_fits
from attention_ts.data.dataset import load_dataset, source_line
from attention_ts.models.classifiers import count_parameters, save_model
from attention_ts.training import distributed
from attention_ts.training.loop import EpochStats, fit_model, resolve_device

SPLIT_DIR = Path("data/split")
MODEL = Path("models/model.pt")
CURVES_DIR = Path("plots/training")
SUMMARY = Path("metrics/train.json")


def main() -> None:
    params = load_params()
    print(source_line(SPLIT_DIR))
    if params.train.processes > 1 and not distributed.launched():
        distributed.check_devices(params.train.processes, resolve_device(params.train.device))
        raise SystemExit(distributed.relaunch(params.train.processes, "stages.train"))
    train_set, val_set = (load_dataset(SPLIT_DIR, name, lazy=True) for name in ("train", "val"))
    shortest = int(min(d.lengths.min(initial=d.series.shape[2]) for d in (train_set, val_set)))
    check_fits(params.model, params.train, train_set.series.shape[1:], shortest)  # before Live
    with distributed.process_group(resolve_device(params.train.device)) as device:
        if distributed.world()[0] == 0:
            with Live(str(CURVES_DIR), dvcyaml=False, save_dvc_exp=False, report=None) as live:

                def log(stats: EpochStats) -> None:
                    live.log_metric("train/loss", stats.train_loss)
                    if not math.isnan(stats.val_loss):  # NaN: no validation series
                        live.log_metric("val/loss", stats.val_loss)
                        live.log_metric("val/f1", stats.val_f1)
                    live.next_step()
                    print(stats)

                model, config, result = fit_model(
                    params.model, params.train, train_set, val_set, on_epoch=log, device=device
                )
        else:  # another process of the group: trains its share, writes nothing
            fit_model(params.model, params.train, train_set, val_set, lambda s: None, device)
            return

    n_parameters = count_parameters(model)
    _, n_channels, n_points = train_set.series.shape
    save_model(MODEL, model, config, n_points, n_channels, train_set.classes)
    write_json(SUMMARY, {**result.summary(), "n_parameters": n_parameters})
    print(
        f"{params.model.name}, {n_parameters} parameters: best epoch {result.best_epoch} "
        f"of {result.epochs_run}; saved {MODEL}"
    )


if __name__ == "__main__":
    run(main)
