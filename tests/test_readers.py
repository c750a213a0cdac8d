"""read_labelled_file: every format and layout, aeon's shipped files, missing values, bad files.

Each bad file gives one SeriesFileError line that starts with the file's
path, says where (row, and column or channel) and what is allowed.
"""

from __future__ import annotations

from pathlib import Path

import aeon
import numpy as np
import pytest
from aeon.datasets import load_from_ts_file

from attention_ts.core.stage import PipelineError
from attention_ts.data import readers
from attention_ts.data.readers import LabelledSeries, read_labelled_file
from attention_ts.data.series_io import SeriesBatch, SeriesFileError, write_series
from tests.conftest import write_file
from tests.sample_data import (
    MOTION,
    MOTION_CHANNELS,
    MOTION_LONG,
    SHAPE_CLASSES,
    SHAPES,
    motion,
    shapes,
    write_samples,
)

AEON_DATA = Path(aeon.__file__).parent / "datasets/data"
GUNPOINT = AEON_DATA / "GunPoint/GunPoint_TRAIN"
HEADER = "@problemName t\n@timeStamps false\n@univariate true\n@equalLength true\n"
LABELS = "@classLabel true a b\n"


def ts(tmp_path: Path, *lines: str, header: str = HEADER + LABELS, name: str = "s.ts") -> Path:
    """A .ts file: `header`, @data, then `lines`."""
    return write_file(tmp_path, name, header + "@data\n" + "".join(line + "\n" for line in lines))


def error_of(path: Path, **kwargs) -> str:
    """The one-line message read_labelled_file raises for `path`."""
    with pytest.raises(SeriesFileError) as raised:
        read_labelled_file(path, "label", **kwargs)
    text = str(raised.value)
    assert text.startswith(f"{path}: "), text
    assert "; allowed: " in text and "\n" not in text, text
    return text


def line_numbers(path: Path) -> list[int]:
    """1-based lines after @data that hold a series (not blank, not a comment)."""
    lines = path.read_text().splitlines()
    start = next(k for k, line in enumerate(lines) if line.strip().lower() == "@data")
    return [k + 1 for k in range(start + 1, len(lines)) if lines[k].strip()[:1] not in ("", "#")]


# the committed samples


def test_the_samples_are_what_the_script_makes(tmp_path):
    for made in write_samples(tmp_path):
        committed = SHAPES["TRAIN"].parent / made.name
        assert made.read_bytes() == committed.read_bytes(), made.name
        assert committed.stat().st_size < 8000 or made.suffix == ".csv" and "labelled" in made.name


@pytest.mark.parametrize("split", ["TRAIN", "TEST"])
def test_a_univariate_three_class_ts_reads_with_labels_as_written(split):
    read = read_labelled_file(SHAPES[split], "label")
    series, labels = shapes(split)
    assert read.labels == labels  # "Sine", not aeon's lowercased "sine"
    assert set(read.labels) == set(SHAPE_CLASSES)
    assert all(values.shape == (1, 30) and values.dtype == np.float64 for values in read.series)
    np.testing.assert_array_equal(np.stack(read.series), series)
    assert read.rows == line_numbers(SHAPES[split])
    assert read.ids == [str(row) for row in read.rows]


@pytest.mark.parametrize("split", ["TRAIN", "TEST"])
def test_a_multivariate_unequal_length_ts_reads_each_length(split):
    read = read_labelled_file(MOTION[split], "label")
    series, labels = motion(split)
    assert read.labels == labels
    assert [values.shape for values in read.series] == [values.shape for values in series]
    assert len({values.shape[1] for values in read.series}) > 1
    for got, expected in zip(read.series, series):
        np.testing.assert_array_equal(got, expected)
    assert read.rows == line_numbers(MOTION[split])


