"""params.yaml is read the way DVC reads and rewrites it: YAML 1.2, the dataset labels as text.

`dvc exp run -S key=value` rewrites params.yaml with ruamel.yaml: a small
number becomes `1e-05` (a string to a YAML 1.1 reader) and quoted labels lose
their quotes (`"no"` becomes `no`, a boolean to a YAML 1.1 reader). These
tests write the file as DVC does, with DVC's own code where it is at hand.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from dvc.utils.hydra import apply_overrides  # what `dvc exp run -S` does to params.yaml

from attention_ts.config.params import ParamsError, load_params
from tests.conftest import REPO
from tests.project import Project


def _params_file(tmp_path: Path, **values: str) -> Path:
    """The committed params.yaml, each `name:` line (unique in the file) given the YAML `values`."""
    text = (REPO / "params.yaml").read_text()
    for name, value in values.items():
        pattern = re.compile(rf"^( +{name}:) [^#\n]*", re.MULTILINE)
        assert len(pattern.findall(text)) == 1, name
        text = pattern.sub(lambda match, value=value: f"{match[1]} {value} ", text)
    path = tmp_path / "params.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("key", "written", "expected"),
    [
        ("train.weight_decay", "1e-05", 1e-05),
        ("train.weight_decay", "1E-5", 1e-05),
        ("train.weight_decay", "5e3", 5000.0),
        ("train.weight_decay", "1e+2", 100.0),
        ("train.lr", "2E-3", 0.002),
        ("generate.noise", ".5", 0.5),
        ("generate.noise", "+1.0", 1.0),
        ("train.batch_size", "0x10", 16),
        ("train.patience", "0o17", 15),
    ],
)
def test_numbers_in_every_yaml_1_2_form_are_numbers(tmp_path, key, written, expected):
    section, name = key.split(".")
    params = load_params(_params_file(tmp_path, **{name: written}))
    value = getattr(getattr(params, section), name)
    assert value == expected and type(value) is type(expected)


def test_the_weight_decay_dvc_writes_is_read(tmp_path):
    """`dvc exp run -S train.weight_decay=0.00001` writes `1e-05`: the reported failure."""
    path = tmp_path / "params.yaml"
    shutil.copy(REPO / "params.yaml", path)
    apply_overrides(path, ["train.weight_decay=0.00001"])
    assert re.search(r"^  weight_decay: 1e-05$", path.read_text(), re.MULTILINE)
    assert load_params(path).train.weight_decay == 1e-05


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("no", "no"),
        ("yes", "yes"),
        ("off", "off"),
        ("True", "True"),
        ("false", "false"),
        ("0", "0"),
        ("1.0", "1.0"),
        ("-1", "-1"),
        ("0x10", "0x10"),
        ("2024-01-01", "2024-01-01"),
        ('"no"', "no"),
        ("'yes'", "yes"),
        ('"007"', "007"),
        ("007", "007"),
    ],
)
def test_labels_are_the_text_written(tmp_path, written, expected):
    dataset = load_params(_params_file(tmp_path, classes=f"[{written}, other]")).dataset
    assert dataset.classes == [expected, "other"]


def test_quoted_labels_survive_dvc_rewriting_the_file(tmp_path):
    """DVC drops the quotes of `"no"` when it rewrites params.yaml for any `-S`."""
    path = _params_file(tmp_path, classes='["no", "yes"]')
    apply_overrides(path, ["generate.noise=0.1"])
    assert re.search(r"^  - no\n  - yes$", path.read_text(), re.MULTILINE)  # unquoted, as a block
    assert load_params(path).dataset.classes == ["no", "yes"]


def test_labels_set_by_dvc_are_read_as_given(tmp_path):
    path = tmp_path / "params.yaml"
    shutil.copy(REPO / "params.yaml", path)
    apply_overrides(path, ["dataset.classes=[no,yes]"])
    assert load_params(path).dataset.classes == ["no", "yes"]


@pytest.mark.parametrize(
    ("written", "labels"),
    [("[1, 1.0]", ["1", "1.0"]), ("[01, 1, 1_0]", ["01", "1", "1_0"]), ("[A, a]", ["A", "a"])],
)
def test_labels_that_are_the_same_number_or_word_stay_distinct(tmp_path, written, labels):
    """Labels are text as a data file writes them: no number conversion, no case folding."""
    assert load_params(_params_file(tmp_path, classes=written)).dataset.classes == labels


def test_a_label_given_twice_is_refused(tmp_path):
    with pytest.raises(ParamsError, match="twice"):
        load_params(_params_file(tmp_path, classes="[b, ' b']"))


def test_a_duplicated_key_is_refused_in_one_line(tmp_path):
    """YAML 1.2 (and DVC) refuse a key given twice; YAML 1.1 readers silently keep the last."""
    path = tmp_path / "params.yaml"
    path.write_text((REPO / "params.yaml").read_text() + "train: {lr: 0.1}\n")
    with pytest.raises(ParamsError, match=r"is not valid YAML: .*duplicate key") as caught:
        load_params(path)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "%YAML 1.3\n---\ntrain: {}\n",  # ruamel.yaml fails an assert on an unknown version
        "train: !!bool maybe\n",  # a KeyError in the YAML library
        "? - ? a\n",  # a TypeError: a mapping as a key of a mapping key
        "[" * 3000 + "]" * 3000,  # a RecursionError
    ],
)
def test_yaml_the_library_fails_on_is_refused_in_one_line(tmp_path, text):
    path = tmp_path / "params.yaml"
    path.write_text(text)
    with pytest.raises(ParamsError, match="is not valid YAML: ") as caught:
        load_params(path)
    assert "\n" not in str(caught.value)


@pytest.mark.e2e
def test_dvc_exp_run_with_a_small_weight_decay_passes_the_check_stage(tmp_path):
    """The reported `dvc exp run -S train.weight_decay=0.00001`, on the check stage only."""
    project = Project(tmp_path)
    result = project.dvc("exp", "run", "-S", "train.weight_decay=0.00001", "check")
    assert "params.yaml valid" in result.stdout
    assert "weight_decay: 1e-05" in (project.root / "params.yaml").read_text()
