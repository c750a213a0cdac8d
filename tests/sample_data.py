"""The labelled sample files under tests/data/, small and made here.

- labelled_sample.csv: a dataset made by the generator, in the layout
  `dataset.source = file` reads (id, label, values), so the own-data path can
  be tested on known series;
- shapes_TRAIN.ts / shapes_TEST.ts: univariate, 3 classes ("Sine", "Square",
  "Ramp": capitalized, which aeon's loader would lowercase), equal length;
- motion_TRAIN.ts / motion_TEST.ts: 3 channels, lengths 6 to 14, 2 classes;
- motion_long.csv: motion_TRAIN's series in the long CSV layout with a
  channel column (id, t, channel, value, label);
- gestures_TRAIN.ts / gestures_TEST.ts: all three at once, 3 classes, 3 channels,
  lengths 6 to 14 (tests/test_own_data.py runs both pipelines on them).

The .ts files are written by aeon's own writer (save_to_ts_file).
`python -m tests.sample_data` writes them all again; tests/test_own_data.py
and tests/test_files.py check that the committed files are exactly what
this makes.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np

from attention_ts.config.params import GenerateParams, build
from attention_ts.data.dataset import Dataset
from attention_ts.data.files import Series, write_series
from attention_ts.data.synthetic import generate
from tests.conftest import REPO, default_raw_params

DATA = REPO / "tests/data"
SAMPLE = DATA / "labelled_sample.csv"
DECIMALS = 3  # the file's values are the generated ones rounded to this many decimals
SHAPES = {split: DATA / f"shapes_{split}.ts" for split in ("TRAIN", "TEST")}
MOTION = {split: DATA / f"motion_{split}.ts" for split in ("TRAIN", "TEST")}
MOTION_LONG = DATA / "motion_long.csv"
GESTURES = {split: DATA / f"gestures_{split}.ts" for split in ("TRAIN", "TEST")}
GESTURE_CLASSES = ("up", "down", "level")
DRIFT = {"up": 1, "down": -1, "level": 0}  # the sign of each class's slope
SHAPE_CLASSES = ("Sine", "Square", "Ramp")
MOTION_CLASSES = ("up", "down")
MOTION_CHANNELS = ("x", "y", "z")
SAMPLE_DECIMALS = 2  # the .ts samples' values are rounded to this many decimals


def sample_dataset() -> Dataset:
    """200 series of 100 points, half with a flat segment, a little noise."""
    raw = default_raw_params()["generate"]
    raw.update(n_series=200, n_points=100, noise=0.05, seed=7)
    return generate(build(GenerateParams, raw, "generate"))


def sample_series() -> Series:
    """The sample dataset as the file holds it: ids, labels 0/1, rounded values (float64, so
    that write_series' 9 digits write the rounded decimals, not float32's nearest)."""
    dataset = sample_dataset()
    return Series(
        values=np.round(dataset.series.astype(np.float64), DECIMALS),  # (n, 1, points)
        lengths=dataset.table["length"].copy(),
        ids=[str(i) for i in dataset.table["id"]],
        rows=list(range(2, len(dataset.table) + 2)),
        labels=[str(label) for label in dataset.table["label"]],
    )


def shapes(split: str) -> tuple[np.ndarray, list[str]]:
    """(series (n, 1, 30) float64, labels): noisy sine, square and ramp waves, 8 (5) per class."""
    rng = np.random.default_rng(11 if split == "TRAIN" else 12)
    per_class = 8 if split == "TRAIN" else 5
    t = np.linspace(0, 1, 30)
    series, labels = [], []
    for _ in range(per_class):
        for name in SHAPE_CLASSES:
            phase = rng.uniform(0, 1)
            wave = {
                "Sine": np.sin(2 * np.pi * (2 * t + phase)),
                "Square": np.sign(np.sin(2 * np.pi * (2 * t + phase))),
                "Ramp": 2 * ((2 * t + phase) % 1) - 1,
            }[name]
            series.append(wave + rng.normal(scale=0.1, size=t.shape))
            labels.append(name)
    return np.round(np.array(series)[:, None, :], SAMPLE_DECIMALS), labels


def _drifting(seed: int, n: int, classes: tuple[str, ...]) -> tuple[list[np.ndarray], list[str]]:
    """(series (n,) of (3, 6..14) float64, labels): series k of class k % len(classes), its 3
    channels drifting up, down or level (by the class's name) plus noise."""
    rng = np.random.default_rng(seed)
    series, labels = [], []
    for k in range(n):
        name = classes[k % len(classes)]
        length = int(rng.integers(6, 15))
        slope = DRIFT[name] * rng.uniform(0.5, 1.5, size=(3, 1))
        steps = np.arange(length)[None, :] / length
        values = slope * steps + rng.normal(scale=0.2, size=(3, length))
        series.append(np.round(values, SAMPLE_DECIMALS))
        labels.append(name)
    return series, labels


def motion(split: str) -> tuple[list[np.ndarray], list[str]]:
    """3 drifting channels, up or down, 8 (6) series: `_drifting`'s output."""
    return _drifting(21 if split == "TRAIN" else 22, 8 if split == "TRAIN" else 6, MOTION_CLASSES)


def gestures(split: str) -> tuple[list[np.ndarray], list[str]]:
    """3 channels rising, falling or level, 12 (6) series: `_drifting`'s output."""
    return _drifting(31 if split == "TRAIN" else 32, 12 if split == "TRAIN" else 6, GESTURE_CLASSES)


def write_ts(path: Path, series: np.ndarray | list[np.ndarray], labels: list[str]) -> None:
    """`series` and `labels` as a .ts file at `path`, written by aeon's save_to_ts_file."""
    from aeon.datasets import save_to_ts_file

    with tempfile.TemporaryDirectory() as folder:
        name, split = path.stem.rsplit("_", 1)
        save_to_ts_file(
            series,
            np.array(labels),
            label_type="classification",
            path=folder,
            problem_name=name,
            file_suffix=f"_{split}",
        )
        shutil.move(Path(folder) / path.name, path)


def write_long(path: Path, series: list[np.ndarray], labels: list[str]) -> None:
    """`series` (each (3, points)) in the long CSV layout: id, t, channel, value, label."""
    lines = ["id,t,channel,value,label"]
    for k, (values, label) in enumerate(zip(series, labels)):
        for t in range(values.shape[1]):
            for name, value in zip(MOTION_CHANNELS, values[:, t]):
                lines.append(f"m{k + 1},{t},{name},{value},{label}")
    path.write_text("\n".join(lines) + "\n")


def write_samples(folder: Path) -> list[Path]:
    """Write every sample file into `folder` (named as under tests/data/); their paths."""
    write_series(folder / SAMPLE.name, sample_series())
    for split in ("TRAIN", "TEST"):
        write_ts(folder / SHAPES[split].name, *shapes(split))
        write_ts(folder / MOTION[split].name, *motion(split))
        write_ts(folder / GESTURES[split].name, *gestures(split))
    write_long(folder / MOTION_LONG.name, *motion("TRAIN"))
    names = [SAMPLE, *SHAPES.values(), *MOTION.values(), MOTION_LONG, *GESTURES.values()]
    return [folder / path.name for path in names]


def main() -> None:
    for path in write_samples(DATA):
        print(f"wrote {path.relative_to(REPO)} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
