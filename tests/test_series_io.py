"""Reading users' series files: each layout round-trips, each error says where and what is allowed.

The fuzz tests mutate valid files (junk cells, short and long rows, random
bytes, changed headers) and check that the reader either returns exactly what
an independent csv-module reading of the file says, or raises SeriesFileError:
never another exception.
"""

from __future__ import annotations

import csv
import pickle
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from attention_ts.core.stage import PipelineError
from attention_ts.data import series_io
from attention_ts.data.series_io import (
    Lines,
    SeriesBatch,
    SeriesFileError,
    iter_series,
    parse_cells,
    parse_fast,
    read_series,
    read_series_list,
    wide_table,
    write_series,
)
from tests.conftest import write_file

VALUES = np.array(
    [[0.5, -1.25, 3e-7, 12345.678, -0.0], [1, 2, 3, 4, 5], [-9.75, 1e30, 0.1, 7, 2.5]],
    dtype=np.float32,
)  # (3 series, 5 points)
IDS = ["a", "b,with comma", 'c "quoted"']
LABELS = ["normal", "flat", "normal"]
SERIES = SeriesBatch(IDS, [2, 3, 4], VALUES, LABELS)
NUMBERS_ALLOWED = f"allowed: {series_io.NUMBERS}"


def assert_same(batch: SeriesBatch, ids: list[str], labels: list[str] | None) -> None:
    assert batch.ids == ids
    assert batch.labels == labels
    assert batch.values.dtype == np.float32
    np.testing.assert_array_equal(batch.values, VALUES)


@pytest.mark.parametrize("layout", ["wide", "long"])
def test_csv_layouts_round_trip_with_ids_and_labels(tmp_path, layout):
    path = tmp_path / "series.csv"
    write_series(path, SERIES, layout)
    assert_same(read_series(path, label_column="label"), IDS, LABELS)
    assert_same(read_series(path, layout=layout, label_column="label"), IDS, LABELS)


def test_wide_rows_and_ids_are_line_numbers_without_an_id_column(tmp_path):
    rows = "\n".join(",".join(f"{v:.9g}" for v in row) for row in VALUES)
    path = write_file(
        tmp_path, "plain.csv", "p0,p1,p2,p3,p4\n\n" + rows + "\n\n"
    )  # blank lines skipped
    batch = read_series(path)
    assert_same(batch, ["3", "4", "5"], None)
    assert batch.rows == [3, 4, 5]


def test_tsv_round_trips_with_labels_first_and_line_numbers_as_ids(tmp_path):
    path = tmp_path / "Train.tsv"
    write_series(path, SERIES, "tsv")
    batch = read_series(path)
    assert_same(batch, ["1", "2", "3"], LABELS)
    assert batch.rows == [1, 2, 3]
    renamed = path.rename(tmp_path / "train.txt")
    assert_same(read_series(renamed, layout="tsv"), ["1", "2", "3"], LABELS)


def test_a_first_row_of_numbers_only_is_a_series_not_a_header(tmp_path):
    """numpy.savetxt writes no header; the first series used to become the column names."""
    path = tmp_path / "saved.csv"
    np.savetxt(path, VALUES, delimiter=",")
    batch = read_series(path)
    assert_same(batch, ["1", "2", "3"], None)
    assert batch.rows == [1, 2, 3]
    assert_same(read_series(path, layout="wide", header="no"), ["1", "2", "3"], None)
    with_header = read_series(path, header="yes")  # told so, the numbers name the columns
    np.testing.assert_array_equal(with_header.values, VALUES[1:])


