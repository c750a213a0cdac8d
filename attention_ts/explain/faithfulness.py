"""Does the decision depend on what an explanation shows? The standard tests of explanations.

Each test takes per-point weights on the original time axis, (n, points),
non-negative, rows summing to 1 over the valid points
(`attribution.explanations`: attention, gradient saliency, Integrated
Gradients, occlusion), and the model they explain.

- Deletion and insertion curves (Petsiuk, Das and Saenko 2018, "RISE";
  for time series Ismail et al. 2020, "Benchmarking deep learning
  interpretability in time series predictions"): remove each series' top
  k share of points by weight, k = 0, 1/steps, ..., 1, and follow the mean
  probability of the class the model predicts on the intact series, and the
  accuracy. A removed point is replaced by a named policy
  (REMOVAL_POLICIES): "interpolate", linearly between the nearest kept
  points of its channel (held level before the first and after the last
  kept point), or "mean", the channel's mean over the series; with no point
  kept both give `attribution.removal_baseline`. Insertion starts from that
  baseline and puts the top k share back. The same curves for a random
  order of the points are the baseline. Areas by the trapezoid rule over k
  in [0, 1]: deletion area = integral of (p(0) - p(k)), what deletion takes
  away; insertion area = integral of (p(k) - p(0)), what insertion gives
  back. `ratio` = method / random, `gap` = method - random (the area
  between the two curves); a faithful explanation has both above random's.
- Model-randomization sanity check (Adebayo et al. 2018, "Sanity checks for
  saliency maps", cascading): re-initialize the model's layers from the
  output down, one more at a time, explain again, and compare with the
  trained model's weights by Spearman rank correlation per series. An
  explanation that survives randomization does not explain what was learned.
- Attention interventions (Jain and Wallace 2019, "Attention is not
  explanation"): replace the attention weights at inference by uniform
  ones, or permute them within each series, and measure how far the output
  moves (total variation distance between the class distributions, as they
  do), how many decisions change and the test F1.
- Contiguity: connected runs among a series' top share of points (a
  segment is one run).
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from scipy import stats
from sklearn.metrics import f1_score
from torch import nn

from attention_ts.config.params import REMOVAL_POLICIES, FaithfulnessParams
from attention_ts.data.dataset import Dataset
from attention_ts.explain.attribution import explanations, removal_baseline
from attention_ts.explain.faithfulness_summary import CURVES
from attention_ts.explain.localization import full_lengths, localization_scores, valid_points
from attention_ts.explain.maps import located
from attention_ts.models.classifiers import (
    AdditiveAttention,
    Checkpoint,
    predict,
    predicted_classes,
)
from attention_ts.training.metrics import binary_f1

INTERVENTIONS = ("uniform", "permuted")
OUTCOMES = ("probability", "accuracy")


def removal_ranks(weights: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
    """Each point's place in the removal order, 0 = removed first: (n, points) int64.

    Points by weight, largest first; ties (a down-sampling model gives all
    points of a step the same weight) in time order, so a step's points go
    together. Padding (past `lengths` (n,)) comes after every valid point.
    """
    n, n_points = weights.shape
    keyed = -np.asarray(weights, dtype=np.float64)
    if lengths is not None:
        keyed = np.where(valid_points(lengths, n_points), keyed, np.inf)
    order = np.argsort(keyed, axis=1, kind="stable")  # (n, points)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(n_points), (n, n_points)), axis=1)
    return ranks


def top_points(ranks: np.ndarray, lengths: np.ndarray | None, share: float) -> np.ndarray:
    """(n, points) bool: the first round(share * length) points of each series' removal order."""
    n, n_points = ranks.shape
    counts = np.floor(share * full_lengths(lengths, n, n_points) + 0.5).astype(np.int64)
    return ranks < counts[:, None]


