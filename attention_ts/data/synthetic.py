"""Synthetic sine waves with an optional anomalous segment: flat, a spike, a level shift, a
noise burst, a frequency change or a time warp (ANOMALY_KINDS).

`generate` draws a whole dataset in memory, `generate_chunks` the same rows
chunk by chunk (the same bytes: every per-series draw is made first, in
`plan`, then the per-point draws in row order, in `render`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from attention_ts.config.catalog import ANOMALY_KINDS, TASKS, class_counts, synthetic_classes
from attention_ts.config.params import GenerateParams
from attention_ts.data.dataset import NO_SEGMENT, TABLE_DTYPE, Dataset

SPIKE_POINTS = 3  # a spike's segment: [start, start + 3), clipped at the end
SPIKE_HEIGHT = 2.0  # a spike adds +-2 * A to its points
LEVEL_SHIFT = 1.0  # a level shift adds +-1 * A to its segment
NOISE_BURST = 0.3  # a noise burst adds Gaussian noise of std 0.3 * A to its segment
FREQUENCY_FACTOR = 3.0  # a frequency change runs the sine 3 times as fast in its segment
WARP = 0.8  # a time warp's local speed swings between 1 - 0.8 and 1 + 0.8 in its segment


class Segment(NamedTuple):
    """The anomalous series of one kind (m of them): their waves and where the anomaly goes."""

    amplitude: np.ndarray  # (m,) A
    frequency: np.ndarray  # (m,) f
    start: np.ndarray  # (m,) first point of the segment
    end: np.ndarray  # (m,) one past its last point
    sign: np.ndarray  # (m,) +-1.0: which way a spike or level shift goes (drawn in `plan`)
    t: np.ndarray  # (points,) time of each point, on [0, 2*pi]

    def mask(self) -> np.ndarray:
        """(m, points) bool: True in [start, end)."""
        steps = np.arange(len(self.t))[None, :]
        return (steps >= self.start[:, None]) & (steps < self.end[:, None])

    def times(self) -> tuple[np.ndarray, np.ndarray]:
        """(t_s, L), each (m, 1): the time at `start`, and the time from it to point `end`."""
        step = 2 * math.pi / (len(self.t) - 1)
        return self.t[self.start][:, None], ((self.end - self.start) * step)[:, None]


def _flat(clean: np.ndarray, seg: Segment, rng: np.random.Generator) -> np.ndarray:
    """The segment held at its value at `start`: a sensor that froze."""
    held = clean[np.arange(len(clean)), seg.start]  # (m,)
    return np.where(seg.mask(), held[:, None], clean)


def _offset(clean: np.ndarray, seg: Segment, size: float) -> np.ndarray:
    """The segment moved up or down (by seg.sign) by `size` * A."""
    return np.where(seg.mask(), clean + (seg.sign * size * seg.amplitude)[:, None], clean)


def _spike(clean: np.ndarray, seg: Segment, rng: np.random.Generator) -> np.ndarray:
    """SPIKE_POINTS points (the segment) moved by +-SPIKE_HEIGHT * A."""
    return _offset(clean, seg, SPIKE_HEIGHT)


def _level_shift(clean: np.ndarray, seg: Segment, rng: np.random.Generator) -> np.ndarray:
    """The segment moved by +-LEVEL_SHIFT * A."""
    return _offset(clean, seg, LEVEL_SHIFT)


def _noise_burst(clean: np.ndarray, seg: Segment, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise of std NOISE_BURST * A added to the segment."""
    burst = rng.normal(size=clean.shape) * (NOISE_BURST * seg.amplitude)[:, None]  # (m, points)
    return np.where(seg.mask(), clean + burst, clean)


def _frequency_change(clean: np.ndarray, seg: Segment, rng: np.random.Generator) -> np.ndarray:
    """FREQUENCY_FACTOR times the frequency in the segment, then f again; phase-continuous."""
    t_s, duration = seg.times()  # (m, 1) each
    f, t = seg.frequency[:, None], seg.t[None, :]  # (m, 1), (1, points)
    steps = np.arange(len(seg.t))[None, :]
    inside = f * t_s + FREQUENCY_FACTOR * f * (t - t_s)  # (m, points)
    after = f * t + (FREQUENCY_FACTOR - 1) * f * duration  # the phase the segment gained
    phase = np.where(steps < seg.end[:, None], inside, after)
    wave = seg.amplitude[:, None] * np.sin(phase)
    return np.where(steps >= seg.start[:, None], wave, clean)


