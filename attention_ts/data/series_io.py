"""Series from users' files: CSV (wide or long) and the UCR/UEA tab-separated layout.

Layouts (`LAYOUTS`):
- wide: a header row, then one series per line; an optional id column (header
  `id_column`) and label column (header `label_column`); every other column is
  a value, in order. Without a header row (see below) every column is a
  value, the first line is a series too and ids are line numbers;
- long: a header naming exactly `id_column`, `t` and `value` (any order; plus
  `label_column` when given, and `channel_column` when the caller allows
  one), one point per line; the lines of a series are contiguous, `t` (a
  number) orders the points within it. With a channel column a series has
  one row of values per channel name (`channel_order` says in which order),
  and every channel of a series has the same t values; series may differ in
  length where the caller allows it (`equal_length=False`);
- tsv: the UCR/UEA archive's: tab-separated, no header, the label first, then
  the values; ids are line numbers;
- ucr: the same, tab- or comma-separated (the older archive's files are
  comma-separated): a comma unless the first line holds a tab;
- auto: a `.tsv` name is tsv; a header with the id, `t` and `value` columns
  is long (so that an extra column is reported, not read as values); anything
  else is wide.

Header rows (`HEADERS`, the `header` argument; CSV layouts): `yes`, the first
line is a header; `no`, it is a series (wide only: the long layout needs its
header); `auto` (default), it is a header unless every cell of it is a number
(numpy.savetxt writes no header). Under `auto` a first line of numbers only is
never taken as column names: it is a series, or it is refused where it cannot
be one (a label column is asked for, which needs a header to be named; the
long layout) or could be either: 0, 1, 2, ... or 1, 2, 3, ... (the header
pandas writes for an array, or a ramp? `yes` or `no` says which).

Files are UTF-8 (a BOM is fine), one record per line (no line breaks inside
quoted cells; lines end in LF or CR LF, and a CR elsewhere outside quotes is
refused, as the csv module refuses it), CSV quoting allowed; blank lines are
skipped, and ids, labels and numbers may have spaces around them. Files are
read `batch_size` series at a time, so memory stays bounded by the batch, not
the file (plus the ids seen so far, kept to refuse duplicates). Every line is checked, and a bad one
raises `SeriesFileError` naming the file, the line, the column and what is
allowed.
Numbers are parsed a chunk of lines at a time: by orjson where every number
cell of a comma-separated chunk is a JSON number (`json_numbers`: as exact as
float(), twice as fast as numpy), else by numpy's C reader; only when that
fails is the chunk parsed again cell by cell to find the exact bad cell, so
the fast path decides nothing the cell-by-cell reference would not.
(pandas.read_csv was measured as that fast path, benchmarks/readers.py: its
default float converter parses 2.4x faster than numpy but differs from
Python's float() in the last bit of the float64 for 14-36 % of texts with 17
significant digits (none with 9, as write_series writes), so the fast path
would no longer be the reference; its exact converter, "round_trip", is
1.5x slower than numpy. So numpy stays.)

Missing values (`missing=True`): an empty cell or a NaN in a value column
reads as NaN instead of being refused; the caller fills them (interpolates)
or refuses them. Infinities and the t and id columns are refused as always.
"""

from __future__ import annotations

import csv
import dataclasses
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np
import orjson

from attention_ts.core.io import atomic_output
from attention_ts.core.stage import PipelineError

LAYOUTS = ("auto", "wide", "long", "tsv", "ucr")
HEADERS = ("auto", "yes", "no")
LONG_COLUMNS = ("t", "value")  # with the id column (and the label column, if any)
LONG_CHUNK_LINES = 65536  # lines (points) parsed at once in the long layout
SHOWN_CHARS = 20  # a bad cell's text is shown up to this many characters
NUMBERS = (
    "finite numbers (missing values: fill them in, drop the series, or in the pipeline set "
    "dataset.missing: interpolate)"
)
NUMBERS_OR_MISSING = "finite numbers, or an empty cell or NaN for a missing value"
FLOAT32_MAX = float(np.finfo(np.float32).max)  # values are stored as float32
QUOTE = '"'
CSV_RULES = "one record per line; cells holding the delimiter or a quote quoted, quotes doubled"
LINE_ENDS = (
    "lines that end in \\n or \\r\\n, and a \\r elsewhere only inside a quoted cell (a file "
    "whose lines end in \\r alone: save it with \\n or \\r\\n line endings)"
)
CSV_SPECIAL = re.compile(r'[,"\r\n]')  # a cell holding one of these is quoted
NOT_JSON_NUMBERS = ("true", "false", "null", "-0,", "-0]", "-0 ", "-0\t", "-0\r")  # json_numbers
EMPTY_CELLS = {  # an empty cell between delimiters, or at a line's start or end
    delimiter: re.compile(rf"(?:^|(?<={re.escape(delimiter)}))(?={re.escape(delimiter)}|$)")
    for delimiter in (",", "\t")
}