@pytest.mark.parametrize("first", [0, 1])
def test_a_first_row_counting_columns_is_refused_unless_header_says_what_it_is(tmp_path, first):
    """pandas writes 0, 1, ..., n - 1 as the header of an array: a header, or a ramp?"""
    path = tmp_path / "numbered.csv"
    names = ",".join(str(first + k) for k in range(5))
    np.savetxt(path, VALUES, delimiter=",", header=names, comments="")
    counts = f"{first}, {first + 1}, ..., {first + 4}"
    with pytest.raises(SeriesFileError, match=rf"row 1: the first row counts {counts}: column"):
        read_series(path)
    assert_same(read_series(path, header="yes"), ["2", "3", "4"], None)
    assert read_series(path, header="no").ids == ["1", "2", "3", "4"]


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_ucr_layout_reads_the_label_first_comma_or_tab_separated(tmp_path, delimiter):
    """The older UCR archive's files are comma-separated, the newer .tsv ones tab-separated."""
    path = tmp_path / "Sines_TRAIN"
    rows = [
        delimiter.join([label, *(f"{v:.9g}" for v in row)]) for label, row in zip(LABELS, VALUES)
    ]
    path.write_text("\n".join(rows) + "\n")
    batch = read_series(path, layout="ucr")
    assert_same(batch, ["1", "2", "3"], LABELS)
    if delimiter == "\t":
        assert_same(read_series(path, layout="tsv"), ["1", "2", "3"], LABELS)


def test_long_layout_sorts_by_t_and_takes_columns_in_any_order(tmp_path):
    lines = [
        f"{v:.9g},{t * 0.5},{series_id}"
        for series_id, row in zip(["x", "y", "z"], VALUES)
        for t, v in reversed(list(enumerate(row)))
    ]
    path = write_file(tmp_path, "long.csv", "value,t,id\n" + "\n".join(lines) + "\n")
    batch = read_series(path)
    assert_same(batch, ["x", "y", "z"], None)
    assert batch.rows == [2, 7, 12]  # each series' first line


def test_quotes_crlf_bom_and_spaces_are_read_as_csv_means_them(tmp_path):
    cells = [",".join(f'"{v:.9g}"' for v in row) for row in VALUES]
    text = '\ufeff"id","p0","p1","p2","p3","p4"\r\n' + "".join(
        f'" {i} ",{row}\r\n' for i, row in zip(["a", "b", "c"], cells)
    )
    assert_same(read_series(write_file(tmp_path, "r.csv", text)), ["a", "b", "c"], None)