def test_the_long_csv_with_a_channel_column_reads_like_the_ts():
    long = read_labelled_file(MOTION_LONG, "label")
    ts_read = read_labelled_file(MOTION["TRAIN"], "label")
    assert long.labels == ts_read.labels
    assert long.ids == [f"m{k + 1}" for k in range(len(long.ids))]
    lines = MOTION_LONG.read_text().splitlines()
    assert [lines[row - 1].split(",")[0] for row in long.rows] == long.ids  # each first line
    assert [lines[row - 2].split(",")[0] for row in long.rows[1:]] == long.ids[:-1]
    for got, expected in zip(long.series, ts_read.series):
        assert got.dtype == np.float32 and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected.astype(np.float32))
    assert MOTION_CHANNELS == ("x", "y", "z")  # channels in the order of the first series


def test_long_csv_channels_may_come_in_any_order_and_named_by_number(tmp_path):
    lines = ["value,channel,t,id,label"]
    for series_id, label, length in (("a", "p", 3), ("b", "q", 2)):
        for t in reversed(range(length)):
            for channel in ("10", "2"):  # numbers: sorted as numbers, 2 before 10
                lines.append(f"{int(channel) * 100 + t},{channel},{t},{series_id},{label}")
    read = read_labelled_file(write_file(tmp_path, "l.csv", "\n".join(lines) + "\n"), "label")
    np.testing.assert_array_equal(read.series[0], [[200, 201, 202], [1000, 1001, 1002]])
    np.testing.assert_array_equal(read.series[1], [[200, 201], [1000, 1001]])
    assert read.labels == ["p", "q"] and read.rows == [2, 8]


def test_a_wide_csv_keeps_text_labels_of_any_number_of_classes(tmp_path):
    values = np.arange(5 * 4, dtype=np.float32).reshape(5, 4)
    labels = ["cat", "dog", "emu", "cat", "yak"]
    path = tmp_path / "w.csv"
    write_series(path, SeriesBatch(["a", "b", "c", "d", "e"], [], values, labels))
    read = read_labelled_file(path, "label")
    assert read.labels == labels and read.ids == ["a", "b", "c", "d", "e"]
    assert read.rows == [2, 3, 4, 5, 6]
    np.testing.assert_array_equal(np.stack(read.series), values[:, None, :])


def test_a_long_csv_without_a_channel_column_is_one_channel(tmp_path):
    values = np.arange(3 * 4, dtype=np.float32).reshape(3, 4)
    path = tmp_path / "l.csv"
    write_series(path, SeriesBatch(["a", "b", "c"], [], values, ["1", "2", "3"]), "long")
    read = read_labelled_file(path, "label")
    assert read.labels == ["1", "2", "3"] and read.rows == [2, 6, 10]
    np.testing.assert_array_equal(np.stack(read.series), values[:, None, :])


# aeon's shipped files


def test_gunpoint_reads_the_same_from_ts_arff_and_tsv():
    read = {
        suffix: read_labelled_file(GUNPOINT.with_suffix(suffix), "")
        for suffix in readers.SUFFIXES[:3]
    }
    ts_read = read[".ts"]
    assert len(ts_read.series) == 50 and ts_read.series[0].shape == (1, 150)
    assert set(ts_read.labels) == {"1", "2"}
    for suffix, other in read.items():
        assert other.labels == ts_read.labels, suffix
        np.testing.assert_array_equal(
            np.stack(other.series).astype(np.float32), np.stack(ts_read.series).astype(np.float32)
        )
    assert read[".tsv"].rows == list(range(1, 51))
    assert ts_read.rows == line_numbers(GUNPOINT.with_suffix(".ts"))


def test_japanese_vowels_reads_12_channels_of_unequal_length():
    path = AEON_DATA / "JapaneseVowels/JapaneseVowels_TRAIN.ts"
    read = read_labelled_file(path, "label")
    aeon_series, aeon_labels = load_from_ts_file(str(path))
    assert len(read.series) == 270
    assert {values.shape[0] for values in read.series} == {12}
    lengths = [values.shape[1] for values in read.series]
    assert lengths == [values.shape[1] for values in aeon_series]
    assert min(lengths) == 7 and max(lengths) == 26  # the test file reaches 29
    assert read.labels == list(aeon_labels)
    for got, expected in zip(read.series, aeon_series):
        np.testing.assert_array_equal(got, expected)


