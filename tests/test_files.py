"""attention_ts.data.files, by kind of input: what the reader promises (docs/contracts.md).

Each kind is a table: label spellings and missing-label markers in every
format, numbers read to the last bit, values refused or taken as missing,
trailing NaN as a series' end, the layouts, bad files. Every refusal is one
line "<file>: row R, column C (name): <problem>; allowed: <what>"; the
tests assert on its row, column and problem. pandas and aeon are not tested
for themselves, only what our reader makes of their results.
"""

from __future__ import annotations

import random
import shlex
from pathlib import Path

import aeon
import numpy as np
import pandas as pd
import pytest
from aeon.datasets import load_from_ts_file
from pandas._libs.parsers import STR_NA_VALUES

from attention_ts.data.files import (
    NA_TEXTS,
    Series,
    SeriesFileError,
    iter_series,
    read_series,
    write_series,
)
from tests.conftest import write_file
from tests.sample_data import MOTION, MOTION_LONG, SHAPES, motion, shapes, write_samples

AEON_DATA = Path(aeon.__file__).parent / "datasets/data"
TS_HEAD = "@problemName t\n@timeStamps false\n@univariate {univariate}\n@equalLength false\n"
TS_DATA = 7  # the line of a TS_HEAD file's first series (after @classLabel and @data)
ARFF_HEAD = (
    "@relation r\n@attribute v0 numeric\n@attribute v1 numeric\n@attribute c string\n@data\n"
)
FORMATS = ("wide", "long", "tsv", "ts", "arff")


def error(path: Path, **options) -> str:
    """The one-line SeriesFileError that reading `path` raises."""
    with pytest.raises(SeriesFileError) as raised:
        read_series(path, **options)
    message = str(raised.value)
    assert message.startswith(f"{path}: "), message
    assert "; allowed: " in message and "\n" not in message, message
    return message[len(f"{path}: ") :]


def ts_text(lines: list[str], declared: list[str] | None, channels: int = 1) -> str:
    """A .ts file: TS_HEAD, `@classLabel true <declared>` (shell-quoted; None: false), @data."""
    classes = "false" if declared is None else " ".join(["true", *map(shlex.quote, declared)])
    univariate = "true" if channels == 1 else "false"
    head = TS_HEAD.format(univariate=univariate) + f"@classLabel {classes}\n@data\n"
    return head + "".join(line + "\n" for line in lines)


def labelled(folder: Path, kind: str, labels: list[str], declared: list[str] | None = None) -> Path:
    """Series k = (k, k + 0.5) with label `labels[k]`, as a file of `kind` (FORMATS).

    A .ts header declares `declared` (default: the labels, each once).
    """
    pairs = [(f"{k}", f"{k + 0.5}") for k in range(len(labels))]
    if kind == "wide":
        lines = [
            "id,label,v0,v1",
            *(f"{k},{x},{a},{b}" for k, (x, (a, b)) in enumerate(zip(labels, pairs))),
        ]
    elif kind == "long":
        lines = ["id,t,value,label"]
        for k, (label, pair) in enumerate(zip(labels, pairs)):
            lines += [f"s{k},{t},{value},{label}" for t, value in enumerate(pair)]
    elif kind == "tsv":
        lines = [f"{label}\t{a}\t{b}" for label, (a, b) in zip(labels, pairs)]
    elif kind == "ts":
        declared = list(dict.fromkeys(labels)) if declared is None else declared
        text = ts_text([f"{a},{b}:{label}" for label, (a, b) in zip(labels, pairs)], declared)
        return write_file(folder, "s.ts", text)
    else:
        lines = [ARFF_HEAD.rstrip("\n"), *(f"{a},{b},{x}" for x, (a, b) in zip(labels, pairs))]
    suffix = {"wide": "csv", "long": "csv"}.get(kind, kind)
    return write_file(folder, f"s.{suffix}", "\n".join(lines) + "\n")


def series_row(kind: str, k: int) -> int:
    """The line of series k (its first line) in a `labelled` file of `kind`."""
    return {"wide": 2 + k, "long": 2 + 2 * k, "tsv": 1 + k, "ts": TS_DATA + k, "arff": 6 + k}[kind]


# --- labels are text ---

SPELLINGS = [
    "1", "01", "1.0", "10", "1_0", "1e1", "20231201000000001", "20231201000000002", "-0", "0",
    "été", "ラベル", "class a", "A", "a", "True", "NAN", "inf",
]  # fmt: skip


@pytest.mark.parametrize("kind", FORMATS)
def test_every_label_spelling_is_its_own_class_read_as_written(tmp_path, kind):
    path = labelled(tmp_path, kind, SPELLINGS)
    found = read_series(path, label_required=True)
    assert found.labels == SPELLINGS
    assert found.rows == [series_row(kind, k) for k in range(len(SPELLINGS))]
    expected = np.array([[[k, k + 0.5]] for k in range(len(SPELLINGS))], dtype=np.float32)
    np.testing.assert_array_equal(found.values, expected)


@pytest.mark.parametrize("kind", ["wide", "long", "tsv"])
def test_spaces_around_a_label_are_not_part_of_it(tmp_path, kind):
    path = labelled(tmp_path, kind, [" a", "b ", " a b "])
    assert read_series(path, label_required=True).labels == ["a", "b", "a b"]


MARKERS = sorted({*STR_NA_VALUES, "?", " NA ", " ? "})  # every text pandas reads as missing


