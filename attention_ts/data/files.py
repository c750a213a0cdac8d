"""Series files, read by the libraries made for them: pandas for CSV and TSV, aeon for .ts/.arff.

Layouts (`LAYOUTS`; `auto` picks by the file name and header): wide `.csv`
(a header row, then a series per line: optional id and label columns, every
other column a value; without a header row every column is a value), long
`.csv` (`id`, `t`, `value`, optionally the label and `channel`: a point per
line), `tsv` (the UCR archive's: tab-separated, no header, the label first)
and `ucr` (the same, comma-separated where the first line has no tab), `.ts`
and `.arff` through aeon's loaders (a .ts file's labels taken as written after
each line's last ":", as aeon lowercases them, and checked against its
`@classLabel` list).

Every number is read to the last bit (pandas' `round_trip` converter, what
Python's float() gives) and stored as float32. What the reader promises about
labels (text, exactly as written), missing values (trailing NaN ends a series;
NaN inside refused or interpolated) and index columns is docs/contracts.md's.
Every problem is one SeriesFileError line: "<file>: row R, column C (<name>):
<problem>; allowed: <what>", R the line number in the file.
"""

from __future__ import annotations

import csv
import re
import shlex
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from pandas._libs.parsers import STR_NA_VALUES

from attention_ts.config.catalog import DATA_SUFFIXES
from attention_ts.core.io import atomic_output
from attention_ts.core.stage import PipelineError

LAYOUTS = ("auto", "wide", "long", "tsv", "ucr")
HEADERS = ("auto", "yes", "no")
AEON_SUFFIXES = (".ts", ".arff")
MISSING_POLICIES = ("refuse", "interpolate")
MIN_POINTS = 2  # standardizing a series needs a spread
FLOAT32_MAX = float(np.finfo(np.float32).max)
NA_TEXTS = frozenset({*STR_NA_VALUES, "?"})  # what reads as a missing value or label
LONG_COLUMNS = ("t", "value")
EXTRA = "\x00extra"  # read_table's column past the first line's, which no header names
NUMBERS = (
    "finite numbers (missing values: fill them in, drop the series, or in the pipeline set "
    "dataset.missing: interpolate)"
)
TS_LAYOUT = (
    "a .ts file as aeon reads it: header lines (@problemName, @classLabel true <classes>, ...), "
    "then @data, then one series per line, channels separated by ':' and the label last"
)
ARFF_LAYOUT = "an .arff file as aeon reads it: @attribute lines, then @data, one series per line"


class SeriesFileError(PipelineError):
    """A series file the reader cannot accept: "<path>: row R, column C (<name>): <problem>;
    allowed: <what>", the parts that do not apply left out. `unit` names what the column
    counts ("channel" in a .ts file)."""

    def __init__(
        self,
        path: Path,
        problem: str,
        allowed: str,
        row: int | None = None,
        column: int | None = None,
        name: str | None = None,
        unit: str = "column",
    ) -> None:
        where = [] if row is None else [f"row {row}"]
        if column is not None:
            where.append(f"{unit} {column}" + (f" ({name})" if name else ""))
        place = f"{path}: {', '.join(where)}" if where else str(path)
        super().__init__(f"{place}: {problem}; allowed: {allowed}")


class Series(NamedTuple):
    """Series read from a file, checked."""

    values: np.ndarray  # (n, channels, points) float32, zero past each series' length
    lengths: np.ndarray  # (n,) int64 valid points, >= MIN_POINTS
    ids: list[str]  # (n,) the id column's text, else the line number as text
    rows: list[int]  # (n,) 1-based line of each series in the file (long: its first line)
    labels: list[str] | None  # (n,) as written, stripped; None when the file has none


def show(text: str) -> str:
    """A cell's text for a message: quoted, escapes visible, cut at 20 characters."""
    return repr(text if len(text) <= 20 else text[:20] + "...")


