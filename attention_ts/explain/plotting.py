"""Pictures of where the attention looks: signal and weights on twin axes, true segment shaded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display needed

import matplotlib.pyplot as plt  # noqa: E402  (backend first)
import numpy as np  # noqa: E402

from attention_ts.core.io import UniqueNames, atomic_output
from attention_ts.explain.localization import (
    mass_inside,
    normalized_entropy,
    pointing_hits,
    segment_mask,
)

DPI = 80
STACKED_CHANNELS = 3  # up to this many channels share one axes; more get a panel each
CHANNEL_COLORS = ("tab:blue", "tab:green", "tab:purple")  # not orange (attention), not red
PANEL_HEIGHT = 0.8  # inches per channel panel


@dataclass(frozen=True)
class SeriesView:
    """One series to draw: its values, attention per point and what is known about it."""

    series_id: int | str
    values: np.ndarray  # (channels, points); points past `length` (padding) are not drawn
    length: int  # valid points of the series
    attention: np.ndarray | None  # (points,) on the original time axis, sums to 1; None: none
    classes: tuple[str, ...]  # class names; `label` and `prediction` index them
    label: int | None  # None: the truth is unknown (a user's series)
    prediction: int
    probability: float  # the model's probability of the predicted class
    segment: tuple[int, int] | None  # [start, end) of the anomaly, None if normal or unknown
    weights_name: str = "attention"  # what `attention` holds: attention, or a saliency map

    @property
    def title(self) -> str:
        name = self.classes[self.prediction]
        predicted = f"predicted {name} (p={self.probability:.3f}"
        if self.label is None:
            title = f"series {self.series_id}: {predicted})"
        else:
            verdict = "right" if self.prediction == self.label else "wrong"
            title = f"series {self.series_id}: {self.classes[self.label]}, {predicted}, {verdict})"
        return title if self.attention is None else f"{title}\n{self.attention_scores}"

    @property
    def attention_scores(self) -> str:
        """This series' localization scores (see `localization`), for the title."""
        weights = self.attention[None, : self.length]  # (1, valid points)
        if self.segment is None:
            entropy = normalized_entropy(weights)[0]
            return f"{self.weights_name} entropy {entropy:.2f} (uniform = 1)"
        start, end = (np.array([border]) for border in self.segment)
        mass = mass_inside(weights, segment_mask(start, end, weights.shape[1]))[0]
        fraction = (end[0] - start[0]) / weights.shape[1]
        hit = pointing_hits(weights, start, end, tolerance=0)[0]
        where = {1.0: "inside", 0.0: "outside"}.get(hit, f"{hit:.0%} inside")  # ties: a share
        lift = mass / fraction
        return f"{self.weights_name} in segment {mass:.2f} ({lift:.1f} x uniform), arg-max {where}"

    @property
    def channels(self) -> int:
        return self.values.shape[0]

    @property
    def panels(self) -> int:
        """Axes the series needs: one for up to STACKED_CHANNELS channels, else one per channel."""
        return 1 if self.channels <= STACKED_CHANNELS else self.channels


def _draw_attention(ax: plt.Axes, steps: np.ndarray, attention: np.ndarray, label: str) -> None:
    """The weights as a filled step curve on a right-hand axis, behind the signal.

    `label`: the axis title ("attention", "saliency"); "" in a small panel of many.
    """
    weights = ax.twinx()
    weights.fill_between(steps, attention, step="mid", color="tab:orange", alpha=0.5)
    if label:
        weights.set_ylabel(label, color="tab:orange")
    else:  # a small panel of many
        weights.tick_params(labelsize=6)
    weights.set_ylim(bottom=0)
    ax.set_zorder(weights.get_zorder() + 1)  # signal in front of the attention fill
    ax.patch.set_visible(False)


def draw_series(ax: plt.Axes, view: SeriesView) -> None:
    """Signal on the left axis, attention on the right, the true anomalous segment shaded.

    One axes for a series of at most STACKED_CHANNELS channels: one line, or
    a line per channel with a legend. Only the valid points are drawn.
    """
    steps = np.arange(view.length)
    values = view.values[:, : view.length]
    if view.channels == 1:
        ax.plot(steps, values[0], color="tab:blue", linewidth=1.0, label="signal")
        ax.set_ylabel("signal", color="tab:blue")
    else:
        for k, (channel, color) in enumerate(zip(values, CHANNEL_COLORS)):
            ax.plot(steps, channel, color=color, linewidth=1.0, label=f"channel {k}")
        ax.set_ylabel("signal")
        ax.legend(fontsize=7, loc="upper right")
    ax.set_xlabel("time step")
    if view.segment is not None:
        ax.axvspan(*view.segment, color="tab:red", alpha=0.15, label="true anomalous segment")
    if view.attention is not None:
        _draw_attention(ax, steps, view.attention[: view.length], label=view.weights_name)
    ax.set_title(view.title, fontsize=9)