def test_the_markers_are_pandas_missing_values_and_the_question_mark():
    assert {"", "?", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "<NA>", "#N/A"} <= NA_TEXTS
    assert set(STR_NA_VALUES) | {"?"} == set(NA_TEXTS)


@pytest.mark.parametrize("marker", MARKERS)
@pytest.mark.parametrize("kind", ["wide", "long", "tsv", "ts"])
def test_a_missing_label_marker_is_refused_with_its_row(tmp_path, kind, marker):
    path = labelled(tmp_path, kind, ["a", marker, "b"], declared=["a", "b", marker.strip()])
    message = error(path, label_required=True)
    row = series_row(kind, 1)
    column = {"wide": ", column 2 (label)", "long": ", column 4 (label)", "tsv": ", column 1"}
    assert message.startswith(f"row {row}{column.get(kind, '')}: missing label ("), message
    assert "allowed: a label " in message and "NA, NaN, null" in message


@pytest.mark.parametrize("kind", ["wide", "long"])
def test_a_missing_id_is_refused_like_a_missing_label(tmp_path, kind):
    text = {"wide": "id,v0,v1\na,1,2\nNA,3,4\n", "long": "id,t,value\na,0,1\na,1,2\n,0,3\n,1,4\n"}
    message = error(write_file(tmp_path, "s.csv", text[kind]))
    assert message.startswith(f"row {3 if kind == 'wide' else 4}, column 1 (id): missing id (")


# .ts labels: the header's @classLabel list, as written

TS_LABELS = [  # (declared, labels after the last ':', read labels, or the refused row's problem)
    (["A", "a"], ["A", "a"], ["A", "a"]),
    (["Sine", "Ramp"], ["Ramp", "Sine"], ["Ramp", "Sine"]),  # aeon would lowercase them
    (["class a", "b"], ["class a", "b"], ["class a", "b"]),  # quoted in the header
    (["class a", "b"], ['"class a"', "'b'"], ["class a", "b"]),  # quoted in the line too
    (["1", "01", "1.0"], ["01", "1.0"], ["01", "1.0"]),
    (["A"], ["A", "a"], "row 8: label 'a' is not a class of the header's @classLabel (A)"),
    (["a", "b"], ["a", "c"], "row 8: label 'c' is not a class of the header's @classLabel (a b)"),
    (["1", "2"], ["1", "1.0"], "row 8: label '1.0' is not a class"),
    (["class a"], ["class a", "class"], "row 8: label 'class' is not a class"),
    (["a", "b"], ["a", ""], "row 8: label '' is not a class"),
]


@pytest.mark.parametrize(("declared", "written", "expected"), TS_LABELS)
def test_ts_labels_are_checked_against_the_header_exactly(tmp_path, declared, written, expected):
    path = write_file(tmp_path, "s.ts", ts_text([f"1,2:{x}" for x in written], declared))
    if isinstance(expected, list):
        assert read_series(path, label_required=True).labels == expected
    else:
        message = error(path, label_required=True)
        assert message.startswith(expected), message
        assert "allowed: the labels @classLabel lists, as written there (case counts)" in message


def test_ts_class_label_false_is_refused_when_labels_are_required_and_read_without_them(tmp_path):
    path = write_file(tmp_path, "s.ts", ts_text(["1,2,3", "4,5,6"], None))
    assert error(path, label_required=True).startswith("@classLabel false in the header")
    found = read_series(path)
    assert found.labels is None
    np.testing.assert_array_equal(found.values, [[[1, 2, 3]], [[4, 5, 6]]])


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("@problemName t\n", "no @classLabel line in the header"),
        ("@timeStamps true\n@classLabel true a\n", "@timeStamps true: series with timestamps"),
        ("@targetLabel true\n", "@targetLabel true: regression targets"),
    ],
)
@pytest.mark.parametrize("required", [True, False])
def test_a_ts_header_without_class_labels_is_refused(tmp_path, head, expected, required):
    path = write_file(tmp_path, "s.ts", head + "@data\n1,2,3:a\n")
    assert error(path, label_required=required).startswith(expected)


# --- numbers ---


def number_texts(n: int, seed: int) -> list[str]:
    """`n` random number texts within float32's range: 17 significant digits (repr or %.17g
    over 76 decades), 9 digits (float32's round trip), extremes, integers past int64."""
    rng = random.Random(seed)
    texts = []
    for k in range(n):
        x = rng.uniform(-1, 1) * 10 ** rng.randint(-38, 37)
        texts.append([repr(x), f"{x:.17g}", f"{np.float32(x):.9g}", f"{x:.17e}"][k % 4])
    extremes = ["-0", "0.0", "1e-45", "3.4028234e38", "-3.4028234663852886e38"]
    return texts + extremes + ["123456789012345678901234", "-99999999999999999999"]  # > int64


def number_file(folder: Path, kind: str, texts: list[str], width: int) -> Path:
    """`texts` as series of `width` values in a file of `kind`, labels a and b."""
    rows = [texts[k : k + width] for k in range(0, len(texts), width)]
    labels = ["a" if k % 2 else "b" for k in range(len(rows))]
    if kind == "wide":
        head = ",".join(["id", "label", *(f"v{i}" for i in range(width))])
        lines = [
            head,
            *(",".join([str(k), x, *row]) for k, (x, row) in enumerate(zip(labels, rows))),
        ]
    elif kind == "tsv":
        lines = ["\t".join([x, *row]) for x, row in zip(labels, rows)]
    elif kind == "long":
        lines = ["id,t,value,label"]
        lines += [
            f"s{k},{t},{v},{x}"
            for k, (x, row) in enumerate(zip(labels, rows))
            for t, v in enumerate(row)
        ]
    else:
        text = ts_text([",".join(row) + f":{x}" for x, row in zip(labels, rows)], ["a", "b"])
        return write_file(folder, "n.ts", text)
    return write_file(folder, f"n.{'tsv' if kind == 'tsv' else 'csv'}", "\n".join(lines) + "\n")


