"""Stage train: fit the model on train, early-stop on val -> models/model.pt.

Writes the per-epoch curves (train loss, val loss, val F1) with dvclive to
plots/training/ and a summary of the run to metrics/train.json.
"""

from pathlib import Path

from dvclive import Live

from attention_ts.data import load_dataset
from attention_ts.io import write_json
from attention_ts.models import build_model, count_parameters, save_model
from attention_ts.params import load_params
from attention_ts.stage import run
from attention_ts.training import EpochStats, make_deterministic, train

SPLIT_DIR = Path("data/split")
MODEL = Path("models/model.pt")
CURVES_DIR = Path("plots/training")
SUMMARY = Path("metrics/train.json")


def main() -> None:
    params = load_params()
    train_set, val_set = (load_dataset(SPLIT_DIR, name) for name in ("train", "val"))
    make_deterministic(params.train.seed, params.train.threads)
    n_points = train_set.series.shape[1]
    model = build_model(params.model, n_points)
    print(f"{params.model.name}: {count_parameters(model)} parameters")

    with Live(str(CURVES_DIR), dvcyaml=False, save_dvc_exp=False, report=None) as live:

        def log(stats: EpochStats) -> None:
            live.log_metric("train/loss", stats.train_loss)
            live.log_metric("val/loss", stats.val_loss)
            live.log_metric("val/f1", stats.val_f1)
            live.next_step()
            print(
                f"epoch {stats.epoch}: train loss {stats.train_loss:.4f}, "
                f"val loss {stats.val_loss:.4f}, val F1 {stats.val_f1:.4f}"
            )

        result = train(
            model,
            (train_set.series, train_set.table["label"]),
            (val_set.series, val_set.table["label"]),
            params.train,
            on_epoch=log,
        )

    best = result.history[result.best_epoch - 1]
    save_model(MODEL, model, params.model, n_points)
    write_json(
        SUMMARY,
        {
            "best_epoch": result.best_epoch,
            "epochs_run": result.epochs_run,
            "best_val_loss": result.best_val_loss,
            "best_val_f1": best.val_f1,
            "n_parameters": count_parameters(model),
        },
    )
    print(f"best epoch {result.best_epoch} of {result.epochs_run}; saved {MODEL}")


if __name__ == "__main__":
    run(main)
