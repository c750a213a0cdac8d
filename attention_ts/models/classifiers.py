"""The classifiers: BiLSTM + additive attention, and the models it is compared with.

Every model maps a batch of series (batch, channels, points) and their
lengths (batch,) int64, or None when every series has all `points` valid, to
(logits, weights): logits (batch,) for two classes (the logit of class 1) or
(batch, n_classes) for more; weights the per-step attention (batch, steps),
summing to 1 over each series' valid steps and exactly 0.0 past them, or
None for models without attention. All share the same training and
evaluation code.

`lengths = None` runs the arithmetic of the fixed-length models before
lengths existed, bit for bit. With lengths, values past a series' length
never reach its logits: standardization, pooling and attention cover the
valid points or steps only, convolution inputs are zeroed past the valid
length at each resolution, the recurrent nets run packed sequences, the
transformer masks padded keys. A series padded to any length then gives the
logits of the series alone (to float rounding), except in the MLP, which
needs its fixed `n_points` and sees zeros past the length, and in MiniRocket,
which sees the standardized series padded with zeros (see `MiniRocket`).

`bilstm_attention` with `downsample = 1` and `standardize = false` is exactly
the original model: BiLSTM(1 -> 32 per direction) -> additive attention
(Linear 64->64, tanh, Linear 64->1, softmax over time) -> context vector ->
Linear -> logit. With `downsample = s > 1` a small convolutional front end
(a local kernel-5 conv, then a stride-s conv) shortens the 500-step
recurrence s times, which is what makes training take seconds, not minutes.
The sequence models (rnn, lstm, bilstm, transformer, local_attention) share
that front end. `local_attention` is the attention model whose weights point
at the flat segment: gated attention pooling over local features.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from attention_ts.config.params import MINIROCKET_MIN_KERNELS, ModelParams, ParamsError, build
from attention_ts.core import numerics
from attention_ts.core.io import atomic_output
from attention_ts.core.stage import PipelineError

STANDARDIZE_EPS = 1e-6
SCALE_EXPONENTS = (-126, 127)  # k for which 2**k is a normal float32 (scale_to_unit_peak)
LOCAL_KERNEL = 5  # first front-end conv: sees a point and its 2 neighbours on each side
LOCAL_STEPS = 5  # local_attention: each step's embedding sees its own and 2 steps on each side
CNN_KERNEL = 7
CNN_BLOCKS = 3
TRANSFORMER_LAYERS = 2
TRANSFORMER_HEADS = 4
# conv_attention's residual blocks: ResNet's kernels 8, 5, 3 with 7 for 8, odd so that "same"
# padding is symmetric (an even kernel pads one side more and copies its input to do it)
RESNET_KERNELS = (7, 5, 3)
RESNET_WIDTHS = (1, 2, 2)  # its blocks' filters, in conv_channels (ResNet: 64, 128, 128)


def output_layer(dim: int, dropout: float, n_classes: int = 2) -> nn.Module:
    """Dropout, then a linear map of `dim` features to the logits.

    (batch, dim) -> (batch, 1) for two classes (the logit of class 1), else
    (batch, n_classes); `class_logits` drops the axis of size 1.
    """
    return nn.Sequential(nn.Dropout(dropout), nn.Linear(dim, 1 if n_classes == 2 else n_classes))


def class_logits(outputs: torch.Tensor) -> torch.Tensor:
    """An output layer's (batch, 1) as (batch,) (two classes); (batch, n_classes) unchanged."""
    return outputs.squeeze(-1) if outputs.shape[-1] == 1 else outputs


def valid_steps(lengths: torch.Tensor, downsample: int) -> torch.Tensor:
    """Steps (batch,) a series of each of `lengths` (batch,) has after a stride-s front end.

    floor(length / downsample), at least 1: the stride-s conv's step i covers
    points [i*s, (i+1)*s), so the valid steps are those made of valid points
    only (a series shorter than s keeps its first step, partly padding).
    Works on an int64 tensor or a NumPy integer array (returns the same kind).
    """
    steps = lengths // downsample
    return steps.clamp(min=1) if isinstance(steps, torch.Tensor) else np.maximum(steps, 1)


def valid_mask(lengths: torch.Tensor, size: int) -> torch.Tensor:
    """(batch, size) bool: True at positions t < lengths[b] of each row b; lengths (batch,)."""
    return torch.arange(size, device=lengths.device) < lengths.to(torch.int64)[:, None]


