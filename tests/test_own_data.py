"""Training on your own labelled series: `dataset.source = file`.

The shipped sample (tests/data/labelled_sample.csv, made by the generator)
is read back to the generated series, in the CSV and the UCR/UEA .tsv
layout; every kind of bad file stops with one message naming the file, the
row and the column; and the real `dvc repro` runs the whole pipeline on it.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from attention_ts.config.params import DatasetParams, Params, ParamsError, build
from attention_ts.data.dataset import NO_SEGMENT, Dataset, load_dataset
from attention_ts.data.dataset import read_labelled as read_files
from attention_ts.data.files import SeriesFileError
from tests.conftest import default_raw_params, tiny_raw_params
from tests.project import Project
from tests.sample_data import DECIMALS, SAMPLE, sample_dataset

FROM_SAMPLE = DatasetParams(
    source="file",
    path=str(SAMPLE),
    test_path=str(SAMPLE),  # the same file: no official test set
    label_column="label",
    classes=[],
    missing="refuse",
)


def read_labelled(params: DatasetParams) -> Dataset:
    """The series of `params.path` (these tests give no test file)."""
    dataset, test = read_files(params)
    assert test is None
    return dataset


def _sample_lines() -> list[str]:
    return SAMPLE.read_text().splitlines()


def _write(tmp_path, name: str, lines: list[str]) -> DatasetParams:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return FROM_SAMPLE.model_copy(update=dict(path=str(path), test_path=str(path)))


def _with_cell(lines: list[str], row: int, column: int, text: str) -> list[str]:
    """`lines` with the cell at 1-based line `row`, 1-based `column` replaced by `text`."""
    cells = lines[row - 1].split(",")
    cells[column - 1] = text
    return [*lines[: row - 1], ",".join(cells), *lines[row:]]


def test_the_sample_file_reads_back_to_what_the_generator_made():
    generated = sample_dataset()
    read = read_labelled(FROM_SAMPLE)
    np.testing.assert_allclose(read.series, generated.series, atol=0.5 * 10**-DECIMALS)
    np.testing.assert_array_equal(read.table["label"], generated.table["label"])
    np.testing.assert_array_equal(read.table["id"], generated.table["id"])
    assert (read.table["segment_start"] == NO_SEGMENT).all()  # a file tells no segments
    assert set(read.table["label"]) == {0, 1}
    assert read.classes == ("0", "1")


def test_a_ucr_tsv_reads_like_the_csv(tmp_path):
    """Label first, tab-separated, no header; labels written as floats, as some UCR files do:
    they stay the text written, in the order of their values."""
    generated = read_labelled(FROM_SAMPLE)
    names = {0: "-1.0000000e+00", 1: "1.0000000e+00"}
    lines = [
        "\t".join([names[label], *(f"{v:.3f}" for v in values)])
        for label, values in zip(generated.table["label"], generated.series[:, 0])
    ]
    read = read_labelled(_write(tmp_path, "Sines_TRAIN.tsv", lines))
    assert read.classes == ("-1.0000000e+00", "1.0000000e+00")
    np.testing.assert_array_equal(read.series, generated.series)
    np.testing.assert_array_equal(read.table["label"], generated.table["label"])
    assert list(read.table["id"]) == list(range(1, len(lines) + 1))  # numbered by line


def _relabelled(names: dict[str, str]) -> list[str]:
    """The sample's lines, its labels `0` and `1` renamed to `names["0"]` and `names["1"]`."""
    header, *rows = _sample_lines()
    relabelled = []
    for row in rows:
        cells = row.split(",")
        cells[1] = names[cells[1]]
        relabelled.append(",".join(cells))
    return [header, *relabelled]


def test_text_labels_map_to_the_classes_params_name(tmp_path):
    params = _write(tmp_path, "named.csv", _relabelled({"0": "ok", "1": "frozen"}))
    assert read_labelled(params).classes == ("frozen", "ok")  # sorted when params name none
    params = params.model_copy(update=dict(classes=["ok", "frozen"]))
    expected = read_labelled(FROM_SAMPLE)
    read = read_labelled(params)
    assert read.classes == ("ok", "frozen")
    np.testing.assert_array_equal(read.table["label"], expected.table["label"])


