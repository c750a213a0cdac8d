"""Training loop: mini-batch cross-entropy, a per-batch LR schedule, early stopping on val loss.

Two classes train one logit with binary cross-entropy (the synthetic task),
more classes one logit per class with cross-entropy. A small train set gets
the same number of optimizer steps as a large one (`train.min_steps`): each
epoch then passes over it several times, so 40 series train as well as 7000.

Everything random is seeded from params and torch runs a fixed number of
threads with deterministic algorithms, so the same params give the same
weights, byte for byte, on the same machine. Training runs on the device
`train.device` names (CUDA when available for `auto`); the trained model is
handed back on the CPU, where evaluation and inference run.

The series need not fit in memory: each batch is read from the split as it
is needed (a `LazyArray` from `load_dataset(..., lazy=True)` or an in-memory
array give the same batches, so the same model). Inside a process group
(`attention_ts.training.distributed`, torchrun) each process trains on every
world-th series of each batch and DistributedDataParallel averages the
gradients.
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

from attention_ts.config.params import ModelParams, TrainParams, check_model_fits, resolve_config
from attention_ts.core import numerics
from attention_ts.core.io import LazyArray
from attention_ts.core.stage import PipelineError
from attention_ts.data.dataset import Dataset
from attention_ts.models.classifiers import FixedFeatures, build_model, probabilities_of
from attention_ts.training import distributed
from attention_ts.training.metrics import validation_f1

EVAL_BATCH_SIZE = 1000
# Early stopping with fewer validation series of some class than this picks an epoch by
# noise: ArrowHead's 5 (3 classes) kept epoch 1 at test accuracy 0.49 where its last epoch
# reaches 0.79, JapaneseVowels' 34 (9 classes) epoch 2 at 0.62 where its last reaches 0.72.
MIN_VALIDATION_PER_CLASS = 10
CPU = torch.device("cpu")


@dataclass(frozen=True)
class EpochStats:
    epoch: int
    train_loss: float
    val_loss: float
    val_f1: float

    def __str__(self) -> str:
        line = f"epoch {self.epoch}: train loss {self.train_loss:.4f}"
        if math.isnan(self.val_loss):  # no validation series
            return line
        return f"{line}, val loss {self.val_loss:.4f}, val F1 {self.val_f1:.4f}"


@dataclass(frozen=True)
class TrainResult:
    best_epoch: int
    best_val_loss: float
    epochs_run: int
    history: list[EpochStats]
    passes_per_epoch: int  # passes over the train set in one epoch (train.min_steps)
    steps: int  # optimizer steps taken
    early_stopping: bool  # False: too few validation series; the last epoch is kept

    def summary(self) -> dict[str, float]:
        """The best epoch and its validation scores, as metrics/train.json records them."""
        summary: dict[str, float] = {"best_epoch": self.best_epoch, "epochs_run": self.epochs_run}
        if not math.isnan(self.best_val_loss):  # NaN: no validation series
            summary["best_val_loss"] = self.best_val_loss
            summary["best_val_f1"] = self.history[self.best_epoch - 1].val_f1
        if self.passes_per_epoch > 1:  # only where train.min_steps stretched the epochs
            summary.update(passes_per_epoch=self.passes_per_epoch, steps=self.steps)
        if not self.early_stopping:
            summary["early_stopping"] = False
        return summary


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
    make the bits the same on every x86-64 machine (`attention_ts.core.numerics`).
    """
    numerics.check()
    if device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    # torch.use_deterministic_algorithms, less its import of torch._inductor (1.4 s per process,
    # to set a flag of torch.compile, which nothing here uses)
    torch._C._set_deterministic_algorithms(True, warn_only=device.type == "cuda")


def make_optimizer(model: nn.Module, params: TrainParams) -> torch.optim.Optimizer:
    """The optimizer `train.optimizer` names.

    Adam and AdamW run their fused kernels: the default (for-each) ones take
    the square root through oneMKL's vector math, whose float32 result depends
    on the CPU (see `attention_ts.core.numerics`); the fused ones use ATen's exact
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


Logits = Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor]
# (inputs (batch, ...), lengths (batch,) or None) -> logits: (batch,) binary, (batch, classes)


def loss_of(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy: binary on one logit (batch,), else over classes (batch, classes)."""
    if logits.ndim == 1:
        return nn.functional.binary_cross_entropy_with_logits(logits, labels.float())
    return nn.functional.cross_entropy(logits, labels)


Inputs = torch.Tensor | np.ndarray | LazyArray  # (n, ...): features, or series in memory or not


def take(inputs: Inputs, index: torch.Tensor, device: torch.device = CPU) -> torch.Tensor:
    """Rows `index` (a 1-D int64 tensor) of `inputs`, in that order, as a tensor on `device`.

    Only those rows are read of a `LazyArray`; the values are those of
    `torch.from_numpy(inputs)[index]` whatever `inputs` is.
    """
    if isinstance(inputs, torch.Tensor):
        return inputs[index.to(inputs.device)].to(device)
    return torch.from_numpy(inputs[index.numpy()]).to(device)