def iter_series(
    path: Path,
    batch_size: int,
    *,
    layout: str = "auto",
    header: str = "auto",
    label_column: str = "label",
    label_required: bool = False,
    id_column: str = "id",
    channel_column: str = "channel",
    missing: str = "refuse",
    least: int = MIN_POINTS,
) -> Iterator[Series]:
    """The series of `path`, `batch_size` at a time (see the module's docstring for layouts).

    A wide or UCR CSV is read a batch at a time, so memory is bounded by the
    batch; long CSV, .ts and .arff files are read whole. `label_column` is
    the label column of a CSV: read when present, required with
    `label_required` (a .ts file must then declare labels). A series of fewer
    than `least` points is refused (predict: the model's minimum). Raises
    SeriesFileError (file, row, column, what is allowed).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if layout == "auto" and suffix not in DATA_SUFFIXES:
        raise SeriesFileError(
            path,
            f"the extension {suffix!r} is none of the formats read" if suffix else "no extension",
            "a .csv (wide or long), a UCR .tsv, or a .ts or .arff file (aeon's formats)",
        )
    if not path.is_file():
        raise SeriesFileError(path, "not found, or not a file", "an existing file")
    options = (label_column, label_required, id_column, missing, least)
    if layout == "auto" and suffix in AEON_SUFFIXES:
        yield from batches(read_aeon(path, label_required, missing, least), batch_size)
    elif layout in ("tsv", "ucr") or (layout == "auto" and suffix == ".tsv"):
        yield from read_table(path, batch_size, "ucr" if layout == "ucr" else "tsv", "no", options)
    else:
        names = header_names(path, header)
        if layout == "long" or (layout == "auto" and {id_column, *LONG_COLUMNS} <= set(names)):
            found = read_long(path, names, channel_column, options)
            yield from batches(found, batch_size)
        else:
            yield from read_table(path, batch_size, "wide", header, options)


def read_series(path: Path, **options: object) -> Series:
    """The whole file as one `Series` (`iter_series` with a batch as large as any file)."""
    return next(iter_series(path, 2**62, **options))


def batches(found: Series, size: int) -> Iterator[Series]:
    for start in range(0, len(found.ids), size):
        part = slice(start, start + size)
        labels = None if found.labels is None else found.labels[part]
        yield Series(
            found.values[part], found.lengths[part], found.ids[part], found.rows[part], labels
        )


def read_csv(path: Path, **options: object) -> pd.DataFrame | pd.io.parsers.TextFileReader:
    """pandas.read_csv with every number exact, blank lines kept (so index + offset = line),
    '?' missing too; its errors and warnings become SeriesFileError."""
    try:
        return pd.read_csv(
            path,
            float_precision="round_trip",
            skip_blank_lines=False,
            index_col=False,
            na_values=["?"],
            encoding="utf-8",
            **options,
        )
    except Exception as error:
        raise csv_error(path, error, str(options.get("sep", ","))) from None


def too_many(path: Path, sep: str) -> SeriesFileError:
    """The SeriesFileError for the first line of `path` longer than its first (cells by `sep`):
    pandas names the line where it stopped, which may come after it."""
    with open(path, encoding="utf-8", errors="replace", newline="") as stream:
        lines = csv.reader(stream, delimiter=sep)
        width = len(next(lines, []))
        seen = next((len(cells) for cells in lines if len(cells) > width), width)
        row = lines.line_num
    return SeriesFileError(
        path,
        f"{seen} fields, the first line (the header, if any) has {width}",
        f"{width} fields in every line (is a cell extra?)",
        row,
    )


def csv_error(path: Path, error: Exception, sep: str = ",") -> SeriesFileError:
    """A pandas exception while reading `path` (cells separated by `sep`) as one
    SeriesFileError."""
    text = " ".join(str(error).split())
    if re.search(r"Expected \d+ fields in line \d+", text):
        return too_many(path, sep)
    if isinstance(error, UnicodeDecodeError):
        read_text(path)  # raises the error that names the byte and its row
    if isinstance(error, pd.errors.EmptyDataError):
        return SeriesFileError(path, "no series", "at least one series")
    if isinstance(error, OSError):
        return SeriesFileError(
            path, f"cannot read it ({error.strerror or error})", "a readable file"
        )
    return SeriesFileError(path, f"pandas cannot read it ({text})", "a CSV file, UTF-8")


def read_text(path: Path) -> str:
    """The file as text (UTF-8, a BOM dropped); SeriesFileError naming a byte that is not UTF-8
    and its row, or why the file cannot be read."""
    try:
        raw = path.read_bytes()
        return raw.decode("utf-8-sig")
    except OSError as error:
        raise SeriesFileError(
            path, f"cannot read it ({error.strerror})", "a readable file"
        ) from None
    except UnicodeDecodeError as error:
        row = raw[: error.start].count(b"\n") + 1
        byte = f"byte 0x{raw[error.start]:02x} is not UTF-8"
        raise SeriesFileError(path, byte, "UTF-8 text (save it as UTF-8)", row) from None


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return "_" not in text


def cell_number(cell: object) -> float | None:
    """A cell of a column pandas left as text, as a number: float() of ASCII text without "_"
    (float() takes 1_0 and Unicode digits, pandas' parser neither; pandas' to_numeric is not
    exact and takes "7e 8"), or of an int (pandas keeps integers past int64 as Python ints);
    None for anything else (True, False, other text)."""
    if isinstance(cell, str) and cell.isascii() and "_" not in cell:
        try:
            return float(cell)
        except ValueError:
            return None
    return float(cell) if isinstance(cell, int) and not isinstance(cell, bool) else None


def header_names(path: Path, header: str) -> list[str]:
    """The first line's cells, as pandas reads a header; [] when `header` says there is none."""
    if header == "no":
        return []
    names = [str(name) for name in read_csv(path, nrows=0).columns]
    first = read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False)
    cells = [] if first.empty else [str(cell) for cell in first.iloc[0]]  # unmangled: 1, 1
    if header == "yes" or not cells or not all(map(is_number, cells)):
        return names
    numbers = [float(cell) for cell in cells]
    if numbers in (
        [float(k) for k in range(len(names))],
        [float(k + 1) for k in range(len(names))],
    ):
        raise SeriesFileError(
            path,
            f"the first line is {cells[0]}, {cells[1] if len(cells) > 1 else ''}, ...: column "
            "names as pandas writes them for an array, or a series?",
            "--header yes (it names the columns) or --header no (it is a series)",
            1,
        )
    return []  # all numbers: a series, no header (numpy.savetxt)