def test_basic_motions_keeps_the_case_of_its_labels():
    read = read_labelled_file(AEON_DATA / "BasicMotions/BasicMotions_TRAIN.ts", "label")
    arff = read_labelled_file(AEON_DATA / "BasicMotions/BasicMotions_TRAIN.arff", "label")
    assert set(read.labels) == {"Standing", "Running", "Walking", "Badminton"}
    assert read.labels == arff.labels
    np.testing.assert_array_equal(np.stack(read.series), np.stack(arff.series))


# missing values


def test_ts_missing_values_are_refused_by_default_naming_row_and_channel(tmp_path):
    header = HEADER.replace("univariate true", "univariate false") + LABELS
    path = ts(tmp_path, "1,2,3:4,5,6:a", "# a comment", "1,2,3:4,?,6:b", header=header)
    message = error_of(path)
    assert ": row 9, channel 2: missing value at point 2 of 3; allowed: finite numbers" in message


def test_ts_missing_values_interpolate_within_each_channel(tmp_path):
    header = HEADER.replace("univariate true", "univariate false") + LABELS
    path = ts(tmp_path, "?,2,?,?,8,?:NaN,1,1,1,1,1:a", "1,2,3,4,5,6:?,?,?,?,?,0:b", header=header)
    read = read_labelled_file(path, "label", missing="interpolate")
    np.testing.assert_array_equal(read.series[0], [[2, 2, 4, 6, 8, 8], [1, 1, 1, 1, 1, 1]])
    np.testing.assert_array_equal(read.series[1], [[1, 2, 3, 4, 5, 6], [0, 0, 0, 0, 0, 0]])


def test_a_channel_without_any_value_is_refused_under_interpolate(tmp_path):
    path = ts(tmp_path, "1,2,3:a", "?,?,?:b")
    message = error_of(path, missing="interpolate")
    assert (
        ": row 8, channel 1: no valid value (all 3 points missing); allowed: at least one"
        in message
    )


def test_csv_missing_values_refused_or_interpolated(tmp_path):
    path = write_file(tmp_path, "m.csv", "id,label,v0,v1,v2,v3\na,x,1,,3,NaN\nb,y,,4,4,5\n")
    assert ": row 2, column 4 (v1): empty cell; allowed: finite numbers" in error_of(path)
    read = read_labelled_file(path, "label", missing="interpolate")
    np.testing.assert_array_equal(np.stack(read.series)[:, 0], [[1, 2, 3, 3], [4, 4, 4, 5]])
    assert read.series[0].dtype == np.float32
    nothing = write_file(tmp_path, "n.csv", "id,label,v0,v1\na,x,1,2\nb,y,,nan\n")
    assert ": row 3: the series: no valid value (all 2 points missing)" in error_of(
        nothing, missing="interpolate"
    )


def test_long_csv_missing_values_interpolate_per_channel(tmp_path):
    text = "id,t,channel,value,label\n" + "".join(
        f"a,{t},{channel},{value},p\n"
        for t, pair in enumerate([("", 5), (2, ""), ("", 7)])
        for channel, value in zip("xy", pair)
    )
    path = write_file(tmp_path, "l.csv", text)
    assert ": row 2, column 4 (value): empty cell" in error_of(path)
    read = read_labelled_file(path, "label", missing="interpolate")
    np.testing.assert_array_equal(read.series[0], [[2, 2, 2], [5, 6, 7]])
    bad_t = write_file(tmp_path, "t.csv", "id,t,value,label\na,0,1,p\na,,2,p\n")
    assert ": row 3, column 2 (t): empty cell" in error_of(bad_t, missing="interpolate")


def test_infinite_and_huge_values_are_refused_under_both_policies(tmp_path):
    for missing in readers.MISSING_POLICIES:
        assert ": row 7, channel 1: inf at point 2 of 3 is not a finite number" in error_of(
            ts(tmp_path, "1,inf,3:a"), missing=missing
        )
        assert ": row 8, channel 1: 1e+39 at point 3 of 3 is beyond float32's range" in error_of(
            ts(tmp_path, "1,2,3:a", "1,2,1e39:b"), missing=missing
        )


