"""File output that harms nothing: never half-written, never over a file the command reads.

The one home of the output contract (docs/contracts.md). A stage that fails
or is killed never leaves a half-written file (`atomic_output`, for the
pipeline's own paths). A path the user names is an `Output` (a file) or an
`OutputFolder` (a folder written into): checked before the work, refused when
it would replace an input, written as a stream when it is a device, through
a temporary file otherwise, and never replacing or removing what the command
did not write. Arrays larger than memory are written and read
in chunks of rows as .npy files (`write_npy`, `LazyArray`): resident memory is
bounded by the chunk, not by the file.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import stat
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

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
    """Whether writing `output` (a file, or a folder written into) would touch `path`.

    True when both name the same file (os.path.samefile: the same path, a
    symlink or a hard link to it), or when `path`, its links resolved, is
    `output` or lies inside it.
    """
    output, path = Path(output), Path(path)
    if output.exists() and path.exists() and os.path.samefile(output, path):
        return True
    # os.path.realpath, not Path.resolve: that raises RuntimeError for a symlink that loops
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(output))


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


# what writing can fail with once a path proved writable: a full disk or quota, a file grown
# too large, a disk error, a mount gone read-only; for a stream also a pipe whose reader is gone
# (`| head`) and a descriptor not open for writing (/dev/stdin)
WRITE_ERRORS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EFBIG,
    errno.EIO,
    errno.EROFS,
    errno.EPIPE,
    errno.EBADF,
}


def descriptor(path: Path) -> int | None:
    """The descriptor N of this process that `path` names, else None: /proc/self/fd/N,
    /dev/fd/N, /dev/stdout and /dev/stderr, or a symlink to one of them.

    Such a path is the file the descriptor is open on, as the shell set it up: `> file`,
    `>> log`, a pipe, a terminal, a socket.
    """
    here = re.compile(rf"/proc/{os.getpid()}(/task/\d+)?/fd")
    path = Path(os.path.abspath(path))
    for _ in range(40):  # as many links as the kernel follows
        if path.name.isdigit() and here.fullmatch(os.path.realpath(path.parent)):
            return int(path.name)
        if not path.is_symlink():
            return None
        path = Path(os.path.abspath(path.parent / os.readlink(path)))
    return None


def is_stream(path: Path) -> bool:
    """Whether `path` (links followed) is written as a stream: a device, FIFO or socket, or
    any file but a folder that one of this process's descriptors is open on (`descriptor`)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    if stat.S_ISDIR(mode):
        return False
    return not stat.S_ISREG(mode) or descriptor(path) is not None


def cannot_write(name: str, path: Path, error: OSError) -> PipelineError:
    """The one line for an OSError while writing the output `path` (named `name` to the user)."""
    reason = error.strerror or type(error).__name__
    if error.errno in (errno.EPIPE, errno.EBADF):  # a stream's reader stopped (`| head`)
        return PipelineError(
            f"{name} {path}: the stream was closed ({reason}); allowed: a reader that takes "
            "the whole output, or a file"
        )
    folder = Path(error.filename).parent if error.filename else Path(path).parent
    return PipelineError(
        f"{name} {path}: cannot write in {folder or '.'} ({reason}); allowed: a path in an "
        "existing folder you can write, on a disk with room"
    )