def read_table(
    path: Path, batch_size: int, layout: str, header: str, options: tuple
) -> Iterator[Series]:
    """Wide CSV or UCR/TSV series, a chunk of `batch_size` lines at a time."""
    label_column, label_required, id_column, missing, least = options
    names = header_names(path, header) if layout == "wide" else []
    if layout == "wide" and not names and label_required:
        raise SeriesFileError(
            path,
            "the first line is all numbers: the file seems to have no header row",
            f"a header row naming the columns, {label_column!r} among them",
            1,
        )
    if names:
        # the index pandas writes: df.to_csv() (an empty header), df.reset_index().to_csv()
        index = names[0] if names[0] in ("Unnamed: 0", "index") else None
        ids = id_column if id_column in names else index
        labels = label_column if label_column in names else None
        if label_required and labels is None:
            shown = ", ".join(map(show, names[:5])) + (", ..." if len(names) > 5 else "")
            raise SeriesFileError(
                path,
                f"no column {label_column!r} in the header ({shown})",
                f"a label column named {label_column!r} (dataset.label_column, or predict's "
                "--label-column)",
                1,
            )
        sep, offset = ",", 2  # the header is line 1
    else:
        sep = "," if layout == "wide" else "\t"  # wide: numpy.savetxt's CSV without a header
        if layout == "ucr":
            with open(path, encoding="utf-8", errors="replace") as stream:
                sep = "\t" if "\t" in stream.readline() else ","
        first = read_csv(path, header=None, sep=sep, nrows=1, dtype=str, keep_default_na=False)
        names, offset = list(range(first.shape[1])), 1
        index, ids, labels = None, None, (None if layout == "wide" else 0)
    # pandas drops the extra cells of a chunk's first line without a word (3.0.6): a column
    # past the first line's catches a longer line anywhere
    text = {name: str for name in (ids, labels) if name is not None}
    chunks = read_csv(
        path,
        header=None,
        skiprows=offset - 1,  # the header row, named above
        names=[*names, EXTRA],
        sep=sep,
        dtype=text,
        chunksize=batch_size,
    )
    seen: dict[str, int] = {}
    empty = True
    try:
        for chunk in chunks:
            extra = chunk.pop(EXTRA)
            if extra.notna().any():
                raise too_many(path, sep)
            chunk = chunk[~chunk.isna().all(axis=1).to_numpy()]  # blank lines
            if chunk.empty:
                continue
            empty = False
            rows = (chunk.index.to_numpy() + offset).tolist()
            columns = list(chunk.columns)
            kept = [k for k, name in enumerate(columns) if name not in (ids, labels, index)]
            values = numbers(path, chunk.iloc[:, kept], rows, [k + 1 for k in kept])
            if ids is None and offset == 2 and rows[0] == offset:  # a header, the first chunk
                refuse_index(path, values[:, 0], rows, kept[0] + 1, str(columns[kept[0]]))
            if ids is None:
                found_ids = [str(row) for row in rows]
            else:
                found_ids = texts(path, chunk[ids], "id", rows, columns.index(ids) + 1)
                unique(path, found_ids, rows, seen)
            found_labels = None
            if labels is not None:
                found_labels = texts(path, chunk[labels], "label", rows, columns.index(labels) + 1)
            cells = [
                (k + 1, None if isinstance(columns[k], int) else str(columns[k])) for k in kept
            ]
            yield checked(
                path,
                values[:, None, :],
                found_ids,
                rows,
                found_labels,
                missing,
                cells=cells,
                least=least,
            )
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise csv_error(path, error, sep) from None
    if empty:
        raise SeriesFileError(path, "no series", "at least one series")