def _time_warp(clean: np.ndarray, seg: Segment, rng: np.random.Generator) -> np.ndarray:
    """Local time warped in the segment: f * t_s + f * w(t - t_s), w(L) = L (see `generate`)."""
    t_s, duration = seg.times()  # (m, 1) each
    u = seg.t[None, :] - t_s  # (m, points) time since the segment's start
    warped = u + WARP * (duration / math.pi) * np.sin(math.pi * u / duration)
    f = seg.frequency[:, None]
    wave = seg.amplitude[:, None] * np.sin(f * t_s + f * warped)
    return np.where(seg.mask(), wave, clean)


# kind -> the anomalous series (m, points) from their clean waves (m, points)
ANOMALIES = {
    "flat": _flat,
    "spike": _spike,
    "level_shift": _level_shift,
    "noise_burst": _noise_burst,
    "frequency_change": _frequency_change,
    "time_warp": _time_warp,
}
SIGNED = ("spike", "level_shift")  # kinds that go up or down: a sign per series, drawn in `plan`


class Plan(NamedTuple):
    """What `generate` draws per series before any point: every series' table row, kind, sign."""

    table: np.ndarray  # (n,) TABLE_DTYPE: label, amplitude, frequency, segment, length
    kind: np.ndarray  # (n,) index into params.anomalies; NO_SEGMENT for a normal series
    sign: np.ndarray  # (n,) +-1.0 for the SIGNED kinds, else 0.0
    classes: tuple[str, ...]


def _check_kinds(params: GenerateParams) -> None:
    kinds_ok = params.anomalies and len(set(params.anomalies)) == len(params.anomalies)
    if not kinds_ok or not set(params.anomalies) <= set(ANOMALIES) or params.task not in TASKS:
        raise ValueError(
            f"anomalies {params.anomalies} and task {params.task!r}: allowed: distinct kinds of "
            f"{', '.join(ANOMALY_KINDS)}, one or more, and a task of {', '.join(TASKS)}"
        )


def plan(params: GenerateParams, rng: np.random.Generator, extra: np.random.Generator) -> Plan:
    """Draw every per-series value (`generate`'s first step): (n,) arrays, no points yet.

    Draws from `rng` (the main stream, seeded by `generate.seed`) in the
    original generator's order, then from `extra` the kinds (more than one)
    and the signs of the SIGNED kinds, kind by kind in the listed order.
    """
    n, n_points = params.n_series, params.n_points
    _, n_anomalous = class_counts(n, params.anomaly_fraction)
    anomalous = rng.permutation(np.arange(n) < n_anomalous)  # (n,) bool
    amplitude = rng.choice(params.amplitude.values(), size=n)
    frequency = rng.choice(params.frequency.values(), size=n)
    start_fraction = rng.choice(params.segment_start.values(), size=n)
    length_fraction = rng.choice(params.segment_length.values(), size=n)
    start = np.floor(start_fraction * n_points + 1e-9).astype(np.int64)
    length = np.floor(length_fraction * n_points + 1e-9).astype(np.int64)
    end = np.minimum(start + length, n_points)
    start = np.where(anomalous, start, NO_SEGMENT)
    end = np.where(anomalous, end, NO_SEGMENT)
    kinds = np.arange(n_anomalous) % len(params.anomalies)  # (n_anomalous,) index into anomalies
    kind = np.full(n, NO_SEGMENT)  # (n,) the kind of each anomalous series; -1 if normal
    kind[anomalous] = extra.permutation(kinds) if len(params.anomalies) > 1 else kinds
    sign = np.zeros(n)
    for k, name in enumerate(params.anomalies):
        rows = np.flatnonzero(kind == k)  # (m,)
        if name == "spike":
            end[rows] = np.minimum(start[rows] + SPIKE_POINTS, n_points)
        if name in SIGNED:
            sign[rows] = extra.choice([-1.0, 1.0], size=len(rows))

    table = np.zeros(n, dtype=TABLE_DTYPE)
    table["id"] = np.arange(n)
    table["label"] = np.where(anomalous, 1 + kind, 0) if params.task == "multiclass" else anomalous
    table["amplitude"] = amplitude
    table["frequency"] = frequency
    table["segment_start"] = start
    table["segment_end"] = end
    table["length"] = n_points
    return Plan(table, kind, sign, synthetic_classes(params.task, params.anomalies))