def draw_panels(axes: Sequence[plt.Axes], view: SeriesView) -> None:
    """A series of many channels: one small panel per channel (`axes`, top to bottom)."""
    steps = np.arange(view.length)
    for k, ax in enumerate(axes):
        ax.plot(steps, view.values[k, : view.length], color="tab:blue", linewidth=0.8)
        ax.set_ylabel(f"channel {k}", fontsize=7, rotation=0, ha="right", va="center")
        ax.tick_params(labelsize=6)
        if view.segment is not None:
            ax.axvspan(*view.segment, color="tab:red", alpha=0.15)
        if view.attention is not None:
            _draw_attention(ax, steps, view.attention[: view.length], label="")
    axes[-1].set_xlabel("time step")
    axes[0].set_title(view.title, fontsize=9)


def _panel_axes(figure: plt.Figure, view: SeriesView) -> list[plt.Axes]:
    return list(figure.subplots(view.panels, 1, sharex=True, squeeze=False)[:, 0])


def save_figure(fig: plt.Figure, path: Path) -> None:
    """Write `fig` as PNG atomically and close it; no metadata, so same picture, same bytes."""
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)


def save_series_plot(view: SeriesView, path: Path) -> None:
    if view.panels == 1:
        fig, ax = plt.subplots(figsize=(8, 3), layout="constrained")
        draw_series(ax, view)
    else:
        fig = plt.figure(figsize=(8, 1 + PANEL_HEIGHT * view.panels), layout="constrained")
        draw_panels(_panel_axes(fig, view), view)
    save_figure(fig, path)


def save_grid_plot(
    rows: list[list[SeriesView]], path: Path, classes: Sequence[str] | None = None
) -> None:
    """One row per class, one column per example; an empty row names its class (`classes`)."""
    n_rows, n_cols = len(rows), max([1, *map(len, rows)])
    empty = [
        "no test series" + ("" if classes is None else f" of class {classes[k]}")
        for k in range(n_rows)
    ]
    panels = max((view.panels for row in rows for view in row), default=1)
    if panels == 1:
        fig, axes = plt.subplots(
            n_rows, n_cols, figsize=(5 * n_cols, 2.8 * n_rows), squeeze=False, layout="constrained"
        )
        for k, (row_axes, views) in enumerate(zip(axes, rows)):
            for ax, view in zip(row_axes, views):
                draw_series(ax, view)
            for ax in row_axes[len(views) :]:
                ax.set_axis_off()
            if not views:
                ax = row_axes[0]
                ax.text(0.5, 0.5, empty[k], ha="center", va="center", transform=ax.transAxes)
    else:  # a block of panels per series: a subfigure each
        height = max(2.8, 1 + PANEL_HEIGHT * panels)
        fig = plt.figure(figsize=(5 * n_cols, height * n_rows), layout="constrained")
        cells = fig.subfigures(n_rows, n_cols, squeeze=False)
        for k, (row_cells, views) in enumerate(zip(cells, rows)):
            for cell, view in zip(row_cells, views):
                if view.panels == 1:
                    draw_series(cell.subplots(), view)
                else:
                    draw_panels(_panel_axes(cell, view), view)
            if not views:
                row_cells[0].text(0.5, 0.5, empty[k], ha="center", va="center")
    save_figure(fig, path)


def file_names(classes: Sequence[str]) -> list[str]:
    """A file-name stem per class name (`io.UniqueNames`: "-class<index>" where one is taken)."""
    names = UniqueNames()
    return [names(name, f"class{index}") for index, name in enumerate(classes)]


HeatmapPanel = tuple[str, dict[str, np.ndarray] | None]  # title, explain.heatmap_rows or None


def draw_heatmap(ax: plt.Axes, title: str, rows: dict[str, np.ndarray] | None) -> None:
    """Weights of many series (one row each, scaled to its maximum), true segment borders on top."""
    ax.set_title(title, fontsize=9)
    if rows is None or len(rows["weights"]) == 0:
        message = "none" if rows is None else "no known segments"
        ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="gray")
        ax.set_axis_off()
        return
    weights = rows["weights"]  # (rows, points)
    n_rows, n_points = weights.shape
    scaled = weights / weights.max(axis=1, keepdims=True)
    ax.imshow(
        scaled,
        aspect="auto",
        cmap="magma",
        vmin=0,
        vmax=1,
        interpolation="nearest",
        extent=(0, n_points, n_rows, 0),
    )
    top = np.arange(n_rows)
    for borders in (rows["starts"], rows["ends"]):
        ax.vlines(borders, top, top + 1, color="cyan", linewidth=0.8)
    ax.set_xlabel("time step")
    ax.set_ylabel("series (by segment start)")