@pytest.mark.parametrize("kind", ["wide", "tsv", "long", "ts"])
def test_numbers_are_read_to_the_last_bit_as_float_then_float32(tmp_path, kind):
    texts = number_texts(4000 - 7, seed=len(kind))  # 4000 values: 100 series of 40
    found = read_series(number_file(tmp_path, kind, texts, 40))
    expected = np.array([float(text) for text in texts]).astype(np.float32).reshape(100, 1, 40)
    assert found.values.dtype == np.float32
    np.testing.assert_array_equal(found.values.view(np.uint32), expected.view(np.uint32))


NOT_NUMBERS = [
    "1_0",
    "1__0",
    "x",
    "1.5.5",
    "0x10",
    "1e",
    "7e 8",
    "٣",
    "１",
    "1 2",
    "1.#INF",
    "True",
]


@pytest.mark.parametrize("cell", NOT_NUMBERS)
@pytest.mark.parametrize(
    ("kind", "where"),
    [
        ("wide", "row 3, column 4 (v1)"),
        ("tsv", "row 2, column 3"),
        ("long", "row 6, column 3 (value)"),
        ("ts", "row 8, channel 1"),
    ],
)
def test_a_cell_that_is_no_number_is_refused_with_row_and_column(tmp_path, kind, where, cell):
    message = error(number_file(tmp_path, kind, ["1", "2", "3", "4", cell, "6"], 3))
    assert message.startswith(f"{where}: {cell!r} is not a number; allowed: finite numbers")


def test_true_and_false_are_no_numbers(tmp_path):
    path = write_file(tmp_path, "b.csv", "id,v0,v1\na,1,True\nb,2,False\n")  # pandas: a bool column
    assert error(path).startswith("row 2, column 3 (v1): 'True' is not a number")


def test_the_long_layouts_t_must_be_a_number(tmp_path):
    path = write_file(tmp_path, "l.csv", "id,t,value\na,0,1\na,1_0,2\n")
    assert error(path).startswith("row 3, column 2 (t): '1_0' is not a number")
    path = write_file(tmp_path, "l.csv", "id,t,value\na,0,1\na,,2\n")
    assert error(path).startswith("row 3: missing t")


WILD = ["inf", "-inf", "Infinity", "1e39", "-3.5e38", "3.4028236e38", "1e400"]


@pytest.mark.parametrize("cell", WILD)
@pytest.mark.parametrize("missing", ["refuse", "interpolate"])
@pytest.mark.parametrize(
    ("kind", "where"),
    [
        ("wide", "row 3, column 4 (v1)"),
        ("tsv", "row 2, column 3"),
        ("long", "row 5"),
        ("ts", "row 8, channel 1"),
    ],
)
def test_infinite_and_huge_values_are_refused_under_both_policies(
    tmp_path, kind, where, cell, missing
):
    message = error(
        number_file(tmp_path, kind, ["1", "2", "3", "4", cell, "6"], 3), missing=missing
    )
    assert message.startswith(f"{where}: "), message
    assert (
        " at point 2 of 3 is not a finite number within float32's range; allowed: finite "
        in message
    )


# --- missing values ---

CSV_MISSING = ["", "?", "NaN", "nan", "NA", "null", "None", "N/A", "<NA>", "#N/A"]


@pytest.mark.parametrize("cell", CSV_MISSING)
@pytest.mark.parametrize(
    ("kind", "where"),
    [("wide", "row 3, column 4 (v1)"), ("tsv", "row 2, column 3"), ("long", "row 5")],
)
def test_a_missing_value_inside_a_series_is_refused(tmp_path, kind, where, cell):
    message = error(number_file(tmp_path, kind, ["1", "2", "3", "4", cell, "6"], 3))
    assert message.startswith(f"{where}: missing value at point 2 of 3; allowed: finite numbers")
    assert "dataset.missing: interpolate" in message


@pytest.mark.parametrize("cell", ["?", "NaN", "nan"])
def test_a_missing_value_in_a_ts_file_names_row_and_channel(tmp_path, cell):
    path = write_file(
        tmp_path, "m.ts", ts_text(["1,2,3:4,5,6:a", f"1,2,3:4,{cell},6:b"], ["a", "b"], 2)
    )
    assert error(path).startswith("row 8, channel 2: missing value at point 2 of 3")


INTERPOLATED = [  # (cells of one series, the series read with missing="interpolate")
    (["1", "", "", "4"], [1, 2, 3, 4]),
    (["1", "?", "5", "NaN", "9"], [1, 3, 5, 7, 9]),
    (["", "NA", "2", "4"], [2, 2, 2, 4]),  # a leading gap takes the first value
    (["0.5", "", "-0.5", "1"], [0.5, 0, -0.5, 1]),
]


@pytest.mark.parametrize(("cells", "expected"), INTERPOLATED)
@pytest.mark.parametrize("kind", ["wide", "tsv", "long"])
def test_interior_gaps_are_filled_linearly_under_interpolate(tmp_path, kind, cells, expected):
    width = len(cells)
    path = number_file(tmp_path, kind, [*(str(k) for k in range(width)), *cells], width)
    found = read_series(path, missing="interpolate")
    np.testing.assert_array_equal(found.lengths, [width, width])
    np.testing.assert_array_equal(found.values[1, 0], np.array(expected, dtype=np.float32))
    np.testing.assert_array_equal(found.values[0, 0], np.arange(width, dtype=np.float32))