class SeriesFileError(PipelineError):
    """A series file the reader cannot accept; the message says where and what is allowed.

    "<path>: row R, column C (<header name>): <problem>; allowed: <what>", where
    the row is the 1-based line number in the file and the column is 1-based;
    parts that do not apply are left out. `unit` names what the column
    counts ("channel" in a .ts file: "channel 3"). `row` and `column` are
    kept too.
    """

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
            where.append(f"{unit} {column}" if not name else f"{unit} {column} ({name})")
        place = f"{path}: {', '.join(where)}" if where else str(path)
        super().__init__(f"{place}: {problem}; allowed: {allowed}")
        self.path, self.row, self.column = path, row, column

    def __reduce__(self) -> tuple:
        """Pickle as the finished message (a reading process sends it to the main one)."""
        return restored_error, (type(self), str(self), self.path, self.row, self.column)


def restored_error(
    kind: type[SeriesFileError], message: str, path: Path, row: int | None, column: int | None
) -> SeriesFileError:
    """A SeriesFileError with its message as pickled (`SeriesFileError.__reduce__`)."""
    error = PipelineError.__new__(kind)
    PipelineError.__init__(error, message)
    error.path, error.row, error.column = path, row, column
    return error


class SeriesBatch(NamedTuple):
    ids: list[str]  # (n,) the id column's text, or the line number as text when there is none
    rows: list[int]  # (n,) 1-based line number of each series (long layout: its first line)
    values: np.ndarray  # (n, points) float32; see iter_series for when it is a list instead
    labels: list[str] | None  # (n,) the label cell's text, stripped; None when there are none


class SeriesList(NamedTuple):
    """Series that may differ in length and have several channels (`read_series_list`)."""

    ids: list[str]  # (n,) as SeriesBatch
    rows: list[int]  # (n,) as SeriesBatch
    values: list[np.ndarray]  # (n,) each (channels, points) float32
    labels: list[str] | None  # (n,) as SeriesBatch


class Lines(NamedTuple):
    rows: list[int]  # (n,) 1-based line numbers
    texts: list[str]  # (n,) each line's text, without its line ending


def show(text: str) -> str:
    """A cell's text for a message: quoted, escapes visible, cut at SHOWN_CHARS."""
    return repr(text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "...")


@dataclass(frozen=True)
class Table:
    """How to read the lines of one file: where the numbers and the texts are."""

    path: Path
    delimiter: str
    names: tuple[str | None, ...]  # each column's header name; None: the file has no header
    numeric: tuple[int, ...]  # 0-based columns read as numbers, in order
    text: tuple[int, ...]  # 0-based columns kept as stripped, non-empty text (ids, labels)
    text_kinds: tuple[str, ...]  # what each text column holds: "id", "label" or "channel"
    reference: str  # what sets the field count, for messages: "the header" or "row 1"
    missing: tuple[int, ...] = ()  # 0-based numeric columns where empty or NaN reads as NaN

    def error(
        self, problem: str, allowed: str, row: int | None = None, column: int | None = None
    ) -> SeriesFileError:
        """SeriesFileError at 0-based `column` of line `row`, named by its header."""
        if column is None:
            return SeriesFileError(self.path, problem, allowed, row)
        return SeriesFileError(self.path, problem, allowed, row, column + 1, self.names[column])

    def split(self, row: int, text: str) -> list[str]:
        """One line's fields, as the csv module reads them; the count is checked."""
        fields = csv_fields(self.path, row, text, self.delimiter)
        if len(fields) != len(self.names):
            raise self.error(
                f"{len(fields)} fields, {self.reference} has {len(self.names)}",
                f"{len(self.names)} fields in every line (is a cell missing or extra?)",
                row,
            )
        return fields


def csv_fields(path: Path, row: int, text: str, delimiter: str) -> list[str]:
    """One line's fields, as the csv module (strict about quotes) reads them.

    `text` is a line without its ending (`read_lines`), so a carriage return
    the csv module finds outside quotes is one inside the line, as in a file
    whose lines end in a carriage return alone (classic Mac OS): SeriesFileError
    saying so, rather than the csv module's advice about how to open files.
    """
    try:
        return next(csv.reader([text], delimiter=delimiter, strict=True))
    except csv.Error as error:
        if "\r" in text and "new-line character" in str(error):
            problem, allowed = "a carriage return (\\r) inside the line, outside quotes", LINE_ENDS
        else:
            problem, allowed = f"malformed line ({error})", CSV_RULES
        raise SeriesFileError(path, problem, allowed, row) from None


def number(text: str) -> float:
    """A cell as a number, as numpy's text reader reads it; ValueError if it is none.

    float() with the two things numpy refuses also refused: digits other
    than ASCII and underscores.
    """
    stripped = text.strip()
    if not stripped.isascii() or "_" in stripped:
        raise ValueError(text)
    return float(stripped)


def parse_cells(table: Table, lines: Lines) -> tuple[np.ndarray, list[list[str]]]:
    """The reference parser: every cell checked on its own, the first bad one raised.

    Returns the numbers (n, len(numeric)) float64, each within float32's
    range, and the text columns ([len(text)][n], stripped). Slow; run only on
    a chunk that the fast path refused.
    """
    values = np.empty((len(lines.rows), len(table.numeric)))
    texts: list[list[str]] = [[] for _ in table.text]
    for i, (row, text) in enumerate(zip(*lines)):
        fields = table.split(row, text)
        for column, kind, kept in zip(table.text, table.text_kinds, texts):
            kept.append(fields[column].strip())
            if not kept[-1]:
                raise table.error(
                    f"empty {kind}", f"a non-empty {kind} for every series", row, column
                )
        for k, column in enumerate(table.numeric):
            values[i, k] = cell_number(table, row, column, fields[column])
    return values, texts


