"""The classifiers: BiLSTM + additive attention, and the models it is compared with.

Every model maps a batch of series (batch, points) to (logits (batch,),
weights), where weights are per-step attention (batch, steps) summing to 1,
or None for models without attention. All share the same training and
evaluation code.

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

import dataclasses
import math
import pickle
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from attention_ts import numerics
from attention_ts.io import atomic_output
from attention_ts.params import MINIROCKET_MIN_KERNELS, ModelParams, ParamsError, build
from attention_ts.stage import PipelineError

STANDARDIZE_EPS = 1e-6
SCALE_EXPONENTS = (-126, 127)  # k for which 2**k is a normal float32 (scale_to_unit_peak)
LOCAL_KERNEL = 5  # first front-end conv: sees a point and its 2 neighbours on each side
LOCAL_STEPS = 5  # local_attention: each step's embedding sees its own and 2 steps on each side
CNN_KERNEL = 7
CNN_BLOCKS = 3
TRANSFORMER_LAYERS = 2
TRANSFORMER_HEADS = 4


def output_layer(dim: int, dropout: float) -> nn.Module:
    """Dropout, then a linear map of `dim` features to one logit: (batch, dim) -> (batch, 1)."""
    return nn.Sequential(nn.Dropout(dropout), nn.Linear(dim, 1))


def scale_to_unit_peak(series: torch.Tensor) -> torch.Tensor:
    """Each series divided by the power of two 2**k that brings its largest |value| to [0.5, 1).

    (batch, points) -> (batch, points), same dtype. k is the binary exponent
    of the series' peak (torch.frexp: peak = m * 2**k, m in [0.5, 1)), so the
    division changes exponents only and is exact in binary floating point:
    a series scaled by any power of two gives bit for bit the same result,
    as long as no value is subnormal. What follows (sums, squares,
    differences) then works on values below 1 and cannot overflow. A series
    of zeros stays zeros (k = 0). k is kept within [-126, 127], where 2**k is
    a normal float32: the peak of a series beyond 2**127 (1.7e38) lands in
    [1, 2), that of a series of subnormal values (below 1.2e-38) under 0.5.
    """
    peak = series.abs().amax(dim=1, keepdim=True)  # (batch, 1)
    exponent = torch.frexp(peak).exponent.clamp(*SCALE_EXPONENTS)  # (batch, 1) int
    return series / torch.ldexp(torch.ones_like(peak), exponent)


def standardize(series: torch.Tensor) -> torch.Tensor:
    """Per-series zero mean, unit variance, at any scale: (batch, points) -> (batch, points).

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
    """
    series = scale_to_unit_peak(series)
    mean = series.mean(dim=1, keepdim=True)
    std = series.std(dim=1, keepdim=True)
    return (series - mean) / (std + STANDARDIZE_EPS)


class FrontEnd(nn.Module):
    """Optional standardization, then the optional strided conv: series -> feature sequence."""

    def __init__(self, config: ModelParams) -> None:
        super().__init__()
        self.standardize = config.standardize
        self.features = 1
        self.conv: nn.Module | None = None
        if config.downsample > 1:
            channels, stride = config.conv_channels, config.downsample
            self.conv = nn.Sequential(
                nn.Conv1d(1, channels, LOCAL_KERNEL, padding=LOCAL_KERNEL // 2),
                nn.ReLU(),
                nn.Conv1d(channels, channels, stride, stride=stride),
                nn.ReLU(),
            )
            self.features = channels

    def forward(self, series: torch.Tensor) -> torch.Tensor:
        # series: (batch, points)
        if self.standardize:
            series = standardize(series)
        features = series.unsqueeze(1)  # (batch, 1, points)
        if self.conv is not None:
            features = self.conv(features)  # (batch, channels, points // downsample)
        return features.transpose(1, 2)  # (batch, steps, features)


class AdditiveAttention(nn.Module):
    """Bahdanau-style attention: score_t = w . tanh(W h_t), softmax over time."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.project = nn.Linear(dim, dim)
        self.score = nn.Linear(dim, 1)

    def hidden(self, states: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.project(states))  # (batch, steps, dim)

    def forward(self, states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # states: (batch, steps, dim)
        scores = self.score(self.hidden(states)).squeeze(-1)  # (batch, steps)
        weights = torch.softmax(scores, dim=1)  # (batch, steps), sums to 1 over steps
        context = torch.bmm(weights.unsqueeze(1), states).squeeze(1)  # (batch, dim)
        return context, weights


class GatedAttention(AdditiveAttention):
    """Gated attention (Ilse et al. 2018): score_t = w . (tanh(V h_t) * sigmoid(U h_t))."""

    def __init__(self, dim: int) -> None:
        super().__init__(dim)
        self.gate = nn.Linear(dim, dim)

    def hidden(self, states: torch.Tensor) -> torch.Tensor:
        return super().hidden(states) * torch.sigmoid(self.gate(states))  # (batch, steps, dim)


class BiLSTMEncoder(nn.Module):
    """Front end -> BiLSTM; the two BiLSTM models below differ only in how they pool over time."""

    def __init__(self, config: ModelParams) -> None:
        super().__init__()
        self.front = FrontEnd(config)
        hidden = config.hidden_size
        self.lstm = nn.LSTM(self.front.features, hidden, batch_first=True, bidirectional=True)

    def encode(self, series: torch.Tensor) -> torch.Tensor:
        return self.lstm(self.front(series))[0]  # (batch, steps, 2 * hidden)


class BiLSTMAttention(BiLSTMEncoder):
    """The default: front end -> BiLSTM -> additive attention -> linear head."""

    def __init__(self, config: ModelParams, n_points: int) -> None:
        super().__init__(config)
        self.attention = AdditiveAttention(2 * config.hidden_size)
        self.head = output_layer(2 * config.hidden_size, config.dropout)

    def forward(self, series: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        context, weights = self.attention(self.encode(series))  # (batch, 2h), (batch, steps)
        return self.head(context).squeeze(-1), weights  # (batch,), (batch, steps)


class BiLSTMMeanPool(BiLSTMEncoder):
    """The ablation: the same BiLSTM, averaged over time instead of attended."""

    def __init__(self, config: ModelParams, n_points: int) -> None:
        super().__init__(config)
        self.head = output_layer(2 * config.hidden_size, config.dropout)

    def forward(self, series: torch.Tensor) -> tuple[torch.Tensor, None]:
        return self.head(self.encode(series).mean(dim=1)).squeeze(-1), None


class LocalAttention(nn.Module):
    """Attention that has to look at the anomaly: gated attention pooling over local features.

    Attention-based multiple-instance pooling (Ilse et al. 2018): the series
    is a bag of overlapping windows, each step embedded from its window only
    (the front end, then a kernel-5 conv over its steps: about 100 points at
    the default stride 20). The context is the attention-weighted mean of
    these local embeddings, so the only way to see a flat segment is to put
    weight on the steps that contain it. In `bilstm_attention` every BiLSTM
    state has seen the whole series, so any step can carry the evidence and
    the weights need not point at it.
    """

    def __init__(self, config: ModelParams, n_points: int) -> None:
        super().__init__()
        self.front = FrontEnd(config)
        channels, dim = self.front.features, 2 * config.hidden_size
        self.local = nn.Sequential(
            nn.Conv1d(channels, channels, LOCAL_STEPS, padding=LOCAL_STEPS // 2), nn.ReLU()
        )
        self.embed = nn.Sequential(nn.Linear(channels, dim), nn.ReLU())
        self.attention = GatedAttention(dim)
        self.head = output_layer(dim, config.dropout)

    def forward(self, series: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        steps = self.local(self.front(series).transpose(1, 2))  # (batch, features, steps)
        embedded = self.embed(steps.transpose(1, 2))  # (batch, steps, 2 * hidden)
        context, weights = self.attention(embedded)  # (batch, 2 * hidden), (batch, steps)
        return self.head(context).squeeze(-1), weights


class LastState(nn.Module):
    """A unidirectional recurrent net (RNN or LSTM) classifying from its last hidden state."""

    def __init__(self, config: ModelParams, n_points: int, cell: type[nn.RNNBase]) -> None:
        super().__init__()
        self.front = FrontEnd(config)
        self.recurrent = cell(self.front.features, config.hidden_size, batch_first=True)
        self.head = output_layer(config.hidden_size, config.dropout)

    def forward(self, series: torch.Tensor) -> tuple[torch.Tensor, None]:
        states, _ = self.recurrent(self.front(series))  # (batch, steps, hidden)
        return self.head(states[:, -1]).squeeze(-1), None


class FeedForward(nn.Module):
    """The post's strawman: an MLP on the raw points, blind to where a pattern sits."""

    def __init__(self, config: ModelParams, n_points: int) -> None:
        super().__init__()
        self.standardize = config.standardize
        width = 4 * config.hidden_size
        self.layers = nn.Sequential(
            nn.Linear(n_points, width),
            nn.ReLU(),
            nn.Linear(width, width),
            nn.ReLU(),
        )
        self.head = output_layer(width, config.dropout)

    def forward(self, series: torch.Tensor) -> tuple[torch.Tensor, None]:
        series = standardize(series) if self.standardize else series  # (batch, points)
        return self.head(self.layers(series)).squeeze(-1), None


class ConvNet(nn.Module):
    """1D CNN: (conv, batch norm, ReLU, max pool) blocks, global max pool, dense head."""

    def __init__(self, config: ModelParams, n_points: int) -> None:
        super().__init__()
        self.standardize = config.standardize
        channels = config.conv_channels
        blocks: list[nn.Module] = []
        for block in range(CNN_BLOCKS):
            blocks += [
                nn.Conv1d(1 if block == 0 else channels, channels, CNN_KERNEL, padding="same"),
                nn.BatchNorm1d(channels),
                nn.ReLU(),
                nn.MaxPool1d(2),
            ]
        self.blocks = nn.Sequential(*blocks)
        self.head = output_layer(channels, config.dropout)

    def forward(self, series: torch.Tensor) -> tuple[torch.Tensor, None]:
        series = standardize(series) if self.standardize else series  # (batch, points)
        features = self.blocks(series.unsqueeze(1))  # (batch, channels, points / 8)
        return self.head(features.amax(dim=2)).squeeze(-1), None


def sinusoidal_positions(steps: int, dim: int) -> torch.Tensor:
    """The fixed positional encoding of "Attention is all you need": (steps, dim)."""
    position = torch.arange(steps, dtype=torch.float32)[:, None]
    rates = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(steps, dim)
    table[:, 0::2] = torch.sin(position * rates)
    table[:, 1::2] = torch.cos(position * rates[: dim // 2])
    return table


class Transformer(nn.Module):
    """Front end -> linear embedding + positions -> self-attention encoder -> mean pool -> head."""

    def __init__(self, config: ModelParams, n_points: int) -> None:
        super().__init__()
        self.front = FrontEnd(config)
        dim = 2 * config.hidden_size
        self.embed = nn.Linear(self.front.features, dim)
        steps = n_points // config.downsample
        self.register_buffer("positions", sinusoidal_positions(steps, dim), persistent=False)
        layer = nn.TransformerEncoderLayer(
            dim, TRANSFORMER_HEADS, dim_feedforward=2 * dim, dropout=0.0, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, TRANSFORMER_LAYERS, enable_nested_tensor=False)
        self.head = output_layer(dim, config.dropout)

    def forward(self, series: torch.Tensor) -> tuple[torch.Tensor, None]:
        tokens = self.embed(self.front(series)) + self.positions  # (batch, steps, dim)
        return self.head(self.encoder(tokens).mean(dim=1)).squeeze(-1), None


def longest_flat_run(series: torch.Tensor, tolerance: float) -> torch.Tensor:
    """Longest run of first differences within `tolerance` x the series' std: (batch,) counts.

    The rule is scale-free, so the series are first brought to a peak below 1
    (`scale_to_unit_peak`, exact), which keeps the std and the differences of
    large values from overflowing.
    """
    series = scale_to_unit_peak(series)  # (batch, points)
    scale = series.std(dim=1, keepdim=True) + STANDARDIZE_EPS  # (batch, 1)
    flat = series.diff(dim=1).abs() <= tolerance * scale  # (batch, points - 1)
    steps = torch.arange(flat.shape[1], device=series.device).expand_as(flat)
    # index of the last non-flat difference so far; the run length is the distance to it
    last_break = torch.where(flat, -1, steps).cummax(dim=1).values  # (batch, points - 1)
    return (steps - last_break).amax(dim=1).float()  # (batch,)


class FixedFeatures(nn.Module):
    """A model whose features are fitted once on train, not by gradient; only the head learns.

    The training loop calls `fit_features` on the training series, computes
    `features` of train and val once, and fits `head` (a logistic regression
    on the standardized features) on them. Feature means and stds are buffers,
    so they are saved with the weights.
    """

    def __init__(self, n_features: int, dropout: float) -> None:
        super().__init__()
        self.register_buffer("feature_mean", torch.zeros(n_features))
        self.register_buffer("feature_std", torch.ones(n_features))
        self.head = output_layer(n_features, dropout)

    def fit_raw_features(self, series: np.ndarray, seed: int) -> None:
        """Fit whatever the raw features need from the training series (n, points)."""

    def raw_features(self, series: torch.Tensor) -> torch.Tensor:
        """(batch, points) -> (batch, n_features), before standardization."""
        raise NotImplementedError

    def fit_features(self, series: np.ndarray, seed: int) -> None:
        self.fit_raw_features(series, seed)
        raw = torch.cat([self.raw_features(b) for b in torch.from_numpy(series).split(1000)])
        std = raw.std(dim=0)  # (n_features,); a feature constant on train is left unscaled
        self.feature_mean.copy_(raw.mean(dim=0))
        self.feature_std.copy_(torch.where(std > 0, std, torch.ones_like(std)))

    def features(self, series: torch.Tensor) -> torch.Tensor:
        return (self.raw_features(series) - self.feature_mean) / self.feature_std

    def forward(self, series: torch.Tensor) -> tuple[torch.Tensor, None]:
        return self.head(self.features(series)).squeeze(-1), None  # (batch,)


class FlatRunRule(FixedFeatures):
    """The one-line baseline: logistic regression on the longest run of flat first differences.

    A frozen segment has exactly zero first differences, so without noise its
    longest flat run alone separates the classes; the slope and offset (the
    threshold) are fitted on train by the same loop as every other model.
    """

    tolerance = 1e-6

    def __init__(self, config: ModelParams, n_points: int) -> None:
        super().__init__(n_features=1, dropout=0.0)

    def raw_features(self, series: torch.Tensor) -> torch.Tensor:
        return longest_flat_run(series, self.tolerance)[:, None]  # (batch, 1)


MINIROCKET_ARRAYS = (  # what aeon's fitted MiniRocket keeps: its `parameters` tuple, in order
    "channels_per_combination",
    "channel_indices",
    "dilations",
    "features_per_dilation",
    "biases",
)


class MiniRocket(FixedFeatures):
    """aeon's MiniRocket transform, then logistic regression on its standardized features.

    MiniRocket convolves each series with 84 fixed kernels at several
    dilations and keeps, for each kernel, dilation and bias, the proportion of
    positive values. The biases are quantiles of convolution outputs of
    training series, fitted once; aeon (made for time series classification)
    does the transform, imported only when needed because numba compiles it
    on first use. The fitted arrays are buffers, so the checkpoint stays
    tensors only (no pickle).
    """

    def __init__(self, config: ModelParams, n_points: int) -> None:
        n_features = config.n_kernels // MINIROCKET_MIN_KERNELS * MINIROCKET_MIN_KERNELS
        super().__init__(n_features, config.dropout)
        self.n_kernels = config.n_kernels
        self.standardize = config.standardize
        for name in MINIROCKET_ARRAYS:  # shapes known after fitting; see _load_from_state_dict
            self.register_buffer(name, torch.empty(0))
        self._transform = None

    def _prepare(self, series: torch.Tensor | np.ndarray) -> np.ndarray:
        series = torch.as_tensor(series)
        series = standardize(series) if self.standardize else series
        return series.numpy().astype(np.float32)[:, None, :]  # (batch, 1 channel, points)

    def fit_raw_features(self, series: np.ndarray, seed: int) -> None:
        from aeon.transformations.collection.convolution_based import MiniRocket as Transform

        transform = Transform(self.n_kernels, n_jobs=torch.get_num_threads(), random_state=seed)
        transform.fit(self._prepare(series))
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

    def raw_features(self, series: torch.Tensor) -> torch.Tensor:
        if self.biases.numel() == 0:
            raise PipelineError("minirocket has no fitted features; call fit_features first")
        features = self._fitted_transform()._transform(self._prepare(series))
        return torch.from_numpy(np.asarray(features, dtype=np.float32))  # (batch, n_features)

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
    "transformer": Transformer,
    "minirocket": MiniRocket,
    "flat_run_rule": FlatRunRule,
}


ATTENTION_MODELS = ("bilstm_attention", "local_attention")  # those whose weights are not None


class Checkpoint(NamedTuple):
    model: nn.Module
    config: ModelParams
    n_points: int  # series length the model was trained on


def build_model(config: ModelParams, n_points: int) -> nn.Module:
    """A fresh model named by `config.name` for series of `n_points` points."""
    return MODELS[config.name](config, n_points)


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

    `logits` (n,) of `series` (n, points); `names[k]` names series k in the
    message (a file and row, a split and id), default its 0-based index. A
    score that is not finite means the series' values overflowed the model's
    float32 arithmetic; only a model with standardize = false can do that
    (standardized models are scale-invariant), and its NaN must not become a
    probability, a label or a metric.
    """
    bad = np.flatnonzero(~np.isfinite(logits))
    if bad.size == 0:
        return
    k = int(bad[0])
    name = f"series {k} (0-based)" if names is None else names[k]
    peak = float(np.abs(series[k]).max())
    raise PipelineError(
        f"{name}: the model's score (logit) is {logits[k]}, not finite: its values (largest "
        f"|value| {peak:.3g}) overflow the model's arithmetic; allowed: series of smaller values, "
        "or a model trained with model.standardize = true (scale-invariant)"
    )


@torch.no_grad()
def predict(
    model: nn.Module,
    series: np.ndarray,
    batch_size: int = 500,
    names: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Probabilities (n,) and attention weights (n, steps), or None, for `series` (n, points).

    Raises PipelineError for a series whose score is not finite (`check_scores`;
    `names` (n,) name the series in its message).
    """
    model.eval()
    logits, weights = [], []
    for batch in torch.from_numpy(series).split(batch_size):
        batch_logits, attention = model(batch)
        logits.append(batch_logits)
        weights.append(attention)
    all_logits = torch.cat(logits)  # (n,)
    check_scores(all_logits.numpy(), series, names)
    attention = None if weights[0] is None else torch.cat(weights).numpy()
    return torch.sigmoid(all_logits).numpy(), attention


def save_model(path: Path, model: nn.Module, config: ModelParams, n_points: int) -> None:
    """Save weights plus what rebuilds the model: tensors and plain values only."""
    checkpoint = {
        "config": dataclasses.asdict(config),
        "n_points": n_points,
        "state_dict": model.state_dict(),
    }
    with atomic_output(path) as tmp:
        torch.save(checkpoint, tmp)


def load_model(path: Path) -> Checkpoint:
    """Load a model saved by `save_model` without unpickling arbitrary objects.

    Raises PipelineError for a missing or damaged file, and NumericsError when
    torch does not run the pinned CPU code paths (`attention_ts.numerics`).
    """
    numerics.check()
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(checkpoint, dict):
            raise TypeError(f"a {type(checkpoint).__name__}, not the mapping save_model writes")
        config = build(ModelParams, checkpoint["config"], "model")
        n_points = int(checkpoint["n_points"])
        model = build_model(config, n_points)
        model.load_state_dict(checkpoint["state_dict"])
    except FileNotFoundError:
        raise PipelineError(f"model file {path} not found; run `dvc repro train` first") from None
    except (
        ParamsError,
        KeyError,
        TypeError,
        ValueError,  # n_points that is not a number
        RuntimeError,
        EOFError,
        OSError,  # most truncated files: "[Errno 22] Invalid argument" from the zip reader
        pickle.UnpicklingError,
    ) as error:
        if isinstance(error, pickle.UnpicklingError):  # torch's text advises weights_only=False
            reason = "not a checkpoint of tensors and plain values"
        else:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise PipelineError(
            f"model file {path} is not a usable model ({reason}); "
            "allowed: a file written by the train stage of this version"
        ) from None
    model.eval()
    return Checkpoint(model, config, n_points)