def _broadcast_mask(lengths: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """`valid_mask` over the last axis of `like` (batch, ..., points), shaped to broadcast."""
    mask = valid_mask(lengths.to(like.device), like.shape[-1])  # (batch, points)
    return mask.view(mask.shape[0], *[1] * (like.dim() - 2), mask.shape[1])


def zero_past(series: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """`series` (batch, ..., points) with the values at t >= lengths[b] (batch,) set to 0.0.

    masked_fill, not a product, so that NaN or infinite padding becomes 0 too.
    """
    return series.masked_fill(~_broadcast_mask(lengths, series), 0.0)


def _sqrt_of_counts(counts: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """sqrt of the integer `counts`, correctly rounded (NumPy float64), as `like`'s dtype/device.

    torch's float32 sqrt goes through oneMKL's vector math, whose bits depend
    on the CPU (`attention_ts.core.numerics`); NumPy's float64 sqrt is the IEEE one.
    """
    root = np.sqrt(counts.detach().cpu().numpy().astype(np.float64))
    return torch.from_numpy(root).to(dtype=like.dtype, device=like.device)


def masked_std(series: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std (n - 1 in the denominator) over the valid points: (batch, ..., 1) each.

    `series` (batch, ..., points) must already be 0.0 past `lengths` (batch,).
    A series of one valid point gets std 0 (not NaN). The square root of the
    sum of squares is ATen's scalar one (vector_norm), not oneMKL's float32
    vector math, so the bits do not depend on the CPU.
    """
    shape = (lengths.shape[0], *[1] * (series.dim() - 1))
    count = lengths.to(device=series.device).view(shape)
    mean = series.sum(dim=-1, keepdim=True) / count.to(series.dtype)
    centered = (series - mean).masked_fill(~_broadcast_mask(lengths, series), 0.0)
    norm = torch.linalg.vector_norm(centered, dim=-1, keepdim=True)
    return mean, norm / _sqrt_of_counts((count - 1).clamp(min=1), series)


def scale_to_unit_peak(series: torch.Tensor) -> torch.Tensor:
    """Each series divided by the power of two 2**k that brings its largest |value| to [0.5, 1).

    (batch, ..., points) -> same shape and dtype; the peak is taken over the
    last axis (each channel of each series on its own). k is the binary
    exponent of the peak (torch.frexp: peak = m * 2**k, m in [0.5, 1)), so
    the division changes exponents only and is exact in binary floating
    point: a series scaled by any power of two gives bit for bit the same
    result, as long as no value is subnormal. What follows (sums, squares,
    differences) then works on values below 1 and cannot overflow. A series
    of zeros stays zeros (k = 0). k is kept within [-126, 127], where 2**k is
    a normal float32: the peak of a series beyond 2**127 (1.7e38) lands in
    [1, 2), that of a series of subnormal values (below 1.2e-38) under 0.5.
    Padding set to 0.0 first does not change the peak of the valid values.
    """
    peak = series.abs().amax(dim=-1, keepdim=True)  # (batch, ..., 1)
    exponent = torch.frexp(peak).exponent.clamp(*SCALE_EXPONENTS)  # (batch, ..., 1) int
    return series / torch.ldexp(torch.ones_like(peak), exponent)


def standardize(series: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """Zero mean, unit variance per series and channel, at any scale: same shape as `series`.

    `series` (batch, ..., points), standardized over the last axis:
    (x - mean) / (std + STANDARDIZE_EPS) of each series after
    `scale_to_unit_peak`. Computed on the raw values, the float32 sum in the
    mean overflows for large ones (500 values of 1e36 sum past 3.4e38) and
    the squares in the std from |x| ~ 1.8e19 on, which made NaN of a series
    of large but valid float32 values. Scaled first, the result is the same
    at any scale: standardize(x * 2**j) == standardize(x) bit for bit (no
    value subnormal), and x * c for other c differs by float32 rounding only.
    The eps, which keeps a constant series at zeros, is thereby relative to
    the series' peak: a series whose spread is below about 1e-6 of its
    largest |value| (a few float32 steps) counts as nearly constant.

    With `lengths` (batch,) int64, mean and std are those of the valid points
    t < lengths[b] only (`masked_std`; one valid point gives std 0), and the
    values past the length are 0.0 in the result, whatever they were.
    """
    if lengths is None:
        series = scale_to_unit_peak(series)
        mean = series.mean(dim=-1, keepdim=True)
        std = series.std(dim=-1, keepdim=True)
        return (series - mean) / (std + STANDARDIZE_EPS)
    series = scale_to_unit_peak(zero_past(series, lengths))
    mean, std = masked_std(series, lengths)
    return zero_past((series - mean) / (std + STANDARDIZE_EPS), lengths)


def prepare_input(
    series: torch.Tensor, lengths: torch.Tensor | None, standardized: bool
) -> torch.Tensor:
    """What a model sees of `series` (batch, channels, points): standardized or not, 0 past lengths.

    lengths None: `standardize(series)` or `series` itself, as before lengths existed.
    """
    if standardized:
        return standardize(series, lengths)
    return series if lengths is None else zero_past(series, lengths)


class MaskedBatchNorm1d(nn.BatchNorm1d):
    """BatchNorm1d whose training statistics cover the valid positions only.

    forward(features (batch, channels, length), mask (batch, length) bool | None).
    Without a mask, or in eval mode (running statistics, position by
    position), it is nn.BatchNorm1d. In training with a mask, the batch mean
    and variance, and so the running statistics, come from the positions
    where mask is True: torch's own batch norm runs on those positions
    gathered into (n_valid, channels), and the result is scattered back,
    0.0 at the masked positions. Padding thus never shifts the statistics.
    """

    def forward(self, features: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is None or not self.training:
            return super().forward(features)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average, as nn.BatchNorm1d
                factor = 1.0 / float(self.num_batches_tracked)
        steps = features.transpose(1, 2)  # (batch, length, channels)
        valid = nn.functional.batch_norm(
            steps[mask],  # (n_valid, channels)
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            training=True,
            momentum=factor,
            eps=self.eps,
        )
        normalized = steps.new_zeros(steps.shape)
        normalized[mask] = valid
        return normalized.transpose(1, 2)  # (batch, channels, length)


class FrontEnd(nn.Module):
    """Optional standardization, then the optional strided conv: series -> feature sequence.

    forward(series (batch, channels, points), lengths (batch,) | None)
    -> (batch, steps, features); steps = points // downsample (points without
    the conv), features = conv_channels (channels without the conv). With
    lengths, the features past `steps_of(lengths)` are 0.0.
    """

    def __init__(self, config: ModelParams, n_channels: int = 1) -> None:
        super().__init__()
        self.standardize = config.standardize
        self.stride = config.downsample
        self.features = n_channels
        self.conv: nn.Module | None = None
        if config.downsample > 1:
            channels, stride = config.conv_channels, config.downsample
            self.conv = nn.Sequential(
                nn.Conv1d(n_channels, channels, LOCAL_KERNEL, padding=LOCAL_KERNEL // 2),
                nn.ReLU(),
                nn.Conv1d(channels, channels, stride, stride=stride),
                nn.ReLU(),
            )
            self.features = channels

    def steps_of(self, lengths: torch.Tensor) -> torch.Tensor:
        """The valid steps (batch,) of series of `lengths` (batch,): `valid_steps`."""
        return valid_steps(lengths, self.stride)

    def forward(self, series: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        features = prepare_input(series, lengths, self.standardize)  # (batch, channels, points)
        if self.conv is not None:
            if lengths is None:
                features = self.conv(features)  # (batch, conv_channels, points // downsample)
            else:
                local, relu, strided, relu_again = self.conv
                features = zero_past(relu(local(features)), lengths)  # inputs 0 past the length
                features = zero_past(relu_again(strided(features)), self.steps_of(lengths))
        return features.transpose(1, 2)  # (batch, steps, features)


class AdditiveAttention(nn.Module):
    """Bahdanau-style attention: score_t = w . tanh(W h_t), softmax over time.

    forward(states (batch, steps, dim), mask (batch, steps) bool | None)
    -> (context (batch, dim), weights (batch, steps)); with a mask, the
    softmax runs over the True steps only and the others get exactly 0.0.
    Every row of the mask needs a True step.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.project = nn.Linear(dim, dim)
        self.score = nn.Linear(dim, 1)

    def hidden(self, states: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.project(states))  # (batch, steps, dim)

    def forward(
        self, states: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        scores = self.score(self.hidden(states)).squeeze(-1)  # (batch, steps)
        if mask is not None:
            scores = scores.masked_fill(~mask, -math.inf)  # exp(-inf) = 0: no weight
        weights = torch.softmax(scores, dim=1)  # (batch, steps), sums to 1 over (valid) steps
        context = torch.bmm(weights.unsqueeze(1), states).squeeze(1)  # (batch, dim)
        return context, weights


class GatedAttention(AdditiveAttention):
    """Gated attention (Ilse et al. 2018): score_t = w . (tanh(V h_t) * sigmoid(U h_t))."""

    def __init__(self, dim: int) -> None:
        super().__init__(dim)
        self.gate = nn.Linear(dim, dim)

    def hidden(self, states: torch.Tensor) -> torch.Tensor:
        return super().hidden(states) * torch.sigmoid(self.gate(states))  # (batch, steps, dim)


class GatedAveragePooling(GatedAttention):
    """Attention as gates on an average (MILLET's conjunctive pooling, Early et al. 2024).

    forward(states (batch, steps, dim), mask (batch, steps) bool | None) ->
    (context (batch, dim), coefficients (batch, steps)): each step's gate
    a_t = sigmoid(w . (tanh(V h_t) * sigmoid(U h_t))) in (0, 1), its
    coefficient a_t / T (T: the valid steps; 0.0 past them) and the context
    the sum of coefficients x states: global average pooling with a learned
    gate per step. A linear head on it gives the gate-weighted mean of what
    each step alone would score (MILLET's instance predictions). Unlike a
    softmax, the gates do not compete for a unit of mass; over the same
    backbone, softmax attention pooling was well behind this pooling and
    plain averaging on archive data (`python -m benchmarks.pooling`).
    The coefficients sum to the mean gate, not 1 (`normalized` False):
    the model normalizes them into its weights, and an intervention
    (explain.faithfulness) keeps their sum.
    """

    normalized = False

    def forward(
        self, states: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        gates = torch.sigmoid(self.score(self.hidden(states)).squeeze(-1))  # (batch, steps)
        if mask is None:
            coefficients = gates / gates.shape[1]
        else:
            counts = mask.sum(dim=1, keepdim=True).to(gates.dtype)  # (batch, 1)
            coefficients = gates.masked_fill(~mask, 0.0) / counts
        context = torch.bmm(coefficients.unsqueeze(1), states).squeeze(1)  # (batch, dim)
        return context, coefficients


def masked_mean(states: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    """Mean of `states` (batch, length, dim) over the first steps[b] (batch,): (batch, dim)."""
    mask = valid_mask(steps.to(states.device), states.shape[1])[..., None]  # (batch, length, 1)
    total = states.masked_fill(~mask, 0.0).sum(dim=1)
    return total / steps.to(device=states.device, dtype=states.dtype)[:, None]


def run_packed(recurrent: nn.RNNBase, features: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    """`recurrent` (batch_first) over the first steps[b] of each sequence only: packed.

    features (batch, length, input) -> states (batch, length, hidden * directions),
    0.0 past steps[b]; a bidirectional net's backward direction starts at the
    last valid step.
    """
    packed = nn.utils.rnn.pack_padded_sequence(
        features, steps.detach().cpu(), batch_first=True, enforce_sorted=False
    )
    states, _ = recurrent(packed)
    return nn.utils.rnn.pad_packed_sequence(
        states, batch_first=True, total_length=features.shape[1]
    )[0]


class BiLSTMEncoder(nn.Module):
    """Front end -> BiLSTM; the two BiLSTM models below differ only in how they pool over time."""

    def __init__(self, config: ModelParams, n_channels: int = 1) -> None:
        super().__init__()
        self.front = FrontEnd(config, n_channels)
        hidden = config.hidden_size
        self.lstm = nn.LSTM(self.front.features, hidden, batch_first=True, bidirectional=True)

    def encode(
        self, series: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(states (batch, steps, 2 * hidden), valid steps (batch,) or None without lengths)."""
        features = self.front(series, lengths)
        if lengths is None:
            return self.lstm(features)[0], None
        steps = self.front.steps_of(lengths.to(features.device))
        return run_packed(self.lstm, features, steps), steps


class BiLSTMAttention(BiLSTMEncoder):
    """The default: front end -> BiLSTM -> additive attention -> linear head."""

    def __init__(
        self, config: ModelParams, n_points: int, n_channels: int = 1, n_classes: int = 2
    ) -> None:
        super().__init__(config, n_channels)
        self.attention = AdditiveAttention(2 * config.hidden_size)
        self.head = output_layer(2 * config.hidden_size, config.dropout, n_classes)

    def forward(
        self, series: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        states, steps = self.encode(series, lengths)  # (batch, steps, 2h)
        mask = None if steps is None else valid_mask(steps, states.shape[1])
        context, weights = self.attention(states, mask)  # (batch, 2h), (batch, steps)
        return class_logits(self.head(context)), weights


class BiLSTMMeanPool(BiLSTMEncoder):
    """The ablation: the same BiLSTM, averaged over (valid) time steps instead of attended."""

    def __init__(
        self, config: ModelParams, n_points: int, n_channels: int = 1, n_classes: int = 2
    ) -> None:
        super().__init__(config, n_channels)
        self.head = output_layer(2 * config.hidden_size, config.dropout, n_classes)

    def forward(
        self, series: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, None]:
        states, steps = self.encode(series, lengths)
        pooled = states.mean(dim=1) if steps is None else masked_mean(states, steps)
        return class_logits(self.head(pooled)), None


class LocalAttention(nn.Module):
    """Attention that has to look at the anomaly: gated attention pooling over local features.

    Attention-based multiple-instance pooling (Ilse et al. 2018): the series
    is a bag of overlapping windows, each step embedded from its window only
    (the front end, then a kernel-5 conv over its steps: about 100 points at
    the default stride 20). The context is the attention-weighted mean of
    these local embeddings, so the only way to see a flat segment is to put
    weight on the steps that contain it. In `bilstm_attention` every BiLSTM
    state has seen the whole series, so any step can carry the evidence and
    the weights need not point at it. Without the front end's conv
    (downsample = 1, short series) the kernel-5 conv maps the raw channels to
    conv_channels features itself.
    """

    def __init__(
        self, config: ModelParams, n_points: int, n_channels: int = 1, n_classes: int = 2
    ) -> None:
        super().__init__()
        self.front = FrontEnd(config, n_channels)
        channels, dim = config.conv_channels, 2 * config.hidden_size
        self.local = nn.Sequential(  # without the front end's conv, it maps the raw channels
            nn.Conv1d(self.front.features, channels, LOCAL_STEPS, padding=LOCAL_STEPS // 2),
            nn.ReLU(),
        )
        self.embed = nn.Sequential(nn.Linear(channels, dim), nn.ReLU())
        self.attention = GatedAttention(dim)
        self.head = output_layer(dim, config.dropout, n_classes)

    def forward(
        self, series: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        # the front end's features are 0.0 past the valid steps: the local conv's zero padding
        steps = self.local(self.front(series, lengths).transpose(1, 2))  # (batch, features, steps)
        embedded = self.embed(steps.transpose(1, 2))  # (batch, steps, 2 * hidden)
        mask = None
        if lengths is not None:
            steps = self.front.steps_of(lengths.to(embedded.device))
            mask = valid_mask(steps, embedded.shape[1])
        context, weights = self.attention(embedded, mask)  # (batch, 2 * hidden), (batch, steps)
        return class_logits(self.head(context)), weights


class LastState(nn.Module):
    """A unidirectional recurrent net (RNN or LSTM) classifying from its last (valid) state."""

    def __init__(
        self,
        config: ModelParams,
        n_points: int,
        n_channels: int = 1,
        n_classes: int = 2,
        *,
        cell: type[nn.RNNBase],
    ) -> None:
        super().__init__()
        self.front = FrontEnd(config, n_channels)
        self.recurrent = cell(self.front.features, config.hidden_size, batch_first=True)
        self.head = output_layer(config.hidden_size, config.dropout, n_classes)

    def forward(
        self, series: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, None]:
        features = self.front(series, lengths)
        if lengths is None:
            states, _ = self.recurrent(features)  # (batch, steps, hidden)
            return class_logits(self.head(states[:, -1])), None
        steps = self.front.steps_of(lengths).to(features.device)
        states = run_packed(self.recurrent, features, steps)  # (batch, steps, hidden)
        last = states[torch.arange(len(states), device=states.device), steps - 1]
        return class_logits(self.head(last)), None


class FeedForward(nn.Module):
    """The post's strawman: an MLP on the raw points, blind to where a pattern sits.

    Its first layer takes channels x n_points values, so every series must
    have `n_points` points; with lengths, the values past a series' length
    are 0.0 (after standardization over the valid points).
    """

    def __init__(
        self, config: ModelParams, n_points: int, n_channels: int = 1, n_classes: int = 2
    ) -> None:
        super().__init__()
        self.standardize = config.standardize
        width = 4 * config.hidden_size
        self.layers = nn.Sequential(
            nn.Linear(n_channels * n_points, width),
            nn.ReLU(),
            nn.Linear(width, width),
            nn.ReLU(),
        )
        self.head = output_layer(width, config.dropout, n_classes)

    def forward(
        self, series: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, None]:
        values = prepare_input(series, lengths, self.standardize)  # (batch, channels, points)
        return class_logits(self.head(self.layers(values.flatten(1)))), None


class ConvNet(nn.Module):
    """1D CNN: (conv, batch norm, ReLU, max pool) blocks, global max pool, dense head.

    With lengths, each block's conv input is 0.0 past the valid length at its
    resolution (length, then // 2 per pool, at least 1), the batch norm's
    training statistics cover the valid positions only (`MaskedBatchNorm1d`)
    and the global max pools over the valid positions only.
    """

    def __init__(
        self, config: ModelParams, n_points: int, n_channels: int = 1, n_classes: int = 2
    ) -> None:
        super().__init__()
        self.standardize = config.standardize
        channels = config.conv_channels
        blocks: list[nn.Module] = []
        for block in range(CNN_BLOCKS):
            blocks += [
                nn.Conv1d(
                    n_channels if block == 0 else channels, channels, CNN_KERNEL, padding="same"
                ),
                MaskedBatchNorm1d(channels),
                nn.ReLU(),
                nn.MaxPool1d(2),
            ]
        self.blocks = nn.Sequential(*blocks)
        self.head = output_layer(channels, config.dropout, n_classes)

    def forward(
        self, series: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, None]:
        features = prepare_input(series, lengths, self.standardize)  # (batch, channels, points)
        if lengths is None:
            features = self.blocks(features)  # (batch, channels, points / 8)
            return class_logits(self.head(features.amax(dim=2))), None
        valid = lengths.to(features.device)
        for block in range(CNN_BLOCKS):
            conv, norm, relu, pool = self.blocks[4 * block : 4 * block + 4]
            features = conv(zero_past(features, valid))
            features = pool(relu(norm(features, valid_mask(valid, features.shape[2]))))
            valid = (valid // 2).clamp(min=1)
        padded = ~_broadcast_mask(valid, features)  # (batch, 1, points / 8)
        return class_logits(self.head(features.masked_fill(padded, -math.inf).amax(dim=2))), None


class ResidualBlock(nn.Module):
    """ResNet's block for time series (Wang, Yan and Oates 2017): three convs and a shortcut.

    forward(features (batch, in, points), lengths (batch,) | None) -> (batch, out, points):
    conv k7 -> BN -> ReLU -> conv k5 -> BN -> ReLU -> conv k3 -> BN, plus the
    input through a 1x1 conv and BN (a BN alone when in = out), then ReLU.
    Every conv keeps the resolution ("same" padding). With lengths each conv's
    input is 0.0 past the valid length and the batch norms' training
    statistics cover the valid positions only (`MaskedBatchNorm1d`).
    """

    def __init__(self, channels_in: int, channels_out: int) -> None:
        super().__init__()
        sizes = [channels_in, *[channels_out] * len(RESNET_KERNELS)]
        self.convs = nn.ModuleList(
            nn.Conv1d(a, b, k, padding="same") for a, b, k in zip(sizes, sizes[1:], RESNET_KERNELS)
        )
        self.norms = nn.ModuleList(MaskedBatchNorm1d(channels_out) for _ in RESNET_KERNELS)
        same = channels_in == channels_out
        self.shortcut = nn.Identity() if same else nn.Conv1d(channels_in, channels_out, 1)
        self.shortcut_norm = MaskedBatchNorm1d(channels_out)

    def forward(self, features: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        mask = None if lengths is None else valid_mask(lengths, features.shape[2])
        hidden = features
        for index, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            hidden = norm(conv(_zero_past_or_not(hidden, lengths)), mask)
            if index < len(self.convs) - 1:
                hidden = torch.relu(hidden)
        shortcut = self.shortcut_norm(self.shortcut(features), mask)  # features are 0 past lengths
        return torch.relu(hidden + shortcut)


def _zero_past_or_not(features: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    return features if lengths is None else zero_past(features, lengths)


class ConvAttention(nn.Module):
    """A full-resolution ResNet whose global average pooling is attention pooling over time.

    The backbone is ResNet for time series (Wang, Yan and Oates 2017, "Time
    series classification from scratch with deep neural networks: a strong
    baseline"; the field's reference deep model in Ismail Fawaz et al. 2019
    and the bake-off redux, Middlehurst, Schafer and Bagnall 2024): three
    residual blocks of conv_channels, 2 x conv_channels and 2 x conv_channels
    filters (64, 128, 128 in the paper), kernels 7, 5, 3 (8, 5, 3 there), batch norm, no
    stride or pooling, so step t of its features is point t of the series.
    Where ResNet averages those features over time, this model gates the
    average with an attention score per time point (`GatedAveragePooling`:
    the gated attention of Ilse, Tomczak and Welling 2018, as MILLET's
    conjunctive pooling uses it over the same backbones: Early et al., ICLR
    2024, "Inherently interpretable time series classification via multiple
    instance learning"), then a linear head. Since the head is linear, its
    logits are the gate-weighted mean of what each point's features alone
    would score (MILLET's instance predictions, its bias aside). Its weights
    are the gates' shares: one number per time point, summing to 1.

    forward(series (batch, channels, points), lengths (batch,) | None) ->
    (logits, weights (batch, points)). The front end standardizes the series
    (model.standardize) and, only with model.downsample > 1, shortens it.
    """

    pooling: type[nn.Module] = GatedAveragePooling  # (states, mask) -> (context, coefficients)

    def __init__(
        self, config: ModelParams, n_points: int, n_channels: int = 1, n_classes: int = 2
    ) -> None:
        super().__init__()
        self.front = FrontEnd(config, n_channels)
        widths = [config.conv_channels * factor for factor in RESNET_WIDTHS]
        sizes = [self.front.features, *widths]
        self.blocks = nn.ModuleList(ResidualBlock(a, b) for a, b in zip(sizes, sizes[1:]))
        self.attention = self.pooling(widths[-1])
        self.head = output_layer(widths[-1], config.dropout, n_classes)

    def forward(
        self, series: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.front(series, lengths).transpose(1, 2)  # (batch, features, steps)
        steps = None if lengths is None else self.front.steps_of(lengths.to(features.device))
        for block in self.blocks:
            features = block(features, steps)  # (batch, width, steps)
        mask = None if steps is None else valid_mask(steps, features.shape[2])
        # context (batch, width), coefficients (batch, steps)
        context, coefficients = self.attention(features.transpose(1, 2), mask)
        weights = coefficients / coefficients.sum(dim=1, keepdim=True)  # shares of the gates
        return class_logits(self.head(context)), weights


def sinusoidal_positions(steps: int, dim: int) -> torch.Tensor:
    """The fixed positional encoding of "Attention is all you need": (steps, dim)."""
    position = torch.arange(steps, dtype=torch.float32)[:, None]
    rates = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(steps, dim)
    table[:, 0::2] = torch.sin(position * rates)
    table[:, 1::2] = torch.cos(position * rates[: dim // 2])
    return table


class Transformer(nn.Module):
    """Front end -> linear embedding + positions -> self-attention encoder -> mean pool -> head.

    Positions cover n_points // downsample steps, so a series may have up to
    `n_points` points. With lengths, padded steps are masked as keys
    (src_key_padding_mask) and left out of the mean.
    """

    def __init__(
        self, config: ModelParams, n_points: int, n_channels: int = 1, n_classes: int = 2
    ) -> None:
        super().__init__()
        self.front = FrontEnd(config, n_channels)
        dim = 2 * config.hidden_size
        self.embed = nn.Linear(self.front.features, dim)
        steps = n_points // config.downsample
        self.register_buffer("positions", sinusoidal_positions(steps, dim), persistent=False)
        layer = nn.TransformerEncoderLayer(
            dim, TRANSFORMER_HEADS, dim_feedforward=2 * dim, dropout=0.0, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, TRANSFORMER_LAYERS, enable_nested_tensor=False)
        self.head = output_layer(dim, config.dropout, n_classes)

    def forward(
        self, series: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, None]:
        features = self.front(series, lengths)  # (batch, steps, features)
        tokens = self.embed(features) + self.positions[: features.shape[1]]  # (batch, steps, dim)
        if lengths is None:
            return class_logits(self.head(self.encoder(tokens).mean(dim=1))), None
        steps = self.front.steps_of(lengths).to(tokens.device)
        padded = ~valid_mask(steps, tokens.shape[1])  # (batch, steps), True = ignore
        encoded = self.encoder(tokens, src_key_padding_mask=padded)
        return class_logits(self.head(masked_mean(encoded, steps))), None


def longest_flat_run(
    series: torch.Tensor, tolerance: float, lengths: torch.Tensor | None = None
) -> torch.Tensor:
    """Longest run of first differences within `tolerance` x the series' std: counts.

    `series` (batch, ..., points) -> (batch, ...) float, over the last axis
    (each channel on its own). The rule is scale-free, so the series are
    first brought to a peak below 1 (`scale_to_unit_peak`, exact), which
    keeps the std and the differences of large values from overflowing.
    With `lengths` (batch,), the std and the runs cover the valid points
    t < lengths[b] only (the difference of points t and t + 1 counts when
    t + 1 is valid); a series of one point has run 0.
    """
    if lengths is None:
        series = scale_to_unit_peak(series)  # (batch, ..., points)
        scale = series.std(dim=-1, keepdim=True) + STANDARDIZE_EPS  # (batch, ..., 1)
        flat = series.diff(dim=-1).abs() <= tolerance * scale  # (batch, ..., points - 1)
    else:
        series = scale_to_unit_peak(zero_past(series, lengths))
        scale = masked_std(series, lengths)[1] + STANDARDIZE_EPS
        valid = _broadcast_mask(lengths, series)[..., 1:]  # difference t valid if t + 1 is
        flat = (series.diff(dim=-1).abs() <= tolerance * scale) & valid
    steps = torch.arange(flat.shape[-1], device=series.device).expand_as(flat)
    # index of the last non-flat difference so far; the run length is the distance to it
    last_break = torch.where(flat, -1, steps).cummax(dim=-1).values  # (batch, ..., points - 1)
    return (steps - last_break).amax(dim=-1).float()  # (batch, ...)


class FixedFeatures(nn.Module):
    """A model whose features are fitted once on train, not by gradient; only the head learns.

    The training loop calls `fit_features` on the training series, computes
    `features` of train and val once, and fits `head` (a logistic regression
    on the standardized features) on them; `logits_of_features` gives the
    logits from features. Feature means and stds are buffers, so they are
    saved with the weights.
    """

    closed_form_head = False  # True: `fit_head(features, labels)` fits the head, no gradient

    def __init__(self, n_features: int, dropout: float, n_classes: int = 2) -> None:
        super().__init__()
        self.register_buffer("feature_mean", torch.zeros(n_features))
        self.register_buffer("feature_std", torch.ones(n_features))
        self.head = output_layer(n_features, dropout, n_classes)

    def fit_raw_features(self, series: np.ndarray, lengths: np.ndarray | None, seed: int) -> None:
        """Fit whatever the raw features need from the training series (n, channels, points)."""

    def raw_features(
        self, series: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        """(batch, channels, points), lengths (batch,) | None -> (batch, n_features), raw."""
        raise NotImplementedError

    def fit_features(self, series: np.ndarray, lengths: np.ndarray | None, seed: int) -> None:
        """Fit the features on the training series (n, channels, points) float32, lengths (n,).

        lengths None: every series has all its points valid. Then the feature
        means and stds over these series, for `features` to standardize with.
        """
        self.fit_raw_features(series, lengths, seed)
        batches = torch.from_numpy(series).split(1000)
        if lengths is None:
            length_batches: list[torch.Tensor | None] = [None] * len(batches)
        else:
            length_batches = list(torch.from_numpy(np.asarray(lengths, np.int64)).split(1000))
        raw = torch.cat([self.raw_features(b, n) for b, n in zip(batches, length_batches)])
        std = raw.std(dim=0)  # (n_features,); a feature constant on train is left unscaled
        self.feature_mean.copy_(raw.mean(dim=0))
        self.feature_std.copy_(torch.where(std > 0, std, torch.ones_like(std)))

    def features(self, series: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Standardized features (batch, n_features) of (batch, channels, points), lengths."""
        return (self.raw_features(series, lengths) - self.feature_mean) / self.feature_std

    def logits_of_features(self, features: torch.Tensor) -> torch.Tensor:
        """The head on `features` (batch, n_features): logits (batch,) or (batch, n_classes)."""
        return class_logits(self.head(features))

    def forward(
        self, series: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, None]:
        return self.logits_of_features(self.features(series, lengths)), None


class FlatRunRule(FixedFeatures):
    """The one-line baseline: logistic regression on the longest run of flat first differences.

    A frozen segment has exactly zero first differences, so without noise its
    longest flat run alone separates the classes; the slope and offset (the
    threshold) are fitted on train by the same loop as every other model.
    One feature per channel: its longest run within the valid points.
    """

    tolerance = 1e-6

    def __init__(
        self, config: ModelParams, n_points: int, n_channels: int = 1, n_classes: int = 2
    ) -> None:
        super().__init__(n_features=n_channels, dropout=0.0, n_classes=n_classes)

    def raw_features(
        self, series: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        return longest_flat_run(series, self.tolerance, lengths)  # (batch, channels)


MINIROCKET_ARRAYS = (  # what aeon's fitted MiniRocket keeps: its `parameters` tuple, in order
    "channels_per_combination",
    "channel_indices",
    "dilations",
    "features_per_dilation",
    "biases",
)


class MiniRocket(FixedFeatures):
    """aeon's MiniRocket transform, then ridge regression on its standardized features.

    MiniRocket convolves each series with 84 fixed kernels at several
    dilations and keeps, for each kernel, dilation and bias, the proportion of
    positive values. The biases are quantiles of convolution outputs of
    training series, fitted once; aeon (made for time series classification)
    does the transform, imported only when needed because numba compiles it
    on first use. It takes (batch, channels, points) as it is: aeon's
    multivariate transform combines channels itself. The fitted arrays are
    buffers, so the checkpoint stays tensors only (no pickle).

    Series of unequal length (lengths given): aeon's MiniRocket has no
    unequal-length capability, so it gets each series standardized over its
    valid points (when model.standardize) and then padded with zeros to the
    batch's `points`. Unlike the other models, its features then depend on
    the padding: a short series' proportions of positive values count the
    convolutions over its zero tail too. Values past the length never matter
    (they are replaced by zeros).

    The head is fitted in closed form, as MiniRocket's authors fit it
    (`fit_head`), not by gradient: the training loop sees `closed_form_head`.
    """

    closed_form_head = True

    def __init__(
        self, config: ModelParams, n_points: int, n_channels: int = 1, n_classes: int = 2
    ) -> None:
        n_features = config.n_kernels // MINIROCKET_MIN_KERNELS * MINIROCKET_MIN_KERNELS
        super().__init__(n_features, config.dropout, n_classes)
        self.n_kernels = config.n_kernels
        self.standardize = config.standardize
        for name in MINIROCKET_ARRAYS:  # shapes known after fitting; see _load_from_state_dict
            self.register_buffer(name, torch.empty(0))
        self._transform = None

    def _prepare(
        self, series: torch.Tensor | np.ndarray, lengths: torch.Tensor | np.ndarray | None
    ) -> np.ndarray:
        """aeon's input: (batch, channels, points) float32, 0.0 past lengths (batch,) if given."""
        lengths = None if lengths is None else torch.as_tensor(lengths)
        values = prepare_input(torch.as_tensor(series), lengths, self.standardize)
        return values.numpy().astype(np.float32)

    def fit_raw_features(self, series: np.ndarray, lengths: np.ndarray | None, seed: int) -> None:
        from aeon.transformations.collection.convolution_based import MiniRocket as Transform

        transform = Transform(self.n_kernels, n_jobs=torch.get_num_threads(), random_state=seed)
        transform.fit(self._prepare(series, lengths))
        for name, array in zip(MINIROCKET_ARRAYS, transform.parameters):
            setattr(self, name, torch.from_numpy(array.copy()))
        self._transform = transform

    def _fitted_transform(self) -> Any:  # aeon's MiniRocket; aeon is imported lazily
        """aeon's transform, rebuilt from the buffers after loading a checkpoint."""
        if self._transform is None:
            from aeon.transformations.collection.convolution_based import MiniRocket as Transform

            transform = Transform(self.n_kernels)
            transform.parameters = tuple(getattr(self, name).numpy() for name in MINIROCKET_ARRAYS)
            transform.n_kernels_ = self.n_kernels
            transform.is_fitted = True
            self._transform = transform
        self._transform._n_jobs = torch.get_num_threads()
        return self._transform

    def raw_features(
        self, series: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        """(batch, channels, points), lengths (batch,) | None -> (batch, n_features).

        Raises PipelineError before `fit_features` (or loading fitted buffers).
        """
        if self.biases.numel() == 0:
            raise PipelineError("minirocket has no fitted features; call fit_features first")
        features = self._fitted_transform()._transform(self._prepare(series, lengths))
        return torch.from_numpy(np.asarray(features, dtype=np.float32))  # (batch, n_features)

    def fit_head(self, features: torch.Tensor, labels: torch.Tensor) -> None:
        """Fit the head on standardized `features` (n, n_features) of labels (n,) in 0..K-1.

        Ridge regression on targets +1/-1 per class (one column for two
        classes), its penalty chosen among 10^-3 .. 10^3 (10 values) by
        leave-one-out error: scikit-learn's RidgeClassifierCV, the classifier
        of Dempster, Schmidt and Webb, "MiniRocket", KDD 2021, as aeon's
        MiniRocketClassifier fits it (after StandardScaler(with_mean=False);
        the paper's code used scikit-learn's since-removed normalize=True,
        which scales the features, and so the penalty grid, differently).
        Ridge's scores become the head's logits. Raises PipelineError when
        some class has no series in `labels`.
        """
        from sklearn.linear_model import RidgeClassifierCV

        linear = self.head[1]
        ridge = RidgeClassifierCV(alphas=np.logspace(-3, 3, 10))
        ridge.fit(features.double().numpy(), labels.numpy())
        wanted = np.arange(max(linear.out_features, 2))  # one output: two classes
        if not np.array_equal(ridge.classes_, wanted):
            raise PipelineError(
                f"minirocket's head saw classes {ridge.classes_.tolist()} in training; "
                f"allowed: series of every class {wanted.tolist()}"
            )
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(ridge.coef_).to(linear.weight.dtype))
            linear.bias.copy_(torch.from_numpy(ridge.intercept_).to(linear.bias.dtype))

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args, **kwargs) -> None:
        for name in MINIROCKET_ARRAYS:  # take the saved shapes, then load as usual
            if prefix + name in state_dict:
                setattr(self, name, torch.empty_like(state_dict[prefix + name]))
        self._transform = None
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


MODELS = {  # keys: params.MODEL_NAMES (a test checks)
    "mlp": FeedForward,
    "cnn": ConvNet,
    "rnn": partial(LastState, cell=nn.RNN),
    "lstm": partial(LastState, cell=nn.LSTM),
    "bilstm": BiLSTMMeanPool,
    "bilstm_attention": BiLSTMAttention,
    "local_attention": LocalAttention,
    "conv_attention": ConvAttention,
    "transformer": Transformer,
    "minirocket": MiniRocket,
    "flat_run_rule": FlatRunRule,
}


class Checkpoint(NamedTuple):
    model: nn.Module
    config: ModelParams
    n_points: int  # series length the model was trained on (the longest, for ragged data)
    n_channels: int  # channels per series
    classes: tuple[str, ...]  # class names; the model's n_classes = len(classes)


def build_model(
    config: ModelParams, n_points: int, n_channels: int = 1, n_classes: int = 2
) -> nn.Module:
    """A fresh model named by `config.name` for series (channels, points) of `n_classes` classes.

    Its logits are (batch,) for two classes (the logit of class 1), else
    (batch, n_classes). `config.downsample` must be an int (params'
    `resolve_config` turns "auto" into one). Raises ValueError for fewer than
    1 channel or 2 classes.
    """
    if n_channels < 1 or n_classes < 2:
        raise ValueError(
            f"a model needs >= 1 channel and >= 2 classes, not {n_channels}, {n_classes}"
        )
    return MODELS[config.name](config, n_points, n_channels, n_classes)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def attention_on_time_axis(weights: np.ndarray, n_points: int, downsample: int) -> np.ndarray:
    """Spread per-step weights (n, steps) over the original points (n, n_points).

    Step i of a stride-s front end summarizes points [i*s, (i+1)*s) (plus the
    local kernel's two-point margin), so each of them gets weight w_i / s and
    the result still sums to 1 per series; points past the last full window
    are never seen and get 0.
    """
    spread = np.repeat(weights, downsample, axis=1) / downsample  # (n, steps * s)
    padded = np.zeros((weights.shape[0], n_points), dtype=spread.dtype)
    padded[:, : spread.shape[1]] = spread
    return padded


def check_scores(logits: np.ndarray, series: np.ndarray, names: Sequence[str] | None) -> None:
    """Refuse a series whose logit is NaN or infinite, naming the first: PipelineError.

    `logits` (n,) or (n, n_classes) of `series` (n, channels, points);
    `names[k]` names series k in the message (a file and row, a split and
    id), default its 0-based index. A score that is not finite means the
    series' values overflowed the model's float32 arithmetic; only a model
    with standardize = false can do that (standardized models are
    scale-invariant), and its NaN must not become a probability, a label or
    a metric.
    """
    finite = np.isfinite(logits)
    rows = finite if finite.ndim == 1 else finite.all(axis=1)
    bad = np.flatnonzero(~rows)
    if bad.size == 0:
        return
    k = int(bad[0])
    value = logits[k] if logits.ndim == 1 else logits[k][~finite[k]][0]
    name = f"series {k} (0-based)" if names is None else names[k]
    peak = float(np.abs(series[k]).max())
    raise PipelineError(
        f"{name}: the model's score (logit) is {value}, not finite: its values (largest "
        f"|value| {peak:.3g}) overflow the model's arithmetic; allowed: series of smaller values, "
        "or a model trained with model.standardize = true (scale-invariant)"
    )


def check_lengths(lengths: np.ndarray, n_series: int, n_points: int) -> np.ndarray:
    """`lengths` as (n_series,) int64, each in [1, n_points]; ValueError otherwise."""
    lengths = np.asarray(lengths)
    if lengths.shape != (n_series,) or not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError(
            f"lengths must be ({n_series},) integers, not {lengths.shape} {lengths.dtype}"
        )
    if n_series and (lengths.min() < 1 or lengths.max() > n_points):
        raise ValueError(
            f"lengths must lie in [1, {n_points}], not [{lengths.min()}, {lengths.max()}]"
        )
    return lengths.astype(np.int64)


@torch.no_grad()
def predict(
    model: nn.Module,
    series: np.ndarray,
    lengths: np.ndarray | None = None,
    batch_size: int = 500,
    names: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Class probabilities and attention weights of `series` (n, channels, points) float32.

    lengths (n,) integers in [1, points], or None when every series has all
    its points valid (the model then runs its fixed-length code). Returns
    probabilities (n, n_classes) float32: for a binary model column 1 is
    sigmoid(logit), as before classes existed, and column 0 is 1 - column 1;
    otherwise the softmax of the logits. Weights (n, steps) float32, 0.0 past
    each series' valid steps, or None for a model without attention.
    Raises PipelineError for a series whose score is not finite
    (`check_scores`; `names` (n,) name the series in its message), and
    ValueError for series that are not (n, channels, points) or lengths out
    of range.
    """
    if series.ndim != 3:
        raise ValueError(f"series must be (n, channels, points), not of shape {series.shape}")
    batches = torch.from_numpy(series).split(batch_size)
    if lengths is None:
        length_batches: list[torch.Tensor | None] = [None] * len(batches)
    else:
        lengths = check_lengths(lengths, len(series), series.shape[2])
        length_batches = list(torch.from_numpy(lengths).split(batch_size))
    model.eval()
    logits, weights = [], []
    for batch, batch_lengths in zip(batches, length_batches):
        batch_logits, attention = model(batch, batch_lengths)
        logits.append(batch_logits)
        weights.append(attention)
    all_logits = torch.cat(logits)  # (n,) or (n, n_classes)
    check_scores(all_logits.numpy(), series, names)
    attention = None if weights[0] is None else torch.cat(weights).numpy()
    return probabilities_of(all_logits).numpy(), attention


def probabilities_of(logits: torch.Tensor) -> torch.Tensor:
    """Class probabilities (n, n_classes) of logits (n,) (binary) or (n, n_classes).

    Binary: column 1 is sigmoid(logit), column 0 is 1 - column 1; otherwise
    the softmax over classes.
    """
    if logits.dim() == 1:
        positive = torch.sigmoid(logits)
        return torch.stack([1 - positive, positive], dim=1)
    return torch.softmax(logits, dim=1)


def checked_probabilities(probabilities: np.ndarray) -> np.ndarray:
    """`probabilities` as an array (dtype kept); ValueError unless it is (n, K >= 2)."""
    probabilities = np.asarray(probabilities)
    if probabilities.ndim != 2 or probabilities.shape[1] < 2:
        raise ValueError(
            f"probabilities must be (n, K) with K >= 2 classes, got shape {probabilities.shape}"
        )
    return probabilities


def predicted_classes(probabilities: np.ndarray, threshold: float) -> np.ndarray:
    """Predicted class indices (n,) int64 from probabilities (n, K).

    K = 2: class 1 where its probability is >= `threshold` (compared in the
    probabilities' dtype, float32 from `models.predict`, as before); K > 2:
    the arg-max (`threshold` unused; the first class wins a tie). Raises
    ValueError when `probabilities` is not (n, K >= 2).
    """
    probabilities = checked_probabilities(probabilities)
    if probabilities.shape[1] == 2:
        return (probabilities[:, 1] >= threshold).astype(np.int64)
    return np.argmax(probabilities, axis=1).astype(np.int64)


def save_model(
    path: Path,
    model: nn.Module,
    config: ModelParams,
    n_points: int,
    n_channels: int,
    classes: Sequence[str],
) -> None:
    """Save weights plus what rebuilds the model: tensors and plain values only.

    Records the config, n_points, n_channels, the class names (a list of str)
    and the state dict; `load_model` reads them back.
    """
    checkpoint = {
        "config": config.model_dump(),
        "n_points": n_points,
        "n_channels": n_channels,
        "classes": [str(name) for name in classes],
        "state_dict": model.state_dict(),
    }
    with atomic_output(path) as tmp:
        torch.save(checkpoint, tmp)


CHECKPOINT_KEYS = ("config", "n_points", "n_channels", "classes", "state_dict")


def load_model(path: Path) -> Checkpoint:
    """Load a model saved by `save_model` without unpickling arbitrary objects.

    Raises PipelineError (one line) for a missing or damaged file, or one
    without n_channels and classes (written before they were recorded), and
    NumericsError when torch does not run the pinned CPU code paths
    (`attention_ts.core.numerics`).
    """
    numerics.check()
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(checkpoint, dict):
            raise TypeError(f"a {type(checkpoint).__name__}, not the mapping save_model writes")
        missing = [key for key in CHECKPOINT_KEYS if key not in checkpoint]
        if missing:
            raise KeyError(f"it records no {', '.join(missing)}: an older version's file")
        config = build(ModelParams, checkpoint["config"], "model")
        n_points, n_channels = int(checkpoint["n_points"]), int(checkpoint["n_channels"])
        classes = checkpoint["classes"]
        if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
            raise TypeError("its classes are not a list of names")
        model = build_model(config, n_points, n_channels, len(classes))
        model.load_state_dict(checkpoint["state_dict"])
    except FileNotFoundError:
        raise PipelineError(f"model file {path} not found; run `dvc repro train` first") from None
    except (
        ParamsError,
        KeyError,
        TypeError,
        ValueError,  # n_points that is not a number; < 1 channel or < 2 classes
        RuntimeError,
        EOFError,
        OSError,  # most truncated files: "[Errno 22] Invalid argument" from the zip reader
        pickle.UnpicklingError,
    ) as error:
        if isinstance(error, pickle.UnpicklingError):  # torch's text advises weights_only=False
            reason = "not a checkpoint of tensors and plain values"
        elif isinstance(error, KeyError) and error.args:
            reason = str(error.args[0])  # str(KeyError) would add quotes
        else:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise PipelineError(
            f"model file {path} is not a usable model ({reason}); "
            "allowed: a file written by the train stage of this version"
        ) from None
    model.eval()
    return Checkpoint(model, config, n_points, n_channels, tuple(classes))