def test_a_ts_file_interpolates_each_channel_on_its_own(tmp_path):
    lines = ["?,2,?,?,8,?:NaN,1,1,1,1,1:a", "1,2,3,4,5,6:?,?,?,?,?,0:b"]
    found = read_series(
        write_file(tmp_path, "m.ts", ts_text(lines, ["a", "b"], 2)), missing="interpolate"
    )
    np.testing.assert_array_equal(found.lengths, [6, 6])  # channel 2 has the last point
    np.testing.assert_array_equal(found.values[0], [[2, 2, 4, 6, 8, 8], [1, 1, 1, 1, 1, 1]])
    np.testing.assert_array_equal(found.values[1], [[1, 2, 3, 4, 5, 6], [0, 0, 0, 0, 0, 0]])


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "m.ts",
            ts_text(["1,2,3:4,5,6:a", "1,2,3:?,?,?:b"], ["a", "b"], 2),
            "row 8: channel 2 has no value",
        ),
        ("m.csv", "id,t,channel,value\na,0,x,1\na,1,x,2\na,0,y,\na,1,y,\n", "row 2: no value"),
    ],
)
def test_a_channel_without_any_value_is_refused_under_interpolate(tmp_path, name, text, expected):
    message = error(write_file(tmp_path, name, text), missing="interpolate")
    assert message.startswith(
        expected + " to interpolate from; allowed: at least one value in every"
    )


TRAILING = [  # cells after "1,2" that end the series there: the UCR archive's padding, empty cells
    ["", ""],
    ["NaN", "NaN"],
    ["nan", ""],
    ["?", "NA"],
]


@pytest.mark.parametrize("cells", TRAILING)
@pytest.mark.parametrize("kind", ["wide", "tsv"])
@pytest.mark.parametrize("missing", ["refuse", "interpolate"])
def test_missing_values_at_the_end_of_a_series_end_it_never_filled(tmp_path, kind, cells, missing):
    path = number_file(tmp_path, kind, ["1", "2", *cells, "5", "6", "7", "8"], 4)
    found = read_series(path, missing=missing)
    np.testing.assert_array_equal(found.lengths, [2, 4])
    np.testing.assert_array_equal(found.values[:, 0], [[1, 2, 0, 0], [5, 6, 7, 8]])


def test_a_wide_line_with_fewer_cells_is_a_shorter_series(tmp_path):
    """pandas reads the absent cells as NaN: the same as empty trailing cells."""
    path = write_file(tmp_path, "s.csv", "id,v0,v1,v2,v3\na,1,2\nb,1,2,3,4\n")
    np.testing.assert_array_equal(read_series(path).lengths, [2, 4])


@pytest.mark.parametrize(("kind", "where"), [("wide", "row 2"), ("tsv", "row 1")])
def test_a_series_of_fewer_than_two_points_is_refused(tmp_path, kind, where):
    path = number_file(tmp_path, kind, ["1", "", "", "4", "5", "6"], 3)
    assert error(path).startswith(f"{where}: a series of 1 point; allowed: at least 2 points")
    path = number_file(tmp_path, kind, ["", "", "", "4", "5", "6"], 3)
    message = error(path, missing="interpolate")
    assert message.startswith(f"{where}: a series of 0 points")


# --- layouts ---

VALUES = np.array([[0.5, -1.25, 3e-7, 12345.678], [1, 2, 3, 4], [-9.75, 1e30, 0.1, 7]])


def test_wide_id_and_label_columns_may_stand_anywhere(tmp_path):
    lines = ["v0,label,v1,id,v2,v3"] + [
        f"{a!r},{x},{b!r},{i},{c!r},{d!r}"
        for i, x, (a, b, c, d) in zip("pqr", "xyx", VALUES.tolist())
    ]
    found = read_series(write_file(tmp_path, "w.csv", "\n".join(lines) + "\n"), label_required=True)
    assert (
        found.ids == ["p", "q", "r"] and found.labels == ["x", "y", "x"] and found.rows == [2, 3, 4]
    )
    np.testing.assert_array_equal(found.values[:, 0], VALUES.astype(np.float32))


def test_wide_without_label_or_id_columns_numbers_the_series_by_line(tmp_path):
    text = (
        "v0,v1,v2,v3\n\n"
        + "".join(",".join(map(repr, row)) + "\n" for row in VALUES.tolist())
        + "\n"
    )
    found = read_series(write_file(tmp_path, "w.csv", text))  # blank lines keep the count
    assert found.ids == ["3", "4", "5"] and found.rows == [3, 4, 5] and found.labels is None
    np.testing.assert_array_equal(found.values[:, 0], VALUES.astype(np.float32))
    assert error(write_file(tmp_path, "w.csv", text), label_required=True).startswith(
        "row 1: no column 'label' in the header ('v0', 'v1', 'v2', 'v3'); allowed: a label column"
    )


@pytest.mark.parametrize("header", ["auto", "no"])
def test_a_csv_without_a_header_row_is_all_values(tmp_path, header):
    path = tmp_path / "saved.csv"
    np.savetxt(path, VALUES, delimiter=",")
    found = read_series(path, header=header)
    assert found.ids == ["1", "2", "3"] and found.rows == [1, 2, 3]
    np.testing.assert_array_equal(found.values[:, 0], VALUES.astype(np.float32))
    assert error(path, label_required=True).startswith("row 1: the first line is all numbers")


