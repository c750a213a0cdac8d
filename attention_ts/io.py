"""File output that harms nothing: never half-written, never over a file the command reads.

A stage that fails or is killed never leaves a half-written file
(`atomic_output`), and a command refuses output paths that would replace its
own inputs (`check_outputs`).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from attention_ts.stage import PipelineError


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