def render(
    params: GenerateParams,
    drawn: Plan,
    rows: slice,
    rng: np.random.Generator,
    extra: np.random.Generator,
) -> np.ndarray:
    """The series of `rows` (consecutive) of a `plan`: (m, 1, n_points) float32.

    Draws the noise bursts from `extra` and the noise from `rng`, in row
    order: called on consecutive chunks, it gives the bytes of one call on all rows.
    """
    table, kind = drawn.table[rows], drawn.kind[rows]
    amplitude, frequency = table["amplitude"], table["frequency"]
    t = np.linspace(0.0, 2 * math.pi, params.n_points)
    clean = amplitude[:, None] * np.sin(frequency[:, None] * t[None, :])  # (m, n_points)
    series = clean.copy()
    for k, name in enumerate(params.anomalies):
        at = np.flatnonzero(kind == k)  # (m_k,)
        segment = Segment(
            amplitude[at],
            frequency[at],
            table["segment_start"][at],
            table["segment_end"][at],
            drawn.sign[rows][at],
            t,
        )
        series[at] = ANOMALIES[name](clean[at], segment, extra)
    if params.noise > 0:
        series = series + rng.normal(size=series.shape) * (params.noise * amplitude[:, None])
    # reshape, not [:, None, :]: that view has stride 0 on the channel axis, and oneDNN then
    # picks other convolution kernels than for the arrays read back from .npy (other bits)
    return series.astype(np.float32).reshape(len(series), 1, params.n_points)


def generate_chunks(
    params: GenerateParams, rows: int
) -> tuple[np.ndarray, tuple[str, ...], Iterator[np.ndarray]]:
    """`generate`, streamed: (table (n,), classes, the series `rows` at a time).

    The chunks, (<= rows, 1, n_points) float32 each, in order, are the
    series `generate` returns, byte for byte; only one is in memory at a
    time (with the (n,) per-series draws). Raises ValueError as `generate`.
    """
    _check_kinds(params)
    rng = np.random.default_rng(params.seed)
    extra = np.random.default_rng([params.seed, 1])  # draws of kinds other than flat only
    drawn = plan(params, rng, extra)
    n = params.n_series
    chunks = (
        render(params, drawn, slice(a, min(a + rows, n)), rng, extra) for a in range(0, n, rows)
    )
    return drawn.table, drawn.classes, chunks


def generate(params: GenerateParams) -> Dataset:
    """Draw every series at once (vectorized), following the original's distribution.

    Each series is A * sin(f * t) on t in [0, 2*pi]. An anomalous series
    gets one kind of `params.anomalies` (the kinds balanced: `kind_counts`)
    in its segment [start, end), drawn as start + length, clipped at the end
    (t_s, t_e: the times of points start and end; L = t_e - t_s):

    - flat: held at its value at `start` (the original task);
    - spike: [start, start + SPIKE_POINTS), clipped, moved by +-SPIKE_HEIGHT * A
      (sign drawn); segment_end is start + SPIKE_POINTS (clipped);
    - level_shift: moved by +-LEVEL_SHIFT * A (sign drawn);
    - noise_burst: Gaussian noise of std NOISE_BURST * A added;
    - frequency_change: FREQUENCY_FACTOR * f inside, phase-continuous at
      start; from end on f again, phase-continuous: the same sine, shifted
      in phase by (FREQUENCY_FACTOR - 1) * f * L;
    - time_warp: phase f * t_s + f * w(t - t_s), w(u) = u + WARP * (L / pi) *
      sin(pi * u / L): the speed swings between 1 - WARP and 1 + WARP, and
      w(L) = L, so from end on the series is the clean sine again.

    Outside the segment every kind but frequency_change is the clean sine.
    Gaussian noise (std = noise * A) is added last to every series, so with
    noise a flat part is as noisy as the rest, as if a sensor froze but
    still hissed. Labels: 1 = anomalous (task binary, SYNTHETIC_CLASSES), or
    1 + the kind's index in `anomalies` (multiclass; classes normal, then
    the kinds). With anomalies [flat] and task binary the bytes are those of
    the original generator: what the other kinds draw (kinds, signs, bursts)
    comes from a second stream, seeded by [seed, 1], never from the main
    one.

    Streamed: `generate_chunks` computes the same series a chunk of rows at a
    time, byte for byte (every per-series draw is made first, by `plan`; the
    draws with one value per point, the noise and the bursts, follow in row
    order, and numpy's generators give the same numbers drawn in pieces as
    at once). `generate` is its one-chunk case. Raises ValueError when
    `anomalies` is empty, repeats a kind or names one not in ANOMALY_KINDS,
    or `task` is not one of TASKS (load_params refuses all of these first,
    in one line).
    """
    table, classes, chunks = generate_chunks(params, max(1, params.n_series))
    return Dataset(np.concatenate(list(chunks)), table, classes)
