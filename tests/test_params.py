"""Params validation: each kind of bad value is refused, naming key, value and what is allowed."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest

from attention_ts.config.params import Params, ParamsError, build, check_split_sizes, load_params
from tests.conftest import REPO, default_raw_params, write_params


def _set(raw: dict, key: str, value) -> dict:
    section = raw
    *path, last = key.split(".")
    for part in path:
        section = section.setdefault(part, {})
    section[last] = value
    return raw


def _error(key: str, value) -> str:
    with pytest.raises(ParamsError) as caught:
        build(Params, _set(default_raw_params(), key, value))
    return str(caught.value)


def test_committed_params_are_valid():
    params = load_params(REPO / "params.yaml")
    assert params.split.fractions() == (0.7, 0.1, 0.2)
    assert params.model.name == "bilstm_attention"


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("generate.n_series", 0, "> 0"),
        ("generate.n_points", -5, "> 0"),
        ("train.batch_size", 0, "an integer from 1 to 1048576"),
        ("generate.n_series", 10.5, "an integer"),
        ("generate.n_series", True, "an integer"),
        ("generate.anomaly_fraction", 1.5, "[0, 1]"),
        ("generate.anomaly_fraction", -0.1, "[0, 1]"),
        ("generate.noise", -1.0, ">= 0"),
        ("generate.segment_length.max", 1.2, "(0, 1]"),
        ("generate.segment_start.max", 1.0, "[0, 1)"),
        ("generate.amplitude.step", 0, "> 0"),
        ("train.lr", "fast", "a finite number"),
        ("train.lr", float("nan"), "a finite number"),
        ("model.standardize", "yes", "true or false"),
        (
            "model.name",
            "gpt",
            "one of mlp, cnn, rnn, lstm, bilstm, bilstm_attention, local_attention, "
            "conv_attention, transformer, minirocket, flat_run_rule",
        ),
        ("train.optimizer", "adagrad", "one of adam, adamw, sgd"),
        ("train.schedule", "linear", "one of none, onecycle, cosine"),
        ("evaluate.threshold", 1.0, "(0, 1)"),
        ("model.dropout", 1.0, "[0, 1)"),
        ("model.n_kernels", 83, ">= 84"),
        ("localization.tolerance", -1, ">= 0"),
        ("localization.heatmap_series", 0, "> 0"),
        ("compare.cnn.train.lr", -1, "> 0"),
        ("compare.mlp.model.hidden_size", 2.5, "an integer"),
        ("train.processes", 0, "an integer from 1 to"),
    ],
)
def test_bad_value_names_key_value_and_allowed(key, value, allowed):
    message = _error(key, value)
    assert key in message
    assert str(value) in message or repr(value) in message
    assert allowed in message
    assert "\n" not in message


def test_range_in_wrong_order():
    raw = _set(default_raw_params(), "generate.frequency.min", 5.0)
    with pytest.raises(
        ParamsError,
        match=r"generate\.frequency = .* allowed: min <= max \(min 5.0 is greater than max 4.0\)",
    ):
        build(Params, raw)


def test_split_fractions_must_sum_to_one():
    message = _error("split.test", 0.3)
    assert "sum to 1" in message and "1.1" in message


def test_segment_longer_than_series_is_refused():
    assert "generate.segment_length.max = 1.5" in _error("generate.segment_length.max", 1.5)


def test_segment_too_short_for_the_series():
    raw = _set(default_raw_params(), "generate.n_points", 10)
    with pytest.raises(
        ParamsError, match=r"segment_length.min = 0.1 gives flat segments of 1 points"
    ):
        build(Params, raw)


@pytest.mark.parametrize("name", ["minirocket", "flat_run_rule"])
def test_data_parallel_training_refuses_the_models_fitted_in_one_process(name):
    raw = _set(_set(default_raw_params(), "train.processes", 2), "model.name", name)
    with pytest.raises(ParamsError, match=rf"train.processes = 2 with model.name = {name}, .*"):
        build(Params, raw)
    build(Params, _set(raw, "train.processes", 1))


def test_downsample_longer_than_series():
    raw = _set(default_raw_params(), "model.downsample", 600)
    with pytest.raises(ParamsError, match=r"model.downsample = 600 .*\(500 points\)"):
        build(Params, raw)


def test_a_file_source_defers_the_length_and_class_checks_to_the_file():
    """With dataset.source = file, generate.* says nothing about the series: no check on it."""
    raw = _set(default_raw_params(), "model.downsample", 600)
    raw = _set(_set(raw, "generate.n_series", 8), "dataset.source", "file")
    assert build(Params, raw).model.downsample == 600


def test_a_split_that_leaves_a_class_out_of_test_is_refused():
    raw = _set(default_raw_params(), "generate.n_series", 2)
    with pytest.raises(ParamsError, match=r"split.test = 0.2 gets no series of class 'normal' \(1"):
        build(Params, raw)


def test_classes_too_small_for_validation_stay_in_train():
    """4 series a class: 3 train, 1 test; the run says it has no validation, and trains."""
    params = build(Params, _set(default_raw_params(), "generate.n_series", 8))
    note = check_split_sizes({"normal": 4, "anomalous": 4}, params.split, "in f.csv")
    assert note.startswith("validation: none (split.val = 0.1 of 4 series a class rounds to 0)")
    counts = {**{f"c{k}": 2 for k in range(52)}, "big": 40}  # an archive shape: 52 classes x 2
    note = check_split_sizes(counts, params.split, "in f.csv", test_file=True)
    assert note.startswith("validation: class 'c0', 'c1', 'c2' and 49 more (2 series or fewer)")
    assert check_split_sizes({"a": 40, "b": 40}, params.split, "in f.csv") is None


def test_split_val_zero_is_a_run_without_validation():
    raw = _set(_set(default_raw_params(), "split.val", 0.0), "split.train", 0.8)
    params = build(Params, raw)
    assert "validation: none" in check_split_sizes({"a": 50, "b": 50}, params.split, "in f")


def test_single_class_data_is_refused():
    message = _error("generate.anomaly_fraction", 0.0)
    assert "split.train = 0.7 gets no series of class 'anomalous' (0 series with" in message


def test_committed_anomalies_are_the_original_flat_binary_task():
    params = load_params(REPO / "params.yaml")
    assert params.generate.anomalies == ["flat"] and params.generate.task == "binary"


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        (
            "generate.anomalies",
            ["flat", "spikes"],
            "generate.anomalies: 'spikes' is invalid (did you mean spike?); allowed: one of flat, "
            "spike, level_shift, noise_burst, frequency_change, time_warp",
        ),
        (
            "generate.anomalies",
            ["flat", "flat"],
            "generate.anomalies = ['flat', 'flat'] is invalid; allowed: distinct values",
        ),
        (
            "generate.anomalies",
            [],
            "generate.anomalies = [] is invalid; allowed: a non-empty list of distinct values "
            "among flat, spike, level_shift",
        ),
        (
            "generate.anomalies",
            "flat",
            "generate.anomalies = 'flat' is invalid; allowed: a non-empty list of distinct values",
        ),
        (
            "generate.task",
            "regression",
            "generate.task = 'regression' is invalid; allowed: one of binary, multiclass",
        ),
    ],
)
def test_bad_anomalies_or_task_is_one_line(key, value, expected):
    message = _error(key, value)
    assert expected in message
    assert "\n" not in message


def test_multiclass_needs_every_kind_in_train_and_test():
    """40 series, half anomalous: 20 over six kinds is 3 or 4 a kind, none for validation."""
    raw = _set(default_raw_params(), "generate.n_series", 40)
    kinds = ["flat", "spike", "level_shift", "noise_burst", "frequency_change", "time_warp"]
    raw = _set(raw, "generate.anomalies", kinds)
    assert build(Params, raw).generate.task == "binary"  # 20 anomalous: enough for two classes
    with pytest.raises(ParamsError) as caught:
        build(
            Params,
            _set(_set(copy.deepcopy(raw), "generate.n_series", 12), "generate.task", "multiclass"),
        )
    assert str(caught.value) == (
        "split.test = 0.2 gets no series of class 'flat' (1 series with generate.n_series = 12 "
        "and generate.anomaly_fraction = 0.5 shared by 6 kinds (generate.task = multiclass)); "
        "allowed: a class in train and test: at least 2 series of it, or 1 and an official test "
        "file (dataset.test_path)"
    )
    assert build(Params, _set(raw, "generate.task", "multiclass"))  # 3 or 4 a kind: no validation


def test_misspelled_key_gets_a_suggestion():
    raw = default_raw_params()
    raw["train"]["lrr"] = 0.01
    with pytest.raises(
        ParamsError, match=r"train.lrr is not a known parameter \(did you mean train.lr\?\)"
    ):
        build(Params, raw)


def test_unknown_section_and_missing_key():
    raw = default_raw_params()
    raw["trian"] = {}
    with pytest.raises(
        ParamsError, match=r"trian is not a known parameter \(did you mean train\?\)"
    ):
        build(Params, raw)
    raw = default_raw_params()
    del raw["train"]["patience"]
    with pytest.raises(ParamsError, match=r"train.patience is missing"):
        build(Params, raw)


def test_a_compare_entry_changes_only_its_own_model():
    raw = _set(
        default_raw_params(), "compare.cnn", {"train": {"lr": 0.002}, "model": {"dropout": 0.1}}
    )
    params = build(Params, raw)
    cnn_model, cnn_train = params.compare_config("cnn")
    mlp_model, mlp_train = params.compare_config("mlp")
    assert (cnn_model.name, cnn_model.dropout, cnn_train.lr) == ("cnn", 0.1, 0.002)
    assert (mlp_model.name, mlp_model.dropout, mlp_train.lr) == ("mlp", 0.0, params.train.lr)
    assert cnn_model.hidden_size == params.model.hidden_size
    assert cnn_train.batch_size == params.train.batch_size


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"gpt": {}}, "compare.gpt is not a known model; allowed: mlp, cnn"),
        ({"cnn": {"optimizer": {}}}, "compare.cnn = {'optimizer': {}} is invalid; allowed: {}"),
        ({"cnn": {"train": 0.1}}, "compare.cnn.train = 0.1 is invalid; allowed: a mapping"),
        ({"cnn": {"train": {"lrr": 1}}}, "compare.cnn.train.lrr is not a known parameter (did you"),
        ({"cnn": {"model": {"name": "mlp"}}}, "compare.cnn.model.name cannot be set"),
        ({}, "compare = {} is invalid; allowed: a mapping of model names"),
    ],
)
def test_bad_compare_entries_are_refused(entry, expected):
    with pytest.raises(ParamsError) as caught:
        build(Params, _set(default_raw_params(), "compare", entry))
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("compare", {"\r": None}, "compare.\\r is not a known model"),  # CI, stop 22
        ("compare", {"cnn\n": {}}, "compare.cnn\\n is not a known model"),
        ("train.optimizer", "adam\r\nw", "train.optimizer = 'adam\\r\\nw' is invalid"),
        ("dataset.classes", ["a", "a\u2028"], "allowed: "),  # a Unicode line separator
        ("benchmark.datasets", ["Gun\x85Point"], "is not a classification dataset aeon ships"),
    ],
)
def test_a_line_break_the_user_wrote_is_escaped_so_the_error_stays_one_line(key, value, expected):
    """Any character that would break or hide the line is shown as repr shows it."""
    with pytest.raises(ParamsError) as caught:
        build(Params, _set(default_raw_params(), key, value))
    message = str(caught.value)
    assert message.splitlines() == [message]
    assert message.isprintable(), message
    assert expected in message


def test_minirocket_needs_series_of_nine_points():
    raw = _set(default_raw_params(), "generate.n_points", 8)
    raw = _set(_set(raw, "generate.segment_length.min", 0.5), "model.downsample", 1)
    with pytest.raises(ParamsError, match=r"compare.minirocket.model.name = minirocket needs"):
        build(Params, raw)


def test_range_values_follow_arange():
    params = build(Params, default_raw_params())
    amplitudes = params.generate.amplitude.values()
    assert len(amplitudes) == 900 and amplitudes[0] == 1.0 and amplitudes[-1] == 9.99
    assert len(params.generate.segment_start.values()) == 90


def _run_stage(stage: str, cwd, params: dict) -> subprocess.CompletedProcess:
    write_params(cwd / "params.yaml", params)
    return subprocess.run(
        [sys.executable, "-m", f"stages.{stage}"],
        cwd=cwd,
        env={"PYTHONPATH": str(REPO), "PATH": ""},
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("stage", ["check", "generate", "train"])
def test_stage_with_bad_params_exits_with_one_line_and_writes_nothing(tmp_path, stage):
    bad = _set(default_raw_params(), "split.val", 0.5)
    result = _run_stage(stage, tmp_path, bad)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: split: train + val + test = 1.4; allowed: fractions that sum to 1"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]


def test_invalid_yaml_is_one_line(tmp_path):
    (tmp_path / "params.yaml").write_text("generate: [unclosed\n")
    with pytest.raises(ParamsError, match="is not valid YAML") as caught:
        load_params(tmp_path / "params.yaml")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("key", ["train.batch_size", "train.threads", "train.processes"])
def test_a_bounded_setting_names_the_same_bounds_below_and_above(key):
    """One rule per key: 0 and a value past the machine's limit are told the same range."""
    low, high = _error(key, 0), _error(key, 2**30)
    assert low.split("allowed: ")[1] == high.split("allowed: ")[1]
    assert "from 1 to" in low