@pytest.mark.parametrize(
    "name, text, row",
    [
        ("stray.csv", "id,p0,p1\na,1,2\nb,3\r,4\n", 3),  # a CR inside a line: numpy reads a space
        ("stray.tsv", "0\t1\t2\n1\t3\r\t4\n", 2),
        ("mac.csv", "id,p0,p1\ra,1,2\rb,3,4\r", 1),  # lines that end in CR alone (classic Mac OS)
        ("mac.tsv", "0\t1\t2\r1\t3\t4\r", 1),
    ],
)
def test_a_carriage_return_inside_a_line_is_one_line_naming_it(tmp_path, name, text, row):
    path = write_file(tmp_path, name, text)
    with pytest.raises(SeriesFileError) as caught:
        read_series(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: row {row}: a carriage return (\\r) inside the line")
    assert "allowed: lines that end in \\n or \\r\\n" in message and "\n" not in message


def test_the_fast_path_refuses_every_character_the_reference_refuses():
    """Each ASCII character, and some Unicode spaces, before, inside and after a number or id."""
    table = wide_table(Path("f.csv"), 1, ("id", "p0", "p1", "p2"), "id", None)[0]
    characters = [chr(code) for code in range(128) if chr(code) != "\n"]
    characters += ["\x85", "\xa0", "\u2028", "\u3000", "\ufeff"]
    places = ("a,{}1,2,3", "a,1{},2,3", "a,1.{}5,2,3", "{}a,1,2,3", "a,1,2,{}3")
    for text in (place.format(c) for place in places for c in characters):
        lines = Lines([2], [text])
        fast = parse_fast(table, lines)
        if fast is None:
            continue
        values, ids = parse_cells(table, lines)  # raises where the fast path should have refused
        np.testing.assert_array_equal(fast[0], values)
        assert fast[1] == ids, repr(text)


@pytest.mark.parametrize("layout", ["wide", "long", "tsv"])
@pytest.mark.parametrize("batch_size", [1, 2, 5])
def test_batches_concatenate_to_the_whole_file(tmp_path, monkeypatch, layout, batch_size):
    monkeypatch.setattr(series_io, "LONG_CHUNK_LINES", 4)  # long series span chunks
    values = np.arange(7 * 3, dtype=np.float32).reshape(7, 3)
    series = SeriesBatch([f"s{i}" for i in range(7)], [], values, [str(i % 2) for i in range(7)])
    path = tmp_path / f"series.{'tsv' if layout == 'tsv' else 'csv'}"
    write_series(path, series, layout)
    batches = list(iter_series(path, label_column="label", batch_size=batch_size))
    assert [len(b.ids) for b in batches[:-1]] == [batch_size] * (len(batches) - 1)
    whole = read_series(path, label_column="label")
    np.testing.assert_array_equal(np.concatenate([b.values for b in batches]), whole.values)
    np.testing.assert_array_equal(whole.values, values)
    assert [i for b in batches for i in b.ids] == whole.ids
    assert [r for b in batches for r in b.rows] == whole.rows
    assert [x for b in batches for x in b.labels] == whole.labels == series.labels


def test_a_bad_line_late_in_the_file_comes_after_the_batches_before_it(tmp_path):
    """Streaming: nothing validates the whole file up front."""
    rows = [f"s{i},1,2" for i in range(10)] + ["s10,1,oops"]
    path = write_file(tmp_path, "late.csv", "id,p0,p1\n" + "\n".join(rows) + "\n")
    batches = iter_series(path, batch_size=4)
    assert [b.ids[0] for b in (next(batches), next(batches))] == ["s0", "s4"]
    with pytest.raises(SeriesFileError, match="row 12, column 3"):
        list(batches)


def test_clean_files_never_take_the_cell_by_cell_path(tmp_path, monkeypatch):
    def slow(*args):
        raise AssertionError("parse_cells ran on a clean file")

    monkeypatch.setattr(series_io, "parse_cells", slow)
    for layout in ("wide", "long", "tsv"):
        path = tmp_path / f"clean.{'tsv' if layout == 'tsv' else 'csv'}"
        write_series(path, SERIES, layout)
        np.testing.assert_array_equal(read_series(path, label_column="label").values, VALUES)


HEADER = "id,p0,p1,p2\n"
ERRORS = [  # (file name, content, read_series kwargs, expected message after "<path>: ")
    ("e.csv", HEADER + "a,1,,3\n", {}, "row 2, column 3 (p1): empty cell; " + NUMBERS_ALLOWED),
    ("e.csv", HEADER + "a,1,2,3\nb,NaN,2,3\n", {}, "row 3, column 2 (p0): 'NaN' is not a finite"),
    ("e.csv", HEADER + "a,1,2,-inf\n", {}, "row 2, column 4 (p2): '-inf' is not a finite number"),
    ("e.csv", HEADER + "a,1,2,3e39\n", {}, "column 4 (p2): '3e39' is beyond float32's range"),
    (
        "e.csv",
        HEADER + "a,1,twelve thousand and five,3\n",
        {},
        "row 2, column 3 (p1): 'twelve thousand and ...' is not a number; " + NUMBERS_ALLOWED,
    ),
    ("e.csv", HEADER + "a,1,2\n", {}, "row 2: 3 fields, the header has 4; allowed: 4 fields"),
    ("e.csv", HEADER + "a,1,2,3,4\n", {}, "row 2: 5 fields, the header has 4"),
    ("e.csv", HEADER + "a,1,2,3\na,4,5,6\n", {}, "row 3, column 1 (id): id 'a' is already"),
    ("e.csv", HEADER + " ,1,2,3\n", {}, "row 2, column 1 (id): empty id; allowed: a non-empty id"),
    ("e.csv", "", {}, "empty file; allowed: a file with at least one series"),
    ("e.csv", "\n \n", {}, "empty file"),
    ("e.csv", HEADER, {}, "no series; allowed: at least one series"),
    ("e.csv", "id,label\na,1\n", {"label_column": "label"}, "row 1: no value columns"),
    ("e.csv", HEADER + "a,1,2,3\n", {"label_column": "y"}, "row 1: no column named 'y'"),
    ("e.csv", "id,p0,id\na,1,2\n", {}, "row 1: 'id' heads 2 columns (1, 3); allowed: one"),
    ("e.csv", ",p0,p1\n0,1,2\n", {}, "row 1, column 1: empty column name in the header"),
    ("e.csv", "id;p0;p1\na;1;2\n", {}, "row 1: the header 'id;p0;p1' is one column"),
    ("e.csv", 'id,p0\n\n\nx,1\ny,"2\n', {}, "row 5: malformed line (unexpected end of data)"),
    ("e.csv", 'id,p0\nx,"1"2\n', {}, "row 2: malformed line (',' expected after"),
    ("e.csv", "id,p0\nx,1\ny,1\rz\n", {}, "row 3: a carriage return (\\r) inside the line"),
    ("e.csv", b"id,p0,p1\nx,1,2\ny,3,\xff4\n", {}, "row 3, column 3: byte 0xff is not UTF-8"),
    ("e.csv", "id,t,value\na,0,1\na,1,2\nb,0,3\nb,1,4\na,2,5\n", {}, "row 6, column 1 (id)"),
    ("e.csv", "id,t,value\na,0,1\na,0,2\n", {}, "row 3, column 2 (t): t = 0 of series 'a'"),
    ("e.csv", "id,t,value\na,0,1\na,1,2\nb,0,3\n", {}, "row 4, column 1 (id): series 'b' has 1"),
    ("e.csv", "id,t,value,w\na,0,1,2\n", {}, "row 1, column 4 (w): unexpected column"),
    ("e.csv", "id,t,value\na,x,1\n", {}, "row 2, column 2 (t): 'x' is not a number"),
    (
        "e.csv",
        "id,t,value,y\na,0,1,p\na,1,1,q\n",
        {"label_column": "y"},
        "row 3, column 4 (y): label 'q' differs from 'p' of row 2; allowed: one label per series",
    ),
    ("e.tsv", "1\t1\t2\n\t3\t4\n", {}, "row 2, column 1 (label): empty label"),
    ("e.tsv", "1\t1\t2\n2\t3\n", {}, "row 2: 2 fields, row 1 has 3"),
    ("e.tsv", "label\tv0\n1\t2\n", {}, "row 1, column 2: 'v0' is not a number"),
    ("e.tsv", "1,2,3\n", {}, "row 1: one field (comma-separated? name it .csv, or use layout ucr"),
    ("e.txt", "1\n2\n", {"layout": "ucr"}, "row 1: one field; allowed: a label, then the values,"),
    (
        "e.csv",
        "0,1.5,2.5\n1,3.5,4.5\n",
        {"label_column": "label"},
        "row 1: the first row is all numbers: the file seems to have no header row; allowed: a "
        "header row naming the columns, 'label' among them",
    ),
    (
        "e.csv",
        "a,0,1\na,1,2\n",
        {"header": "no", "label_column": "label"},
        "row 1: --header no: the first row is a series; allowed: a header row",
    ),
    ("e.csv", "1,0,1\n", {"layout": "long"}, "row 1: the first row is all numbers: the file seems"),
    ("missing.csv", None, {}, "cannot read it (No such file or directory); allowed: a readable"),
]


@pytest.mark.parametrize(("name", "content", "kwargs", "message"), ERRORS)
def test_errors_name_the_file_row_and_column_and_what_is_allowed(
    tmp_path, name, content, kwargs, message
):
    path = tmp_path / name if content is None else write_file(tmp_path, name, content)
    with pytest.raises(SeriesFileError) as raised:
        read_series(path, **kwargs)
    text = str(raised.value)
    assert text.startswith(f"{path}: "), text
    assert message in text, text
    assert "; allowed: " in text and "\n" not in text, text


def test_bad_arguments_are_pipeline_errors(tmp_path):
    path = write_file(tmp_path, "ok.csv", HEADER + "a,1,2,3\n")
    with pytest.raises(PipelineError, match="layout 'xml' is unknown; allowed: auto, wide"):
        read_series(path, layout="xml")
    with pytest.raises(PipelineError, match="batch size 0; allowed: an integer >= 1"):
        next(iter_series(path, batch_size=0))
    with pytest.raises(PipelineError, match="header 'maybe' is unknown; allowed: auto, yes, no"):
        read_series(path, header="maybe")
    with pytest.raises(PipelineError, match="--header yes, but the ucr layout has no header row"):
        read_series(path, layout="ucr", header="yes")
    with pytest.raises(SeriesFileError, match="cannot read it"):
        read_series(tmp_path)  # a folder


# fuzz: mutate valid files, compare with an independent reading of the result

JUNK = ["", " ", "nan", "-inf", "1e999", "abc", "1_0", "١٢", "0x10", "1e", "--1", '"', '"7"', "1,2"]
JUNK += ["\t", "\x00", "\r", "é", "+.5", " 3 ", "1e-3", "Infinity", "NAN", "0", "id", "t"]
CELLS = st.one_of(  # numbers half the time, so that whole lines of them come up
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(-(10**40), 10**40).map(str),
    st.sampled_from(JUNK),
    st.text(max_size=5),
)


def number(cell: str) -> float:
    """float() of a cell; whitespace around the number is allowed."""
    return float(cell.strip())


def reference(path: Path, layout: str) -> tuple[list[str], np.ndarray]:
    """(ids, values) as the csv module and float() read a file that should be valid."""
    delimiter = "\t" if layout == "tsv" else ","
    lines = path.read_bytes().decode("utf-8").removeprefix("\ufeff").split("\n")
    numbered = [(n, line.removesuffix("\r")) for n, line in enumerate(lines, 1) if line.strip()]
    rows = [(n, next(csv.reader([line], delimiter=delimiter, strict=True))) for n, line in numbered]
    if layout == "tsv":
        return [str(n) for n, _ in rows], np.array([[number(v) for v in r[1:]] for _, r in rows])
    names = [name.strip() for name in rows[0][1]]
    if layout == "wide" and all(map(series_io.is_number, names)):  # no header: all values
        return [str(n) for n, _ in rows], np.array([[number(v) for v in r] for _, r in rows])
    if layout == "wide":
        values = [[number(v) for name, v in zip(names, r) if name != "id"] for _, r in rows[1:]]
        has_id = "id" in names
        ids = [r[names.index("id")].strip() if has_id else str(n) for n, r in rows[1:]]
        return ids, np.array(values)
    series: dict[str, list[tuple[float, float]]] = {}
    for _, r in rows[1:]:
        cells = dict(zip(names, r))
        point = (number(cells["t"]), number(cells["value"]))
        series.setdefault(cells["id"].strip(), []).append(point)
    return list(series), np.array([[v for _, v in sorted(points)] for points in series.values()])


@st.composite
def mutated_files(draw) -> tuple[str, str, bytes]:
    """(layout, file name, content): a valid file with a few random mutations."""
    layout = draw(st.sampled_from(["wide", "wide_no_id", "long", "tsv"]))
    n_series, n_points = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    values = draw(
        st.lists(
            st.floats(-1e6, 1e6, allow_nan=False, width=32),
            min_size=n_series * n_points,
            max_size=n_series * n_points,
        )
    )
    series = SeriesBatch(
        [f"s{i}" for i in range(n_series)],
        [],
        np.array(values, dtype=np.float32).reshape(n_series, n_points),
        ["0"] * n_series if layout == "tsv" else None,
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f"
        write_series(path, series, "wide" if layout == "wide_no_id" else layout)
        text = path.read_text()
    lines = text.split("\n")
    if layout == "wide_no_id":
        lines = [line.split(",", 1)[1] if line else line for line in lines]
    delimiter = "\t" if layout == "tsv" else ","
    for _ in range(draw(st.integers(0, 3))):
        k = draw(st.integers(0, len(lines) - 1))
        cells = lines[k].split(delimiter)
        action = draw(st.sampled_from(["cell", "cell", "cut", "extend", "move", "blank"]))
        if action == "cell":  # on line 0 of a CSV: a changed header
            cell = draw(st.integers(0, len(cells) - 1))
            cells[cell] = draw(CELLS)
        elif action == "cut":
            cells = cells[: draw(st.integers(0, len(cells) - 1))]
        elif action == "extend":
            cells.append(draw(st.sampled_from(JUNK)))
        elif action == "move":  # a line elsewhere: a split long series, a header further down
            lines.insert(draw(st.integers(0, len(lines) - 1)), lines.pop(k))
            continue
        elif action == "blank":
            cells = [""]
        lines[k] = delimiter.join(cells)
    data = "\n".join(lines).encode("utf-8", errors="surrogatepass")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=3)) + data[at:]
    name = "f.tsv" if layout == "tsv" else "f.csv"
    return layout.removesuffix("_no_id"), name, data