@pytest.mark.parametrize("first", [0, 1])
def test_a_first_line_counting_columns_is_refused_unless_header_says(tmp_path, first):
    """pandas writes 0, 1, ... as the header of an array's columns: a header, or a ramp?"""
    path = tmp_path / "ramp.csv"
    np.savetxt(
        path, VALUES, delimiter=",", header=",".join(str(first + k) for k in range(4)), comments=""
    )
    message = error(path)
    assert message.startswith(f"row 1: the first line is {first}, {first + 1}, ...: column names")
    assert "allowed: --header yes (it names the columns) or --header no (it is a series)" in message
    named = read_series(path, header="yes")
    assert named.ids == ["2", "3", "4"]
    np.testing.assert_array_equal(named.values[:, 0], VALUES.astype(np.float32))
    ramp = read_series(path, header="no")
    assert ramp.ids == ["1", "2", "3", "4"]
    np.testing.assert_array_equal(ramp.values[0, 0], np.arange(first, first + 4))


@pytest.mark.parametrize("label", [False, True])
def test_pandas_index_column_is_the_ids_never_values(tmp_path, label):
    frame = pd.DataFrame(VALUES, columns=["v0", "v1", "v2", "v3"], index=[10, 20, 30])
    if label:
        frame.insert(0, "label", ["x", "y", "x"])
    path = tmp_path / "frame.csv"
    frame.to_csv(path)  # the index first, under an empty header: pandas reads "Unnamed: 0"
    assert path.read_text().startswith(",")
    found = read_series(path, label_required=label)
    assert found.ids == ["10", "20", "30"] and found.values.shape == (3, 1, 4)
    assert found.labels == (["x", "y", "x"] if label else None)
    np.testing.assert_array_equal(found.values[:, 0], VALUES.astype(np.float32))


def test_long_layout_orders_by_t_with_unequal_lengths_and_columns_in_any_order(tmp_path):
    lines = ["value,t,label,id"]
    for series_id, label, ts in (("a", "p", [0.5, 0.25, 1e0]), ("b", "q", [3, 1])):
        lines += [f"{t * 10},{t},{label},{series_id}" for t in ts]
    found = read_series(write_file(tmp_path, "l.csv", "\n".join(lines) + "\n"), label_required=True)
    assert found.ids == ["a", "b"] and found.labels == ["p", "q"] and found.rows == [2, 5]
    np.testing.assert_array_equal(found.lengths, [3, 2])
    np.testing.assert_array_equal(found.values[:, 0], [[2.5, 5, 10], [10, 30, 0]])


def test_long_channels_in_order_of_appearance_or_by_number(tmp_path):
    lines = ["id,t,channel,value"]
    for series_id, length in (("a", 3), ("b", 2)):
        for t in reversed(range(length)):
            for channel in ("10", "2"):  # numbers: 2 before 10
                lines.append(f"{series_id},{t},{channel},{int(channel) * 100 + t}")
    found = read_series(write_file(tmp_path, "l.csv", "\n".join(lines) + "\n"))
    np.testing.assert_array_equal(found.values[0], [[200, 201, 202], [1000, 1001, 1002]])
    np.testing.assert_array_equal(found.values[1], [[200, 201, 0], [1000, 1001, 0]])
    np.testing.assert_array_equal(found.lengths, [3, 2])


def test_the_long_sample_reads_like_the_ts_sample():
    long, ts = read_series(MOTION_LONG, label_required=True), read_series(MOTION["TRAIN"])
    assert long.labels == ts.labels
    assert long.ids == [f"m{k + 1}" for k in range(len(long.ids))]
    np.testing.assert_array_equal(long.lengths, ts.lengths)
    np.testing.assert_array_equal(long.values, ts.values)  # channels x, y, z as they appear


BAD_LONG = [  # (the lines after the header id,t,channel,value,label; the problem)
    ("a,0,x,1,p a,1,x,2,p a,1,x,3,p", "row 4: t = 1 of series 'a' repeats an earlier line"),
    (
        "a,0,x,1,p a,1,x,2,p a,0,y,1,p a,2,y,2,p",
        "row 2: the channels of series 'a' have different t",
    ),
    (
        "a,0,x,1,p a,1,x,2,p a,0,y,1,p a,1,y,2,p b,0,x,1,q b,1,x,2,q",
        "row 6: series 'b' has the channels 'x', the file 'x', 'y'; allowed: the same channels",
    ),
    ("a,0,x,1,p a,1,x,2,q", "row 2: series 'a' has the labels 'p', 'q'; allowed: one label per"),
    ("a,0,x,1,p b,0,x,1,p b,1,x,1,p", "row 2: a series of 1 point"),
    ("a,0,x,1,p a,1,x,2,p,9", "row 3: 6 fields, the first line (the header, if any) has 5"),
]


@pytest.mark.parametrize(("lines", "expected"), BAD_LONG)
def test_bad_long_files_name_the_row(tmp_path, lines, expected):
    text = "id,t,channel,value,label\n" + lines.replace(" ", "\n") + "\n"
    message = error(write_file(tmp_path, "l.csv", text))
    assert message.startswith(expected), message


def test_a_long_file_needs_its_columns_and_no_others(tmp_path):
    path = write_file(tmp_path, "l.csv", "id,t,value,extra\na,0,1,2\n")
    assert error(path).startswith("row 1: column 'extra' is none of the long layout's")
    path = write_file(tmp_path, "l.csv", "id,t,value\na,0,1\na,1,2\n")
    message = error(path, layout="long", label_required=True)
    assert message.startswith("row 1: the long layout's header lacks 'label'")