def cell_number(table: Table, row: int, column: int, text: str) -> float:
    """One numeric cell, or the SeriesFileError that says what is wrong with it.

    In a column of `table.missing` an empty cell or a NaN is NaN.
    """
    missing = column in table.missing
    allowed = NUMBERS_OR_MISSING if missing else NUMBERS
    if not text.strip():
        if missing:
            return np.nan
        raise table.error("empty cell", allowed, row, column)
    try:
        value = number(text)
    except ValueError:
        raise table.error(f"{show(text)} is not a number", allowed, row, column) from None
    if missing and np.isnan(value):
        return value
    if not np.isfinite(value):
        raise table.error(f"{show(text)} is not a finite number", allowed, row, column)
    if abs(value) > FLOAT32_MAX:
        raise table.error(
            f"{show(text)} is beyond float32's range",
            f"finite numbers within +-{FLOAT32_MAX:.4g}",
            row,
            column,
        )
    return value


def nth_field(text: str, column: int, n_fields: int, delimiter: str) -> str:
    """Field `column` of an unquoted line of `n_fields` fields, splitting from the nearer end."""
    if column < n_fields // 2:
        return text.split(delimiter, column + 1)[column]
    return text.rsplit(delimiter, n_fields - column)[1]


def column_runs(columns: tuple[int, ...]) -> list[slice]:
    """Sorted column indices as slices of consecutive ones: (1, 2, 3, 7) -> [1:4, 7:8]."""
    slices = []
    for _, group in itertools.groupby(enumerate(columns), key=lambda pair: pair[1] - pair[0]):
        run = [column for _, column in group]
        slices.append(slice(run[0], run[-1] + 1))
    return slices


def json_numbers(texts: list[str], first: int) -> np.ndarray | None:
    """Fields `first`, ... of unquoted comma-separated lines (n,) as float64 (n, fields), or None.

    When every such cell is a JSON number (as numpy, pandas and Python write
    numbers), orjson reads the cells as one JSON array, about twice as fast
    as numpy's text reader, and to the same float64 as float() (both round
    correctly; an integer is converted exactly as float() would read it). A
    cell that is no JSON number (NaN, inf, "1.", ".5", "+1", "01", an empty
    cell) makes the array invalid: None, and numpy reads the chunk. So do
    true, false and null (JSON values, but not numbers) and the integer -0
    (0 in JSON, -0.0 for float()).
    """
    cells = texts if first == 0 else [text.split(",", first)[first] for text in texts]
    body = "[[" + "],[".join(cells) + "]]"
    if any(word in body for word in NOT_JSON_NUMBERS):
        return None
    try:
        values = np.array(orjson.loads(body), dtype=np.float64)
    except (orjson.JSONDecodeError, ValueError, TypeError, OverflowError):
        return None
    return values if values.ndim == 2 and len(values) == len(texts) else None


def parse_fast(table: Table, lines: Lines) -> tuple[np.ndarray, list[list[str]]] | None:
    """What `parse_cells` returns, parsed a chunk at a time by numpy; None where it cannot tell.

    Unquoted comma-separated lines whose numbers are their last columns
    (the usual case) are read by orjson where every number is a JSON number
    (`json_numbers`); other unquoted lines go to np.loadtxt as they are; a chunk
    with quotes is split by the csv module first and its numeric cells
    rejoined. Anything unusual (a field count off, a cell numpy refuses, a
    value that is not finite, an empty text cell, a carriage return outside
    quotes, which numpy and orjson read as a space but the csv module
    refuses) returns None, and the caller runs the reference parser on the
    chunk, which finds the cell or line.
    Where `table.missing` allows them, empty cells are read as "nan" first.
    """
    n_fields, delimiter = len(table.names), table.delimiter
    joined = "".join(lines.texts)
    if QUOTE in joined:
        try:
            split = [table.split(row, text) for row, text in zip(*lines)]
        except SeriesFileError:
            return None
        numeric = column_runs(table.numeric)
        source = [delimiter.join(itertools.chain(*(f[s] for s in numeric))) for f in split]
        texts = [[fields[column].strip() for fields in split] for column in table.text]
        usecols = None
    else:
        if "\r" in joined:
            return None
        if set(map(str.count, lines.texts, itertools.repeat(delimiter))) != {n_fields - 1}:
            return None
        source, usecols = lines.texts, table.numeric
        texts = [
            [nth_field(text, column, n_fields, delimiter).strip() for text in lines.texts]
            for column in table.text
        ]
    values = None
    tail = n_fields - len(table.numeric)
    numbers_last = table.numeric == tuple(range(tail, n_fields))  # wide with the id first, or none
    if usecols is not None and delimiter == "," and not table.missing and numbers_last:
        values = json_numbers(source, tail)  # (n, len(numeric)), or None: numpy reads them
    if values is None:
        if table.missing:
            source = [EMPTY_CELLS[delimiter].sub("nan", line) for line in source]
        try:
            values = np.loadtxt(
                source,
                delimiter=delimiter,
                dtype=np.float64,
                usecols=usecols,
                comments=None,
                quotechar=None,
                ndmin=2,
            )  # (n, len(numeric))
        except ValueError:
            return None
    shape_ok = values.shape == (len(lines.rows), len(table.numeric))
    in_range = np.abs(values) <= FLOAT32_MAX  # False for NaN and inf too
    if table.missing and shape_ok:
        allowed = np.isin(np.array(table.numeric), table.missing)  # (len(numeric),)
        in_range |= np.isnan(values) & allowed
    if not shape_ok or not in_range.all() or not all(map(all, texts)):
        return None
    return values, texts


