"""The classifier: BiLSTM + additive attention, with an optional strided Conv1d front end.

With `downsample = 1` and `standardize = false` this is exactly the original
model: BiLSTM(1 -> 32 per direction) -> additive attention (Linear 64->64,
tanh, Linear 64->1, softmax over time) -> context vector -> Linear -> logit.
With `downsample = s > 1` a small convolutional front end (a local kernel-5
conv, then a stride-s conv) shortens the 500-step recurrence s times, which is
what makes training take seconds instead of minutes.
"""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import numpy as np
import torch
from torch import nn

from attention_ts.io import atomic_output
from attention_ts.params import ModelParams, ParamsError, build
from attention_ts.stage import PipelineError

STANDARDIZE_EPS = 1e-6
LOCAL_KERNEL = 5  # first front-end conv: sees a point and its 2 neighbours on each side


class AdditiveAttention(nn.Module):
    """Bahdanau-style attention: score_t = w . tanh(W h_t), softmax over time."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.project = nn.Linear(dim, dim)
        self.score = nn.Linear(dim, 1)

    def forward(self, states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # states: (batch, steps, dim)
        scores = self.score(torch.tanh(self.project(states))).squeeze(-1)  # (batch, steps)
        weights = torch.softmax(scores, dim=1)  # (batch, steps), sums to 1 over steps
        context = torch.bmm(weights.unsqueeze(1), states).squeeze(1)  # (batch, dim)
        return context, weights


class BiLSTMAttention(nn.Module):
    """Series in, (logit, attention weights over steps) out."""

    def __init__(self, config: ModelParams) -> None:
        super().__init__()
        self.standardize = config.standardize
        self.downsample = config.downsample
        lstm_input = 1
        self.front: nn.Module | None = None
        if config.downsample > 1:
            channels, stride = config.conv_channels, config.downsample
            self.front = nn.Sequential(
                nn.Conv1d(1, channels, LOCAL_KERNEL, padding=LOCAL_KERNEL // 2),
                nn.ReLU(),
                nn.Conv1d(channels, channels, stride, stride=stride),
                nn.ReLU(),
            )
            lstm_input = config.conv_channels
        self.lstm = nn.LSTM(lstm_input, config.hidden_size, batch_first=True, bidirectional=True)
        self.attention = AdditiveAttention(2 * config.hidden_size)
        self.head = nn.Linear(2 * config.hidden_size, 1)

    def forward(self, series: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # series: (batch, points)
        if self.standardize:
            mean = series.mean(dim=1, keepdim=True)
            std = series.std(dim=1, keepdim=True)
            series = (series - mean) / (std + STANDARDIZE_EPS)
        features = series.unsqueeze(1)  # (batch, 1, points)
        if self.front is not None:
            features = self.front(features)  # (batch, channels, points // downsample)
        states, _ = self.lstm(features.transpose(1, 2))  # (batch, steps, 2 * hidden)
        context, weights = self.attention(states)  # (batch, 2 * hidden), (batch, steps)
        return self.head(context).squeeze(-1), weights  # (batch,), (batch, steps)


MODELS = {"bilstm_attention": BiLSTMAttention}  # keys: params.MODEL_NAMES (a test checks)


def build_model(config: ModelParams) -> nn.Module:
    return MODELS[config.name](config)


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


@torch.no_grad()
def predict(
    model: nn.Module, series: np.ndarray, batch_size: int = 500
) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities (n,) and attention weights (n, steps) for `series` (n, points)."""
    model.eval()
    probabilities, weights = [], []
    for batch in torch.from_numpy(series).split(batch_size):
        logits, attention = model(batch)
        probabilities.append(torch.sigmoid(logits))
        weights.append(attention)
    return torch.cat(probabilities).numpy(), torch.cat(weights).numpy()


def save_model(path: Path, model: nn.Module, config: ModelParams) -> None:
    """Save weights plus the config that rebuilds the model: tensors and plain values only."""
    checkpoint = {"config": dataclasses.asdict(config), "state_dict": model.state_dict()}
    with atomic_output(path) as tmp:
        torch.save(checkpoint, tmp)


def load_model(path: Path) -> tuple[nn.Module, ModelParams]:
    """Load a model saved by `save_model` without unpickling arbitrary objects."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        config = build(ModelParams, checkpoint["config"], "model")
        model = build_model(config)
        model.load_state_dict(checkpoint["state_dict"])
    except FileNotFoundError:
        raise PipelineError(f"model file {path} not found; run `dvc repro train` first") from None
    except (
        ParamsError,
        KeyError,
        TypeError,
        RuntimeError,
        EOFError,
        pickle.UnpicklingError,
    ) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise PipelineError(
            f"model file {path} is not a usable model ({reason}); "
            "allowed: a file written by the train stage of this version"
        ) from None
    model.eval()
    return model, config