# bad files: one line each, naming the file


def test_blank_lines_and_comments_after_data_are_skipped_and_rows_stay_true(tmp_path):
    path = ts(tmp_path, "", "1,2,3:a", "  ", "# note", "4,5,6:B", "")
    read = read_labelled_file(path, "label")
    assert read.rows == [8, 11] and read.labels == ["a", "B"]
    np.testing.assert_array_equal(np.stack(read.series), [[[1, 2, 3]], [[4, 5, 6]]])


def test_crlf_line_endings_and_a_bom_are_read(tmp_path):
    text = "\ufeff" + (HEADER + LABELS + "@data\n1,2,3:a\n 4,5,6:b \n").replace("\n", "\r\n")
    read = read_labelled_file(write_file(tmp_path, "w.ts", text.encode()), "label")
    assert read.rows == [7, 8] and read.labels == ["a", "b"]
    np.testing.assert_array_equal(np.stack(read.series), [[[1, 2, 3]], [[4, 5, 6]]])


TWO = HEADER.replace("univariate true", "univariate false")
BAD_TS = [  # (header, data lines, expected message after "<path>: ")
    (HEADER + LABELS, None, "no @data line; allowed: a .ts file as aeon reads it"),
    (HEADER + LABELS, [], "row 6: no series after @data; allowed: at least one series"),
    (HEADER, ["1,2,3", "4,5,6"], "no @classLabel line in the header: the series have no class"),
    (HEADER + "@classLabel false\n", ["1,2,3"], "@classLabel false in the header"),
    (HEADER + "@targetLabel true\n", ["1,2,3:0.5"], "@targetLabel true: regression targets"),
    (HEADER.replace("false", "true") + LABELS, ["(0,1),(1,2):a"], "@timeStamps true: series"),
    (HEADER + LABELS, ["1,2,3:a", "4:b"], "row 8: 1 points, the first series 3, and the header"),
    (
        HEADER.replace("equalLength true", "equalLength false") + LABELS,
        ["1,2,3:a", "4:b"],
        "row 8: a series of 1 point; allowed: at least 2 points in every series",
    ),
    (
        TWO + LABELS,
        ["1,2:3,4:a", "1,2:b"],
        "row 8: 1 channels, the first series 2 (a label missing after the last ':'?); allowed: "
        "the same number of channels",
    ),
    (HEADER + LABELS, ["1,2:3,4:a", "1,2:3,4:b"], "row 8: 2 channels, but the header says"),
    (TWO + LABELS, ["1,2,3:4,5:a"], "row 7, channel 2: 2 points, channel 1 of this series 3"),
    (HEADER + LABELS, ["1,2,3:a", "1,x2,3:b"], "row 8, channel 1: 'x2' is not a number; allowed"),
    (HEADER + LABELS, ["1,2,3:a", "1,2,3:c"], "row 8: label 'c' is not a class of the header's"),
    (HEADER + LABELS, ["1,2,3:a", "1,2,3:"], "row 8: label '' is not a class"),
    (HEADER + LABELS + "@data extra\n", ["1,2:a"], "row 6: the @data line '@data extra' has more"),
]


@pytest.mark.parametrize(("header", "lines", "expected"), BAD_TS)
def test_each_bad_ts_file_is_one_line_naming_the_file(tmp_path, header, lines, expected):
    if lines is None:
        path = write_file(tmp_path, "bad.ts", header + "1,2,3:a\n")
    else:
        path = ts(tmp_path, *lines, header=header, name="bad.ts")
    assert f"{path}: {expected}" in error_of(path)