def parse(table: Table, lines: Lines) -> tuple[np.ndarray, list[list[str]]]:
    """Numbers (n, len(numeric)) float64 and text columns of `lines`; SeriesFileError if bad."""
    return parse_fast(table, lines) or parse_cells(table, lines)


def decode(path: Path, row: int, raw: bytes, delimiter: str) -> str:
    """One line's bytes as text, without its line ending (and the first line's BOM)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        column = raw[: error.start].count(delimiter.encode()) + 1
        byte = raw[error.start]
        raise SeriesFileError(
            path,
            f"byte 0x{byte:02x} is not UTF-8",
            "UTF-8 text (save the file as UTF-8)",
            row,
            column,
        ) from None
    text = text.removesuffix("\n").removesuffix("\r")
    return text.removeprefix("\ufeff") if row == 1 else text


def read_lines(
    path: Path, stream: BinaryIO, size: int, delimiter: str, row: int = 0
) -> Iterator[Lines]:
    """The non-blank lines of `stream` after line `row`, `size` at a time."""
    while raw := list(itertools.islice(stream, size)):
        try:  # the whole chunk at once; line by line only to find a bad byte
            texts = b"".join(raw).decode("utf-8").split("\n")[: len(raw)]
        except UnicodeDecodeError:
            texts = [decode(path, row + 1 + k, line, delimiter) for k, line in enumerate(raw)]
        texts = [text.removesuffix("\r") for text in texts]
        if row == 0:
            texts[0] = texts[0].removeprefix("\ufeff")
        kept = [(n, text) for n, text in enumerate(texts, start=row + 1) if text.strip()]
        row += len(raw)
        if kept:
            yield Lines([n for n, _ in kept], [text for _, text in kept])


def first_line(path: Path, stream: BinaryIO, delimiter: str) -> tuple[int, str]:
    """(line number, text) of the first non-blank line; SeriesFileError if there is none."""
    for row, raw in enumerate(stream, start=1):
        text = decode(path, row, raw, delimiter)
        if text.strip():
            return row, text
    raise SeriesFileError(path, "empty file", "a file with at least one series")


def header_names(path: Path, row: int, text: str) -> tuple[str, ...]:
    """The stripped names of a CSV header line."""
    return tuple(name.strip() for name in csv_fields(path, row, text, ","))


def find_column(
    path: Path, names: tuple[str, ...], name: str, row: int, required: bool
) -> int | None:
    """0-based index of the one column headed `name`; None if absent and not `required`."""
    found = [i for i, header in enumerate(names) if header == name]
    if len(found) > 1:
        raise SeriesFileError(
            path,
            f"{name!r} heads {len(found)} columns ({', '.join(str(i + 1) for i in found)})",
            f"one column named {name!r}",
            row,
        )
    if not found and required:
        listed = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        raise SeriesFileError(
            path,
            f"no column named {name!r} in the header ({listed})",
            f"a header with a {name!r} column",
            row,
        )
    return found[0] if found else None


def wide_table(
    path: Path, row: int, names: tuple[str, ...], id_column: str, label_column: str | None
) -> tuple[Table, int | None, int | None]:
    """The wide layout's table, and the 0-based columns of the ids and the labels (or None)."""
    if len(names) == 1 and any(sign in names[0] for sign in (";", "\t")):
        raise SeriesFileError(
            path,
            f"the header {show(names[0])} is one column",
            "comma-separated columns (a tab-separated UCR/UEA file: name it .tsv or use tsv)",
            row,
        )
    for column, name in enumerate(names):
        if not name:
            raise SeriesFileError(
                path,
                "empty column name in the header (a saved row index?)",
                "a name for every column; drop an index column or name it as the id column",
                row,
                column + 1,
            )
    ids = find_column(path, names, id_column, row, required=False)
    labels = None if label_column is None else find_column(path, names, label_column, row, True)
    if labels is not None and labels == ids:
        raise SeriesFileError(
            path, f"{label_column!r} is both the id and the label column", "two columns", row
        )
    kept = {column: kind for column, kind in ((ids, "id"), (labels, "label")) if column is not None}
    numeric = tuple(column for column in range(len(names)) if column not in kept)
    if not numeric:
        raise SeriesFileError(path, "no value columns", "at least one column of values", row)
    table = Table(
        path, ",", names, numeric, tuple(kept), tuple(kept.values()), reference="the header"
    )
    return table, ids, labels


