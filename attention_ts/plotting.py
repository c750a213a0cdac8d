"""Pictures of where the attention looks: signal and weights on twin axes, true segment shaded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display needed

import matplotlib.pyplot as plt  # noqa: E402  (backend first)
import numpy as np  # noqa: E402

from attention_ts.io import atomic_output  # noqa: E402

DPI = 80
CLASS_NAMES = ("normal", "anomalous")


@dataclass(frozen=True)
class SeriesView:
    """One series to draw: its values, attention per point and what is known about it."""

    series_id: int
    values: np.ndarray  # (points,)
    attention: np.ndarray | None  # (points,) on the original time axis, sums to 1; None: none
    label: int
    probability: float
    prediction: int
    segment: tuple[int, int] | None  # [start, end) of the flat part, None if normal

    @property
    def title(self) -> str:
        verdict = "right" if self.prediction == self.label else "wrong"
        return (
            f"series {self.series_id}: {CLASS_NAMES[self.label]}, predicted "
            f"{CLASS_NAMES[self.prediction]} (p={self.probability:.3f}, {verdict})"
        )


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