def _batches(inputs: Inputs, lengths: torch.Tensor | None, size: int, device: torch.device):
    """(inputs, lengths) in consecutive chunks of `size` on `device`; lengths None stay None."""
    for start in range(0, len(inputs), size):
        index = torch.arange(start, min(start + size, len(inputs)))
        yield (
            take(inputs, index, device),
            None if lengths is None else lengths[start : start + size],
        )


@torch.no_grad()
def evaluate_loss(
    model: nn.Module,
    logits_of: Logits,
    inputs: Inputs,
    lengths: torch.Tensor | None,
    labels: torch.Tensor,
) -> tuple[float, float]:
    """Mean cross-entropy and validation F1 (`metrics.validation_f1`) of `model` on a split.

    Every process of a process group evaluates the whole split (the same
    weights: the same result), so each makes the same early-stopping choice.
    An empty split (no validation series) gives (NaN, NaN).
    """
    if len(labels) == 0:
        return math.nan, math.nan
    model.eval()
    batches = _batches(inputs, lengths, EVAL_BATCH_SIZE, labels.device)
    logits = torch.cat([logits_of(*batch) for batch in batches])
    loss = loss_of(logits, labels).item()
    probabilities = probabilities_of(logits).cpu().numpy()  # (n, classes)
    return loss, validation_f1(labels.cpu().numpy(), probabilities)


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
    model: nn.Module, train_set: Dataset, val_set: Dataset, seed: int
) -> tuple[Inputs, Inputs, Logits, bool]:
    """What the loop feeds forward, how it gets logits from it, and whether it needs lengths.

    The series (read a batch at a time) and the whole model, or for a
    `FixedFeatures` model, its features (fitted on train, computed once, each
    series on its own length; the series are read whole) and its head.
    """
    if not isinstance(model, FixedFeatures):
        logits_of = lambda series, lengths: model(series, lengths)[0]  # noqa: E731
        return train_set.series, val_set.series, logits_of, True
    if distributed.world()[1] > 1:
        raise PipelineError(
            f"{type(model).__name__} fits its features once, in one process; allowed: "
            "train.processes = 1 for minirocket and flat_run_rule"
        )
    x_train, x_val = (torch.from_numpy(d.series[:]) for d in (train_set, val_set))
    lengths = [d.model_lengths() for d in (train_set, val_set)]
    with torch.no_grad():
        model.fit_features(x_train.numpy(), lengths[0], seed)
        features = [model.features(x, _tensor(n)) for x, n in zip((x_train, x_val), lengths)]
    return *features, lambda inputs, lengths: model.logits_of_features(inputs), False


def _tensor(lengths: np.ndarray | None) -> torch.Tensor | None:
    return None if lengths is None else torch.from_numpy(lengths)


def passes_per_epoch(params: TrainParams, batches_per_pass: int) -> int:
    """Passes over the train set per epoch: enough for max_epochs to make train.min_steps.

    1 for the default synthetic data (7000 series: 110 batches x 5 epochs
    = 550 steps >= 500); ceil(500 / 5) = 100 for 40 series (one batch), and
    ceil(1000 / 15) = 67 for GunPoint's 40 in the comparison's and the
    benchmark's settings (15 epochs, 1000 steps). Early stopping and the
    curves still count epochs, so a small train set is validated max_epochs
    times, not after every step.
    """
    return max(1, math.ceil(params.min_steps / (params.max_epochs * batches_per_pass)))