def refuse_index(path: Path, first: np.ndarray, rows: list[int], column: int, name: str) -> None:
    """Refuse a first value column that counts the lines (0, 1, 2, ... or 1, 2, 3, ...): an
    index a writer left in (pandas' `df.to_csv()` with a named index), never a time point."""
    start = first[0] if len(first) >= 3 else np.nan
    if start in (0, 1) and np.array_equal(first, np.arange(start, start + len(first))):
        raise SeriesFileError(
            path,
            f"it counts the lines ({int(start)}, {int(start) + 1}, {int(start) + 2}, ...): an "
            "index, not the first value of each series",
            f"the header 'id' for ids (predict: --id-column {name}), or drop the column",
            rows[0],
            column,
            name,
        )


def numbers(path: Path, frame: pd.DataFrame, rows: list[int], columns: list[int]) -> np.ndarray:
    """The cells of `frame` (n, m) as float64; a cell that is no number: SeriesFileError at its
    row (`rows`, (n,)) and file column (`columns`, (m,), 1-based)."""
    if all(dtype.kind in "fiu" for dtype in frame.dtypes):  # pandas parsed every cell
        return frame.to_numpy(dtype=np.float64, na_value=np.nan)
    # A column pandas left as text (or read as True/False): numpy's conversion would call
    # float() on it, which takes 1_0, Unicode digits and booleans; pandas' parser takes none.
    values = np.empty(frame.shape)
    for k, name in enumerate(frame.columns):
        cells = frame[name]
        if cells.dtype.kind in "fiu":
            values[:, k] = cells.to_numpy(dtype=np.float64, na_value=np.nan)
            continue
        parsed = [np.nan if pd.isna(cell) else cell_number(cell) for cell in cells]
        if None in parsed:
            bad = parsed.index(None)
            label = None if isinstance(name, (int, np.integer)) else str(name)
            raise SeriesFileError(
                path,
                f"{show(str(cells.iloc[bad]))} is not a number",
                NUMBERS,
                rows[bad],
                columns[k],
                label,
            )
        values[:, k] = parsed
    return values


def texts(path: Path, cells: pd.Series, kind: str, rows: list[int], column: int) -> list[str]:
    """An id or label column as stripped text; a missing one (empty, NA, ...) is refused."""
    found = [None if pd.isna(cell) else str(cell).strip() for cell in cells]
    for text, row in zip(found, rows):
        if not text or text in NA_TEXTS:
            # pandas turned the marker into NaN before we see it: its text is gone
            marker = (
                "an empty cell or a missing-value marker"
                if text is None
                else f"{show(text)} is a missing-value marker"
            )
            raise SeriesFileError(
                path,
                f"missing {kind} ({marker})",
                f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} for every series (empty, ?, NA, "
                f"NaN, null and the like are not {kind}s)",
                row,
                column,
                None if isinstance(cells.name, (int, np.integer)) else str(cells.name),
            )
    return found


def unique(path: Path, ids: list[str], rows: list[int], seen: dict[str, int]) -> None:
    """Refuse an id already seen (in this chunk or an earlier one); remember the new ones."""
    for series_id, row in zip(ids, rows):
        first = seen.setdefault(series_id, row)
        if first != row:
            raise SeriesFileError(
                path,
                f"id {show(series_id)} is already the id of row {first}",
                "a different id for every series",
                row,
            )


