"""Write a table twice: CSV with the raw values, markdown with formatted ones, each atomically."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from attention_ts.core.io import atomic_output


class Column(NamedTuple):
    key: str  # CSV header
    title: str  # markdown header
    format: str = "{}"  # markdown cell, e.g. "{:.4f}"; empty cells and None stay empty


def markdown_table(
    columns: Sequence[Column], rows: Sequence[Sequence[Any]], title: str = ""
) -> str:
    """A markdown table (under an optional `title` line) of `rows` formatted by `columns`."""
    lines = [f"{title}\n"] if title else []
    lines += ["| " + " | ".join(c.title for c in columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = ["" if v in ("", None) else c.format.format(v) for c, v in zip(columns, row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_table(
    stem: Path, columns: Sequence[Column], rows: Sequence[Sequence[Any]], title: str = ""
) -> None:
    """`stem`.csv and `stem`.md (`markdown_table`) with the same rows."""
    with atomic_output(stem.with_suffix(".csv")) as tmp, open(tmp, "w", newline="") as f:
        csv.writer(f).writerows([[c.key for c in columns], *rows])
    with atomic_output(stem.with_suffix(".md")) as tmp:
        tmp.write_text(markdown_table(columns, rows, title))
