"""Training loop: mini-batch BCE, a per-batch LR schedule, early stopping on validation loss.

Everything random is seeded from params and torch runs a fixed number of
threads with deterministic algorithms, so the same params give the same
weights, byte for byte, on the same machine. Training runs on the device
`train.device` names (CUDA when available for `auto`); the trained model is
handed back on the CPU, where evaluation and inference run.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from attention_ts import numerics
from attention_ts.data import Dataset
from attention_ts.metrics import binary_f1
from attention_ts.models import FixedFeatures, build_model
from attention_ts.params import ModelParams, TrainParams, check_model_fits
from attention_ts.stage import PipelineError

VALIDATION_THRESHOLD = 0.5
EVAL_BATCH_SIZE = 1000
CPU = torch.device("cpu")


@dataclass(frozen=True)
class EpochStats:
    epoch: int
    train_loss: float
    val_loss: float
    val_f1: float

    def __str__(self) -> str:
        return (
            f"epoch {self.epoch}: train loss {self.train_loss:.4f}, "
            f"val loss {self.val_loss:.4f}, val F1 {self.val_f1:.4f}"
        )


@dataclass(frozen=True)
class TrainResult:
    best_epoch: int
    best_val_loss: float
    epochs_run: int
    history: list[EpochStats]

    def summary(self) -> dict[str, float]:
        """The best epoch and its validation scores, as metrics/train.json records them."""
        return {
            "best_epoch": self.best_epoch,
            "epochs_run": self.epochs_run,
            "best_val_loss": self.best_val_loss,
            "best_val_f1": self.history[self.best_epoch - 1].val_f1,
        }


def resolve_device(name: str) -> torch.device:
    """The device `train.device` names: `auto` is CUDA when torch sees a GPU, else the CPU."""
    available = torch.cuda.is_available()
    if name == "cuda" and not available:
        raise PipelineError(
            "train.device = cuda, but torch sees no CUDA device (a CPU-only torch build, or no "
            "GPU); allowed: auto (CUDA when there is one, else CPU) or cpu"
        )
    if name == "auto":
        name = "cuda" if available else "cpu"
    return torch.device(name)


def make_deterministic(seed: int, threads: int, device: torch.device = CPU) -> None:
    """Seed torch and pin its threading so two runs do the same arithmetic in the same order.

    On CUDA, cuBLAS needs a fixed workspace to be deterministic, and the few
    ops without a deterministic kernel warn instead of stopping the run. On
    the CPU, raises NumericsError unless torch runs the pinned code paths that
    make the bits the same on every x86-64 machine (`attention_ts.numerics`).
    """
    numerics.check()
    if device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=device.type == "cuda")


def make_optimizer(model: nn.Module, params: TrainParams) -> torch.optim.Optimizer:
    """The optimizer `train.optimizer` names.

    Adam and AdamW run their fused kernels: the default (for-each) ones take
    the square root through oneMKL's vector math, whose float32 result depends
    on the CPU (see `attention_ts.numerics`); the fused ones use ATen's exact
    square root.
    """
    adam = {"lr": params.lr, "weight_decay": params.weight_decay, "fused": True}
    if params.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), **adam)
    if params.optimizer == "adamw":
        return torch.optim.AdamW(model.parameters(), **adam)
    return torch.optim.SGD(
        model.parameters(), lr=params.lr, momentum=0.9, weight_decay=params.weight_decay
    )


def make_schedule(
    optimizer: torch.optim.Optimizer, params: TrainParams, total_steps: int
) -> torch.optim.lr_scheduler.LRScheduler:
    """A per-batch schedule over the full `max_epochs` budget (early stopping may cut it)."""
    if params.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=params.lr, total_steps=total_steps
        )
    if params.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)


Logits = Callable[[torch.Tensor], torch.Tensor]  # inputs (batch, ...) -> logits (batch,)


@torch.no_grad()
def evaluate_loss(
    model: nn.Module, logits_of: Logits, inputs: torch.Tensor, labels: torch.Tensor
) -> tuple[float, float]:
    """Mean BCE loss and F1 (at 0.5) of `model` on a whole split."""
    model.eval()
    logits = torch.cat([logits_of(batch) for batch in inputs.split(EVAL_BATCH_SIZE)])  # (n,)
    loss = nn.functional.binary_cross_entropy_with_logits(logits, labels).item()
    probabilities = torch.sigmoid(logits).cpu().numpy()
    return loss, binary_f1(labels.cpu().numpy(), probabilities >= VALIDATION_THRESHOLD)


def check_loss(loss: float, split: str, epoch: int, params: TrainParams) -> None:
    """Stop with a PipelineError when the `split` loss of `epoch` is NaN or infinite.

    Training diverged (the usual cause), or, in a model with standardize =
    false, a series' values overflowed its arithmetic (models.check_scores).
    """
    if not math.isfinite(loss):
        raise PipelineError(
            f"{split} loss became {loss} in epoch {epoch}; allowed: finite losses - lower "
            f"train.lr (now {params.lr}), or, with model.standardize = false, series of "
            "smaller values"
        )


def _training_inputs(
    model: nn.Module, x_train: torch.Tensor, x_val: torch.Tensor, seed: int
) -> tuple[torch.Tensor, torch.Tensor, Logits]:
    """What the loop feeds forward and how it gets logits from it.

    Series and the whole model, or for a `FixedFeatures` model, its features
    (fitted on train, computed once) and its head.
    """
    if not isinstance(model, FixedFeatures):
        return x_train, x_val, lambda series: model(series)[0]
    with torch.no_grad():
        model.fit_features(x_train.numpy(), seed)
        train_features, val_features = model.features(x_train), model.features(x_val)
    return train_features, val_features, lambda features: model.head(features).squeeze(-1)


def train(
    model: nn.Module,
    train_set: tuple[np.ndarray, np.ndarray],
    val_set: tuple[np.ndarray, np.ndarray],
    params: TrainParams,
    on_epoch: Callable[[EpochStats], None] = lambda stats: None,
    device: torch.device = CPU,
) -> TrainResult:
    """Fit `model` in place on (series, labels); restore the weights of the best val loss.

    Call `make_deterministic` before building the model so its initial
    weights are seeded too. A `FixedFeatures` model first fits its features
    on the training series; its head then trains on features computed once.
    The model trains on `device` and ends on the CPU.
    """
    x_train, y_train = (torch.from_numpy(a).float() for a in train_set)  # (n, points), (n,)
    x_val, y_val = (torch.from_numpy(a).float() for a in val_set)
    x_train, x_val, logits_of = _training_inputs(model, x_train, x_val, params.seed)
    model.to(device)
    x_train, y_train, x_val, y_val = (t.to(device) for t in (x_train, y_train, x_val, y_val))
    batches_per_epoch = math.ceil(len(x_train) / params.batch_size)
    optimizer = make_optimizer(model, params)
    schedule = make_schedule(optimizer, params, params.max_epochs * batches_per_epoch)
    shuffle = torch.Generator().manual_seed(params.seed)

    history: list[EpochStats] = []
    best_loss, best_epoch, best_state = math.inf, 0, copy.deepcopy(model.state_dict())
    for epoch in range(1, params.max_epochs + 1):
        model.train()
        total_loss = 0.0
        order = torch.randperm(len(x_train), generator=shuffle)
        bar = tqdm(
            order.split(params.batch_size),
            desc=f"epoch {epoch}/{params.max_epochs}",
            unit="batch",
            leave=False,
            disable=None,  # only on a terminal
        )
        for batch in bar:
            logits = logits_of(x_train[batch])
            loss = nn.functional.binary_cross_entropy_with_logits(logits, y_train[batch])
            check_loss(loss.item(), "training", epoch, params)
            optimizer.zero_grad()
            loss.backward()
            if params.grad_clip > 0:
                nn.utils.clip_grad_norm_(model.parameters(), params.grad_clip)
            optimizer.step()
            schedule.step()
            total_loss += loss.item() * len(batch)
            bar.set_postfix(loss=f"{loss.item():.4f}")

        val_loss, val_f1 = evaluate_loss(model, logits_of, x_val, y_val)
        check_loss(val_loss, "validation", epoch, params)  # NaN would never beat best_loss
        stats = EpochStats(epoch, total_loss / len(x_train), val_loss, val_f1)
        history.append(stats)
        on_epoch(stats)
        if val_loss < best_loss:
            best_loss, best_epoch, best_state = val_loss, epoch, copy.deepcopy(model.state_dict())
        elif epoch - best_epoch >= params.patience:
            break
    model.load_state_dict(best_state)
    model.to("cpu")
    return TrainResult(best_epoch, best_loss, len(history), history)


def fit_model(
    config: ModelParams,
    params: TrainParams,
    train_set: Dataset,
    val_set: Dataset,
    on_epoch: Callable[[EpochStats], None] = print,
) -> tuple[nn.Module, TrainResult]:
    """Seed everything, build the model `config` names for these series, and train it."""
    n_points = train_set.series.shape[1]
    check_model_fits(config, "model", n_points)
    device = resolve_device(params.device)
    make_deterministic(params.seed, params.threads, device)
    model = build_model(config, n_points)
    labelled = [(d.series, d.table["label"]) for d in (train_set, val_set)]
    return model, train(model, *labelled, params, on_epoch=on_epoch, device=device)