def checked(
    path: Path,
    values: np.ndarray,
    ids: list[str],
    rows: list[int],
    labels: list[str] | None,
    missing: str,
    unit: str = "column",
    cells: list[tuple[int, str | None]] | None = None,
    least: int = MIN_POINTS,
) -> Series:
    """`Series` of `values` (n, channels, width) float64, NaN past each series' end; every value
    checked, NaN inside a series refused or interpolated (`missing`), a series of fewer than
    `least` points refused. `cells` (width,): the file column (number, header name) of each
    point, where a series is a line of cells."""
    if values.shape[2] == 0:
        raise SeriesFileError(
            path,
            "no value columns",
            "values after the id and label columns (a .tsv file is tab-separated, a .csv "
            "comma-separated)",
            rows[0],
        )
    nan = np.isnan(values)  # (n, channels, width)
    present = ~nan.all(axis=1)  # (n, width)
    lengths = values.shape[2] - np.argmax(present[:, ::-1], axis=1)  # (n,) past the last value
    lengths[~present.any(axis=1)] = 0
    with np.errstate(invalid="ignore"):
        wild = ~nan & ~(np.abs(values) <= FLOAT32_MAX)  # infinite or beyond float32
    inside = np.arange(values.shape[2]) < lengths[:, None, None]  # (n, 1, width)
    for problem, where in (("wild", wild), ("missing", nan & inside)):
        if where.any() and not (problem == "missing" and missing == "interpolate"):
            series, channel, point = (int(i) for i in np.argwhere(where)[0])
            where = None if cells is None else cells[point]
            refuse(
                path, values[series], rows[series], (channel, point), lengths[series], unit, where
            )
    short = np.flatnonzero(lengths < least)
    if short.size:
        k = int(short[0])
        raise SeriesFileError(
            path,
            f"a series of {lengths[k]} point{'' if lengths[k] == 1 else 's'}",
            f"at least {least} points in every series"
            + ("" if least == MIN_POINTS else " (the model's minimum)"),
            rows[k],
        )
    for k in np.flatnonzero((nan & inside).any(axis=(1, 2))):
        empty = np.flatnonzero(nan[k][:, : lengths[k]].all(axis=1))
        if empty.size:
            raise SeriesFileError(
                path,
                f"{unit} {empty[0] + 1} has no value to interpolate from"
                if unit == "channel"
                else "no value to interpolate from",
                "at least one value in every channel of a series",
                rows[k],
            )
        steps = np.arange(lengths[k])
        for line in values[k]:  # linearly, channel by channel; a gap at the start: the first value
            valid = ~np.isnan(line[: lengths[k]])
            line[: lengths[k]] = np.interp(steps, steps[valid], line[: lengths[k]][valid])
    values = np.where(inside, values, 0).astype(np.float32)
    return Series(values, lengths.astype(np.int64), ids, rows, labels)


def refuse(
    path: Path,
    values: np.ndarray,
    row: int,
    at: tuple[int, int],
    length: int,
    unit: str,
    cell: tuple[int, str | None] | None = None,
) -> None:
    """Raise the SeriesFileError for the value at (channel, point) of one series (channels,
    width); `cell`: its file column (number, name) where a series is a line of cells."""
    channel, point = at
    value = values[channel, point]
    place = f"point {point + 1} of {length}"
    if np.isnan(value):
        problem, allowed = f"missing value at {place}", NUMBERS
    else:
        problem = f"{value:g} at {place} is not a finite number within float32's range"
        allowed = f"finite numbers within +-{FLOAT32_MAX:.4g}"
    if unit == "channel":
        raise SeriesFileError(path, problem, allowed, row, channel + 1, unit="channel")
    raise SeriesFileError(path, problem, allowed, row, *(cell or ()))


