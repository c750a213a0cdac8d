"""Pictures of where the attention looks: signal and weights on twin axes, true segment shaded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display needed

import matplotlib.pyplot as plt  # noqa: E402  (backend first)
import numpy as np  # noqa: E402

from attention_ts.io import atomic_output  # noqa: E402
from attention_ts.localization import (  # noqa: E402
    mass_inside,
    normalized_entropy,
    pointing_hits,
    segment_mask,
)

DPI = 80
CLASS_NAMES = ("normal", "anomalous")


@dataclass(frozen=True)
class SeriesView:
    """One series to draw: its values, attention per point and what is known about it."""

    series_id: int | str
    values: np.ndarray  # (points,)
    attention: np.ndarray | None  # (points,) on the original time axis, sums to 1; None: none
    label: int | None  # None: the truth is unknown (a user's series)
    probability: float
    prediction: int
    segment: tuple[int, int] | None  # [start, end) of the flat part, None if normal or unknown

    @property
    def title(self) -> str:
        predicted = f"predicted {CLASS_NAMES[self.prediction]} (p={self.probability:.3f}"
        if self.label is None:
            title = f"series {self.series_id}: {predicted})"
        else:
            verdict = "right" if self.prediction == self.label else "wrong"
            title = f"series {self.series_id}: {CLASS_NAMES[self.label]}, {predicted}, {verdict})"
        return title if self.attention is None else f"{title}\n{self.attention_scores}"

    @property
    def attention_scores(self) -> str:
        """This series' localization scores (see `localization`), for the title."""
        weights = self.attention[None, :]  # (1, points)
        if self.segment is None:
            return f"attention entropy {normalized_entropy(weights)[0]:.2f} (uniform = 1)"
        start, end = (np.array([border]) for border in self.segment)
        mass = mass_inside(weights, segment_mask(start, end, weights.shape[1]))[0]
        fraction = (end[0] - start[0]) / weights.shape[1]
        hit = pointing_hits(weights, start, end, tolerance=0)[0]
        where = {1.0: "inside", 0.0: "outside"}.get(hit, f"{hit:.0%} inside")  # ties: a share
        return f"attention in segment {mass:.2f} ({mass / fraction:.1f} x uniform), arg-max {where}"


def draw_series(ax: plt.Axes, view: SeriesView) -> None:
    """Signal on the left axis, attention on the right, the true flat segment shaded."""
    steps = np.arange(len(view.values))
    ax.plot(steps, view.values, color="tab:blue", linewidth=1.0, label="signal")
    ax.set_xlabel("time step")
    ax.set_ylabel("signal", color="tab:blue")
    if view.segment is not None:
        ax.axvspan(*view.segment, color="tab:red", alpha=0.15, label="true flat segment")
    if view.attention is not None:
        weights = ax.twinx()
        weights.fill_between(steps, view.attention, step="mid", color="tab:orange", alpha=0.5)
        weights.set_ylabel("attention", color="tab:orange")
        weights.set_ylim(bottom=0)
        ax.set_zorder(weights.get_zorder() + 1)  # signal in front of the attention fill
        ax.patch.set_visible(False)
    ax.set_title(view.title, fontsize=9)


def save_figure(fig: plt.Figure, path: Path) -> None:
    """Write `fig` as PNG atomically and close it; no metadata, so same picture, same bytes."""
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)


def save_series_plot(view: SeriesView, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(8, 3), layout="constrained")
    draw_series(ax, view)
    save_figure(fig, path)


def save_grid_plot(rows: list[list[SeriesView]], path: Path) -> None:
    """One row per class, one column per example."""
    n_rows, n_cols = len(rows), max(len(row) for row in rows)
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(5 * n_cols, 2.8 * n_rows), squeeze=False, layout="constrained"
    )
    for row_axes, views in zip(axes, rows):
        for ax, view in zip(row_axes, views):
            draw_series(ax, view)
    save_figure(fig, path)


HeatmapPanel = tuple[str, dict[str, np.ndarray] | None]  # title, explain.heatmap_rows or None


def draw_heatmap(ax: plt.Axes, title: str, rows: dict[str, np.ndarray] | None) -> None:
    """Weights of many series (one row each, scaled to its maximum), true segment borders on top."""
    ax.set_title(title, fontsize=9)
    if rows is None or len(rows["weights"]) == 0:
        message = "none" if rows is None else "no anomalous series with a known segment"
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
    fig.suptitle("weight / its series' maximum (bright = most weight); cyan: true flat segment")
    save_figure(fig, path)


ARGMAX_RANGE = (-1.0, 2.0)  # relative positions shown; values beyond go into the edge bins


def save_argmax_histogram(relative: dict[str, np.ndarray], path: Path) -> None:
    """Where each kind of weights peaks relative to the segment (start = 0, end = 1)."""
    fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
    bins = np.linspace(*ARGMAX_RANGE, 61)
    ax.axvspan(0, 1, color="tab:red", alpha=0.15, label="true flat segment")
    for kind, positions in relative.items():
        if len(positions) == 0:  # no series with a known segment
            continue
        shown = np.clip(positions, bins[0], bins[-1] - 1e-9)
        share = np.full(len(shown), 1 / len(shown))
        ax.hist(shown, bins=bins, weights=share, histtype="step", linewidth=1.5, label=kind)
    ax.set_xlabel("arg-max position relative to the segment (start = 0, end = 1; edges: beyond)")
    ax.set_ylabel("share of anomalous series")
    ax.legend(fontsize=8)
    save_figure(fig, path)
