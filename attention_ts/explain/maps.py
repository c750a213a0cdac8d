"""Where a trained model looks: its attention and its gradient saliency, scored against the segment.

Both kinds of weights come out on the original time axis, one row per
series summing to 1, so `localization` scores them the same way and against
the same chance level (uniform weights).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from attention_ts.data.dataset import NO_SEGMENT, Dataset
from attention_ts.explain.localization import (
    localization_scores,
    on_valid_points,
    relative_argmax,
    uniform_weights,
    unlocated_scores,
    valid_points,
)
from attention_ts.explain.plotting import SeriesView
from attention_ts.models.classifiers import (
    Checkpoint,
    FixedFeatures,
    attention_on_time_axis,
    predict,
    predicted_classes,
)

BATCH_SIZE = 500


def gradient_saliency(
    model: nn.Module, series: np.ndarray, lengths: np.ndarray | None = None
) -> np.ndarray:
    """|d logit / d point| per series, summed over channels, scaled to sum 1: (n, points).

    The plainest saliency map: how much a small change of each point would
    move the model's logit: the one logit of a two-class model, the
    predicted class's logit of a model of more classes. `series` is
    (n, channels, points); with `lengths` (n,) each series' saliency is
    exactly 0 past its length and sums to 1 over its valid points. A series
    with zero gradient everywhere gets uniform weights (over its valid points).
    """
    model.eval()
    tensor = torch.from_numpy(series)
    valid = None if lengths is None else torch.from_numpy(np.asarray(lengths, dtype=np.int64))
    gradients = []
    for start in range(0, len(series), BATCH_SIZE):
        batch = tensor[start : start + BATCH_SIZE].clone().requires_grad_(True)  # (b, c, points)
        batch_lengths = None if valid is None else valid[start : start + BATCH_SIZE]
        with torch.enable_grad():
            logits, _ = model(batch, batch_lengths)  # (b,) or (b, classes)
            if logits.ndim == 2:  # the predicted class's logit
                logits = logits.gather(1, logits.argmax(dim=1, keepdim=True))
            (gradient,) = torch.autograd.grad(logits.sum(), batch)  # each logit has its own series
        gradients.append(gradient.abs().sum(dim=1))  # (b, points)
    return point_shares(torch.cat(gradients).double().numpy(), lengths)


def point_shares(magnitude: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
    """Non-negative per-point magnitudes (n, points) scaled to sum 1 per series: float64.

    With `lengths` (n,) each row is exactly 0 past its length and sums to 1
    over its valid points; a row with no magnitude anywhere gets uniform
    weights (over its valid points).
    """
    magnitude = np.asarray(magnitude, dtype=np.float64)
    n_points = magnitude.shape[1]
    if lengths is None:
        uniform = 1.0 / n_points
    else:
        mask = valid_points(lengths, n_points)
        magnitude = np.where(mask, magnitude, 0.0)
        uniform = mask / np.asarray(lengths)[:, None]
    total = magnitude.sum(axis=1, keepdims=True)
    return np.where(total > 0, magnitude / np.where(total > 0, total, 1.0), uniform)


def point_weights(
    checkpoint: Checkpoint,
    series: np.ndarray,
    lengths: np.ndarray | None = None,
    names: list[str] | None = None,
) -> dict[str, np.ndarray]:
    """Each kind of per-point weights the model has, on the original time axis: (n, points).

    "attention" for models with attention; "saliency" for models trained
    end to end by gradient (the fixed-feature models are not differentiable
    in their input, so they get neither). `series` is (n, channels, points);
    `lengths` (n,) the valid points of each (None: all), past which every
    kind of weights is exactly 0. A series whose score is not finite is a
    PipelineError naming it by `names` (n,) (models.check_scores), so no
    weights of it are scored.
    """
    model, config = checkpoint.model, checkpoint.config
    weights = {}
    attention = predict(model, series, lengths, names=names)[1]
    if attention is not None:
        on_axis = attention_on_time_axis(attention, checkpoint.n_points, config.downsample)
        weights["attention"] = on_valid_points(on_axis, lengths)
    if not isinstance(model, FixedFeatures):
        weights["saliency"] = gradient_saliency(model, series, lengths)
    return weights


def localization_report(
    checkpoint: Checkpoint, test: Dataset, tolerance: int
) -> tuple[dict[str, dict], dict[str, np.ndarray]]:
    """Localization scores of each kind of weights and of uniform weights on `test`.

    Returns ({"uniform"|"attention"|"saliency": scores}, the weights of each
    kind of the model for every test series). Series with a known segment
    (the synthetic anomalous ones) are scored against it
    (`localization.localization_scores`); when no test series has one (a
    user's own data) each kind gets `localization.unlocated_scores` instead:
    {"located_series": 0, "n_series", "entropy"} over every test series.
    """
    lengths = test.model_lengths()
    weights = point_weights(checkpoint, test.series, lengths, test.names("test"))
    n_series, _, n_points = test.series.shape
    if lengths is None:
        uniform = uniform_weights(n_series, n_points)
    else:
        uniform = valid_points(lengths, n_points) / lengths[:, None].astype(np.float64)
    kinds = {"uniform": uniform, **weights}
    known = located(test)
    if not known.any():
        report = {kind: unlocated_scores(w, lengths) for kind, w in kinds.items()}
        return report, weights
    normal = test.table["label"] == 0
    starts, ends = test.table["segment_start"][known], test.table["segment_end"][known]
    report = {}
    for kind, kind_weights in kinds.items():
        report[kind] = localization_scores(
            kind_weights[known], starts, ends, kind_weights[normal], tolerance
        )
    return report, weights


def located(test: Dataset) -> np.ndarray:
    """Which series have a known anomalous segment (series, bool): every generated anomalous one."""
    return test.table["segment_start"] != NO_SEGMENT


def heatmap_rows(
    weights: dict[str, np.ndarray], test: Dataset, count: int
) -> dict[str, dict[str, np.ndarray]]:
    """For each kind of weights, what its heatmap and arg-max histogram draw.

    The first `count` anomalous test series sorted by segment start: their
    weights (rows, points) and segment starts and ends (rows,); and the
    arg-max position relative to the segment of every anomalous series.
    Series without a known segment (a user's own data) are left out.
    """
    anomalous = np.flatnonzero(located(test))
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


def _segment(row: np.void) -> tuple[int, int] | None:
    """[start, end) of the series' flat segment; None if normal or, in a user's file, unknown."""
    if row["segment_start"] == NO_SEGMENT:
        return None
    return int(row["segment_start"]), int(row["segment_end"])


def series_views(
    test: Dataset,
    checkpoint: Checkpoint,
    n_per_class: int,
    seed: int,
    threshold: float,
    kind: str = "attention",
) -> list[list[SeriesView]]:
    """Up to `n_per_class` test series of each class, drawn by `seed`: a list per class.

    Two classes predict class 1 at probability >= `threshold`, more the most
    probable (`classifiers.predicted_classes`). The weights drawn are the
    `kind` ("attention" or "saliency", as `point_weights` names them) of
    each series' valid points, or none when the model has no such weights.
    """
    lengths = test.model_lengths()  # None when every series has all points: no mask
    rng = np.random.default_rng(seed)
    rows = []
    for label in range(len(test.classes)):
        members = np.flatnonzero(test.table["label"] == label)
        count = min(n_per_class, len(members))
        chosen = np.sort(rng.choice(members, size=count, replace=False))
        if count == 0:  # a class the official test file lacks: its row says so
            rows.append([])
            continue
        chosen_lengths = None if lengths is None else lengths[chosen]
        names = test.subset(chosen).names("test")
        probabilities, _ = predict(
            checkpoint.model, test.series[chosen], chosen_lengths, names=names
        )
        predictions = predicted_classes(probabilities, threshold)
        # (count, points), or None for a model without them: the plots then show the signal only
        weights = point_weights(checkpoint, test.series[chosen], chosen_lengths, names).get(kind)
        rows.append(
            [
                SeriesView(
                    series_id=int(row["id"]),
                    values=test.series[index],
                    length=int(row["length"]),
                    attention=None if weights is None else weights[k],
                    weights_name=kind,
                    classes=checkpoint.classes,
                    label=label,
                    prediction=int(predictions[k]),
                    probability=float(probabilities[k, predictions[k]]),
                    segment=_segment(row),
                )
                for k, (index, row) in enumerate(zip(chosen, test.table[chosen]))
            ]
        )
    return rows