def save_heatmap_grid(panels: list[list[HeatmapPanel]], path: Path) -> None:
    """A grid of heatmaps, one list of panels per row of the figure."""
    n_rows, n_cols = len(panels), max(len(row) for row in panels)
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(5 * n_cols, 3 * n_rows), squeeze=False, layout="constrained"
    )
    for row_axes, row in zip(axes, panels):
        for ax, (title, rows) in zip(row_axes, row):
            draw_heatmap(ax, title, rows)
    fig.suptitle("weight / its series' maximum (bright = most weight); cyan: true segment")
    save_figure(fig, path)


ARGMAX_RANGE = (-1.0, 2.0)  # relative positions shown; values beyond go into the edge bins


def save_argmax_histogram(relative: dict[str, np.ndarray], path: Path) -> None:
    """Where each kind of weights peaks relative to the segment (start = 0, end = 1).

    With weights but no series of a known segment (a user's data) the
    picture only says so.
    """
    fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
    if relative and not any(len(positions) for positions in relative.values()):
        ax.text(0.5, 0.5, "no known segments", ha="center", va="center", color="gray")
        ax.set_axis_off()
        save_figure(fig, path)
        return
    bins = np.linspace(*ARGMAX_RANGE, 61)
    ax.axvspan(0, 1, color="tab:red", alpha=0.15, label="true anomalous segment")
    for kind, positions in relative.items():
        shown = np.clip(positions, bins[0], bins[-1] - 1e-9)
        share = np.full(len(shown), 1 / len(shown))
        ax.hist(shown, bins=bins, weights=share, histtype="step", linewidth=1.5, label=kind)
    ax.set_xlabel("arg-max position relative to the segment (start = 0, end = 1; edges: beyond)")
    ax.set_ylabel("share of anomalous series")
    ax.legend(fontsize=8)
    save_figure(fig, path)


def save_removal_curves(curves: dict, path: Path) -> None:
    """Deletion and insertion curves (`faithfulness.faithfulness_report`'s), a row per policy.

    Each panel: the mean probability of the predicted class against the
    share of points removed (deletion) or put back (insertion), a line per
    explanation method and a dashed one for the random order.
    """
    fractions = curves["fractions"]
    policies = [key for key in curves if key not in ("fractions", "randomization")]
    fig, axes = plt.subplots(
        len(policies), 2, figsize=(9, 3 * len(policies)), layout="constrained", squeeze=False
    )
    for row, policy in zip(axes, policies):
        for ax, curve in zip(row, ("deletion", "insertion")):
            for name, by_curve in curves[policy].items():
                style = {"linestyle": "--", "color": "gray"} if name == "random" else {}
                ax.plot(fractions, by_curve[curve]["probability"], label=name, **style)
            action = "removed" if curve == "deletion" else "put back"
            ax.set_title(f"{curve}, removed points: {policy}", fontsize=9)
            ax.set_xlabel(f"share of each series' points {action}, top first")
            ax.set_ylabel("p(predicted class)")
            ax.set_ylim(-0.02, 1.02)
            ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    save_figure(fig, path)


def save_randomization_plot(cascade: list[dict], path: Path) -> None:
    """Cascading randomization: rank correlation with the trained model's weights, per method.

    `cascade` is `faithfulness.cascading_randomization`'s records: x = layers
    re-initialized so far, from the output down.
    """
    fig, ax = plt.subplots(figsize=(8, 3.5), layout="constrained")
    methods = [key for key in (cascade[0] if cascade else {}) if key != "layer"]
    steps = np.arange(1, len(cascade) + 1)
    for method in methods:
        ax.plot(steps, [record[method] for record in cascade], marker="o", label=method)
    ax.axhline(0.0, color="gray", linewidth=0.8)
    ax.set_xticks(steps, [record["layer"] for record in cascade], rotation=45, ha="right")
    ax.set_xlabel("layers re-initialized, from the output down (cumulative)")
    ax.set_ylabel("Spearman correlation with trained")
    ax.set_ylim(-1.02, 1.02)
    ax.grid(alpha=0.3)
    if methods:
        ax.legend(fontsize=8)
    save_figure(fig, path)


def save_deletion_grid(curves: dict[str, dict], policy: str, path: Path) -> None:
    """Deletion curves of removal `policy`, one panel per model: {model: its curves}.

    Each model's curves as `faithfulness.faithfulness_report` returns them;
    a line per explanation method, the random order dashed.
    """
    columns = min(5, len(curves))
    rows = -(-len(curves) // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(3 * columns, 2.6 * rows), layout="constrained", squeeze=False
    )
    for ax in axes.flat[len(curves) :]:
        ax.set_axis_off()
    for ax, (name, model_curves) in zip(axes.flat, curves.items()):
        for method, by_curve in model_curves[policy].items():
            style = {"linestyle": "--", "color": "gray"} if method == "random" else {}
            ax.plot(
                model_curves["fractions"],
                by_curve["deletion"]["probability"],
                label=method,
                **style,
            )
        ax.set_title(name, fontsize=9)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    fig.supxlabel(f"share of each series' points removed, top first ({policy})", fontsize=9)
    fig.supylabel("p(predicted class)", fontsize=9)
    save_figure(fig, path)