def long_table(
    path: Path,
    row: int,
    names: tuple[str, ...],
    id_column: str,
    label_column: str | None,
    channel_column: str | None = None,
) -> Table:
    """The long layout's table: numbers (t, value), texts (id[, label][, channel]).

    `channel_column` is optional in the file: without it every series has one channel.
    """
    kinds = {"id": id_column, "label": label_column}
    if channel_column is not None and channel_column in names:
        kinds["channel"] = channel_column
    kinds = {kind: name for kind, name in kinds.items() if name is not None}
    wanted = [kinds["id"], *LONG_COLUMNS, *(name for kind, name in kinds.items() if kind != "id")]
    allowed = "exactly the columns " + ", ".join(wanted) + " in any order"
    if channel_column is not None and "channel" not in kinds:
        allowed += f" (and optionally {channel_column!r})"
    if len(set(wanted)) < len(wanted):
        raise SeriesFileError(
            path, f"the {', '.join(kinds)}, t and value columns are not distinct", allowed
        )
    for column, name in enumerate(names):
        if name not in wanted:
            raise SeriesFileError(path, "unexpected column", allowed, row, column + 1, name)
    index = {name: find_column(path, names, name, row, required=True) for name in wanted}
    return Table(
        path,
        ",",
        names,
        tuple(index[name] for name in LONG_COLUMNS),
        tuple(index[name] for name in kinds.values()),
        tuple(kinds),
        reference="the header",
    )


def ucr_table(path: Path, row: int, text: str, delimiter: str) -> Table:
    """The UCR/UEA layout's table, its field count taken from the first line."""
    n_fields = len(csv_fields(path, row, text, delimiter))
    if n_fields < 2:
        comma = delimiter == "\t" and "," in text
        hint = " (comma-separated? name it .csv, or use layout ucr)" if comma else ""
        separated = "tab" if delimiter == "\t" else "comma"
        raise SeriesFileError(
            path, f"one field{hint}", f"a label, then the values, {separated}-separated", row
        )
    return Table(
        path,
        delimiter,
        ("label",) + (None,) * (n_fields - 1),
        tuple(range(1, n_fields)),
        (0,),
        ("label",),
        reference=f"row {row}",
    )


def is_number(text: str) -> bool:
    """Whether a cell reads as a number (`number`; NaN and inf included)."""
    try:
        number(text)
    except ValueError:
        return False
    return True


def has_header(
    path: Path, row: int, names: tuple[str, ...], header: str, long: bool, label: str | None
) -> bool:
    """Whether the first line (`row`, its cells `names`) is a header; see the module's rules.

    `long`: the layout is long; `label`: the label column asked for, if any.
    A SeriesFileError, naming `row`, for a first line that is no header where
    one is needed, and under `auto` for one that could be either (it counts
    0, 1, 2, ... or 1, 2, 3, ...).
    """
    if header != "auto":
        found, reason = header == "yes", "--header no: the first row is a series"
    else:
        found = not all(map(is_number, names))
        reason = "the first row is all numbers: the file seems to have no header row"
    if found:
        return True
    if long or label is not None:
        needed = f"{label!r} among them" if label is not None else "id, t and value"
        raise SeriesFileError(path, reason, f"a header row naming the columns, {needed}", row)
    if header == "no" or len(names) < 2:
        return False
    # column numbers 0, 1, ..., n - 1 or 1, 2, ..., n: each cell minus its index is 0 or 1
    offsets = set(np.array([number(name) for name in names]) - np.arange(len(names)))
    if offsets in ({0.0}, {1.0}):
        raise SeriesFileError(
            path,
            f"the first row counts {names[0]}, {names[1]}, ..., {names[-1]}: column numbers "
            "(a header) or a series?",
            "--header yes (it is a header) or --header no (it is a series)",
            row,
        )
    return False


def headerless_table(path: Path, row: int, n_fields: int) -> Table:
    """The wide layout's table for a file without a header: every column a value."""
    return Table(path, ",", (None,) * n_fields, tuple(range(n_fields)), (), (), f"row {row}")


def iter_series(
    path: Path,
    layout: str = "auto",
    label_column: str | None = None,
    id_column: str = "id",
    batch_size: int = 1000,
    header: str = "auto",
    *,
    channel_column: str | None = None,
    equal_length: bool = True,
    missing: bool = False,
) -> Iterator[SeriesBatch]:
    """The series of a CSV/TSV file, `batch_size` at a time, each line checked.

    `header` (HEADERS) says whether a CSV's first line is a header (see the
    module's docstring). Memory stays bounded by the batch (plus the ids seen
    so far, to refuse duplicates). Raises SeriesFileError for anything wrong
    with the file, PipelineError for a bad `layout`, `header` or `batch_size`.

    `channel_column`: the long layout may have this column (channel names);
    `equal_length=False`: long-layout series may differ in length. With
    either, a long-layout batch's `values` is a list of (channels, points)
    float32 arrays, one per series, instead of one (n, points) array (the
    wide and tsv layouts always give the array). `missing`: empty and NaN
    value cells read as NaN (see the module's docstring).
    """
    for name, value, allowed in (("layout", layout, LAYOUTS), ("header", header, HEADERS)):
        if value not in allowed:
            raise PipelineError(f"{name} {value!r} is unknown; allowed: {', '.join(allowed)}")
    if batch_size < 1:
        raise PipelineError(f"batch size {batch_size}; allowed: an integer >= 1")
    path = Path(path)
    if layout == "auto" and path.suffix.lower() == ".tsv":
        layout = "tsv"
    if header == "yes" and layout in ("tsv", "ucr"):
        raise PipelineError(
            f"--header yes, but the {layout} layout has no header row; allowed: --header auto or no"
        )
    options = Options(channel_column, equal_length, missing)
    try:
        with open(path, "rb") as stream:
            yield from read_file(
                path, stream, layout, label_column, id_column, batch_size, header, options
            )
    except OSError as error:
        raise SeriesFileError(
            path, f"cannot read it ({error.strerror or error})", "a readable CSV or TSV file"
        ) from None