def read_long(path: Path, names: list[str], channel_column: str, options: tuple) -> Series:
    """A long CSV (one point per line) as series (channels, points), each in t order."""
    label_column, label_required, id_column, missing, least = options
    needed = [id_column, *LONG_COLUMNS] + ([label_column] if label_required else [])
    absent = [name for name in needed if name not in names]
    extra = [n for n in names if n not in (*needed, label_column, channel_column)]
    if absent or extra:
        raise SeriesFileError(
            path,
            f"the long layout's header lacks {', '.join(map(show, absent))}"
            if absent
            else f"column {show(extra[0])} is none of the long layout's",
            f"the columns {', '.join(needed)} (any order), and optionally "
            f"{label_column!r} and {channel_column!r}",
            1,
        )
    labels = label_column if label_column in names else None
    channel = channel_column if channel_column in names else None
    text = {name: str for name in (id_column, labels, channel) if name}
    frame = read_csv(path, dtype=text)
    frame = frame[~frame.isna().all(axis=1).to_numpy()]  # blank lines
    if frame.empty:
        raise SeriesFileError(path, "no series", "at least one series")
    frame["row"] = frame.index.to_numpy() + 2
    rows = frame["row"].tolist()
    frame[id_column] = texts(path, frame[id_column], "id", rows, names.index(id_column) + 1)
    frame["t"] = numbers(path, frame[["t"]], rows, [names.index("t") + 1])[:, 0]
    frame["value"] = numbers(path, frame[["value"]], rows, [names.index("value") + 1])[:, 0]
    if labels:
        frame[labels] = texts(path, frame[labels], "label", rows, names.index(labels) + 1)
    if channel:
        frame[channel] = texts(path, frame[channel], "channel", rows, names.index(channel) + 1)
        order = list(dict.fromkeys(frame[channel]))
        if all(map(is_number, order)):
            order = sorted(order, key=float)
    else:
        channel, order = "channel", ["1"]
        frame[channel] = "1"
    if frame["t"].isna().any():
        row = int(frame.loc[frame["t"].isna(), "row"].iloc[0])
        raise SeriesFileError(path, "missing t", "a number t on every line", row)
    duplicated = frame.duplicated([id_column, channel, "t"], keep="first")
    if duplicated.any():
        at = frame[duplicated].iloc[0]
        raise SeriesFileError(
            path,
            f"t = {at['t']:g} of series {show(at[id_column])} repeats an earlier line",
            "each t once per series and channel",
            int(at["row"]),
        )
    ids, first_rows, series_labels, arrays = [], [], [], []
    for series_id, points in frame.groupby(id_column, sort=False):
        table = points.pivot(index="t", columns=channel, values="value")  # (points, channels)
        found = ", ".join(map(show, points[labels].unique())) if labels else ""
        for wrong, problem, allowed in (
            (
                set(table.columns) != set(order),
                f"series {show(series_id)} has the channels {', '.join(map(show, table.columns))}"
                f", the file {', '.join(map(show, order))}",
                "the same channels in every series",
            ),
            (
                len(points) != table.size,
                f"the channels of series {show(series_id)} have different t values",
                "the same t values in every channel of a series",
            ),
            (
                bool(labels) and points[labels].nunique() > 1,
                f"series {show(series_id)} has the labels {found}",
                "one label per series",
            ),
        ):
            if wrong:
                raise SeriesFileError(path, problem, allowed, int(points["row"].iloc[0]))
        ids.append(series_id)
        first_rows.append(int(points["row"].iloc[0]))
        series_labels.append(points[labels].iloc[0] if labels else None)
        arrays.append(table[order].to_numpy(dtype=np.float64).T)  # (channels, points)
    width = max(array.shape[1] for array in arrays)
    values = np.full((len(arrays), len(order), width), np.nan)
    for k, array in enumerate(arrays):
        values[k, :, : array.shape[1]] = array
    found = series_labels if labels else None
    return checked(path, values, ids, first_rows, found, missing, least=least)


def read_aeon(path: Path, label_required: bool, missing: str, least: int) -> Series:
    """A .ts or .arff file through aeon's loader; a .ts file's header and labels checked here.

    Labels: with `label_required` a .ts file must declare them (`@classLabel
    true ...`); otherwise they are read when declared (None without them).
    """
    ts = path.suffix.lower() == ".ts"
    layout = TS_LAYOUT if ts else ARFF_LAYOUT
    text = read_text(path)
    lines = text.split("\n")
    comment = "#" if ts else "%"
    starts = [k for k, line in enumerate(lines) if line.strip().lower().startswith("@data")]
    if not starts:
        raise SeriesFileError(path, "no @data line", layout)
    head = lines[: starts[0] + 1]
    rows = [
        k + 1
        for k in range(starts[0] + 1, len(lines))
        if lines[k].strip() and not lines[k].strip().startswith(comment)
    ]
    if not rows:
        raise SeriesFileError(path, "no series after @data", "at least one series", starts[0] + 1)
    declared = ts_classes(path, head, label_required) if ts else None
    labelled = not ts or declared is not None  # whether each line ends in a label
    odd = odd_cell(lines, rows, ts, labelled)
    if odd is not None:
        raise not_number(path, *odd)
    with tempfile.TemporaryDirectory() as folder:
        clean = Path(folder) / f"clean{path.suffix.lower()}"  # the header and the series only
        clean.write_text("\n".join([*head, *(lines[row - 1] for row in rows)]) + "\n")
        data, aeon_labels = load_aeon(path, clean, (lines, rows, labelled), ts)
    if ts:
        labels = None if declared is None else ts_labels(path, lines, rows, declared)
    else:
        labels = [str(label).strip() for label in aeon_labels] if len(aeon_labels) else None
    if labels is not None:
        for label, row in zip(labels, rows):
            if not label or label in NA_TEXTS:
                raise SeriesFileError(
                    path,
                    f"missing label ({show(label)} is a missing-value marker)",
                    "a label after every series (empty, ?, NA, NaN, null and the like are not "
                    "labels)",
                    row,
                )
    series = list(data)
    channels = series[0].shape[0]
    width = max(s.shape[1] for s in series)
    values = np.full((len(series), channels, width), np.nan)
    for k, (one, row) in enumerate(zip(series, rows)):
        if one.shape[0] != channels:
            raise SeriesFileError(
                path,
                f"{one.shape[0]} channels, the first series {channels}",
                "the same number of channels in every series",
                row,
            )
        values[k, :, : one.shape[1]] = one
    ids = [str(row) for row in rows]
    return checked(path, values, ids, rows, labels, missing, "channel", least=least)