@settings(deadline=None, max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_files())
def test_fuzz_mutated_files_parse_correctly_or_raise_series_file_error(case):
    layout, name, data = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            batch = read_series(path, layout=layout)
        except SeriesFileError as error:
            event(f"{layout}: refused")
            assert str(error).startswith(f"{path}") and "; allowed: " in str(error)
            assert error.row is None or 1 <= error.row <= data.count(b"\n") + 1
            return
        event(f"{layout}: parsed")
        ids, values = reference(path, layout)
    assert batch.ids == ids
    assert len(batch.rows) == len(ids)
    assert np.isfinite(batch.values).all()
    np.testing.assert_array_equal(batch.values, values.astype(np.float32))


@settings(deadline=None, max_examples=300)
@given(
    st.lists(
        st.lists(CELLS, min_size=4, max_size=4),
        min_size=1,
        max_size=4,
    ),
    st.booleans(),
)
@example(rows=[["0.0", "0.0", "0\r", "0.0"]], quoted=False)  # a CR numpy read as a space
def test_fuzz_the_fast_path_accepts_only_what_the_reference_does(rows, quoted):
    """Where the chunk-at-a-time parser returns numbers, they are the cell-by-cell ones."""
    table = wide_table(Path("f.csv"), 1, ("id", "p0", "p1", "p2"), "id", None)[0]
    texts = [",".join(f'"{c}"' if quoted else c for c in row) for row in rows]
    texts = [text for text in texts if "\n" not in text and text.strip()]
    if not texts:
        return
    lines = Lines(list(range(2, 2 + len(texts))), texts)
    fast = parse_fast(table, lines)
    event(f"fast path {'refused' if fast is None else 'parsed'}")
    if fast is None:
        return
    values, ids = parse_cells(table, lines)
    np.testing.assert_array_equal(fast[0], values)
    assert fast[1] == ids