class Options(NamedTuple):
    """iter_series' options for what the older callers refuse (see there)."""

    channel_column: str | None = None
    equal_length: bool = True
    missing: bool = False


DEFAULT_OPTIONS = Options()


def with_missing(table: Table, missing: bool, columns: tuple[int, ...]) -> Table:
    """`table` reading empty and NaN cells of `columns` as NaN, if `missing`."""
    return dataclasses.replace(table, missing=columns) if missing else table


def read_file(
    path: Path,
    stream: BinaryIO,
    layout: str,
    label_column: str | None,
    id_column: str,
    batch_size: int,
    header: str,
    options: Options = DEFAULT_OPTIONS,
) -> Iterator[SeriesBatch]:
    """iter_series on an open file (a .tsv name already resolved to layout tsv)."""
    if layout in ("tsv", "ucr"):
        row, text = first_line(path, stream, "\t")
        delimiter = "," if layout == "ucr" and "\t" not in text else "\t"
        table = ucr_table(path, row, text, delimiter)
        table = with_missing(table, options.missing, table.numeric)
        stream.seek(0)  # the first line is a series too
        batches = rows_series(table, read_lines(path, stream, batch_size, delimiter), None, 0)
    else:
        row, text = first_line(path, stream, ",")
        names = header_names(path, row, text)
        long = layout == "long" or (layout == "auto" and {id_column, *LONG_COLUMNS} <= set(names))
        if not has_header(path, row, names, header, long, label_column):
            stream.seek(0)  # the first line is a series too
            table = headerless_table(path, row, len(names))
            table = with_missing(table, options.missing, table.numeric)
            batches = rows_series(table, read_lines(path, stream, batch_size, ","), None, None)
        elif long:
            table = long_table(path, row, names, id_column, label_column, options.channel_column)
            table = with_missing(table, options.missing, table.numeric[1:])  # value, not t
            chunks = read_lines(path, stream, LONG_CHUNK_LINES, ",", row)
            listed = options.channel_column is not None or not options.equal_length
            batches = long_series(table, chunks, batch_size, options.equal_length, listed)
        else:
            table, ids, labels = wide_table(path, row, names, id_column, label_column)
            table = with_missing(table, options.missing, table.numeric)
            batches = rows_series(
                table, read_lines(path, stream, batch_size, ",", row), ids, labels
            )
    empty = True
    for batch in batches:
        empty = False
        yield batch
    if empty:
        raise SeriesFileError(path, "no series", "at least one series")


def check_unique(
    table: Table, seen: dict[str, int], ids: list[str], rows: list[int], column: int
) -> None:
    """Refuse an id already seen (in this batch or an earlier one); remember the new ones."""
    for series_id, row in zip(ids, rows):
        first = seen.setdefault(series_id, row)
        if first != row:
            raise table.error(
                f"id {show(series_id)} is already the id of row {first}",
                "a different id for every series",
                row,
                column,
            )


def rows_series(
    table: Table, chunks: Iterator[Lines], ids: int | None, labels: int | None
) -> Iterator[SeriesBatch]:
    """One series per line (wide, tsv): each chunk of lines is a batch."""
    seen: dict[str, int] = {}
    for lines in chunks:
        values, texts = parse(table, lines)
        kept = dict(zip(table.text, texts))
        if ids is None:
            series_ids = [str(row) for row in lines.rows]
        else:
            series_ids = kept[ids]
            check_unique(table, seen, series_ids, lines.rows, ids)
        yield SeriesBatch(series_ids, lines.rows, values.astype(np.float32), kept.get(labels))


class Points(NamedTuple):
    """Consecutive lines of one series in the long layout (possibly only part of it)."""

    series_id: str
    rows: np.ndarray  # (k,) line numbers
    numbers: np.ndarray  # (k, 2) t and value, float64
    labels: list[str] | None  # (k,)
    channels: list[str] | None  # (k,) channel names; None without a channel column


class LongSeries(NamedTuple):
    """One finished series of the long layout."""

    series_id: str
    row: int  # its first line
    values: np.ndarray  # (channels, points) float32, each channel in t order
    label: str | None
    channels: tuple[str, ...]  # the channel names in order; () without a channel column