def test_more_than_two_classes_are_kept_as_text(tmp_path):
    header, *rows = _sample_lines()
    names = ["a", "b", "c"]
    relabelled = [header]
    for k, row in enumerate(rows):
        cells = row.split(",")
        relabelled.append(",".join([cells[0], names[k % 3], *cells[2:]]))
    read = read_labelled(_write(tmp_path, "three.csv", relabelled))
    assert read.classes == ("a", "b", "c")
    assert list(read.table["label"][:6]) == [0, 1, 2, 0, 1, 2]


def _only_class(lines: list[str]) -> list[str]:
    return [lines[0], *(line for line in lines[1:] if line.split(",")[1] == "0")]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda lines: _with_cell(lines, 9, 40, "nan"), ["row 9, column 40 (v37)", "allowed"]),
        (lambda lines: _with_cell(lines, 3, 12, "1.2.3"), ["row 3, column 12 (v9)", "allowed"]),
        (lambda lines: [*lines[:6], lines[6] + ",0.5", *lines[7:]], ["row 7", "allowed"]),
        (lambda lines: _with_cell(lines, 4, 1, "a7"), ["row 4", "column 'id'", "'a7'", "allowed"]),
        (_only_class, ["all series have the label '0'", "at least two classes"]),
    ],
    ids=["NaN", "non-numeric", "ragged row", "non-integer id", "one class"],
)
def test_a_bad_file_names_file_row_and_column(tmp_path, mutate, expected):
    params = _write(tmp_path, "bad.csv", mutate(_sample_lines()))
    with pytest.raises(SeriesFileError) as error:
        read_labelled(params)
    message = str(error.value)
    assert message.startswith(params.path)
    for fragment in expected:
        assert fragment in message


@pytest.mark.parametrize("label_first", [False, True], ids=["header dropped", "UCR, commas"])
def test_a_csv_without_a_header_row_is_refused_saying_so(tmp_path, label_first):
    """Its first series must not become column names; the label column needs a header."""
    lines = _sample_lines()[1:]  # id,label,v0,...: without the header, all numbers
    if label_first:  # the older UCR archive's layout: label first, comma-separated
        lines = [line.split(",", 1)[1] for line in lines]
    params = _write(tmp_path, "headerless.csv", lines)
    message = (
        f"{params.path}: row 1: the first line is all numbers: the file seems to have no header "
        "row; allowed: a header row naming the columns, 'label' among them"
    )
    with pytest.raises(SeriesFileError) as error:
        read_labelled(params)
    assert str(error.value) == message


def test_a_missing_label_column_is_named(tmp_path):
    params = FROM_SAMPLE.model_copy(update=dict(label_column="class"))
    with pytest.raises(SeriesFileError, match="class"):
        read_labelled(params)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("classes", ["0", " 0"], "twice"),
        ("classes", ["0"], "names one class"),
        ("classes", "0", "labels as written in the data file"),
        ("missing", "zero", "one of refuse, interpolate"),
        ("source", "url", "one of generate, file"),
    ],
)
def test_dataset_params_are_checked(key, value, expected):
    raw = default_raw_params()
    raw["dataset"][key] = value
    with pytest.raises(ParamsError, match=expected):
        build(Params, raw)


def test_a_file_source_needs_a_csv_tsv_ts_or_arff():
    raw = default_raw_params()
    raw["dataset"].update(source="file", path="series.xlsx")
    with pytest.raises(ParamsError, match=r"series.xlsx.*allowed: a .csv"):
        build(Params, raw)


def test_a_listed_class_without_series_is_named(tmp_path):
    params = FROM_SAMPLE.model_copy(update=dict(classes=["0", "1", "2"]))
    with pytest.raises(SeriesFileError, match=r"class '2' \(dataset.classes\) has no series"):
        read_labelled(params)