MISSING_CELLS = st.one_of(  # mostly numbers and missing values, so that whole lines parse
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["", " ", "nan", "NaN", "-nan", "NAN", " nan ", "?"]),
    CELLS,
)


@settings(deadline=None, max_examples=300)
@given(
    st.lists(st.lists(MISSING_CELLS, min_size=3, max_size=3), min_size=1, max_size=4),
    st.booleans(),
    st.sets(st.sampled_from([1, 2, 3])),
)
def test_fuzz_the_fast_path_agrees_with_the_reference_where_missing_values_are_allowed(
    rows, quoted, missing
):
    """With missing columns, empty and NaN cells there are NaN on both paths; others as before."""
    table = wide_table(Path("f.csv"), 1, ("id", "p0", "p1", "p2"), "id", None)[0]
    table = series_io.with_missing(table, True, tuple(sorted(missing)))
    rows = [[f"s{k}", *row] for k, row in enumerate(rows)]
    texts = [",".join(f'"{c}"' if quoted else c for c in row) for row in rows]
    texts = [text for text in texts if "\n" not in text and text.strip()]
    if not texts:
        return
    lines = Lines(list(range(2, 2 + len(texts))), texts)
    fast = parse_fast(table, lines)
    try:
        values, ids = parse_cells(table, lines)
    except SeriesFileError:
        assert fast is None
        event("both refused")
        return
    event(f"fast path {'refused' if fast is None else 'parsed'}; NaN: {np.isnan(values).any()}")
    if fast is not None:
        np.testing.assert_array_equal(fast[0], values)
        assert fast[1] == ids