def ts_classes(path: Path, head: list[str], label_required: bool) -> list[str] | None:
    """The labels a .ts header declares (`@classLabel true a "b c"`, quotes as in a shell), or
    None for `@classLabel false`; a header with timestamps or regression targets is refused."""
    tags = {}
    for line in head:
        words = shlex.split(line, posix=True) if line.strip().startswith("@") else []
        if words:
            tags[words[0].lower()] = words[1:]
    for tag, problem, allowed in (
        ("@timestamps", "@timeStamps true: series with timestamps", "@timeStamps false"),
        ("@targetlabel", "@targetLabel true: regression targets", "@classLabel true, classes"),
    ):
        if tags.get(tag, ["false"])[:1] == ["true"]:
            raise SeriesFileError(path, problem, f"a classification file: {allowed}")
    declared = tags.get("@classlabel")
    if declared is not None and declared[:1] == ["true"]:
        return declared[1:]
    if label_required or declared is None:  # aeon would read each line's last field as a label
        found = "no @classLabel line" if declared is None else "@classLabel false"
        either = "" if label_required else "; or @classLabel false (no labels)"
        raise SeriesFileError(
            path,
            f"{found} in the header",
            f"a header line @classLabel true, then the class names, and a label after each "
            f"series{either}",
        )
    return None


def ts_labels(path: Path, lines: list[str], rows: list[int], declared: list[str]) -> list[str]:
    """Each .ts series' label as written after its line's last ':' (quotes as in the header),
    checked against the header's `declared` labels."""
    labels = []
    for row in rows:
        line = lines[row - 1].strip()
        label = line[line.rfind(":") + 1 :].strip()
        if label[:1] in "\"'" and label:
            label = " ".join(shlex.split(label))
        if label not in declared:
            listed = " ".join(map(shlex.quote, declared[:10])) + (
                " ..." if len(declared) > 10 else ""
            )
            raise SeriesFileError(
                path,
                f"label {show(label)} is not a class of the header's @classLabel ({listed})",
                "the labels @classLabel lists, as written there (case counts), after the last ':'",
                row,
            )
        labels.append(label)
    return labels


CASE = re.compile(r"\bcase(?: number)? (\d+)")  # aeon's 1-based series count in a message
AEON_ERRORS = (  # (aeon's message, what is wrong with its numbers, what is allowed), in order
    (
        r"Expecting (\d+) but have read (\d+)",
        "{1} channels, the first series {0} (a label missing after the last ':'?)",
        "the same number of channels (separated by ':') in every series, then the label",
    ),
    (
        r"Saw (\d+) in the first channel but (\d+) .* equal length == True",
        "{1} points, the first series {0} (the header says @equalLength true, or says nothing)",
        "series of one length, or @equalLength false in the header",
    ),
    (
        r"Saw (\d+) in the first channel but (\d+)",
        "{1} points in a channel, {0} in channel 1",
        "the same number of points in every channel of a series",
    ),
    (r"could not convert string to float: '(.*)'", "{0!r} is not a number", NUMBERS),
    (
        r"shape \(\d+,\) into shape",
        "series of different lengths",
        "series of equal length (aeon's .arff loader reads no others)",
    ),
)


