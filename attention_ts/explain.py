"""Where a trained model looks: its attention and its gradient saliency, scored against the segment.

Both kinds of weights come out on the original time axis, one row per
series summing to 1, so `localization` scores them the same way and against
the same chance level (uniform weights).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from attention_ts.data import NO_SEGMENT, Dataset
from attention_ts.localization import (
    localization_scores,
    relative_argmax,
    uniform_weights,
)
from attention_ts.models import Checkpoint, FixedFeatures, attention_on_time_axis, predict

BATCH_SIZE = 500


def gradient_saliency(model: nn.Module, series: np.ndarray) -> np.ndarray:
    """|d logit / d point| per series, scaled to sum 1: (n, points).

    The plainest saliency map: how much a small change of each point would
    move the model's logit. A series with zero gradient everywhere gets
    uniform weights.
    """
    model.eval()
    gradients = []
    for batch in torch.from_numpy(series).split(BATCH_SIZE):
        batch = batch.clone().requires_grad_(True)  # (batch, points)
        with torch.enable_grad():
            logits, _ = model(batch)  # (batch,)
            (gradient,) = torch.autograd.grad(logits.sum(), batch)  # each logit has its own series
        gradients.append(gradient.abs())
    magnitude = torch.cat(gradients).double().numpy()  # (n, points)
    total = magnitude.sum(axis=1, keepdims=True)
    return np.where(total > 0, magnitude / np.where(total > 0, total, 1.0), 1.0 / series.shape[1])


def point_weights(
    checkpoint: Checkpoint, series: np.ndarray, names: list[str] | None = None
) -> dict[str, np.ndarray]:
    """Each kind of per-point weights the model has, on the original time axis: (n, points).

    "attention" for models with attention; "saliency" for models trained
    end to end by gradient (the fixed-feature models are not differentiable
    in their input, so they get neither). A series whose score is not finite
    is a PipelineError naming it by `names` (n,) (models.check_scores), so
    no weights of it are scored.
    """
    model, config = checkpoint.model, checkpoint.config
    weights = {}
    attention = predict(model, series, names=names)[1]
    if attention is not None:
        weights["attention"] = attention_on_time_axis(
            attention, checkpoint.n_points, config.downsample
        )
    if not isinstance(model, FixedFeatures):
        weights["saliency"] = gradient_saliency(model, series)
    return weights


def localization_report(
    checkpoint: Checkpoint, test: Dataset, tolerance: int
) -> tuple[dict[str, dict], dict[str, np.ndarray]]:
    """Localization scores of each kind of weights and of uniform weights on `test`.

    Returns ({"uniform"|"attention"|"saliency": scores}, the weights of each
    kind of the model for every test series).
    """
    weights = point_weights(checkpoint, test.series, test.names("test"))
    located = _located(test)
    normal = test.table["label"] == 0
    starts, ends = test.table["segment_start"][located], test.table["segment_end"][located]
    report = {}
    for kind, kind_weights in {"uniform": uniform_weights(*test.series.shape), **weights}.items():
        report[kind] = localization_scores(
            kind_weights[located], starts, ends, kind_weights[normal], tolerance
        )
    return report, weights


def _located(test: Dataset) -> np.ndarray:
    """Which series are anomalous with a known segment (series, bool): all generated ones."""
    return (test.table["label"] == 1) & (test.table["segment_start"] != NO_SEGMENT)


def heatmap_rows(
    weights: dict[str, np.ndarray], test: Dataset, count: int
) -> dict[str, dict[str, np.ndarray]]:
    """For each kind of weights, what its heatmap and arg-max histogram draw.

    The first `count` anomalous test series sorted by segment start: their
    weights (rows, points) and segment starts and ends (rows,); and the
    arg-max position relative to the segment of every anomalous series.
    Series without a known segment (a user's own data) are left out.
    """
    anomalous = np.flatnonzero(_located(test))
    starts, ends = test.table["segment_start"], test.table["segment_end"]
    chosen = anomalous[:count]
    chosen = chosen[np.argsort(starts[chosen], kind="stable")]
    return {
        kind: {
            "weights": kind_weights[chosen],
            "starts": starts[chosen],
            "ends": ends[chosen],
            "relative_argmax": relative_argmax(
                kind_weights[anomalous], starts[anomalous], ends[anomalous]
            ),
        }
        for kind, kind_weights in weights.items()
    }