class Output:
    """A file the user named as a command's output, written so that nothing else is harmed.

    Created before the work (the command's arguments checked), it refuses,
    with one PipelineError line: a folder; a missing parent folder; a path
    that is, links to or holds one of `inputs`; a folder that cannot be
    written (found by creating the temporary file there at once). A device,
    FIFO (`/dev/null`, a named pipe) is written in place, as a stream, and
    so is a descriptor of this process (`/dev/stdout`, or `-`, whatever the shell
    pointed it at: `>> log` appends); a socket is refused (it cannot be
    opened as a file). A symlink is followed, its target gets the output; a
    symlink that loops is refused. A regular file is written to a temporary
    file in the target's folder and renamed onto it only when the `with`
    block ends without error, so it is never half-written; an error (a full
    disk included: one PipelineError line) or an interrupt removes the
    temporary file and leaves what was there before.

        with Output(path, "output", {"input": data}) as out:
            ...                     # the work; the path is already known writable
            with out.open(newline="") as stream:
                stream.write(...)
    """

    def __init__(self, path: Path, name: str, inputs: dict[str, Path]) -> None:
        path = Path("/dev/stdout") if str(path) == "-" else path  # the Unix convention
        self.given, self.name = Path(path), name
        check_outputs({name: self.given}, inputs)
        self.stream = is_stream(self.given)
        self.descriptor = descriptor(self.given) if self.stream else None
        target = Path(os.path.realpath(self.given))  # a symlink's target gets the output
        if self.stream and self.descriptor is None:
            # open() cannot open a socket (ENXIO), nor a device this user may not write: say so
            # now, not after the work
            if stat.S_ISSOCK(os.stat(self.given).st_mode):
                raise PipelineError(
                    f"{name} {path} is a socket, which cannot be opened as a file; allowed: a "
                    "file, a device, a named pipe or /dev/stdout"
                )
            if not os.access(self.given, os.W_OK):
                denied = PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
                raise cannot_write(name, self.given, denied)
        if not self.stream:
            if target.is_symlink():  # realpath stops where links loop
                raise PipelineError(
                    f"{name} {path} is a symlink that loops ({target} -> "
                    f"{os.readlink(target)}); allowed: a file name, or a link to one"
                )
            if target.is_dir():
                raise PipelineError(f"{name} {path} is a folder; allowed: a file name")
            if not target.parent.is_dir():
                raise PipelineError(
                    f"{name} {path}: its folder {target.parent} does not exist; allowed: a path "
                    "in an existing folder (create it first)"
                )
        self.target = target
        self.path = (
            self.given if self.stream else target.with_name(f".{target.name}.tmp-{os.getpid()}")
        )
        if not self.stream:
            try:
                self.path.touch(exist_ok=False)
            except OSError as error:
                raise cannot_write(name, self.given, error) from None

    def open(self, **options: Any) -> IO[str]:
        """The output opened for writing text (`options`: `open`'s, e.g. newline=""): the
        temporary file, the stream, or a copy of the descriptor the path names, so that the
        text goes where the shell pointed it, at its offset (reopening /dev/stdout would
        truncate a `>> log` and write over what shares the descriptor, as `2>&1` does)."""
        if self.descriptor is not None:
            return open(os.dup(self.descriptor), "w", **options)
        return open(self.path, "w", **options)

    def __enter__(self) -> Output:
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, trace: object) -> None:
        try:
            if kind is None and not self.stream:
                os.replace(self.path, self.target)
        finally:
            if not self.stream and self.path.exists():
                self.path.unlink()
        if isinstance(error, OSError) and error.errno in WRITE_ERRORS:
            raise cannot_write(self.name, self.given, error) from None


def safe_name(text: str, max_bytes: int = 200) -> str:
    """`text` as a file name: letters, digits and marks of any script kept, and ".", "_", "-".

    Anything else (a path separator, a control character, punctuation) is
    "_"; a leading "." is "_" (no hidden files); cut at `max_bytes` of UTF-8
    (file systems allow 255) on a character boundary; non-ASCII letters
    become "_" where the file system's encoding cannot hold them. Never
    empty.
    """
    kept = "".join(
        c if c in "._-" or unicodedata.category(c)[0] in "LNM" else "_"
        for c in unicodedata.normalize("NFC", text)
    )
    try:
        kept.encode(sys.getfilesystemencoding())
    except UnicodeEncodeError:
        kept = "".join(c if c.isascii() else "_" for c in kept)
    kept = kept.encode()[:max_bytes].decode(errors="ignore")
    return ("_" + kept[1:] if kept.startswith(".") else kept) or "_"