def test_missing_values_read_as_nan_only_in_value_columns(tmp_path, monkeypatch):
    monkeypatch.setattr(series_io, "parse_cells", None)  # an empty cell stays on the fast path
    path = write_file(tmp_path, "m.csv", "id,p0,p1,p2\na,,2,nan\nb,1,,3\n")
    batch = read_series(path, missing=True)
    np.testing.assert_array_equal(batch.values, [[np.nan, 2, np.nan], [1, np.nan, 3]])
    monkeypatch.undo()
    with pytest.raises(SeriesFileError, match="row 2, column 1 \\(id\\): empty id"):
        read_series(write_file(tmp_path, "e.csv", "id,p0\n,1\n"), missing=True)
    with pytest.raises(SeriesFileError, match="row 2, column 2 \\(p0\\): '-inf' is not a finite"):
        read_series(write_file(tmp_path, "i.csv", "id,p0\na,-inf\n"), missing=True)


def test_the_channel_column_and_unequal_lengths_only_where_asked_for(tmp_path):
    path = write_file(tmp_path, "c.csv", "id,t,channel,value\na,0,x,1\na,0,y,2\nb,0,x,3\nb,0,y,4\n")
    with pytest.raises(SeriesFileError, match="row 1, column 3 \\(channel\\): unexpected column"):
        read_series(path)
    listed = read_series_list(path)
    assert listed.ids == ["a", "b"] and listed.rows == [2, 4] and listed.labels is None
    np.testing.assert_array_equal(np.stack(listed.values), [[[1], [2]], [[3], [4]]])
    ragged = write_file(tmp_path, "r.csv", "id,t,value\na,0,1\na,1,2\nb,0,3\n")
    with pytest.raises(SeriesFileError, match="row 4, column 1 \\(id\\): series 'b' has 1 points"):
        read_series(ragged)
    assert [v.shape for v in read_series_list(ragged).values] == [(1, 2), (1, 1)]
    wide = read_series_list(write_file(tmp_path, "w.csv", "id,p0,p1\na,1,2\n"))
    assert [v.shape for v in wide.values] == [(1, 2)] and wide.values[0].dtype == np.float32


def test_a_series_file_error_pickles_with_its_message(tmp_path):
    """predict's reading process sends its errors to the main process pickled."""
    error = SeriesFileError(tmp_path / "a.csv", "'x' is not a number", "numbers", 3, 4, "v2")
    found = pickle.loads(pickle.dumps(error))
    assert type(found) is SeriesFileError and str(found) == str(error)
    assert (found.path, found.row, found.column) == (error.path, 3, 4)