def long_points(table: Table, chunks: Iterator[Lines]) -> Iterator[Points]:
    """Each run of lines with the same id, chunk by chunk (a run may continue in the next)."""
    for lines in chunks:
        numbers, texts = parse(table, lines)  # (n, 2), [ids, labels?, channels?]
        kept = dict(zip(table.text_kinds, texts))
        ids = np.array(kept["id"], dtype=object)  # (n,)
        starts = [0, *(np.flatnonzero(ids[1:] != ids[:-1]) + 1), len(ids)]
        rows = np.array(lines.rows)  # (n,)
        labels, channels = kept.get("label"), kept.get("channel")
        for start, end in itertools.pairwise(starts):
            yield Points(
                ids[start],
                rows[start:end],
                numbers[start:end],
                None if labels is None else labels[start:end],
                None if channels is None else channels[start:end],
            )


def long_series(
    table: Table,
    chunks: Iterator[Lines],
    batch_size: int,
    equal_length: bool = True,
    listed: bool = False,
) -> Iterator[SeriesBatch]:
    """Series of the long layout: runs of one id joined, checked, sorted by t, batched.

    `listed`: a batch's values are a list of (channels, points) arrays, else
    one (n, points) array (one channel, equal lengths).
    """
    finished: list[LongSeries] = []
    seen: dict[str, int] = {}
    first = None  # the first series, once known
    for _, parts in itertools.groupby(long_points(table, chunks), key=lambda p: p.series_id):
        finished.append(one_long_series(table, list(parts), seen, first, equal_length))
        first = first or finished[0]
        if len(finished) == batch_size:
            yield long_batch(finished, listed)
            finished = []
    if finished:
        yield long_batch(finished, listed)


def long_batch(finished: list[LongSeries], listed: bool) -> SeriesBatch:
    """The finished series as one batch (values listed, or stacked one channel each)."""
    ids, rows, values, labels, _ = zip(*finished)
    return SeriesBatch(
        list(ids),
        list(rows),
        list(values) if listed else np.stack([series[0] for series in values]),
        None if labels[0] is None else list(labels),
    )


def channel_order(names: list[str]) -> tuple[str, ...]:
    """The distinct channel names in order: by number if every name is one, else as they come.

    The first series' order is every series' order.
    """
    distinct = list(dict.fromkeys(names))
    if all(map(is_number, distinct)):
        return tuple(sorted(distinct, key=number))
    return tuple(distinct)


def one_long_series(
    table: Table,
    parts: list[Points],
    seen: dict[str, int],
    first_series: LongSeries | None,
    equal_length: bool = True,
) -> LongSeries:
    """One series (values (channels, points), each channel in t order), all checked.

    `seen` maps the ids so far to their first rows; `first_series` (None for
    the first) sets the channels every series must have and, with
    `equal_length`, the number of points.
    """
    series_id, first = parts[0].series_id, int(parts[0].rows[0])
    rows = np.concatenate([part.rows for part in parts])  # (lines,)
    numbers = np.concatenate([part.numbers for part in parts])  # (lines, 2)
    kinds = dict(zip(table.text_kinds, table.text))
    id_column, t_column = kinds["id"], table.numeric[0]
    earlier = seen.setdefault(series_id, first)
    if earlier != first:
        raise table.error(
            f"series {show(series_id)} (first seen at row {earlier}) continues after other series",
            "the lines of each series together (sort the file by id, then t)",
            first,
            id_column,
        )
    if parts[0].channels is None:
        channels: tuple[str, ...] = ()
        members = [np.arange(len(rows))]  # (channels,) of (points,) line indices
    else:
        names = np.array([x for part in parts for x in part.channels], dtype=object)  # (lines,)
        channels = channel_order(list(names))
        if first_series is not None and set(channels) == set(first_series.channels):
            channels = first_series.channels  # in the first series' order
        elif first_series is not None:
            raise table.error(
                f"series {show(series_id)} has the channels {', '.join(map(show, channels))}, "
                f"the first series {', '.join(map(show, first_series.channels))}",
                "the same channels in every series",
                first,
                kinds["channel"],
            )
        members = [np.flatnonzero(names == channel) for channel in channels]
    values, reference_t = [], None
    for k, member in enumerate(members):
        order = member[np.argsort(numbers[member, 0], kind="stable")]  # (points,) line indices
        t = numbers[order, 0]
        of = f"series {show(series_id)}" + (f", channel {show(channels[k])}," if channels else "")
        repeats = np.flatnonzero(t[1:] == t[:-1])
        if len(repeats):
            later, earlier_row = rows[order[repeats[0] + 1]], rows[order[repeats[0]]]
            raise table.error(
                f"t = {t[repeats[0]]:g} of {of} repeats row {earlier_row}",
                "each t once per series" + (" and channel" if channels else ""),
                int(later),
                t_column,
            )
        if reference_t is None:
            reference_t = t
        elif not np.array_equal(t, reference_t):
            check_aligned(table, series_id, channels, k, t, reference_t, rows[order], first)
        values.append(numbers[order, 1])
    n_points = len(values[0])
    if equal_length and first_series is not None and n_points != first_series.values.shape[1]:
        raise table.error(
            f"series {show(series_id)} has {n_points} points, "
            f"the first series {first_series.values.shape[1]}",
            "the same number of points in every series",
            first,
            id_column,
        )
    labels = None if parts[0].labels is None else [x for part in parts for x in part.labels]
    if labels is not None:
        differs = next((k for k, label in enumerate(labels) if label != labels[0]), None)
        if differs is not None:
            raise table.error(
                f"label {show(labels[differs])} differs from {show(labels[0])} of row {first}",
                "one label per series",
                int(rows[differs]),
                kinds["label"],
            )
    label = None if labels is None else labels[0]
    return LongSeries(series_id, first, np.array(values, dtype=np.float32), label, channels)