@pytest.mark.e2e
def test_the_pipeline_trains_on_the_sample_file(tmp_path):
    raw = tiny_raw_params()
    raw["dataset"].update(
        source="file",
        path="tests/data/labelled_sample.csv",
        test_path="tests/data/labelled_sample.csv",
    )
    raw["generate"]["n_points"] = 50  # not used: the file has 100 points per series
    project = Project(tmp_path / "project", raw)
    assert "train" in project.repro()

    generated = load_dataset(project.root / "data/generated", "series")
    expected = read_labelled(FROM_SAMPLE)
    np.testing.assert_array_equal(generated.series, expected.series)
    np.testing.assert_array_equal(generated.table["label"], expected.table["label"])
    evaluated = project.json("metrics/evaluate.json")
    assert 0.0 <= evaluated["roc_auc"] <= 1.0
    located = project.json("metrics/attention.json")["attention"]
    assert located["located_series"] == 0 and "mass_inside" not in located  # no segment known
    assert 0.0 < located["entropy"] <= 1.0
    assert project.dvc("status", "dvc.yaml").stdout.strip().endswith("up to date.")

    # a bad cell stops the pipeline with one line, and nothing half-written is left behind
    before = (project.root / "data/generated/series.npy").read_bytes()
    bad = project.root / "tests/data/labelled_sample.csv"
    bad.write_text("\n".join(_with_cell(_sample_lines(), 8, 20, "oops")) + "\n")
    failed = project.dvc("repro", check=False)
    assert failed.returncode != 0
    errors = [line for line in failed.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "row 8, column 20 (v17)" in errors[0], failed.stderr
    assert "Traceback" not in failed.stderr
    assert not list(project.root.rglob(".*.tmp-*"))
    generated = project.root / "data/generated/series.npy"
    assert not generated.exists() or generated.read_bytes() == before  # DVC removes, never half

    shutil.copy(SAMPLE, bad)  # the good file again: what the last run made is still in place
    assert project.repro() == set()
    assert generated.read_bytes() == before


@pytest.mark.e2e
def test_yes_and_no_labels_set_by_dvc_exp_run(tmp_path):
    """The reported `-S dataset.classes=[no,yes]` (the labels YAML 1.1 reads as booleans)."""
    project = Project(tmp_path)
    lines = _relabelled({"0": "no", "1": "yes"})
    (project.root / "yes_no.csv").write_text("\n".join(lines) + "\n")
    project.run("git", "add", "yes_no.csv")
    project.run("git", "commit", "-qm", "a file labelled yes and no")
    overrides = ("source=file", "path=yes_no.csv", "test_path=yes_no.csv", "classes=[no,yes]")
    project.dvc("exp", "run", *(f"-Sdataset.{override}" for override in overrides), "generate")
    generated = load_dataset(project.root / "data/generated", "series")
    expected = read_labelled(FROM_SAMPLE)
    assert generated.classes == ("no", "yes")
    np.testing.assert_array_equal(generated.table["label"], expected.table["label"])


@pytest.mark.e2e
def test_the_pipeline_and_the_comparison_run_on_ts_files(tmp_path):
    """`dvc repro` of both pipelines from a .ts train and test file, changing only dataset.*.

    The files (tests/sample_data.py) hold 3 classes, 3 channels and series of 6 to 14 points.
    """
    sample, channels, classes = "gestures", 3, ["down", "level", "up"]
    raw = tiny_raw_params()
    raw["dataset"].update(
        source="file",
        path=f"tests/data/{sample}_TRAIN.ts",
        test_path=f"tests/data/{sample}_TEST.ts",
    )
    raw["model"]["downsample"] = "auto"  # 14 points: the tiny stride 5 would not fit
    raw["split"].update(train=0.6, val=0.2, test=0.2)  # a quarter of train: 1 of 4 per class
    # two models besides the pipeline's own (bilstm_attention, trained above): a convolution
    # and an attention model; every model's handling of classes, channels and lengths is
    # tested in-process (test_models.py)
    raw["compare"] = {name: {} for name in ("cnn", "local_attention")}
    project = Project(tmp_path / "project", raw)
    assert "train" in project.repro()
    project.repro("compare/dvc.yaml")

    train = load_dataset(project.root / "data/split", "train")
    test = load_dataset(project.root / "data/split", "test")
    assert list(train.classes) == classes and train.series.shape[1] == channels
    assert len(test.table) == len(
        read_files(
            FROM_SAMPLE.model_copy(
                update=dict(
                    path=str(project.root / raw["dataset"]["test_path"]),
                    test_path=str(project.root / raw["dataset"]["test_path"]),
                )
            )
        )[0].table
    )  # the official test file, whole
    assert train.ragged and test.ragged  # lengths 6 to 14, zero-padded
    evaluated = project.json("metrics/evaluate.json")
    assert 0.0 <= evaluated["accuracy"] <= 1.0  # at the top level for every dataset
    assert list(evaluated["per_class"]) == classes
    assert evaluated["confusion_matrix"]["classes"] == classes
    counts = evaluated["confusion_matrix"]["counts"]
    assert sum(map(sum, counts)) == len(test.table) == evaluated["n_series"]
    with open(project.root / "plots/evaluate/predictions.csv") as f:
        header = f.readline().strip().split(",")
    assert header == ["id", "label", "prediction", *(f"p_{name}" for name in classes)]
    pictures = {p.name for p in (project.root / "plots/attention").glob("*.png")}
    assert {f"{name}_1.png" for name in classes} <= pictures
    compared = project.json("metrics/compare.json")
    assert set(compared) == set(raw["compare"])
    key = "f1" if len(classes) == 2 else "accuracy"  # the table's first score
    assert all(0.0 <= scores[key] <= 1.0 for scores in compared.values())
    assert project.dvc("status").stdout.strip().endswith("up to date.")


SAMPLES = SAMPLE.parent


def _pair(train: str, test: str) -> DatasetParams:
    return FROM_SAMPLE.model_copy(
        update=dict(path=str(SAMPLES / train), test_path=str(SAMPLES / test))
    )


def test_an_official_split_reads_both_files_to_one_width():
    train, test = read_files(_pair("motion_TRAIN.ts", "motion_TEST.ts"))
    assert train.classes == test.classes == ("down", "up")
    assert train.series.shape[1:] == test.series.shape[1:]  # 3 channels, the longest of both
    width = train.series.shape[2]
    assert width == max(train.lengths.max(), test.lengths.max())
    for data in (train, test):
        for values, length in zip(data.series, data.lengths):
            assert not values[:, length:].any()  # zero past each series' length


def test_a_class_seen_only_in_test_is_named(tmp_path):
    lines = (SAMPLES / "motion_TEST.ts").read_text().splitlines()
    lines[6] = "@classLabel true down up sideways"
    lines[9] = lines[9].rsplit(":", 1)[0] + ":sideways"  # row 10: the second series
    (tmp_path / "motion_TEST.ts").write_text("\n".join(lines) + "\n")
    params = _pair("motion_TRAIN.ts", "motion_TEST.ts").model_copy(
        update=dict(test_path=str(tmp_path / "motion_TEST.ts"))
    )
    with pytest.raises(SeriesFileError) as error:
        read_files(params)
    message = str(error.value)
    assert message.startswith(f"{tmp_path / 'motion_TEST.ts'}: row 10: label 'sideways'")
    assert (
        "is not a class of the train file" in message and "allowed: the classes down, up" in message
    )
    assert "\n" not in message


def test_a_channel_count_that_differs_between_train_and_test_is_named():
    with pytest.raises(SeriesFileError) as error:
        read_files(_pair("motion_TRAIN.ts", "shapes_TEST.ts"))
    message = str(error.value)
    assert message.startswith(str(SAMPLES / "shapes_TEST.ts"))
    assert "series of 1 channel(s), the train file" in message and "has 3" in message
    assert "allowed: the same channels in the train and the test file" in message


@pytest.mark.e2e
def test_classes_of_two_train_series_train_without_validation(tmp_path):
    """An archive shape (many classes, 2 train series each): no validation, a fixed budget."""
    rng = np.random.default_rng(0)
    classes = [f"c{k}" for k in range(12)]

    def lines(per_class: int) -> list[str]:
        rows = ["label," + ",".join(f"t{t}" for t in range(20))]
        for k, name in enumerate(classes):
            for _ in range(per_class):
                values = np.sin(np.linspace(0, (k + 1) * np.pi, 20)) + rng.normal(0, 0.1, 20)
                rows.append(name + "," + ",".join(f"{v:.4f}" for v in values))
        return rows

    raw = tiny_raw_params()
    raw["dataset"].update(source="file", path="train.csv", test_path="test.csv")
    raw["compare"] = {"local_attention": {}}
    project = Project(tmp_path / "project", raw)
    for name, per_class in (("train.csv", 2), ("test.csv", 3)):
        (project.root / name).write_text("\n".join(lines(per_class)) + "\n")
    project.run("git", "add", "train.csv", "test.csv")
    project.run("git", "commit", "-qm", "12 classes x 2 series")
    output = project.dvc("repro", "evaluate").stdout
    assert "validation: none (split.val = 0.1 of 2 series a class rounds to 0)" in output
    assert len(load_dataset(project.root / "data/split", "val").table) == 0
    summary = project.json("metrics/train.json")
    assert summary["epochs_run"] == raw["train"]["max_epochs"] == summary["best_epoch"]
    assert "best_val_loss" not in summary and summary["early_stopping"] is False
    evaluated = project.json("metrics/evaluate.json")
    assert 0.0 <= evaluated["accuracy"] <= 1.0 and "tuned" not in evaluated
