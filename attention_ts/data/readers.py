"""Labelled series from a file: `.ts` and `.arff` (through aeon), UCR `.tsv` and `.csv`.

`read_labelled_file(path, label_column, missing)` reads any of them into
`LabelledSeries`: one (channels, points) array per series, its label as
text, an id and the 1-based line of the series in the file.
`read_unlabelled_file(path)` reads the series of a .ts or .arff file for
prediction: the same checks, but a .ts file may declare no labels
(`@classLabel false`), and labels that are there are not read. Series may
differ in length; every series must have at least MIN_POINTS points and the
same number of channels as the first. Anything wrong is one SeriesFileError
line: "<file>: row R, channel C: <problem>; allowed: <what>".

- `.ts` (the sktime/aeon format, as the UCR/UEA archives ship it) and
  `.arff` are parsed by aeon's own loaders (load_from_ts_file,
  load_from_arff_file); their exceptions become SeriesFileError. This module
  only finds the line of each series (the non-blank, non-comment lines after
  `@data`; a file with blank or comment lines among them is handed to aeon
  without them, as aeon would read such a line as a series), checks the
  header (`@data`, class labels, no timestamps) and takes a .ts file's labels
  from the text after each line's last ":", as written: aeon lowercases them
  (and turns "nan" inside a label into "NaN"). A missing value is `?` (or
  NaN) and reaches us as NaN.
- `.tsv`: the UCR layout (label first, tab-separated), `.csv`: the wide
  layout (a header; the label column `label_column`, an optional `id`
  column, then the values) or the long one (columns id, t, value, the label
  column and optionally `channel`), both through attention_ts.data.series_io,
  which checks every cell (file, row, column).

Missing values (`missing`, MISSING_POLICIES): "refuse" (a NaN or an empty
cell is a SeriesFileError naming file, row and column, or channel) or
"interpolate": linear within the series, channel by channel, over the point
index; leading and trailing gaps take the nearest valid value; a channel
without any valid value is refused. Infinite values and values beyond
float32's range are refused under both.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np

from attention_ts.core.stage import PipelineError
from attention_ts.data.series_io import (
    FLOAT32_MAX,
    NUMBERS,
    SeriesFileError,
    SeriesList,
    read_series_list,
    show,
)

MISSING_POLICIES = ("refuse", "interpolate")
SUFFIXES = (".ts", ".arff", ".tsv", ".csv")
AEON_SUFFIXES = (".ts", ".arff")  # read by aeon's loaders
MIN_POINTS = 2  # a series needs this many points (standardizing needs a spread)
ID_COLUMN = "id"  # a CSV's optional id column
CHANNEL_COLUMN = "channel"  # the long CSV layout's optional channel column
TS_LAYOUT = (
    "a .ts file as aeon reads it: header lines (@problemName, @classLabel true <classes>, ...), "
    "then @data, then one series per line, channels separated by ':' and the label last"
)
ARFF_LAYOUT = "an .arff file as aeon reads it: @attribute lines, then @data, one series per line"
TS_NUMBERS = "finite numbers, and '?' or NaN for a missing value"
CASE = re.compile(r"\bcase(?: number)? (\d+)")  # aeon's 1-based series count in a message


class LabelledSeries(NamedTuple):
    series: list[np.ndarray]  # (n,) each (channels, length) float64 (.ts, .arff) or float32
    labels: list[str]  # (n,) text, stripped
    ids: list[str]  # (n,) the id column's text, else the line number as text
    rows: list[int]  # (n,) 1-based line of each series in the file (long CSV: its first line)


def read_labelled_file(path: Path, label_column: str, missing: str = "refuse") -> LabelledSeries:
    """The labelled series of a .ts, .arff, .tsv or .csv file, every value checked.

    `label_column` names a CSV's label column (the other formats say where
    their labels are). `missing`: "refuse" or "interpolate" (see the
    module's docstring). Each series comes back as (channels, length), as
    read: float64 from .ts/.arff, float32 from .tsv/.csv; without NaN.
    Raises SeriesFileError (one line: file, row, column or channel, what is
    allowed) for a file it cannot accept, PipelineError for an unknown
    `missing` policy.
    """
    if missing not in MISSING_POLICIES:
        raise PipelineError(
            f"missing-value policy {missing!r} is unknown; allowed: {', '.join(MISSING_POLICIES)}"
        )
    path = Path(path)
    suffix = path.suffix.lower()
    allow = missing == "interpolate"
    stacked = None  # (n, channels, points) when the series are views of one array
    if suffix in (".ts", ".arff"):
        found, stacked = read_aeon_file(path, suffix)
        unit = "channel"
    elif suffix in (".tsv", ".csv"):
        tsv = suffix == ".tsv"
        listed = read_series_list(
            path,
            layout="tsv" if tsv else "auto",
            label_column=None if tsv else label_column,
            id_column=ID_COLUMN,
            channel_column=CHANNEL_COLUMN,
            missing=allow,
        )
        found = LabelledSeries(listed.values, listed.labels, listed.ids, listed.rows)
        unit = "column"
    else:
        raise SeriesFileError(
            path,
            f"the extension {suffix!r} is none of the formats read" if suffix else "no extension",
            "a .ts or .arff file (aeon's formats), a UCR .tsv or a .csv (wide or long)",
        )
    check_shapes(path, found)
    if unit == "column" and not allow:
        return found  # series_io refused every NaN, infinity and value beyond float32's range
    return fill_missing(path, found, missing, unit, stacked)


def read_unlabelled_file(path: Path) -> SeriesList:
    """The series of a .ts or .arff file, without labels (for prediction); ids: line numbers.

    As `read_labelled_file` reads them (aeon's loaders, every series with
    at least MIN_POINTS points and the first one's channel count, missing,
    infinite and out-of-range values refused), except that a .ts file may
    declare no labels (`@classLabel false`: aeon then reads every ':'-field
    of a line as a channel), and that the labels of a file that has them
    are neither read nor checked. Each series is (channels, points)
    float64. Raises SeriesFileError.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in AEON_SUFFIXES:
        raise SeriesFileError(
            path,
            f"the extension {suffix!r} is not aeon's" if suffix else "no extension",
            "a .ts or .arff file",
        )
    found, stacked = read_aeon_file(path, suffix, labelled=False)
    check_shapes(path, found)
    found = fill_missing(path, found, "refuse", "channel", stacked)
    return SeriesList(found.ids, found.rows, found.series, None)


def check_shapes(path: Path, found: LabelledSeries) -> None:
    """Refuse a file with a series shorter than MIN_POINTS or a channel count unlike the first's."""
    channels = found.series[0].shape[0]
    for values, row in zip(found.series, found.rows):
        if values.shape[0] != channels:
            raise SeriesFileError(
                path,
                f"{values.shape[0]} channels, the first series (row {found.rows[0]}) {channels}",
                "the same number of channels in every series",
                row,
            )
        if values.shape[1] < MIN_POINTS:
            points = "point" if values.shape[1] == 1 else "points"
            raise SeriesFileError(
                path,
                f"a series of {values.shape[1]} {points}",
                f"at least {MIN_POINTS} points in every series",
                row,
            )


def fill_missing(
    path: Path,
    found: LabelledSeries,
    missing: str,
    unit: str,
    stacked: np.ndarray | None = None,
) -> LabelledSeries:
    """`found` with its NaN refused or interpolated; infinite or too large values refused.

    `unit` says how messages name a series' rows: "channel" (.ts, .arff:
    "row R, channel C") or "column" (CSV, TSV, whose reader already named
    the cell of each value it refused). `stacked`: the (n, channels, points)
    array the series are views of, if any (checked in one pass).
    """
    series = list(found.series)
    if stacked is not None:
        peaks = np.maximum(stacked.max(axis=(1, 2)), -stacked.min(axis=(1, 2)))  # (n,) NaN: NaN
        suspects = np.flatnonzero(~(peaks <= FLOAT32_MAX)).tolist()
    else:
        suspects = range(len(series))
    for k in suspects:
        values, row = found.series[k], found.rows[k]
        if np.abs(values).max() <= FLOAT32_MAX:  # False for NaN too
            continue
        bad = np.isinf(values) | (np.abs(values) > FLOAT32_MAX)  # (channels, points)
        if bad.any() or missing == "refuse":
            refuse_value(path, values, row, unit, bad if bad.any() else np.isnan(values))
        series[k] = interpolated(path, values, row, unit)
    return found._replace(series=series)


def refuse_value(path: Path, values: np.ndarray, row: int, unit: str, bad: np.ndarray) -> None:
    """Raise the SeriesFileError for the first `bad` value (channels, points) of one series."""
    channel, point = (int(i) for i in np.argwhere(bad)[0])
    value = values[channel, point]
    n_channels, n_points = values.shape
    at = f"point {point + 1} of {n_points}"
    if np.isnan(value):
        problem, allowed = f"missing value at {at}", NUMBERS
    elif np.isinf(value):
        problem, allowed = f"{value} at {at} is not a finite number", TS_NUMBERS
    else:
        problem = f"{value:g} at {at} is beyond float32's range"
        allowed = f"finite numbers within +-{FLOAT32_MAX:.4g}"
    if unit == "channel":
        raise SeriesFileError(path, problem, allowed, row, channel + 1, unit="channel")
    which = f"channel {channel + 1} of {n_channels}, " if n_channels > 1 else ""
    raise SeriesFileError(path, which + problem, allowed, row)


def interpolated(path: Path, values: np.ndarray, row: int, unit: str) -> np.ndarray:
    """One series (channels, points) with each channel's NaN filled linearly (ends: nearest)."""
    filled = values.copy()
    steps = np.arange(values.shape[1])
    for channel, line in enumerate(values):
        valid = ~np.isnan(line)
        if valid.all():
            continue
        if not valid.any():
            problem = f"no valid value (all {len(line)} points missing)"
            allowed = "at least one value in every channel to interpolate from"
            if unit == "channel":
                raise SeriesFileError(path, problem, allowed, row, channel + 1, unit="channel")
            which = f"channel {channel + 1}: " if values.shape[0] > 1 else "the series: "
            raise SeriesFileError(path, which + problem, allowed, row)
        filled[channel] = np.interp(steps, steps[valid], line[valid])
    return filled


# .ts and .arff: aeon's loaders


class DataSection(NamedTuple):
    """What this module needs to know of a .ts/.arff file before aeon reads it."""

    header: dict[str, list[str]]  # .ts: each @tag (lowercased, no @) -> its words (lowercased)
    data_row: int  # 1-based line of @data
    rows: list[int]  # (n,) 1-based line of each series
    spans: list[tuple[int, int]]  # (n,) where each series' line is in `raw`, stripped
    raw: bytes  # the file
    clean: bool  # aeon can read the file as it is (no blank or comment line after @data)
    head: str  # the file up to and including the @data line

    def text(self, k: int) -> str:
        """Series k's line, stripped (UnicodeDecodeError if it is not UTF-8)."""
        start, end = self.spans[k]
        return self.raw[start:end].decode("utf-8")


def read_aeon_file(
    path: Path, suffix: str, labelled: bool = True
) -> tuple[LabelledSeries, np.ndarray | None]:
    """A .ts or .arff file through aeon's loader, its header, lines and labels checked.

    Also returns aeon's (n, channels, points) array when the series have one
    length (the series are its views), else None. `labelled` False: the
    labels are not read (an empty list; see `read_unlabelled_file`).
    """
    section = data_section(path, suffix)
    ts = suffix == ".ts"
    if ts:
        check_ts_header(path, section, labelled)
    with tempfile.TemporaryDirectory() as folder:
        source = path
        if not section.clean:  # what aeon reads: the header, then only the series' lines
            source = Path(folder) / f"cleaned{suffix}"
            with open(source, "wb") as stream:
                stream.write(section.head.encode())
                stream.writelines(section.raw[a:b] + b"\n" for a, b in section.spans)
        data, aeon_labels = load_aeon(path, source, section, ts)
    series = list(data)  # (n,) each (channels, points): views of a 3D array, or aeon's list
    if len(series) != len(section.rows):
        raise SeriesFileError(
            path,
            f"aeon's loader read {len(series)} series from {len(section.rows)} lines after @data",
            TS_LAYOUT if ts else ARFF_LAYOUT,
        )
    ids = [str(row) for row in section.rows]
    if not labelled:
        return LabelledSeries(series, [], ids, section.rows), stacked_array(data)
    labels = ts_labels(path, section) if ts else [str(label).strip() for label in aeon_labels]
    for label, row in zip(labels, section.rows):
        if not label:
            raise SeriesFileError(path, "empty label", "a label at the end of every line", row)
    return LabelledSeries(series, labels, ids, section.rows), stacked_array(data)


def stacked_array(data: np.ndarray | list[np.ndarray]) -> np.ndarray | None:
    """aeon's series as one (n, channels, points) array, or None when they are a list."""
    return data if isinstance(data, np.ndarray) else None


def not_utf8(path: Path, raw: bytes, start: int) -> SeriesFileError:
    """The SeriesFileError for the byte at `start` of `raw`, which is not UTF-8."""
    row = raw[:start].count(b"\n") + 1
    return SeriesFileError(
        path,
        f"byte 0x{raw[start]:02x} is not UTF-8",
        "UTF-8 text (save the file as UTF-8)",
        row,
    )


def data_section(path: Path, suffix: str) -> DataSection:
    """The header and the series' lines of a .ts (comments '#') or .arff (comments '%') file.

    The lines are found in the file's bytes (no copy of the whole file as
    text); the header is decoded here, the series' lines by aeon.
    """
    layout = TS_LAYOUT if suffix == ".ts" else ARFF_LAYOUT
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SeriesFileError(
            path, f"cannot read it ({error.strerror or error})", f"a readable file: {layout}"
        ) from None
    comment = b"#" if suffix == ".ts" else b"%"
    bom = raw.startswith(BOM)
    lines = line_spans(raw, len(BOM) if bom else 0)  # (line number, start, end), lazily
    header: dict[str, list[str]] = {}
    data_row = None
    for number, start, end in lines:
        try:
            stripped = raw[start:end].decode("utf-8").strip()
        except UnicodeDecodeError as error:
            raise not_utf8(path, raw, start + error.start) from None
        if stripped.lower().startswith("@data"):
            if stripped.lower() != "@data":
                raise SeriesFileError(
                    path, f"the @data line {show(stripped)} has more on it", layout, number
                )
            data_row, head_end = number, end
            break
        if stripped.startswith("@"):
            words = stripped.lower().split()
            header[words[0][1:]] = words[1:]
    if data_row is None:
        raise SeriesFileError(path, "no @data line", layout)
    rows, spans, skipped = [], [], False
    for number, start, end in lines:  # on from the line after @data
        if start < end and raw[start] not in WHITESPACE and raw[end - 1] not in WHITESPACE:
            pass  # the usual line: no copy to strip it
        else:
            line = raw[start:end]
            start += len(line) - len(line.lstrip())
            end = start + len(line.strip())
        if start == end or raw[start : start + 1] == comment:
            skipped = True
            continue
        rows.append(number)
        spans.append((start, end))
    if not rows:
        raise SeriesFileError(path, "no series after @data", "at least one series", data_row)
    head = raw[len(BOM) if bom else 0 : head_end].decode("utf-8") + "\n"
    return DataSection(header, data_row, rows, spans, raw, not (skipped or bom), head)


BOM = b"\xef\xbb\xbf"
WHITESPACE = b" \t\r\n\x0b\x0c"  # what bytes.strip() strips


def line_spans(raw: bytes, start: int = 0) -> Iterator[tuple[int, int, int]]:
    """(1-based line number, start, end) of each line of `raw`, without its line ending."""
    number, size = 0, len(raw)
    while start < size:
        end = raw.find(b"\n", start)
        end = size if end < 0 else end
        number += 1
        yield number, start, end
        start = end + 1


def check_ts_header(path: Path, section: DataSection, labelled: bool = True) -> None:
    """Refuse a .ts header that does not declare class labels, or declares timestamps.

    `labelled` False (prediction): `@classLabel false` (no labels) is fine too,
    but a missing @classLabel line is not, as aeon then reads the last field
    of each line as a label.
    """
    header = section.header
    if header.get("timestamps", ["false"])[:1] == ["true"]:
        raise SeriesFileError(
            path,
            "@timeStamps true: series with timestamps",
            "a .ts file without timestamps (@timeStamps false)",
        )
    if header.get("targetlabel", ["false"])[:1] == ["true"]:
        raise SeriesFileError(
            path,
            "@targetLabel true: regression targets, not class labels",
            "a classification file: @classLabel true, then the class names",
        )
    if not labelled and "classlabel" not in header:
        raise SeriesFileError(
            path,
            "no @classLabel line in the header (aeon would read each line's last field as a label)",
            "@classLabel false (no labels after the series) or @classLabel true, then the class "
            "names (labels are not read)",
        )
    if labelled and header.get("classlabel", ["false"])[:1] != ["true"]:
        found = "@classLabel false" if "classlabel" in header else "no @classLabel line"
        raise SeriesFileError(
            path,
            f"{found} in the header: the series have no class labels",
            "a header line @classLabel true, then the class names, and a label after each series",
        )


def ts_labels(path: Path, section: DataSection) -> list[str]:
    """Each .ts series' label as written (after its line's last ':'), checked against @classLabel.

    aeon's loader lowercases labels (and writes "NaN" for "nan" inside one),
    so the labels are taken from the lines themselves.
    """
    declared = set(section.header["classlabel"][1:])  # lowercased, as the header is read
    labels = []
    raw = section.raw
    for (start, end), row in zip(section.spans, section.rows):
        cut = raw.rfind(b":", start, end)
        try:
            label = raw[cut + 1 if cut >= 0 else end : end].decode("utf-8").strip()
        except UnicodeDecodeError as error:
            raise not_utf8(path, raw, cut + 1 + error.start) from None
        if declared and label.lower() not in declared:
            listed = " ".join(section.header["classlabel"][1:][:10])
            raise SeriesFileError(
                path,
                f"label {show(label)} is not a class of the header's @classLabel ({listed})",
                "the labels @classLabel lists, one after the last ':' of every line",
                row,
            )
        labels.append(label)
    return labels


def load_aeon(
    path: Path, source: Path, section: DataSection, ts: bool
) -> tuple[np.ndarray | list[np.ndarray], np.ndarray]:
    """aeon's (series, labels) of `source` (`path` or its cleaned copy); SeriesFileError on failure.

    series: (n, channels, points) float64 for equal lengths, else a list of
    (channels, points_i) arrays.
    """
    from aeon.datasets import load_from_arff_file, load_from_ts_file  # slow import: only here

    try:
        if ts:
            return load_from_ts_file(str(source))
        return load_from_arff_file(str(source))
    except UnicodeDecodeError:  # where in the file: decode it here
        try:
            section.raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise not_utf8(path, section.raw, error.start) from None
        raise SeriesFileError(path, "not UTF-8", "UTF-8 text (save the file as UTF-8)") from None
    except (OSError, ValueError, IndexError, TypeError) as error:
        raise aeon_error(path, section, ts, " ".join(str(error).split())) from None


def aeon_error(path: Path, section: DataSection, ts: bool, message: str) -> SeriesFileError:
    """aeon's exception `message` as a SeriesFileError naming the row (and channel) it found."""
    layout = TS_LAYOUT if ts else ARFF_LAYOUT
    case = CASE.search(message)
    row = section.rows[int(case.group(1)) - 1] if case else None
    if found := re.search(r"dimensions in case \d+\. Expecting (\d+) but have read (\d+)", message):
        expected, read = found.groups()
        return SeriesFileError(
            path,
            f"{read} channels, the first series {expected} (a label missing after the last ':'?)",
            "the same number of channels (separated by ':') in every series, then the label",
            row,
        )
    if found := re.search(r"Seen (\d+) in case \d+\.\s*Expecting univariate", message):
        return SeriesFileError(
            path,
            f"{found.group(1)} channels, but the header says @univariate true",
            "one channel per series, or @univariate false",
            row,
        )
    if found := re.search(r"Channel (\d+) in case \d+ .* Saw (\d+) .* but (\d+) in", message):
        channel, first, points = (int(x) for x in found.groups())
        if channel == 0:  # with @equalLength true, aeon holds every series to the first's length
            return SeriesFileError(
                path,
                f"{points} points, the first series {first}, and the header says @equalLength true",
                "series of the first one's length, or @equalLength false",
                row,
            )
        return SeriesFileError(
            path,
            f"{points} points, channel 1 of this series {first}",
            "the same number of points in every channel of a series",
            row,
            channel + 1,
            unit="channel",
        )
    if found := re.search(r"could not convert string to float: '(.*)'", message):
        cell = found.group(1)
        where = locate_cell(section, ts, cell)
        problem = f"{show(cell)} is not a number"
        if where is None:
            return SeriesFileError(path, problem, TS_NUMBERS)
        return SeriesFileError(path, problem, TS_NUMBERS, where[0], where[1], unit="channel")
    if found := re.search(r"shape \((\d+),\) into shape \((\d+),\)", message):
        points, first = found.groups()
        return SeriesFileError(
            path,
            f"a series of {points} points, the first series {first}",
            "series of equal length (aeon's .arff loader reads no others)",
            locate_length(section, int(first)),
        )
    loader = "load_from_ts_file" if ts else "load_from_arff_file"
    return SeriesFileError(path, f"aeon's {loader} refused it ({message})", layout, row)


def channel_cells(text: str, ts: bool) -> list[list[str]]:
    """One data line's cells by channel, split as aeon splits it (best effort, for messages)."""
    if ts:
        return [channel.split(",") for channel in text.split(":")[:-1]]
    if text.startswith("'"):  # a multivariate .arff line: 'c1\nc2\n...',label
        return [channel.split(",") for channel in text.rsplit("',", 1)[0][1:].split("\\n")]
    return [text.split(",")[:-1]]


def locate_cell(section: DataSection, ts: bool, cell: str) -> tuple[int, int] | None:
    """(row, 1-based channel) of the first value cell that reads as `cell` once aeon lowercases."""
    for k, row in enumerate(section.rows):
        text = section.text(k)
        for channel, cells in enumerate(channel_cells(text.lower() if ts else text, ts)):
            if any(value.strip() == cell for value in cells):
                return row, channel + 1
    return None


def locate_length(section: DataSection, points: int) -> int | None:
    """The row of the first .arff series whose first channel does not have `points` values."""
    for k, row in enumerate(section.rows):
        cells = channel_cells(section.text(k), ts=False)
        if cells and len(cells[0]) != points:
            return row
    return None
