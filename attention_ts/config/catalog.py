"""What params are checked against: the kinds, tasks and classes of the synthetic data, how
counts split, and which UCR/UEA archive datasets aeon ships.

The layer below params.py and the data it describes, so that both can import
it: nothing here imports either.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from attention_ts.core.stage import PipelineError

SYNTHETIC_CLASSES = ("normal", "anomalous")  # class 1 is the positive class of binary metrics
ANOMALY_KINDS = (  # what an anomalous synthetic series has in [start, end); see `generate`
    "flat",
    "spike",
    "level_shift",
    "noise_burst",
    "frequency_change",
    "time_warp",
)
TASKS = ("binary", "multiclass")
DATA_SUFFIXES = (
    ".csv",
    ".tsv",
    ".ts",
    ".arff",
)  # the series files read (data/files.py)  # synthetic labels: normal vs anomalous, or which kind


def class_counts(n_series: int, anomaly_fraction: float) -> tuple[int, int]:
    """(normal, anomalous) series counts; the anomalous count is rounded, not drawn."""
    anomalous = round(n_series * anomaly_fraction)
    return n_series - anomalous, anomalous


def kind_counts(n_anomalous: int, n_kinds: int) -> list[int]:
    """Anomalous series of each kind, in the listed order: balanced, the first kinds one more."""
    return [n_anomalous // n_kinds + int(k < n_anomalous % n_kinds) for k in range(n_kinds)]


def synthetic_classes(task: str, anomalies: Sequence[str]) -> tuple[str, ...]:
    """The generated classes: SYNTHETIC_CLASSES (binary), or normal and each kind (multiclass)."""
    return SYNTHETIC_CLASSES if task == "binary" else ("normal", *anomalies)


def synthetic_class_counts(
    n_series: int, anomaly_fraction: float, task: str, anomalies: Sequence[str]
) -> dict[str, int]:
    """Series of each class `generate` makes (class name -> count), in the class order.

    The arguments are the generate.* params of the same names.
    """
    normal, anomalous = class_counts(n_series, anomaly_fraction)
    if task == "binary":
        return dict(zip(SYNTHETIC_CLASSES, (normal, anomalous)))
    return {"normal": normal, **dict(zip(anomalies, kind_counts(anomalous, len(anomalies))))}


def split_counts(count: int, fractions: tuple[float, ...]) -> tuple[int, ...]:
    """Sizes of train/val(/test) for `count` >= 1 items of one class.

    Train takes round(count * train), at least 1; validation its rounded share
    of what is left, but only what leaves the test part (the last, which takes
    the rest) at least one item. A class too small to hold out validation
    thus stays in train, and one too small for train and test leaves test
    empty (the caller refuses that: `params.check_split_sizes`).
    """
    train = min(count, max(1, round(count * fractions[0])))
    if len(fractions) == 2:
        return train, count - train
    val = max(0, min(round(count * fractions[1]), count - train - 1))
    return train, val, count - train - val


def archive_folder() -> Path:
    """The folder of UCR/UEA datasets inside the installed aeon package (`aeon/datasets/data`).

    Found without importing aeon (numba compiles on import). Each dataset is
    a folder `<name>/` holding `<name>_TRAIN.ts` and `<name>_TEST.ts`.
    """
    spec = importlib.util.find_spec("aeon")
    if spec is None or not spec.submodule_search_locations:
        raise PipelineError("aeon is not installed; allowed: pip install -r requirements.txt")
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data"


def archive_files(name: str) -> tuple[Path, Path]:
    """The official train and test `.ts` files of archive dataset `name` that aeon ships."""
    folder = archive_folder() / name
    return folder / f"{name}_TRAIN.ts", folder / f"{name}_TEST.ts"


def archive_datasets() -> list[str]:
    """The classification datasets aeon ships with an official train/test split, sorted.

    Those whose `.ts` header declares class labels; aeon's regression and
    forecasting examples also have a TRAIN file, but no `@classLabel true`.
    """
    names = []
    for folder in sorted(archive_folder().iterdir()):
        train, test = archive_files(folder.name)
        if train.is_file() and test.is_file():
            with open(train, errors="replace") as stream:
                header = "".join(line for line, _ in zip(stream, range(200)))
            if "@classlabel true" in header.lower():
                names.append(folder.name)
    return names