def test_bad_arff_files_name_the_row(tmp_path):
    head = "@relation r\n@attribute a0 numeric\n@attribute a1 numeric\n@attribute c {x,y}\n@data\n"
    bad = write_file(tmp_path, "b.arff", head + "1,2,x\n% comment\n1,zz,y\n")
    assert f"{bad}: row 8, channel 1: 'zz' is not a number" in error_of(bad)
    ragged = write_file(tmp_path, "r.arff", head + "1,2,x\n1,2,3,y\n")
    assert f"{ragged}: row 7: a series of 3 points, the first series 2; allowed" in error_of(ragged)
    nodata = write_file(tmp_path, "n.arff", head.replace("@data\n", "") + "1,2,x\n")
    assert f"{nodata}: no @data line; allowed: an .arff file" in error_of(nodata)
    read = read_labelled_file(write_file(tmp_path, "ok.arff", head + "1,2,x\n\n% c\n3,4,y\n"), "")
    assert read.rows == [6, 9] and read.labels == ["x", "y"]


BAD_CSV = [  # (name, content, expected message after "<path>: ")
    ("one.csv", "id,label,v0\na,x,1\nb,y,2\n", "row 2: a series of 1 point; allowed: at least 2"),
    ("one.tsv", "1\t5\n2\t6\n", "row 1: a series of 1 point"),
    ("nan.tsv", "1\t5\t7\n2\tNaN\t6\n", "row 2, column 2: 'NaN' is not a finite number"),
    ("l.csv", "id,t,value,label\na,0,1,x\nb,0,1,y\nb,1,2,y\n", "row 2: a series of 1 point"),
    (
        "c.csv",
        "id,t,channel,value,label\na,0,u,1,x\na,0,v,2,x\nb,0,u,3,y\n",
        "row 4, column 3 (channel): series 'b' has the channels 'u', the first series 'u', 'v'; "
        "allowed: the same channels in every series",
    ),
    (
        "n.csv",
        "id,t,channel,value,label\na,0,u,1,x\na,1,u,2,x\na,0,v,2,x\n",
        "row 2, column 1 (id): channel 'v' of series 'a' has 1 points, channel 'u' 2; allowed: "
        "the same t values in every channel of a series",
    ),
    (
        "t.csv",
        "id,t,channel,value,label\na,0,u,1,x\na,1,u,2,x\na,0,v,2,x\na,2,v,2,x\n",
        "row 5, column 2 (t): t = 2 of series 'a', channel 'v', where channel 'u' has t = 1",
    ),
    (
        "r.csv",
        "id,t,channel,value,label\na,0,u,1,x\na,0,u,2,x\n",
        "row 3, column 2 (t): t = 0 of series 'a', channel 'u', repeats row 2; allowed: each t "
        "once per series and channel",
    ),
    ("w.csv", "id,v0,v1\na,1,2\n", "row 1: no column named 'label' in the header"),
    ("x.txt", "1\t2\t3\n", "the extension '.txt' is none of the formats read; allowed: a .ts"),
    ("x", "1\t2\t3\n", "no extension; allowed: a .ts or .arff file (aeon's formats), a UCR"),
    ("h.ts", b"@problemName \xff\n@data\n1,2,3:a\n", "row 1: byte 0xff is not UTF-8; allowed"),
    ("v.ts", b"@classLabel true a\n@data\n1,2:a\n\n1,\xff:a\n", "row 5: byte 0xff is not UTF-8"),
    ("l.ts", b"@classLabel true a\n@data\n1,2:a\n1,2:\xff\n", "row 4: byte 0xff is not UTF-8"),
]


@pytest.mark.parametrize(("name", "content", "expected"), BAD_CSV)
def test_each_bad_csv_or_tsv_is_one_line_naming_the_file(tmp_path, name, content, expected):
    path = write_file(tmp_path, name, content)
    assert f"{path}: {expected}" in error_of(path)


def test_a_missing_file_and_an_unknown_policy(tmp_path):
    for name in ("absent.ts", "absent.csv"):
        assert "cannot read it (No such file or directory)" in error_of(tmp_path / name)
    with pytest.raises(PipelineError, match="missing-value policy 'zero' is unknown; allowed"):
        read_labelled_file(SHAPES["TRAIN"], "label", missing="zero")


def test_labelled_series_fields_have_one_entry_per_series():
    read = read_labelled_file(MOTION["TEST"], "label")
    assert isinstance(read, LabelledSeries)
    assert len(read.series) == len(read.labels) == len(read.ids) == len(read.rows) == 6