@pytest.mark.parametrize("sep", ["\t", ","])
def test_ucr_files_have_the_label_first_and_rows_as_ids(tmp_path, sep):
    lines = [sep.join([x, *map(repr, row)]) for x, row in zip(["1", "2", "1"], VALUES.tolist())]
    path = write_file(tmp_path, "Sines_TRAIN.txt", "\n".join(lines) + "\n")
    found = read_series(path, layout="ucr")
    assert (
        found.labels == ["1", "2", "1"] and found.ids == ["1", "2", "3"] and found.rows == [1, 2, 3]
    )
    np.testing.assert_array_equal(found.values[:, 0], VALUES.astype(np.float32))
    if sep == "\t":
        tsv = path.rename(tmp_path / "Sines_TRAIN.tsv")
        assert read_series(tsv).labels == found.labels


def test_gunpoint_reads_alike_from_aeons_ts_arff_and_tsv():
    gunpoint = AEON_DATA / "GunPoint/GunPoint_TRAIN"
    found = {
        suffix: read_series(gunpoint.with_suffix(suffix), label_required=True)
        for suffix in (".ts", ".arff", ".tsv")
    }
    ts = found[".ts"]
    assert ts.values.shape == (50, 1, 150) and set(ts.labels) == {"1", "2"}
    for suffix, other in found.items():
        assert other.labels == ts.labels, suffix
        np.testing.assert_array_equal(other.values, ts.values)
    assert found[".tsv"].rows == list(range(1, 51))


def test_japanese_vowels_has_12_channels_of_unequal_length_as_aeon_reads_them():
    path = AEON_DATA / "JapaneseVowels/JapaneseVowels_TRAIN.ts"
    found = read_series(path, label_required=True)
    series, labels = load_from_ts_file(str(path))
    assert found.values.shape[:2] == (270, 12) and found.labels == list(labels)
    np.testing.assert_array_equal(found.lengths, [s.shape[1] for s in series])
    for values, length, expected in zip(found.values, found.lengths, series):
        np.testing.assert_array_equal(values[:, :length], expected.astype(np.float32))
        assert not values[:, length:].any()


def test_ts_labels_keep_their_case_where_aeon_lowercases_them():
    found = read_series(AEON_DATA / "BasicMotions/BasicMotions_TRAIN.ts", label_required=True)
    assert set(found.labels) == {"Standing", "Running", "Walking", "Badminton"}
    assert read_series(SHAPES["TRAIN"]).labels == shapes("TRAIN")[1]  # "Sine", "Ramp", ...
    values, labels = motion("TEST")
    found = read_series(MOTION["TEST"])
    assert found.labels == labels
    for got, length, expected in zip(found.values, found.lengths, values):
        np.testing.assert_array_equal(got[:, :length], expected.astype(np.float32))


def test_ts_blank_lines_comments_crlf_and_a_bom_keep_the_rows_true(tmp_path):
    text = "\ufeff" + ts_text(["", "1,2,3:a", "  ", "# note", " 4,5,6:b ", ""], ["a", "b"])
    found = read_series(write_file(tmp_path, "w.ts", text.replace("\n", "\r\n").encode()))
    assert found.rows == [TS_DATA + 1, TS_DATA + 4] and found.labels == ["a", "b"]
    np.testing.assert_array_equal(found.values, [[[1, 2, 3]], [[4, 5, 6]]])


def test_an_arff_file_reads_through_aeon_with_rows_true(tmp_path):
    path = write_file(tmp_path, "s.arff", ARFF_HEAD + "1,2,x\n% comment\n\n3,4,y\n")
    found = read_series(path, label_required=True)
    assert found.rows == [6, 9] and found.labels == ["x", "y"]
    np.testing.assert_array_equal(found.values, [[[1, 2]], [[3, 4]]])


def batch_files(folder: Path) -> list[Path]:
    """One file of each kind with 7 series of 2 to 4 points (the .tsv padded with NaN)."""
    texts = [[str(k + 0.25 * t) for t in range(2 + k % 3)] for k in range(7)]
    labels = ["a" if k % 2 else "b" for k in range(7)]
    wide = [
        "id,label,v0,v1,v2,v3",
        *(f"s{k},{x}," + ",".join(row) for k, (x, row) in enumerate(zip(labels, texts))),
    ]
    long = ["id,t,value,label"] + [
        f"s{k},{t},{v},{x}"
        for k, (x, row) in enumerate(zip(labels, texts))
        for t, v in enumerate(row)
    ]
    tsv = ["\t".join([x, *row, *["NaN"] * (4 - len(row))]) for x, row in zip(labels, texts)]
    ts = ts_text([",".join(row) + f":{x}" for x, row in zip(labels, texts)], ["a", "b"])
    return [
        write_file(folder, "w.csv", "\n".join(wide) + "\n"),
        write_file(folder, "l.csv", "\n".join(long) + "\n"),
        write_file(folder, "u.tsv", "\n".join(tsv) + "\n"),
        write_file(folder, "s.ts", ts),
    ]  # fmt: skip


