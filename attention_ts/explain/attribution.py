"""Integrated Gradients and occlusion through captum, and every explanation method by name.

captum (https://captum.ai, PyTorch's interpretability library) computes the
attributions; this module only says what they attribute and puts them on
the same footing as the attention and the gradient saliency of
`explain.py`: per-point weights on the original time axis, (n, points),
non-negative, each row summing to 1 over the series' valid points and
exactly 0 past them (`explain.point_shares` of the absolute attribution
summed over channels).

What is attributed is the score of the class the model predicts (the
arg-max of its logits; for a two-class model the logit of class 1, negated
when it predicts class 0), for every method alike. Both methods need a
reference series for "no information"; it is the one the deletion curves of
`faithfulness.py` end at: each channel held at the series' mean
(`removal_baseline`).

Note for models that standardize each series (model.standardize = true):
every series on the straight path from the mean to the series is the series
itself scaled and shifted, so it looks the same to such a model; Integrated
Gradients then reduces to about gradient x (input - mean), up to one factor
per series.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from attention_ts.config.params import EXPLANATION_METHODS
from attention_ts.explain.localization import full_lengths, on_valid_points, valid_points
from attention_ts.explain.maps import BATCH_SIZE, gradient_saliency, point_shares
from attention_ts.models.classifiers import (
    Checkpoint,
    FixedFeatures,
    attention_on_time_axis,
    predict,
)


def removal_baseline(series: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
    """Each series with every valid point at its channel's mean: (n, channels, points) float32.

    The series a model sees when all its points are removed (the end of a
    deletion curve, the start of an insertion curve, the reference of
    Integrated Gradients and occlusion). Padding (past `lengths` (n,)) stays 0.
    """
    n, _, n_points = series.shape
    valid = valid_points(full_lengths(lengths, n, n_points), n_points)
    counts = valid.sum(axis=1)[:, None]  # (n, 1)
    means = np.where(valid[:, None, :], series, 0.0).sum(axis=2, dtype=np.float64) / counts
    return np.where(valid[:, None, :], means[:, :, None], 0.0).astype(np.float32)


def _class_scores(model: nn.Module) -> Callable[..., torch.Tensor]:
    """forward(series, lengths) -> (batch, classes) scores; binary: the columns (-logit, logit)."""

    def forward(series: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        logits, _ = model(series, lengths)
        return torch.stack([-logits, logits], dim=1) if logits.ndim == 1 else logits

    return forward


def _captum(
    model: nn.Module,
    series: np.ndarray,
    lengths: np.ndarray | None,
    attribute: Callable[..., torch.Tensor],
) -> np.ndarray:
    """`attribute(forward, batch, baseline, target, lengths)` by batches: (n, points) shares."""
    model.eval()
    forward = _class_scores(model)
    baseline = torch.from_numpy(removal_baseline(series, lengths))
    tensor = torch.from_numpy(series)
    valid = None if lengths is None else torch.from_numpy(np.asarray(lengths, dtype=np.int64))
    magnitudes = []
    for start in range(0, len(series), BATCH_SIZE):
        part = slice(start, start + BATCH_SIZE)
        batch, batch_lengths = tensor[part], None if valid is None else valid[part]
        with torch.no_grad():
            target = forward(batch, batch_lengths).argmax(dim=1)  # (b,) the predicted class
        attributions = attribute(forward, batch, baseline[part], target, batch_lengths)
        magnitudes.append(attributions.detach().abs().sum(dim=1))  # (b, points)
    return point_shares(torch.cat(magnitudes).double().numpy(), lengths)


def integrated_gradients(
    model: nn.Module, series: np.ndarray, lengths: np.ndarray | None = None, n_steps: int = 32
) -> np.ndarray:
    """|Integrated Gradients| of the predicted class's score, summed over channels: (n, points).

    Sundararajan, Taly and Yan 2017, "Axiomatic attribution for deep
    networks", by captum's `IntegratedGradients` with `n_steps` points on
    the path from `removal_baseline` (Gauss-Legendre rule, captum's
    default). `series` (n, channels, points) float32, `lengths` (n,) or
    None. Rows scaled to sum 1 (`explain.point_shares`). Raises what the
    model raises for inputs of the wrong shape.
    """
    from captum.attr import IntegratedGradients  # captum is imported only where it is used

    def attribute(forward, batch, baseline, target, batch_lengths):
        return IntegratedGradients(forward).attribute(
            batch,
            baselines=baseline,
            target=target,
            additional_forward_args=(batch_lengths,),
            n_steps=n_steps,
            internal_batch_size=BATCH_SIZE,
        )

    return _captum(model, series, lengths, attribute)


def occlusion(
    model: nn.Module, series: np.ndarray, lengths: np.ndarray | None = None, window: int = 10
) -> np.ndarray:
    """|Occlusion| of the predicted class's score, summed over channels: (n, points).

    Zeiler and Fergus 2014, "Visualizing and understanding convolutional
    networks", by captum's `Occlusion`: `window` consecutive points of every
    channel at a time (stride `window`, so each point is hidden once) are set
    to `removal_baseline`; a point's attribution is the change of the score.
    Needs only forward passes, so it also explains the fixed-feature models
    (MiniRocket). `window` is clipped to the number of points. Rows scaled to
    sum 1 (`explain.point_shares`).
    """
    from captum.attr import Occlusion

    channels, n_points = series.shape[1], series.shape[2]
    shape = (channels, min(window, n_points))

    def attribute(forward, batch, baseline, target, batch_lengths):
        with torch.no_grad():
            return Occlusion(forward).attribute(
                batch,
                sliding_window_shapes=shape,
                strides=shape,
                baselines=baseline,
                target=target,
                additional_forward_args=(batch_lengths,),
            )

    return _captum(model, series, lengths, attribute)


def explanations(
    checkpoint: Checkpoint,
    series: np.ndarray,
    lengths: np.ndarray | None = None,
    methods: Sequence[str] = EXPLANATION_METHODS,
    ig_steps: int = 32,
    occlusion_window: int = 10,
) -> dict[str, np.ndarray]:
    """Per-point weights (n, points) of each of `methods` that the model has, by method name.

    "attention" only for attention models (mapped to the time axis by
    `models.attention_on_time_axis`); "saliency" (`explain.gradient_saliency`)
    and "integrated_gradients" only for models trained by gradient, not the
    fixed-feature ones; "occlusion" for every model. Methods a model lacks
    are left out of the result. Raises ValueError for a name not in EXPLANATION_METHODS.
    """
    unknown = [name for name in methods if name not in EXPLANATION_METHODS]
    if unknown:
        raise ValueError(
            f"unknown explanation method {unknown[0]!r}; allowed: {EXPLANATION_METHODS}"
        )
    model, config = checkpoint.model, checkpoint.config
    differentiable = not isinstance(model, FixedFeatures)
    weights = {}
    if "attention" in methods:
        attention = predict(model, series, lengths)[1]
        if attention is not None:
            on_axis = attention_on_time_axis(attention, checkpoint.n_points, config.downsample)
            weights["attention"] = on_valid_points(on_axis.astype(np.float64), lengths)
    if "saliency" in methods and differentiable:
        weights["saliency"] = gradient_saliency(model, series, lengths)
    if "integrated_gradients" in methods and differentiable:
        weights["integrated_gradients"] = integrated_gradients(model, series, lengths, ig_steps)
    if "occlusion" in methods:
        weights["occlusion"] = occlusion(model, series, lengths, occlusion_window)
    return weights
