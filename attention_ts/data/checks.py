"""The pipeline's gate: params and data files checked together, before any stage writes.

The `check` stage runs `check_inputs` first in every run (every other stage
depends on its output), so a bad value, a missing or unreadable file, or
data that the settings cannot train on is refused in one line while every
output of the last run is still in place. What can be known from the data
alone (classes, lengths, channels) is checked against every model setting
here, not in the stage that would fail on it after DVC has removed its
outputs.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from attention_ts.config.params import (
    ModelParams,
    Params,
    ParamsError,
    TrainParams,
    check_model_fits,
    check_split_sizes,
    min_points,
)
from attention_ts.core import resources
from attention_ts.data.dataset import Dataset, read_labelled


def tracked(path: Path) -> bool | None:
    """Whether git or DVC tracks `path` (None outside a git repository or for a path outside it).

    A queued experiment (`dvc exp run --queue`) runs in a copy of the
    repository that holds only what git and DVC track.
    """
    if path.is_absolute() and not path.resolve().is_relative_to(Path.cwd().resolve()):
        return None
    if Path(f"{path}.dvc").is_file():
        return True
    try:
        found = subprocess.run(
            ["git", "ls-files", "--error-unmatch", "--", str(path)],
            capture_output=True,
            check=False,
        )
    except OSError:  # no git
        return None
    if found.returncode != 0 and b"not a git repository" in found.stderr:
        return None
    return found.returncode == 0


def check_files(params: Params) -> list[str]:
    """Refuse a data file that is missing or cannot be read; notes for untracked ones.

    Returns one note per file that exists but that neither git nor DVC
    tracks (a queued experiment would not see it). Raises ParamsError naming
    the key, the file and how to make it visible.
    """
    notes = []
    for key, path in params.dataset.files().items():
        track = f"`git add {path}` and commit it (or `dvc add {path}`)"
        if not path.is_file():
            raise ParamsError(
                f"{key} = {str(path)!r}: no such file here (a queued experiment sees only files "
                f"that git or DVC tracks: {track}); allowed: an existing .csv, .tsv, .ts or .arff "
                "file, relative to the repository root or absolute"
            )
        try:
            with open(path, "rb") as stream:
                stream.read(1)
        except OSError as error:
            raise ParamsError(
                f"{key} = {str(path)!r} cannot be read ({error.strerror}); allowed: a file you "
                "can read"
            ) from None
        if tracked(path) is False:
            notes.append(
                f"note: {key} = {path} is not tracked by git or DVC, so `dvc exp run --queue` "
                f"would not see it: {track}"
            )
    return notes


def check_data(params: Params) -> tuple[Dataset, Dataset | None]:
    """Read the data files and refuse settings the data cannot train with: ParamsError.

    Every split gets every class; the model and each entry of `compare`
    fits the series' length (front-end stride, MiniRocket's kernel, the
    shortest series); a batch of train.batch_size series fits in memory.
    Returns (dataset, official test set or None) as `read_labelled` does.
    """
    dataset, test = read_labelled(params.dataset)
    note = check_split_sizes(
        dataset.class_counts(), params.split, f"in {params.dataset.path}", test is not None
    )
    if note:
        print(note)
    shortest = int(min(np.min(d.lengths) for d in (dataset, test) if d is not None))
    check_fits(params.model, params.train, dataset.series.shape[1:], shortest)
    for name in params.compare:
        check_fits(
            *params.compare_config(name), dataset.series.shape[1:], shortest, f"compare.{name}."
        )
    return dataset, test


def check_fits(
    model: ModelParams, train: TrainParams, shape: tuple[int, int], shortest: int, key: str = ""
) -> None:
    """Refuse settings that do not fit series of `shape` (channels, points), the shortest of
    `shortest` points: the front end's stride, MiniRocket's kernel, a batch's memory.

    `key` prefixes the keys in the message ("compare.cnn." for a comparison entry). Raises
    ParamsError (one line).
    """
    channels, points = shape
    check_model_fits(model, f"{key}model", points)
    need = min_points(model, points)
    if shortest < need:
        raise ParamsError(
            f"{key}model.downsample = {model.downsample} (a step of {need} points) is longer "
            f"than the shortest series of the data files ({shortest} points); allowed: "
            f"a stride of at most {shortest} points, or drop the shortest series"
        )
    resources.check_batch_memory(train.batch_size, channels, points, f"{key}train")