def check_aligned(
    table: Table,
    series_id: str,
    channels: tuple[str, ...],
    k: int,
    t: np.ndarray,
    reference_t: np.ndarray,
    rows: np.ndarray,
    first: int,
) -> None:
    """Refuse channel `k` of a series whose sorted t (rows: their lines) differ from channel 0's."""
    allowed = "the same t values in every channel of a series"
    kinds = dict(zip(table.text_kinds, table.text))
    if len(t) != len(reference_t):
        raise table.error(
            f"channel {show(channels[k])} of series {show(series_id)} has {len(t)} points, "
            f"channel {show(channels[0])} {len(reference_t)}",
            allowed,
            first,
            kinds["id"],
        )
    at = int(np.flatnonzero(t != reference_t)[0])
    raise table.error(
        f"t = {t[at]:g} of series {show(series_id)}, channel {show(channels[k])}, where "
        f"channel {show(channels[0])} has t = {reference_t[at]:g}",
        allowed,
        int(rows[at]),
        table.numeric[0],
    )


def read_series(
    path: Path,
    layout: str = "auto",
    label_column: str | None = None,
    id_column: str = "id",
    header: str = "auto",
    *,
    missing: bool = False,
) -> SeriesBatch:
    """The whole file as one batch: iter_series' batches concatenated.

    values: (n, points) float32 (NaN where a missing value was allowed).
    """
    batches = list(
        iter_series(path, layout, label_column, id_column, header=header, missing=missing)
    )
    labels = None if batches[0].labels is None else [x for b in batches for x in b.labels]
    return SeriesBatch(
        [x for b in batches for x in b.ids],
        [x for b in batches for x in b.rows],
        np.concatenate([b.values for b in batches]),
        labels,
    )


def read_series_list(
    path: Path,
    layout: str = "auto",
    label_column: str | None = None,
    id_column: str = "id",
    header: str = "auto",
    *,
    channel_column: str | None = "channel",
    missing: bool = False,
) -> SeriesList:
    """The whole file as series of any length and channel count, each (channels, points) float32.

    The wide and tsv layouts give one channel each, equal lengths (views of
    one array); the long layout may carry `channel_column` (see the module's
    docstring; channels in `channel_order`) and series of different lengths.
    Every check of iter_series applies; raises SeriesFileError (file, row,
    column, what is allowed).
    """
    values: list[np.ndarray] = []
    ids, rows, labels = [], [], []
    batches = iter_series(
        path,
        layout,
        label_column,
        id_column,
        header=header,
        channel_column=channel_column,
        equal_length=False,
        missing=missing,
    )
    for batch in batches:
        ids += batch.ids
        rows += batch.rows
        labels = None if batch.labels is None else labels + batch.labels
        values += batch.values if isinstance(batch.values, list) else list(batch.values[:, None])
    return SeriesList(ids, rows, values, labels)


def csv_cell(text: str) -> str:
    """`text` as a CSV cell: quoted, quotes doubled, if it holds a comma, quote or newline."""
    return QUOTE + text.replace(QUOTE, 2 * QUOTE) + QUOTE if CSV_SPECIAL.search(text) else text


def write_series(path: Path, series: SeriesBatch, layout: str = "wide") -> None:
    """Write `series` in `layout` (wide, long or tsv) so that `read_series` reads it back.

    Columns: wide `id[,label],v0,...`; long `id,t,value[,label]` with t = 0,
    1, ...; tsv the label, then the values (labels required). Values are
    written with 9 significant digits, which float32 survives exactly.
    Written atomically, for tests, benchmarks and examples.
    """
    ids = [csv_cell(series_id) for series_id in series.ids]
    labels = None if series.labels is None else [csv_cell(label) for label in series.labels]
    n_points = series.values.shape[1]
    with atomic_output(path) as tmp, open(tmp, "w", newline="") as stream:
        if layout == "wide":
            names = ["id", *(["label"] if labels else []), *(f"v{i}" for i in range(n_points))]
            stream.write(",".join(names) + "\n")
            line = ",".join(["%s"] * (2 if labels else 1) + ["%.9g"] * n_points) + "\n"
            for k, row in enumerate(series.values.tolist()):
                stream.write(line % (ids[k], *([labels[k]] if labels else []), *row))
        elif layout == "long":
            stream.write("id,t,value" + (",label" if labels else "") + "\n")
            for k, row in enumerate(series.values.tolist()):
                end = f",{labels[k]}\n" if labels else "\n"
                stream.writelines(f"{ids[k]},{t},{value:.9g}{end}" for t, value in enumerate(row))
        elif layout == "tsv" and series.labels is not None:
            line = "\t".join(["%s"] + ["%.9g"] * n_points) + "\n"
            for label, row in zip(series.labels, series.values.tolist()):
                stream.write(line % (label, *row))
        else:
            raise ValueError(f"cannot write layout {layout!r} (tsv needs labels)")