def remove_points(
    series: np.ndarray, removed: np.ndarray, lengths: np.ndarray | None, policy: str
) -> np.ndarray:
    """`series` (n, channels, points) with the `removed` (n, points) points replaced: float32.

    `policy` "mean": each channel's mean over the series' valid points;
    "interpolate": linear interpolation between the nearest kept points of
    the channel (the nearest kept value beyond the first or last). A series
    with no point kept becomes `removal_baseline`. Padding stays 0. Raises
    ValueError for another policy.
    """
    if policy not in REMOVAL_POLICIES:
        raise ValueError(f"unknown removal policy {policy!r}; allowed: {REMOVAL_POLICIES}")
    n, channels, n_points = series.shape
    valid = valid_points(full_lengths(lengths, n, n_points), n_points)
    removed = removed & valid
    baseline = removal_baseline(series, lengths)
    if policy == "mean":
        return np.where(removed[:, None, :], baseline, series).astype(np.float32)
    kept = valid & ~removed
    steps = np.arange(n_points)
    before = np.maximum.accumulate(np.where(kept, steps, -1), axis=1)  # last kept point <= t
    after = np.minimum.accumulate(np.where(kept, steps, n_points)[:, ::-1], axis=1)[:, ::-1]
    has_before, has_after = before >= 0, after < n_points
    left = np.take_along_axis(series, np.clip(before, 0, n_points - 1)[:, None, :], axis=2)
    right = np.take_along_axis(series, np.clip(after, 0, n_points - 1)[:, None, :], axis=2)
    both = has_before & has_after
    share = np.where(both, (steps - before) / np.maximum(after - before, 1), 0.0)[:, None, :]
    filled = np.where(
        both[:, None, :],
        left + share * (right - left),
        np.where(has_before[:, None, :], left, right),
    )
    filled = np.where(kept.any(axis=1)[:, None, None], filled, baseline)
    return np.where(removed[:, None, :], filled, series).astype(np.float32)


def shifted_ranks(
    ranks: np.ndarray, lengths: np.ndarray | None, rng: np.random.Generator
) -> np.ndarray:
    """A contiguity-matched random order: each series' `ranks` (n, points) shifted in time.

    Series k's order is rotated by a random offset in [0, length_k) over its
    valid points (padding stays last), so at every share its removed points
    form runs of the same lengths as the explanation's own (a run that
    crosses the series' end splits in two), placed elsewhere. A random order
    of single points is the weaker baseline: on series whose evidence is a
    segment, any contiguous order beats it (Hooker et al. 2019 and Schlegel
    et al. 2019 ask for baselines matched in structure).
    """
    n, n_points = ranks.shape
    lengths = full_lengths(lengths, n, n_points)
    offsets = rng.integers(0, lengths)  # (n,)
    steps = np.arange(n_points)[None, :]
    source = np.where(
        steps < lengths[:, None], (steps - offsets[:, None]) % lengths[:, None], steps
    )
    return np.take_along_axis(ranks, source, axis=1)


def removal_curves(
    checkpoint: Checkpoint,
    data: Dataset,
    ranks: np.ndarray,
    fractions: np.ndarray,
    policy: str,
    threshold: float,
) -> dict[str, dict[str, list[float]]]:
    """Deletion and insertion curves of one removal order: {curve: {outcome: (steps,) values}}.

    Curve "deletion" removes the top `fractions[j]` of each series' points
    by `ranks` (`removal_ranks`), "insertion" removes all but them. Outcome
    "probability" is the mean probability of the class predicted on the
    intact series, "accuracy" the share of series classified right
    (`classifiers.predicted_classes` at `threshold`).
    """
    model, lengths = checkpoint.model, data.model_lengths()
    labels = data.table["label"]
    n, _, n_points = data.series.shape
    valid = valid_points(full_lengths(lengths, n, n_points), n_points)
    target = predicted_classes(predict(model, data.series, lengths)[0], threshold)
    result = {}
    for curve in CURVES:
        probability, accuracy = [], []
        for share in fractions:
            removed = top_points(ranks, lengths, share)
            if curve == "insertion":
                removed = valid & ~removed
            probabilities = predict(
                model, remove_points(data.series, removed, lengths, policy), lengths
            )[0]
            probability.append(float(probabilities[np.arange(n), target].mean()))
            accuracy.append(float((predicted_classes(probabilities, threshold) == labels).mean()))
        result[curve] = {"probability": probability, "accuracy": accuracy}
    return result


def curve_area(curve: str, values: list[float], fractions: np.ndarray) -> float:
    """Deletion: integral of (v(0) - v(k)) dk; insertion: of (v(k) - v(0)) dk (trapezoid rule)."""
    gained = float(np.trapezoid(np.asarray(values) - values[0], fractions))
    return -gained if curve == "deletion" else gained


