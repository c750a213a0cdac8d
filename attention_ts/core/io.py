"""File output that harms nothing: never half-written, never over a file the command reads.

A stage that fails or is killed never leaves a half-written file
(`atomic_output`), and a command refuses output paths that would replace its
own inputs (`check_outputs`). Arrays larger than memory are written and read
in chunks of rows as .npy files (`write_npy`, `LazyArray`): resident memory is
bounded by the chunk, not by the file.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from attention_ts.core.stage import PipelineError


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to `path`; rename it onto `path` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        yield tmp
        if path.is_dir():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp)
        elif tmp.exists():
            tmp.unlink()


def replaces(output: Path, path: Path) -> bool:
    """Whether writing `output` (a file or a folder, replaced whole) would replace `path`.

    True when both name the same file (os.path.samefile: the same path, a
    symlink or a hard link to it), or when `path`, its links resolved, is
    `output` or lies inside it.
    """
    output, path = Path(output), Path(path)
    if output.exists() and path.exists() and os.path.samefile(output, path):
        return True
    return path.resolve().is_relative_to(output.resolve())


def check_outputs(outputs: dict[str, Path | None], inputs: dict[str, Path]) -> None:
    """Refuse output paths that would write over an input or over each other.

    `outputs` and `inputs` map how the user named each path (an argument
    or flag, e.g. "output", "--plots", "--model") to the path; an output of
    None is not written. Raises PipelineError naming both paths for the
    first output that would replace an input (see `replaces`) or another
    output, before anything is read or written.
    """
    written = {name: Path(path) for name, path in outputs.items() if path is not None}
    for name, output in written.items():
        others = {**inputs, **{other: path for other, path in written.items() if other != name}}
        for other, path in others.items():
            if replaces(output, path):
                raise PipelineError(
                    f"{name} {output} would write over {other} {path}; allowed: an output path "
                    "that is not, does not link to and does not hold what the command reads or "
                    "its other outputs"
                )


def read_json(path: Path, missing: str) -> Any:
    """What a stage wrote as JSON at `path`; PipelineError naming it when missing or damaged.

    `missing` tells the user how to make it, e.g. "run `dvc repro compare/dvc.yaml`".
    """
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise PipelineError(f"{path} not found; {missing}") from None
    except json.JSONDecodeError as error:
        raise PipelineError(f"{path} is not valid JSON ({error}); rerun its stage") from None


def write_json(path: Path, data: Any) -> None:
    """Write `data` as indented JSON, atomically."""
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2) + "\n")


CHUNK_BYTES = 64 * 2**20  # what a chunk of rows may take in memory: 64 MiB


def rows_per_chunk(row_shape: tuple[int, ...], dtype: np.dtype | type = np.float64) -> int:
    """Rows of `row_shape` (one row, e.g. (channels, points)) of `dtype` that fit CHUNK_BYTES."""
    row_bytes = int(np.prod(row_shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    return max(1, CHUNK_BYTES // max(1, row_bytes))


def write_npy(path: Path, shape: tuple[int, ...], dtype: np.dtype, chunks: Iterable) -> None:
    """Write a .npy of `shape` and `dtype` from `chunks`, consecutive rows, one chunk in memory.

    The file has the bytes `np.save` writes for the whole array (numpy's own
    header, by `np.lib.format.open_memmap`; then the rows in C order), so a
    reader cannot tell the two apart. Each chunk is an array of shape
    (rows, *shape[1:]), cast to `dtype`. Written through a temporary file
    (`atomic_output`). Raises ValueError when a chunk's row shape is not
    shape[1:] or the chunks do not add up to shape[0] rows (nothing is left
    at `path` then).
    """
    dtype = np.dtype(dtype)
    with atomic_output(path) as tmp:
        header = np.lib.format.open_memmap(tmp, mode="w+", dtype=dtype, shape=shape)
        offset = header.offset
        del header  # unmapped: the rows go through plain writes, not into resident pages
        rows = 0
        with open(tmp, "r+b") as stream:
            stream.seek(offset)
            for chunk in chunks:
                chunk = np.ascontiguousarray(chunk, dtype=dtype)
                if chunk.shape[1:] != tuple(shape[1:]):
                    raise ValueError(f"a chunk of shape {chunk.shape} for an array {shape}")
                stream.write(chunk.data)
                rows += len(chunk)
        if rows != shape[0]:
            raise ValueError(f"chunks of {rows} rows in all for an array {shape}")


class LazyArray:
    """A .npy file whose rows are read when indexed: memory holds what is asked for, not the file.

    `array[index]` (an int, a slice, or an array of row indices, in any
    order) returns a new in-memory ndarray, the same values `np.load(path)[index]`
    would give. Each read maps the file (numpy's memmap), copies the rows and
    unmaps it, so the pages read leave the process's resident memory (they may
    stay in the OS page cache). `shape`, `dtype`, `ndim` and `len` are the
    file's. Raises what `np.load` raises for a missing or damaged file
    (FileNotFoundError, ValueError) when opened.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        mapped = np.load(self.path, mmap_mode="r", allow_pickle=False)
        self.shape, self.dtype, self.ndim = mapped.shape, mapped.dtype, mapped.ndim

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index: Any) -> np.ndarray:
        # the row numbers asked for: an int or an array
        rows = np.arange(*index.indices(len(self))) if isinstance(index, slice) else index
        mapped = np.load(self.path, mmap_mode="r", allow_pickle=False)
        try:
            return np.asarray(np.take(mapped, rows, axis=0))  # one copy; no view of the map
        finally:
            del mapped

    def chunks(self, rows: int) -> Iterator[np.ndarray]:
        """The rows in order, `rows` at a time (the last chunk may be shorter)."""
        for start in range(0, len(self), rows):
            yield self[start : start + rows]