def load_aeon(
    path: Path, clean: Path, data: tuple[list[str], list[int], bool], ts: bool
) -> tuple[list | np.ndarray, np.ndarray]:
    """aeon's (series, labels) of the cleaned copy `clean` of `path`; its exceptions become one
    SeriesFileError naming the row. `data`: the lines of `path`, the rows of its series, and
    whether each ends in a label."""
    from aeon.datasets import load_from_arff_file, load_from_ts_file  # numba: a slow import

    lines, rows, labelled = data
    try:
        return (load_from_ts_file if ts else load_from_arff_file)(str(clean))
    except (OSError, ValueError, IndexError, TypeError) as error:
        message = " ".join(str(error).split())
    if found := re.search(r"could not convert string to float: '(.*)'", message):
        # aeon names the text, not where it is
        odd = odd_cell(lines, rows, ts, labelled, found.group(1))
        if odd is not None:
            raise not_number(path, *odd)
    case = CASE.search(message)
    row = rows[int(case.group(1)) - 1] if case and int(case.group(1)) <= len(rows) else None
    loader = "load_from_ts_file" if ts else "load_from_arff_file"
    for pattern, problem, allowed in (
        *AEON_ERRORS,
        (r"(.*)", "aeon's {loader} refused it ({0})", ""),
    ):
        if found := re.search(pattern, message):
            problem = problem.format(*found.groups(), loader=loader, show=show)
            allowed = allowed or (TS_LAYOUT if ts else ARFF_LAYOUT)
            raise SeriesFileError(path, problem, allowed, row)
    raise AssertionError("the last pattern matches every message")


def value_cells(line: str, ts: bool, labelled: bool) -> list[list[str]]:
    """A data line's value cells by channel, split as aeon splits them: a .ts line's channels
    at ':' (the label after the last one left out when `labelled`), an .arff line's cells at
    ',' (the class, last, left out; several channels quoted, separated by a written '\\n')."""
    line = line.strip()
    if ts:
        channels = (line[: line.rfind(":")] if labelled else line).split(":")
    elif line.startswith("'"):
        channels = line[1:].split("',")[0].split("\\n")
    else:
        channels = [line[: line.rfind(",")]]
    return [channel.split(",") for channel in channels]


def odd_cell(
    lines: list[str], rows: list[int], ts: bool, labelled: bool, text: str | None = None
) -> tuple[int, int, str] | None:
    """(row, channel, cell) of the first value cell of the series at `rows` of `lines` that is
    `text` (the text an aeon message quotes; aeon lowercases a .ts line first), or without
    `text`, one that aeon's float() takes but pandas would not: with "_" (1_0 is 10 to float())
    or not ASCII (Unicode digits)."""
    text = None if text is None else text.lower()
    for row in rows:
        line = lines[row - 1]
        if text is None and "_" not in line and line.isascii():
            continue  # the common line, checked at C speed
        for channel, cells in enumerate(value_cells(line, ts, labelled), 1):
            for cell in cells:
                if (
                    text in (cell.lower(), cell.strip().lower())
                    if text is not None
                    else "_" in cell or not cell.isascii()
                ):
                    return row, channel, cell
    return None


def not_number(path: Path, row: int, channel: int, cell: str) -> SeriesFileError:
    return SeriesFileError(
        path, f"{show(cell.strip())} is not a number", NUMBERS, row, channel, unit="channel"
    )


def write_series(path: Path, found: Series, layout: str = "wide") -> None:
    """Write `found` as a wide or long CSV, or a UCR .tsv, that `read_series` reads back (for
    tests, benchmarks and examples). Values with 9 significant digits, which float32 survives.
    """
    valid = np.arange(found.values.shape[2]) < found.lengths[:, None]  # (n, points)
    if layout == "long":  # a line per point, series after series
        k, t = np.nonzero(valid)
        frame = pd.DataFrame({"id": np.array(found.ids)[k], "t": t, "value": found.values[k, 0, t]})
        if found.labels is not None:
            frame["label"] = np.array(found.labels)[k]
    else:
        frame = pd.DataFrame(np.where(valid, found.values[:, 0], np.nan)).add_prefix("v")
        if found.labels is not None:
            frame.insert(0, "label", found.labels)
        if layout == "wide":
            frame.insert(0, "id", found.ids)
    with atomic_output(path) as tmp:
        frame.to_csv(
            tmp,
            sep="\t" if layout == "tsv" else ",",
            header=layout != "tsv",
            index=False,
            float_format="%.9g",
        )