def compare_areas(
    curves: dict[str, dict[str, list[float]]],
    random: dict[str, dict[str, list[float]]],
    fractions: np.ndarray,
) -> dict[str, dict[str, dict[str, float | None]]]:
    """{curve: {outcome: {area, random_area, ratio, gap}}}; ratio None when random's area <= 0."""
    result: dict[str, dict[str, dict[str, float | None]]] = {}
    for curve in CURVES:
        result[curve] = {}
        for outcome in OUTCOMES:
            area = curve_area(curve, curves[curve][outcome], fractions)
            baseline = curve_area(curve, random[curve][outcome], fractions)
            result[curve][outcome] = {
                "area": area,
                "random_area": baseline,
                "ratio": area / baseline if baseline > 0 else None,
                "gap": area - baseline,
            }
    return result


def contiguity(ranks: np.ndarray, lengths: np.ndarray | None, share: float) -> np.ndarray:
    """Connected runs of points among each series' top `share` of points: (n,) int64."""
    top = top_points(ranks, lengths, share)
    return top[:, 0].astype(np.int64) + (top[:, 1:] & ~top[:, :-1]).sum(axis=1)


def rank_correlation(a: np.ndarray, b: np.ndarray, lengths: np.ndarray | None) -> np.ndarray:
    """Spearman's rank correlation of rows of `a` and `b` (n, points) over valid points: (n,).

    `scipy.stats.spearmanr` per series; a series where either row is
    constant (no order to compare) scores 0.
    """
    n, n_points = a.shape
    result = np.zeros(n)
    for k, length in enumerate(full_lengths(lengths, n, n_points)):
        x, y = a[k, :length], b[k, :length]
        if np.ptp(x) > 0 and np.ptp(y) > 0:
            result[k] = stats.spearmanr(x, y).statistic
    return result


def layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The modules that hold parameters of their own, in registration order.

    In this project's models that is the order of the data, input to output,
    except among siblings: an attention layer registers its score before its
    gate, though both feed the same softmax.
    """
    return [
        (name, module)
        for name, module in model.named_modules()
        if any(True for _ in module.parameters(recurse=False))
    ]


def _reinitialize(module: nn.Module) -> None:
    """A layer's parameters drawn afresh as torch initializes them (its reset method).

    A module without one (a custom layer) gets each of its own parameters
    drawn from a normal distribution of the same standard deviation (1 for
    a single value or a constant).
    """
    reset = getattr(module, "reset_parameters", None) or getattr(module, "_reset_parameters", None)
    if reset is not None:
        reset()
        return
    with torch.no_grad():
        for parameter in module.parameters(recurse=False):
            spread = float(parameter.std()) if parameter.numel() > 1 else 0.0
            parameter.normal_(0.0, spread if spread > 0 else 1.0)


def cascading_randomization(
    checkpoint: Checkpoint,
    explain: Callable[[Checkpoint], dict[str, np.ndarray]],
    lengths: np.ndarray | None,
    seed: int,
) -> list[dict[str, Any]]:
    """Adebayo et al. 2018's cascading randomization: one record per layer, output first.

    Re-initializes the layers of a copy of the model (`layers`, reversed)
    one more at a time, torch seeded with `seed`, and after each records
    {"layer": its name, method: mean Spearman correlation of `explain`'s
    weights with those of the trained model} for every method `explain`
    gives. The last record has every layer re-initialized.
    """
    trained = explain(checkpoint)
    model = copy.deepcopy(checkpoint.model)
    records = []
    with torch.random.fork_rng(devices=[]):  # torch's global generator is left as it was
        torch.manual_seed(seed)
        for name, module in reversed(layers(model)):
            _reinitialize(module)
            weights = explain(checkpoint._replace(model=model))
            correlations = {
                method: float(rank_correlation(trained[method], weights[method], lengths).mean())
                for method in trained
                if method in weights
            }
            records.append({"layer": name, **correlations})
    return records


@contextlib.contextmanager
def attention_intervention(model: nn.Module, kind: str, seed: int) -> Iterator[None]:
    """Within the block, every attention layer of `model` uses other weights at inference.

    `kind` "uniform": equal weights over each series' valid steps;
    "permuted": its own weights shuffled among its valid steps (a torch
    generator seeded with `seed`). The context vector is recomputed from
    the new weights, which the model also returns. Raises ValueError for a
    model without attention or another kind.
    """
    if kind not in INTERVENTIONS:
        raise ValueError(f"unknown intervention {kind!r}; allowed: {INTERVENTIONS}")
    modules = [m for m in model.modules() if isinstance(m, AdditiveAttention)]
    if not modules:
        raise ValueError(f"{type(model).__name__} has no attention layer to intervene on")
    generator = torch.Generator().manual_seed(seed)

    def replace(
        module: nn.Module, inputs: tuple, output: tuple
    ) -> tuple[torch.Tensor, torch.Tensor]:
        states, weights = inputs[0], output[1]  # (batch, steps, dim), (batch, steps)
        mask = (
            inputs[1]
            if len(inputs) > 1 and inputs[1] is not None
            else weights.new_ones(weights.shape, dtype=torch.bool)
        )
        if kind == "uniform":  # the same total: 1 for a softmax, the mean gate for gates
            mass = 1.0 if getattr(module, "normalized", True) else weights.sum(1, keepdim=True)
            new = mask.to(weights.dtype) * mass / mask.sum(dim=1, keepdim=True)
        else:  # valid steps are a prefix: a random order of them, then the padding's zeros
            keys = torch.rand(weights.shape, generator=generator).to(weights.device)
            keys = keys.masked_fill(~mask, 2.0)
            new = weights.gather(1, keys.argsort(dim=1))
        return torch.bmm(new.unsqueeze(1), states).squeeze(1), new

    handles = [module.register_forward_hook(replace) for module in modules]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _f1(labels: np.ndarray, predicted: np.ndarray, n_classes: int) -> float:
    """Class 1's F1 for two classes (`metrics.binary_f1`), the macro F1 for more."""
    if n_classes == 2:
        return binary_f1(labels, predicted)
    return float(f1_score(labels, predicted, average="macro", labels=np.arange(n_classes)))