@pytest.mark.parametrize("batch_size", [1, 2, 3, 7, 100])
def test_batches_join_to_the_whole_read(tmp_path, batch_size):
    for path in batch_files(tmp_path):
        whole = read_series(path, label_required=True)
        parts = list(iter_series(path, batch_size, label_required=True))
        assert [len(p.ids) for p in parts] == [batch_size] * (7 // batch_size) + [
            7 % batch_size
        ] * (7 % batch_size > 0)
        assert [i for p in parts for i in p.ids] == whole.ids, path.name
        assert [r for p in parts for r in p.rows] == whole.rows
        assert [x for p in parts for x in p.labels] == whole.labels
        np.testing.assert_array_equal(np.concatenate([p.lengths for p in parts]), whole.lengths)
        for part in parts:
            k = whole.ids.index(part.ids[0])
            got = part.values
            np.testing.assert_array_equal(
                got, whole.values[k : k + len(part.ids), :, : got.shape[2]]
            )
        np.testing.assert_array_equal(whole.lengths, [2 + k % 3 for k in range(7)])


@pytest.mark.parametrize("layout", ["wide", "long", "tsv"])
def test_write_series_writes_what_read_series_reads_back(tmp_path, layout):
    values = np.array([[[0.1, -2.5e-8, 3.4e38, 7]], [[1, 2, 0, 0]]], dtype=np.float32)
    written = Series(values, np.array([4, 2]), ["a", "b c"], [2, 3], ["x", "01"])
    path = tmp_path / f"s.{'tsv' if layout == 'tsv' else 'csv'}"
    write_series(path, written, layout)
    found = read_series(path, label_required=True)
    np.testing.assert_array_equal(found.values, values)
    np.testing.assert_array_equal(found.lengths, [4, 2])
    assert found.labels == ["x", "01"]
    assert found.ids == (["1", "2"] if layout == "tsv" else ["a", "b c"])


def test_the_samples_are_what_the_script_makes(tmp_path):
    for made in write_samples(tmp_path):
        committed = SHAPES["TRAIN"].parent / made.name
        assert made.read_bytes() == committed.read_bytes(), made.name


# --- bad files ---

BAD_FIELDS = [  # (lines after the header id,label,v0,v1,v2; the row named; its fields)
    (["a,x,1,2,3,4", "b,y,1,2,3"], 2, 6),  # the first line: pandas only warns, dropping a cell
    (["a,x,1,2,3", "b,y,1,2,3,4"], 3, 6),
    (["a,x,1,2,3,4", "b,y,1,2,3,4,5"], 2, 6),  # pandas names line 3 (7 fields, "expected 6")
    (["a,x,1,2,3", "b,y,1,2,3", "c,y,1,2,3,4", "d,x,1,2,3"], 4, 6),
    (["a,x,1,2,3", "b,y,1,2,3", "c,y,1,2,3", "d,x,1,2,3,4,5"], 5, 7),
]


@pytest.mark.parametrize(("lines", "row", "fields"), BAD_FIELDS)
@pytest.mark.parametrize("batch_size", [1, 2, 3, 2**62])
def test_a_line_with_more_fields_than_the_header_is_refused(
    tmp_path, lines, row, fields, batch_size
):
    """In any batch: pandas says nothing of extra cells on the first line of a later chunk."""
    path = write_file(tmp_path, "f.csv", "id,label,v0,v1,v2\n" + "\n".join(lines) + "\n")
    with pytest.raises(SeriesFileError) as raised:
        list(iter_series(path, batch_size, label_required=True))
    expected = f"{path}: row {row}: {fields} fields, the first line (the header, if any) has 5; "
    assert str(raised.value).startswith(expected + "allowed: 5 fields in every line")


@pytest.mark.parametrize("batch_size", [1, 2**62])
def test_a_tsv_line_with_more_fields_than_the_first_is_refused(tmp_path, batch_size):
    path = write_file(tmp_path, "f.tsv", "a\t1\t2\nb\t1\t2\nc\t1\t2\t3\n")
    with pytest.raises(SeriesFileError, match=r"f.tsv: row 3: 4 fields, the first line"):
        list(iter_series(path, batch_size))


NOT_UTF8 = [  # (name, bytes, the row named)
    ("h.csv", b"id,l\xe9bel,v0,v1\na,x,1,2\n", 1),
    ("v.csv", b"id,label,v0,v1\na,x,1,2\nb,y,1,\xff\n", 3),
    ("l.csv", b"id,label,v0,v1\na,x,1,2\nb,y,1,2\nc,\xe9t\xe9,1,2\n", 4),
    ("u.tsv", b"x\t1\t2\ny\t1\t2\n\xff\t1\t2\n", 3),
    ("h.ts", b"@problemName \xff\n@classLabel true a\n@data\n1,2,3:a\n", 1),
    ("v.ts", b"@classLabel true a\n@data\n1,2:a\n\n1,\xff:a\n", 5),
    ("l.ts", b"@classLabel true a\n@data\n1,2:a\n1,2:\xff\n", 4),
]


@pytest.mark.parametrize(("name", "raw", "row"), NOT_UTF8)
@pytest.mark.parametrize("batch_size", [1, 2**62])
def test_a_byte_that_is_not_utf8_is_refused_with_its_row(tmp_path, name, raw, row, batch_size):
    path = write_file(tmp_path, name, raw)
    with pytest.raises(SeriesFileError) as raised:
        list(iter_series(path, batch_size))
    assert str(raised.value).startswith(f"{path}: row {row}: byte 0x")
    assert " is not UTF-8; allowed: UTF-8 text" in str(raised.value)