def train(
    model: nn.Module,
    train_set: Dataset,
    val_set: Dataset,
    params: TrainParams,
    on_epoch: Callable[[EpochStats], None] = lambda stats: None,
    device: torch.device = CPU,
) -> TrainResult:
    """Fit `model` in place on the labelled series; restore the weights of the best val loss.

    Call `make_deterministic` before building the model so its initial
    weights are seeded too. With fewer than MIN_VALIDATION_PER_CLASS validation
    series of some class, early stopping is off: every epoch runs and the last one is kept
    (the one-cycle schedule ends at a learning rate near 0), since a handful
    of series would choose the epoch by chance. A `FixedFeatures` model first fits its features
    on the training series; its head then trains on features computed once.
    Series get their lengths only when the split is ragged (`Dataset.model_lengths`).
    The model trains on `device` and ends on the CPU.

    In a process group of W processes (`attention_ts.training.distributed`) every
    process draws the same batches and takes every W-th series of each; its
    loss is scaled by W * (its share) / (batch size), so the gradients
    DistributedDataParallel averages are those of the whole batch's mean
    loss. A last batch of fewer than W series is left out of each pass there.
    """
    x_train, x_val, logits_of, with_lengths = _training_inputs(
        model, train_set, val_set, params.seed
    )
    if getattr(model, "closed_form_head", False):
        return _fit_closed_form(model, logits_of, x_train, x_val, train_set, val_set, on_epoch)
    n_train, n_val = (
        _tensor(d.model_lengths()) if with_lengths else None for d in (train_set, val_set)
    )
    y_train, y_val = (torch.from_numpy(d.table["label"]).to(device) for d in (train_set, val_set))
    n_train, n_val = (None if n is None else n.to(device) for n in (n_train, n_val))
    model.to(device)
    rank, world = distributed.world()
    net = distributed.wrap(model, device)
    train_logits = logits_of if net is model else lambda s, n: net(s, n)[0]
    batches_per_pass = math.ceil(len(x_train) / params.batch_size)
    passes = passes_per_epoch(params, batches_per_pass)
    optimizer = make_optimizer(model, params)
    schedule = make_schedule(optimizer, params, params.max_epochs * passes * batches_per_pass)
    shuffle = torch.Generator().manual_seed(params.seed)

    per_class = np.bincount(val_set.table["label"], minlength=len(val_set.classes))
    early_stopping = bool(per_class.min() >= MIN_VALIDATION_PER_CLASS)
    history: list[EpochStats] = []
    best_loss, best_epoch, best_state = math.inf, 0, copy.deepcopy(model.state_dict())
    for epoch in range(1, params.max_epochs + 1):
        model.train()
        total_loss = 0.0
        orders = [torch.randperm(len(x_train), generator=shuffle) for _ in range(passes)]
        batches = [b for order in orders for b in order.split(params.batch_size) if len(b) >= world]
        bar = tqdm(
            batches,
            desc=f"epoch {epoch}/{params.max_epochs}",
            unit="batch",
            leave=False,
            disable=None if rank == 0 else True,  # only on a terminal, only once
        )
        for batch in bar:
            share = batch[rank::world]  # the whole batch in one process
            lengths = None if n_train is None else n_train[share.to(device)]
            logits = train_logits(take(x_train, share, device), lengths)
            loss = loss_of(logits, y_train[share.to(device)])
            check_loss(loss.item(), "training", epoch, params)
            optimizer.zero_grad()
            (loss if world == 1 else loss * (world * len(share) / len(batch))).backward()
            if params.grad_clip > 0:
                nn.utils.clip_grad_norm_(model.parameters(), params.grad_clip)
            optimizer.step()
            schedule.step()
            total_loss += loss.item() * len(share)
            bar.set_postfix(loss=f"{loss.item():.4f}")

        val_loss, val_f1 = evaluate_loss(model, logits_of, x_val, n_val, y_val)
        if len(y_val):  # NaN would never beat best_loss
            check_loss(val_loss, "validation", epoch, params)
        trained = passes * len(x_train) if world == 1 else sum(len(b) for b in batches)
        train_loss = distributed.total(total_loss, device) / trained
        stats = EpochStats(epoch, train_loss, val_loss, val_f1)
        history.append(stats)
        on_epoch(stats)
        if not early_stopping:  # too few validation series to choose by: the last epoch
            best_loss, best_epoch, best_state = val_loss, epoch, model.state_dict()
        elif val_loss < best_loss:
            best_loss, best_epoch, best_state = val_loss, epoch, copy.deepcopy(model.state_dict())
        elif epoch - best_epoch >= params.patience:
            break
    model.load_state_dict(best_state)
    model.to("cpu")
    steps = len(history) * len(batches)
    return TrainResult(best_epoch, best_loss, len(history), history, passes, steps, early_stopping)


def _fit_closed_form(
    model: FixedFeatures,
    logits_of: Logits,
    x_train: torch.Tensor,
    x_val: torch.Tensor,
    train_set: Dataset,
    val_set: Dataset,
    on_epoch: Callable[[EpochStats], None],
) -> TrainResult:
    """Fit a closed-form head (`FixedFeatures.fit_head`) on the train features: one "epoch"."""
    y_train, y_val = (torch.from_numpy(d.table["label"]) for d in (train_set, val_set))
    model.fit_head(x_train, y_train)
    train_loss, _ = evaluate_loss(model, logits_of, x_train, None, y_train)
    val_loss, val_f1 = evaluate_loss(model, logits_of, x_val, None, y_val)
    stats = EpochStats(1, train_loss, val_loss, val_f1)
    on_epoch(stats)
    return TrainResult(1, val_loss, 1, [stats], 1, 0, True)  # True: no epoch chosen, none to report


def fit_model(
    config: ModelParams,
    params: TrainParams,
    train_set: Dataset,
    val_set: Dataset,
    on_epoch: Callable[[EpochStats], None] = print,
    device: torch.device | None = None,
) -> tuple[nn.Module, ModelParams, TrainResult]:
    """Seed everything, build the model `config` names for these series, and train it.

    Returns the model, its config with `downsample = auto` resolved for the
    series' length (what `save_model` keeps), and the run's summary. Trains
    on `device` (default: what train.device names). Each of several
    processes on one machine (`distributed.local_processes`) runs
    train.threads // processes torch threads (at least 1), so together they
    use the cores one process would.
    """
    _, n_channels, n_points = train_set.series.shape
    config = resolve_config(config, n_points)
    check_model_fits(config, "model", n_points)
    device = resolve_device(params.device) if device is None else device
    threads = max(1, params.threads // distributed.local_processes())
    make_deterministic(params.seed, threads, device)
    model = build_model(config, n_points, n_channels, len(train_set.classes))
    return model, config, train(model, train_set, val_set, params, on_epoch=on_epoch, device=device)