def intervention_report(
    checkpoint: Checkpoint, data: Dataset, threshold: float, seed: int
) -> dict[str, Any]:
    """How far each attention intervention moves the output on `data`.

    {"f1": the intact model's, kind: {"f1", "total_variation" (mean over
    series of half the L1 distance between the class distributions),
    "decisions_changed" (share of series)}} for kind in INTERVENTIONS.
    """
    model, lengths, labels = checkpoint.model, data.model_lengths(), data.table["label"]
    n_classes = len(checkpoint.classes)
    intact = predict(model, data.series, lengths)[0]
    decided = predicted_classes(intact, threshold)
    report: dict[str, Any] = {"f1": _f1(labels, decided, n_classes)}
    for kind in INTERVENTIONS:
        with attention_intervention(model, kind, seed):
            moved = predict(model, data.series, lengths)[0]
        changed = predicted_classes(moved, threshold)
        report[kind] = {
            "f1": _f1(labels, changed, n_classes),
            "total_variation": float(0.5 * np.abs(moved - intact).sum(axis=1).mean()),
            "decisions_changed": float((changed != decided).mean()),
        }
    return report


def faithfulness_report(
    checkpoint: Checkpoint,
    test: Dataset,
    params: FaithfulnessParams,
    threshold: float,
    tolerance: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The tests above on `params.n_series` test series drawn by `params.seed`: (summary, curves).

    The attention interventions, which cost two passes, run on the whole
    `test` split, so that their F1 is the model's test F1.

    summary: {"n_series", "random": {"contiguity"}, "methods": {method:
    {"contiguity", "randomization" (mean rank correlation with every layer
    re-initialized), "localization" (`localization.localization_scores`
    against the known segments, None without any), policy:
    `compare_areas`}}, "interventions": `intervention_report` or None for a
    model without attention}. curves: {"fractions", policy: {"random" and
    each method: `removal_curves`}, "randomization": the cascade}.
    """
    rng = np.random.default_rng(params.seed)
    chosen = np.sort(
        rng.choice(len(test.series), min(params.n_series, len(test.series)), replace=False)
    )
    data = test.subset(chosen)
    lengths = data.model_lengths()
    n, _, n_points = data.series.shape
    fractions = np.linspace(0.0, 1.0, params.steps + 1)

    def explain(fitted: Checkpoint) -> dict[str, np.ndarray]:
        return explanations(
            fitted, data.series, lengths, params.methods, params.ig_steps, params.occlusion_window
        )

    weights = explain(checkpoint)
    random_ranks = removal_ranks(rng.random((n, n_points)), lengths)
    ranks = {method: removal_ranks(w, lengths) for method, w in weights.items()}
    curves: dict[str, Any] = {"fractions": fractions.tolist()}
    for policy in params.policies:
        curves[policy] = {
            name: removal_curves(checkpoint, data, r, fractions, policy, threshold)
            for name, r in {"random": random_ranks, **ranks}.items()
        }
    cascade = cascading_randomization(checkpoint, explain, lengths, params.seed)
    curves["randomization"] = cascade
    known = located(data)
    normal = data.table["label"] == 0
    methods = {}
    for method, method_weights in weights.items():
        localization = None
        if known.any():
            table = data.table[known]
            localization = localization_scores(
                method_weights[known],
                table["segment_start"],
                table["segment_end"],
                method_weights[normal],
                tolerance,
            )
        methods[method] = {
            "contiguity": float(contiguity(ranks[method], lengths, params.top_share).mean()),
            "randomization": cascade[-1][method] if cascade else None,
            "localization": localization,
            **{
                policy: compare_areas(curves[policy][method], curves[policy]["random"], fractions)
                for policy in params.policies
            },
        }
    interventions = None
    if any(isinstance(module, AdditiveAttention) for module in checkpoint.model.modules()):
        interventions = intervention_report(checkpoint, test, threshold, params.seed)
    summary = {
        "n_series": n,
        "random": {"contiguity": float(contiguity(random_ranks, lengths, params.top_share).mean())},
        "methods": methods,
        "interventions": interventions,
    }
    return summary, curves


def archive_report(
    checkpoint: Checkpoint,
    test: Dataset,
    methods: tuple[str, ...],
    seed: int,
    steps: int,
    threshold: float,
) -> dict[str, Any]:
    """Does the model's attention explain its decisions on real (archive) test series?

    Three tests, on the whole `test` split, for each of `methods` the model has
    (`attribution.explanations`):
    - "deletion": accuracy-deletion areas (`curve_area`, removal by
      interpolation, k = 0, 1/steps, ..., 1) against a random order of single
      points ("random") and against the same order shifted in time
      ("shifted", `shifted_ranks`: the same runs, elsewhere), and the curve;
    - "randomization": mean Spearman correlation of the explanation with
      that of the model with every layer re-initialized (the last step of
      `cascading_randomization`; near 1 = it explains the architecture, not
      what was learned);
    - "uniform" (attention models only): test accuracy with uniform weights in
      place of the attention (`attention_intervention`) and its drop from the
      intact accuracy. Returns {"accuracy", "uniform": {...} | None,
      method: {"deletion_curve": accuracy at each k, "deletion": {baseline:
      {area, baseline_area, ratio, gap}}, "randomization": rho}}. `seed` draws
    the random orders, shifts and re-initializations; `threshold` decides
    two classes (`classifiers.predicted_classes`).
    """
    rng = np.random.default_rng(seed)
    model, lengths, labels = checkpoint.model, test.model_lengths(), test.table["label"]
    n, _, n_points = test.series.shape
    fractions = np.linspace(0.0, 1.0, steps + 1)

    def explain(fitted: Checkpoint) -> dict[str, np.ndarray]:
        return explanations(fitted, test.series, lengths, methods)

    def deletion(ranks: np.ndarray) -> tuple[list[float], float]:
        curves = removal_curves(checkpoint, test, ranks, fractions, "interpolate", threshold)
        values = curves["deletion"]["accuracy"]
        return values, curve_area("deletion", values, fractions)

    def versus(area: float, baseline: float) -> dict[str, float | None]:
        return {
            "area": area,
            "baseline_area": baseline,
            "ratio": area / baseline if baseline > 0 else None,
            "gap": area - baseline,
        }

    accuracy = float(
        (predicted_classes(predict(model, test.series, lengths)[0], threshold) == labels).mean()
    )
    report: dict[str, Any] = {"accuracy": accuracy, "uniform": None}
    if any(isinstance(module, AdditiveAttention) for module in model.modules()):
        with attention_intervention(model, "uniform", seed):
            uniform = predicted_classes(predict(model, test.series, lengths)[0], threshold)
        uniform_accuracy = float((uniform == labels).mean())
        report["uniform"] = {"accuracy": uniform_accuracy, "drop": accuracy - uniform_accuracy}
    weights = explain(checkpoint)
    _, random = deletion(removal_ranks(rng.random((n, n_points)), lengths))
    cascade = cascading_randomization(checkpoint, explain, lengths, seed)
    for method, method_weights in weights.items():
        ranks = removal_ranks(method_weights, lengths)
        curve, area = deletion(ranks)
        _, shifted = deletion(shifted_ranks(ranks, lengths, rng))
        report[method] = {
            "deletion_curve": curve,
            "deletion": {"random": versus(area, random), "shifted": versus(area, shifted)},
            "randomization": cascade[-1][method],
        }
    return report