class UniqueNames:
    """File names from text of the user's data (ids, class names): each `safe_name`d, and
    unique among those given so far ignoring case and Unicode form, as macOS and Windows
    compare names (a name taken gets "-<tag>", e.g. "-row7")."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, text: str, tag: str) -> str:
        name = safe_name(text)
        while unicodedata.normalize("NFC", name).casefold() in self.used:
            name = f"{name}-{tag}"
        self.used.add(unicodedata.normalize("NFC", name).casefold())
        return name


class OutputFolder:
    """A folder the user named for a command to write files into, never emptied or taken over.

    The folder may be new (its parent must exist), empty, or one this class
    wrote before: it keeps the names of the files it wrote in MANIFEST
    inside the folder. A folder holding anything else is refused before
    the work (PipelineError), so no file the command did not write is ever
    replaced or removed. Files go to a temporary folder first; when the
    `with` block ends without error they are moved in (replacing only files
    of an earlier run of the command with the same name) and MANIFEST lists
    every file the command has written there; on an error nothing in the
    folder changes. `name(stem, tag)` gives each file a unique name.
    """

    MANIFEST = ".written-by-attention-ts"

    def __init__(self, folder: Path, name: str, inputs: dict[str, Path]) -> None:
        self.folder, self.option = Path(folder), name
        if self.folder.is_symlink() and not self.folder.exists():
            # a dangling link: its target is made (a folder cannot be renamed onto the link)
            self.folder = Path(os.path.realpath(self.folder))
            if self.folder.is_symlink():  # realpath stops where links loop
                raise PipelineError(
                    f"{name} {folder} is a symlink that loops; allowed: a folder, or a link to one"
                )
        check_outputs({name: self.folder}, inputs)
        self.earlier: set[str] = set()
        if self.folder.exists():
            if not self.folder.is_dir():
                raise PipelineError(f"{name} {folder} is a file; allowed: a folder")
            manifest = self.folder / self.MANIFEST
            if manifest.is_file():
                self.earlier = set(manifest.read_text().splitlines())
            # what it wrote is a plain file still: a folder or link now in its place (the
            # manifest's too) is the user's, and renaming onto it would fail or replace it
            foreign = sorted(
                p.name
                for p in self.folder.iterdir()
                if p.name not in {*self.earlier, self.MANIFEST} or p.is_symlink() or not p.is_file()
            )
            if foreign:
                shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
                raise PipelineError(
                    f"{name} {folder} holds files this command did not write ({shown}); allowed: "
                    "a new or empty folder, or one that only an earlier run of it wrote"
                )
            parent = self.folder
        else:
            parent = self.folder.parent
            if not parent.is_dir():
                raise PipelineError(
                    f"{name} {folder}: its folder {parent} does not exist; allowed: a path in an "
                    "existing folder (create it first)"
                )
        self.staging = parent / f".{self.folder.name}.tmp-{os.getpid()}"
        try:
            self.staging.mkdir()
        except OSError as error:
            raise cannot_write(name, self.folder, error) from None
        self.names = UniqueNames()

    def name(self, stem: str, tag: str, suffix: str) -> Path:
        """A path in the staging folder for `stem` + `suffix`, named by `UniqueNames`."""
        return self.staging / f"{self.names(stem, tag)}{suffix}"

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, trace: object) -> None:
        try:
            if kind is None:
                written = sorted(p.name for p in self.staging.iterdir())
                (self.staging / self.MANIFEST).write_text(
                    "".join(f"{n}\n" for n in sorted({*self.earlier, *written}))
                )
                if not self.folder.exists():
                    os.replace(self.staging, self.folder)
                else:
                    for file in [*written, self.MANIFEST]:
                        os.replace(self.staging / file, self.folder / file)
        finally:
            if self.staging.exists():
                shutil.rmtree(self.staging)
        if isinstance(error, OSError) and error.errno in WRITE_ERRORS:
            raise cannot_write(self.option, self.folder, error) from None


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
    """Write `data` as indented JSON, atomically (its folder made if missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
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