NO_SERIES = [  # (name, text, the problem)
    ("e.csv", "", "no series; allowed: at least one series"),
    ("h.csv", "id,label,v0,v1\n", "no series; allowed: at least one series"),
    ("b.csv", "id,label,v0,v1\n\n\n", "no series; allowed: at least one series"),
    ("l.csv", "id,t,value,label\n", "no series; allowed: at least one series"),
    ("e.tsv", "", "no series; allowed: at least one series"),
    ("b.tsv", "\n\n", "no series; allowed: at least one series"),
    ("e.ts", "", "no @data line; allowed: a .ts file as aeon reads it"),
    ("d.ts", "@classLabel true a\n@data\n\n# nothing\n", "row 2: no series after @data"),
    ("e.arff", "", "no @data line; allowed: an .arff file as aeon reads it"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "text", "expected"), NO_SERIES)
def test_a_file_without_series_is_refused(tmp_path, name, text, expected):
    assert error(write_file(tmp_path, name, text)).startswith(expected)


@pytest.mark.parametrize("batch_size", [1, 2**62])
def test_an_id_given_twice_is_refused_even_in_another_batch(tmp_path, batch_size):
    path = write_file(tmp_path, "d.csv", "id,v0,v1\na,1,2\nb,1,2\nc,1,2\nb,1,2\n")
    with pytest.raises(SeriesFileError) as raised:
        list(iter_series(path, batch_size))
    message = f"{path}: row 5: id 'b' is already the id of row 3; allowed: a different id for every"
    assert str(raised.value).startswith(message)


BAD_TS = [  # (lines after @data, channels, the message after "<path>: ")
    (["1,2:3,4:a", "1,2:a"], 2, "row 8: 1 channels, the first series 2 (a label missing after"),
    (["1,2,3:4,5:a"], 2, "row 7: 2 points in a channel, 3 in channel 1"),
    (["1,2,3:a", "1,2,3:b", "1,,3:a"], 1, "row 9, channel 1: '' is not a number"),
    (["1,2,3:4,5,6:a", "1,2,3:4, x ,6:b"], 2, "row 8, channel 2: 'x' is not a number"),
]  # fmt: skip


@pytest.mark.parametrize(("lines", "channels", "expected"), BAD_TS)
def test_bad_ts_files_name_the_row(tmp_path, lines, channels, expected):
    message = error(write_file(tmp_path, "b.ts", ts_text(lines, ["a", "b"], channels)))
    assert message.startswith(expected), message


@pytest.mark.parametrize("line", ["1,2:b", "1,2,3,4:b"])
def test_a_ts_file_of_equal_length_refuses_a_series_of_another(tmp_path, line):
    text = ts_text(["1,2,3:a", line], ["a", "b"]).replace("@equalLength false", "@equalLength true")
    points = line.count(",") + 1
    message = error(write_file(tmp_path, "e.ts", text))
    assert message.startswith(f"row 8: {points} points, the first series 3 (the header")
    assert "allowed: series of one length, or @equalLength false in the header" in message


def test_bad_arff_files_name_the_row(tmp_path):
    path = write_file(tmp_path, "b.arff", ARFF_HEAD + "1,2,x\n% c\n3,zz,y\n")
    assert error(path).startswith("row 8, channel 1: 'zz' is not a number")
    path = write_file(tmp_path, "b.arff", ARFF_HEAD + "1,2,x\n3,4,?\n")
    assert error(path).startswith("row 7: missing label")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "s.txt",
            "the extension '.txt' is none of the formats read; allowed: a .csv (wide or long)",
        ),
        ("s.xlsx", "the extension '.xlsx' is none of the formats read"),
        ("series", "no extension; allowed: a .csv"),
        ("absent.csv", "not found, or not a file; allowed: an existing file"),
        ("absent.ts", "not found, or not a file"),
        ("folder.csv/", "not found, or not a file"),
        ("folder.ts/", "not found, or not a file"),
    ],
)
def test_a_path_that_is_no_series_file_is_refused(tmp_path, name, expected):
    if name.endswith("/"):
        (tmp_path / name).mkdir()
    elif not name.startswith("absent"):
        write_file(tmp_path, name, "1,2,3\n")
    assert error(tmp_path / name.rstrip("/")).startswith(expected)


@pytest.mark.parametrize(
    ("name", "text", "row"),
    [
        ("commas.tsv", "0,1,2,3\n1,4,5,6\n", 1),  # a comma-separated file named .tsv: labels only
        ("labels.csv", "id,label\na,0\nb,1\n", 2),  # no column of values at all
    ],
)
def test_a_file_without_value_columns_is_refused(tmp_path, name, text, row):
    path = tmp_path / name
    path.write_text(text)
    assert error(path, label_required=True).startswith(f"row {row}: no value columns; allowed: ")


@pytest.mark.parametrize("start", [0, 1])
@pytest.mark.parametrize("header", ["rowid", "n"])
def test_a_first_column_counting_the_lines_is_refused_as_an_index(tmp_path, header, start):
    """pandas writes a named index as a first column: 0, 1, 2, ... is no time point."""
    lines = [f"{header},v0,v1"] + [f"{start + k},{k * 0.5},{k * 0.25}" for k in range(4)]
    path = write_file(tmp_path, "i.csv", "\n".join(lines) + "\n")
    assert error(path).startswith(
        f"row 2, column 1 ({header}): it counts the lines ({start}, {start + 1}, {start + 2}, ...)"
    )
    assert f"--id-column {header}" in error(path)


def test_pandas_reset_index_column_is_read_as_ids(tmp_path):
    path = write_file(tmp_path, "r.csv", "index,v0,v1\n0,1.5,2\n1,3,4\n2,5,6\n")
    found = read_series(path)
    assert found.ids == ["0", "1", "2"] and found.values.shape == (3, 1, 2)
