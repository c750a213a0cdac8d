"""The class list and the labelled dataset built on attention_ts.data.files (data/dataset.py).

Labels are text: the class list is every label as written, in natural
order (numbers by exact value, ties by text, then text); the test file's
labels must be classes of the train file; ids are integers, each once.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from attention_ts.config.params import DatasetParams
from attention_ts.data.dataset import class_names, natural_key, read_labelled
from attention_ts.data.files import SeriesFileError
from tests.conftest import write_file

NATURAL = [  # (labels, the class list)
    (
        ["10", "9", "1.0", "1", "01", "1e1", "-0", "0", "b", "a", "B"],
        ("-0", "0", "01", "1", "1.0", "9", "10", "1e1", "B", "a", "b"),
    ),
    (["1.00000000000000001e16", "1e16"], ("1e16", "1.00000000000000001e16")),  # float(): a tie
    (["0.4", "3.9999999999999999999e-1"], ("3.9999999999999999999e-1", "0.4")),  # float(): a tie
    (["20231201000000002", "20231201000000001"], ("20231201000000001", "20231201000000002")),
    (["1_0", "10", "9"], ("9", "10", "1_0")),  # 1_0 is text, though float() takes it
    (["NAN", "x", "Nan", "1"], ("1", "NAN", "Nan", "x")),  # labels; Decimal NaN would not compare
    (["inf", "x", "-inf", "1e308", "-Infinity"], ("-Infinity", "-inf", "1e308", "inf", "x")),
    (["ラベル", "été", "b", "2", "class a"], ("2", "b", "class a", "été", "ラベル")),
]  # fmt: skip


@pytest.mark.parametrize(("labels", "expected"), NATURAL)
def test_classes_are_the_labels_as_written_in_natural_order(labels, expected):
    for seed in range(3):  # in any order of the file
        shuffled = random.Random(seed).sample(labels * 2, 2 * len(labels))
        assert class_names(shuffled, [], Path("f.csv")) == expected
    assert sorted(labels, key=natural_key) == list(expected)


def test_classes_given_keep_their_order_and_must_occur():
    found = ["b", "a", "c", "a"]
    assert class_names(found, ["c", "a", "b"], Path("f.csv")) == ("c", "a", "b")
    with pytest.raises(SeriesFileError) as raised:
        class_names(found, ["a", "1"], Path("f.csv"))
    message = "f.csv: class '1' (dataset.classes) has no series; allowed: classes that occur"
    assert str(raised.value).startswith(message)
    with pytest.raises(
        SeriesFileError, match=r"^f.csv: all series have the label 'a'; allowed: at"
    ):
        class_names(["a", "a"], [], Path("f.csv"))


def params(train: Path, test: Path | None = None, classes: list[str] | None = None):
    return DatasetParams(
        source="file",
        path=str(train),
        test_path="" if test is None else str(test),
        label_column="label",
        classes=classes or [],
        missing="refuse",
    )


def wide(folder: Path, name: str, labels: list[str], ids: list[str] | None = None) -> Path:
    """A wide CSV: series k = (k, k + 1, k + 2) with `labels[k]` and id `ids[k]` (default k)."""
    ids = [str(k) for k in range(len(labels))] if ids is None else ids
    lines = [f"{i},{x},{k},{k + 1},{k + 2}" for k, (i, x) in enumerate(zip(ids, labels))]
    return write_file(folder, name, "id,label,v0,v1,v2\n" + "\n".join(lines) + "\n")


def test_read_labelled_indexes_the_text_classes(tmp_path):
    labels = ["1.0", "01", "1", "a", "01"]
    dataset, test = read_labelled(params(wide(tmp_path, "t.csv", labels)))
    assert test is None and dataset.classes == ("01", "1", "1.0", "a")
    assert [dataset.classes[k] for k in dataset.table["label"]] == labels
    np.testing.assert_array_equal(dataset.table["id"], np.arange(5))
    np.testing.assert_array_equal(dataset.series[:, 0, 0], np.arange(5))


def test_a_test_file_shares_the_train_files_classes_and_width(tmp_path):
    train = wide(tmp_path, "train.csv", ["b", "a", "b"])
    head = "@equalLength false\n@classLabel true a b\n@data\n"
    test = write_file(tmp_path, "test.ts", head + "1,2,3,4,5:a\n1,2:b\n")
    dataset, official = read_labelled(params(train, test))
    assert dataset.classes == official.classes == ("a", "b")
    assert dataset.series.shape[2] == official.series.shape[2] == 5
    np.testing.assert_array_equal(official.table["label"], [0, 1])
    np.testing.assert_array_equal(official.table["length"], [5, 2])


@pytest.mark.parametrize(
    ("test_labels", "expected"),
    [
        (["a", "b", "B"], "test.csv: row 4: label 'B' is not a class of the train file"),
        (["a", "b", "1"], "test.csv: row 4: label '1' is not a class of the train file"),
        (["a", "a"], "test.csv: no series of class 'b' (dataset.test_path), so its recall"),
    ],
)
def test_test_labels_are_classes_of_the_train_file_and_cover_them(tmp_path, test_labels, expected):
    train = wide(tmp_path, "train.csv", ["a", "b"])
    test = wide(tmp_path, "test.csv", test_labels)
    with pytest.raises(SeriesFileError) as raised:
        read_labelled(params(train, test))
    assert str(raised.value).startswith(f"{tmp_path}/{expected}"), str(raised.value)


def test_the_channels_of_train_and_test_must_agree(tmp_path):
    train = wide(tmp_path, "train.csv", ["a", "b"])
    head = "@univariate false\n@classLabel true a b\n@data\n"
    test = write_file(tmp_path, "test.ts", head + "1,2:3,4:a\n1,2:3,4:b\n")
    with pytest.raises(SeriesFileError, match="test.ts: series of 2 channel"):
        read_labelled(params(train, test))


BAD_IDS = [  # (ids, the row refused, its problem)
    (["1", "x"], 3, "id 'x' in column 'id' is not an integer"),
    (["1", "1_0"], 3, "id '1_0' in column 'id' is not an integer"),  # int() takes it
    (["1", "٣"], 3, "id '٣' in column 'id' is not an integer"),
    (["1", "99999999999999999999"], 3, "is not an integer of at most 18 digits"),  # past int64
    (["1", "2.0"], 3, "id '2.0' in column 'id' is not an integer"),
    (["7", "007"], 3, "id '007' is the integer 7, the id of row 2 already"),
]


@pytest.mark.parametrize(("ids", "row", "problem"), BAD_IDS)
def test_ids_are_integers_each_once(tmp_path, ids, row, problem):
    path = wide(tmp_path, "t.csv", ["a", "b"], ids)
    with pytest.raises(SeriesFileError) as raised:
        read_labelled(params(path))
    assert str(raised.value).startswith(f"{path}: row {row}: "), str(raised.value)
    assert problem in str(raised.value)


def test_integer_ids_with_a_sign_are_read(tmp_path):
    path = wide(tmp_path, "t.csv", ["a", "b", "a"], ["-3", "+4", "123456789012345678"])
    dataset, _ = read_labelled(params(path))
    np.testing.assert_array_equal(dataset.table["id"], [-3, 4, 123456789012345678])
