"""The archive benchmark: published numbers with sources, resamples, cells and their summary."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from attention_ts.config.catalog import archive_datasets, archive_files
from attention_ts.config.params import Params, ParamsError, build
from attention_ts.core.stage import PipelineError
from attention_ts.data.archive import read_archive, resample_split
from attention_ts.data.dataset import load_dataset
from attention_ts.models.classifiers import load_model
from attention_ts.results.benchmark import (
    REFERENCE_FILE,
    REFERENCE_METHODS,
    choose_attention,
    mean_ranks,
    metrics,
    read_cells,
    read_reference,
    summarize,
    targets,
)
from tests.conftest import REPO, default_raw_params, shared_project
from tests.project import Project


def test_every_published_number_has_a_source_and_a_shipped_dataset():
    table = read_reference(REPO / REFERENCE_FILE)
    assert len(table) >= 20
    assert table["source"].str.len().min() > 20  # a file or paper, not a word
    assert set(table["method"]) == set(REFERENCE_METHODS)
    assert set(table["dataset"]) <= set(default_raw_params()["benchmark"]["datasets"])
    assert table["accuracy"].between(0, 1).all()
    # 1-NN DTW is below the best of the other methods wherever both exist: no column swapped
    others = table[table["method"] != "dtw_1nn"].groupby("dataset")["accuracy"].max()
    dtw = table[table["method"] == "dtw_1nn"].set_index("dataset")["accuracy"]
    shared = dtw.index.intersection(others.index)
    assert len(shared) >= 5 and (dtw[shared] < others[shared]).all()


@pytest.mark.parametrize(
    "line, problem",
    [
        ("GunPoint,minirocket,0.99,", "no source"),
        ("GunPoint,minirocket,1.5,paper", "not a number in [0, 1]"),
        ("GunPoint,minirocket,high,paper", "not a number in [0, 1]"),
        ("GunPoint,hivecote,0.99,paper", "a method not in"),
    ],
)
def test_a_bad_reference_row_is_named_by_its_line(tmp_path, line, problem):
    path = tmp_path / "reference.csv"
    path.write_text("dataset,method,accuracy,source\nGunPoint,rocket,1.0,file\n" + line + "\n")
    with pytest.raises(
        PipelineError, match=f"line 3: .*{problem.replace('[', '.').replace(']', '.')}"
    ):
        read_reference(path)


def test_a_reference_row_given_twice_is_refused(tmp_path):
    path = tmp_path / "reference.csv"
    path.write_text("dataset,method,accuracy,source\n" + "GunPoint,rocket,1.0,file\n" * 2)
    with pytest.raises(PipelineError, match="line 3: a .dataset, method. given twice"):
        read_reference(path)


def test_resample_zero_is_the_official_split_as_aeon_loads_it():
    from aeon.datasets import load_from_ts_file

    train, test = resample_split(*read_archive("ItalyPowerDemand"), 0)
    for ours, path in zip((train, test), archive_files("ItalyPowerDemand")):
        series, labels = load_from_ts_file(str(path))
        assert np.array_equal(ours.series, series.astype(np.float32))
        assert [ours.classes[k] for k in ours.table["label"]] == labels.tolist()


@pytest.mark.parametrize("resample", [1, 2, 7])
def test_a_resample_keeps_the_class_counts_and_redraws_the_series(resample):
    train, test = read_archive("ItalyPowerDemand")
    new_train, new_test = resample_split(train, test, resample)
    k = len(train.classes)
    for old, new in ((train, new_train), (test, new_test)):
        counts = np.bincount(old.table["label"], minlength=k)
        assert np.array_equal(np.bincount(new.table["label"], minlength=k), counts)
    ids = np.concatenate([new_train.table["id"], new_test.table["id"]])
    assert np.array_equal(np.sort(ids), np.arange(len(train.table) + len(test.table)))
    pool = np.concatenate([train.series, test.series])
    assert np.array_equal(new_train.series, pool[new_train.table["id"]])  # each id is its series
    assert not np.array_equal(new_train.series, train.series)
    again, _ = resample_split(train, test, resample)  # seeded by the resample number
    assert np.array_equal(again.table["id"], new_train.table["id"])


def cells_frame() -> pd.DataFrame:
    """Two datasets x three models x two resamples, with made-up scores."""
    rows = []
    accuracy = {"cnn": 0.9, "local_attention": 0.8, "bilstm_attention": 0.85, "minirocket": 0.83}
    # not test's order; minirocket holds out no validation
    validation = {
        "cnn": 0.9,
        "local_attention": 0.95,
        "bilstm_attention": 0.7,
        "minirocket": np.nan,
    }
    for dataset in ("A", "B"):
        for model, value in accuracy.items():
            for resample, shift in ((0, -0.05), (1, 0.05)):
                rows.append(
                    {
                        "dataset": dataset,
                        "model": model,
                        "resample": resample,
                        "accuracy": value + shift,
                        "balanced_accuracy": value,
                        "macro_f1": value,
                        "val_accuracy": validation[model],
                        "train_seconds": 1.0 + resample,
                        "stage_seconds": 2.0 + resample,
                        "inference_series_per_s": 100.0,
                    }
                )
    return pd.DataFrame(rows)


def test_the_summary_is_the_mean_and_std_over_resamples():
    summary = summarize(cells_frame())
    found = metrics(summary)
    assert found["A"]["cnn"]["accuracy"] == pytest.approx(0.9)
    assert found["A"]["cnn"]["accuracy_std"] == pytest.approx(0.05)  # population std of +-0.05
    assert found["B"]["local_attention"]["macro_f1_std"] == 0
    assert summary["train_seconds"].tolist() == [1.5] * 8  # the median of 1 and 2
    ranks = {"cnn": 1.0, "local_attention": 4.0, "bilstm_attention": 2.0, "minirocket": 3.0}
    assert mean_ranks(summary) == ranks


def test_the_attention_model_is_chosen_on_validation_not_on_test():
    summary = summarize(cells_frame())
    assert choose_attention(summary) == "local_attention"  # worse on test, better on validation
    no_attention = summary[summary["model"] == "cnn"]
    assert choose_attention(no_attention) is None


def test_the_targets_compare_with_the_published_numbers():
    summary = summarize(cells_frame())
    reference = pd.DataFrame(
        {
            "dataset": ["A", "B", "A", "A", "B"],
            "method": ["dtw_1nn", "dtw_1nn", "minirocket", "resnet", "resnet"],
            "accuracy": [0.7, 0.81, 0.84, 0.79, 0.85],
            "source": ["s"] * 5,
        }
    )
    found = targets(summary, reference, "local_attention")
    assert found["harness"] == {
        "A": {"ours": pytest.approx(0.83), "published": 0.84, "within": True}
    }
    assert found["dtw"]["A"]["at_least"] and not found["dtw"]["B"]["at_least"]
    resnet = found["resnet"]
    assert resnet["datasets"]["A"]["at_least"] and not resnet["datasets"]["B"]["at_least"]
    assert resnet["wins"] == 1 and not resnet["met"]  # the target asks for 4
    gap = found["minirocket"]  # over every dataset, against our own minirocket
    assert gap["difference"] == pytest.approx(0.8 - 0.83)
    assert not gap["within"]  # 0.03 below; the target allows 0.02


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"datasets": ["GunPoitn"]},
            "'GunPoitn' is not a classification dataset aeon ships "
            r"\(did you mean GunPoint\?\)",
        ),
        (
            {"models": ["cnn", "flat_run_rule"]},  # said before explain's models are missing
            "'flat_run_rule' is not a model for archive data",
        ),
        ({"models": ["cnn"]}, "a list of 2 or more distinct values"),
        ({"resamples": [0, 0]}, "distinct values"),
        ({"resamples": [-1]}, "benchmark.resamples: -1 is invalid; allowed: an integer >= 0"),
        ({"resamples": 3}, "a non-empty list of distinct values, each an integer >= 0"),
        ({"resamples": [1, 2]}, r"lacks 0; allowed: a list with 0 \(the official split"),
        ({"datasets": []}, "benchmark.datasets = \\[\\] is invalid; allowed: a non-empty list"),
        ({"explain": ["cnn"]}, "'cnn' is not an attention model of benchmark.models"),
        ({"model": {"standardise": False}}, r"did you mean benchmark.model.standardize\?"),
        ({"model": {"name": "cnn"}}, "benchmark.model.name cannot be set"),
        ({"model": {"dropout": 1.5}}, "benchmark.model.dropout = 1.5 is invalid"),
        ({"model": [1]}, r"benchmark.model = \[1\] is invalid; allowed: a mapping of keys to val"),
        (
            {"models": ["cnn", "minirocket"]},  # explain still names two attention models
            "'bilstm_attention' is not an attention model of benchmark.models; "
            r"allowed: \[\] \(benchmark.models has none\)$",
        ),
    ],
)
def test_bad_benchmark_params_are_one_clear_error(change, message):
    raw = default_raw_params()
    raw["benchmark"].update(change)
    with pytest.raises(ParamsError, match=message):
        build(Params, raw)


def test_benchmark_model_changes_every_model_after_its_compare_entry():
    raw = default_raw_params()
    raw["compare"]["cnn"] = {"model": {"hidden_size": 8, "standardize": True}, "train": {"lr": 0.1}}
    raw["benchmark"]["model"] = {"standardize": False, "dropout": 0.25}
    params = build(Params, raw)
    compared, _ = params.compare_config("cnn")
    model, train = params.benchmark_config("cnn")
    assert compared.standardize and not model.standardize  # benchmark.model comes last
    assert (model.name, model.hidden_size, model.dropout, train.lr) == ("cnn", 8, 0.25, 0.1)
    raw["benchmark"]["model"] = {}
    assert build(Params, raw).benchmark_config("cnn") == params.compare_config("cnn")


def test_a_class_in_only_one_file_cannot_be_resampled():
    train, test = read_archive("UnitTest")
    only_first = test.subset(np.flatnonzero(test.table["label"] == 0))
    assert resample_split(train, only_first, 0)[1] is only_first  # the official split is fine
    with pytest.raises(PipelineError, match="class '2' has series in only one of the train and"):
        resample_split(train, only_first, 1)


def test_the_archive_has_the_datasets_the_benchmark_names():
    assert set(default_raw_params()["benchmark"]["datasets"]) <= set(archive_datasets())


@pytest.fixture(scope="session")
def benchmarked(tmp_path_factory):
    """The tiny project (UnitTest x local_attention, minirocket x resamples 0, 1), benchmarked.

    Built once per test run and shared (conftest.shared_project): tests read it or change a copy.
    """

    def build(root):
        return Project(root, benchmark=True).repro("benchmark/dvc.yaml")

    project = shared_project(tmp_path_factory, "benchmark", build)
    return project, project.ran


def test_the_benchmark_runs_one_stage_per_dataset_and_model_through_dvc(benchmarked, tmp_path):
    project, ran = benchmarked
    stages = {f"benchmark/dvc.yaml:fit@UnitTest-{m}" for m in ("local_attention", "minirocket")}
    assert stages <= ran and "benchmark/dvc.yaml:split@UnitTest" in ran
    assert "benchmark/dvc.yaml:summary" in ran
    for model in ("local_attention", "minirocket"):  # every resample's cell, from one stage
        cells = project.root / f"models/benchmark/UnitTest/{model}"
        assert sorted(p.name for p in cells.iterdir()) == ["0", "1"]
    project = project.copy(tmp_path / "copy")  # dvc may write; the shared one is read
    assert project.repro("benchmark/dvc.yaml") == set()  # up to date


def test_the_benchmark_table_agrees_with_the_cells(benchmarked):
    project, _ = benchmarked
    table = project.json("metrics/benchmark.json")
    for model in ("local_attention", "minirocket"):
        accuracies = [
            project.json(f"models/benchmark/UnitTest/{model}/{r}/scores.json")["test"]["accuracy"]
            for r in (0, 1)
        ]
        row = table["UnitTest"][model]
        assert row["accuracy"] == pytest.approx(np.mean(accuracies))
        assert row["accuracy_std"] == pytest.approx(np.std(accuracies))
        assert set(row) == {
            f"{k}{s}" for k in ("accuracy", "balanced_accuracy", "macro_f1") for s in ("", "_std")
        }
    summary = project.json("metrics/benchmark_summary.json")
    assert summary["targets"]["attention_model"] == "local_attention"
    assert not math.isnan(summary["validation_accuracy"]["local_attention"])
    ranks = summary["mean_rank"]
    assert sorted(ranks.values()) == [1.0, 2.0] or set(ranks.values()) == {1.5}
    lines = (project.root / "reports/benchmark/accuracy.md").read_text().splitlines()
    header, row, rank_row = lines[2], lines[4], lines[5]
    assert header.startswith("| dataset | local_attention | minirocket | published minirocket |")
    for model, cell in zip(("local_attention", "minirocket"), row.split(" | ")[1:3]):
        mean, std = (table["UnitTest"][model][k] for k in ("accuracy", "accuracy_std"))
        assert cell == f"{mean:.3f} ± {std:.3f}"
    assert rank_row.startswith(f"| mean rank | {ranks['local_attention']:.2f} |")
    macro = (project.root / "reports/benchmark/macro_f1.md").read_text()
    assert f"{table['UnitTest']['minirocket']['macro_f1']:.3f} ±" in macro
    for picture in (
        "plots/benchmark/critical_difference.png",
        "plots/benchmark/pairwise_scatter.png",
    ):
        assert (project.root / picture).stat().st_size > 1000
    for kind in ("attention", "saliency"):  # benchmark.explain: local_attention only
        pictures = (project.root / f"plots/benchmark/{kind}/UnitTest").glob("*.png")
        assert [p.name for p in pictures] == ["local_attention.png"]


def test_the_explanation_report_is_that_of_the_official_split_model(benchmarked):
    project, _ = benchmarked
    report = project.json("reports/benchmark/explain/UnitTest/local_attention.json")
    scores = project.json("models/benchmark/UnitTest/local_attention/0/scores.json")
    assert report["accuracy"] == pytest.approx(scores["test"]["accuracy"])
    assert report["uniform"]["drop"] == pytest.approx(
        report["accuracy"] - report["uniform"]["accuracy"]
    )
    for method in ("attention", "saliency"):
        deletion = report[method]["deletion"]
        assert deletion["random"]["area"] == deletion["shifted"]["area"]  # one curve, two baselines
        assert report[method]["deletion_curve"][0] == pytest.approx(report["accuracy"])
        assert -1 <= report[method]["randomization"] <= 1
    rows = (project.root / "reports/benchmark/explanation.csv").read_text().splitlines()
    attention_row = rows[1].split(",")  # the summary's table: UnitTest, local_attention first
    assert attention_row[:3] == ["UnitTest", "local_attention", "attention"]
    assert float(attention_row[4]) == pytest.approx(report["uniform"]["drop"])


def test_minirocket_trains_on_the_whole_train_split_and_the_networks_hold_out_validation(
    benchmarked,
):
    project, _ = benchmarked
    scores = {
        m: project.json(f"models/benchmark/UnitTest/{m}/0/scores.json")
        for m in ("local_attention", "minirocket")
    }
    assert scores["minirocket"]["validation"] == {}
    assert 0 <= scores["local_attention"]["validation"]["accuracy"] <= 1
    split = project.root / "data/benchmark/UnitTest/0"
    sizes = {
        name: len((split / f"{name}.csv").read_text().splitlines()) - 1
        for name in ("train", "val", "test")
    }
    assert sizes == {"train": 16, "val": 4, "test": 22}  # UnitTest: 20 train, 22 test
    official_train, official_test = read_archive("UnitTest")
    parts = [load_dataset(split, name) for name in ("train", "val", "test")]
    pooled = np.concatenate([parts[0].series, parts[1].series])
    ordered = np.sort(np.concatenate([parts[0].table["id"], parts[1].table["id"]]))
    assert np.array_equal(ordered, official_train.table["id"])  # train + val: the train file
    assert sorted(map(bytes, pooled)) == sorted(map(bytes, official_train.series))
    assert np.array_equal(parts[2].series, official_test.series)  # test: the test file


def test_the_cells_train_with_benchmark_model_on_top_of_their_compare_entry(benchmarked):
    project, _ = benchmarked
    params = build(Params, project.params())
    assert params.benchmark.model == {"standardize": False}  # the default (params.yaml)
    for name in ("local_attention", "minirocket"):
        config = load_model(project.root / f"models/benchmark/UnitTest/{name}/0/model.pt").config
        assert params.compare_config(name)[0].standardize  # the tiny project's compare entries
        assert not config.standardize  # benchmark.model, not only compare.<model>
    assert config.n_kernels == 84  # and minirocket's compare entry still holds


def test_adding_a_model_plans_only_its_stage(benchmarked, tmp_path):
    """DVC's plan (Project.plan): a new model is one stage per dataset, and that is what runs."""
    project = benchmarked[0].copy(tmp_path / "copy")  # the shared one stays as the others expect
    raw = project.params()
    raw["benchmark"]["models"] = [*raw["benchmark"]["models"], "bilstm_attention"]
    project.write_params(raw)
    ran = project.plan("benchmark/dvc.yaml")
    fits = {name for name in ran if ":fit@" in name}
    assert fits == {"benchmark/dvc.yaml:fit@UnitTest-bilstm_attention"}
    assert not any(":split@" in name or ":attention@" in name for name in ran)
    assert "benchmark/dvc.yaml:summary" in ran


def test_a_missing_or_damaged_cell_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        PipelineError, match=r"GunPoint/cnn/0/scores.json not found; run `dvc repro benchmark"
    ):
        read_cells(["GunPoint"], ["cnn"], [0])
    folder = tmp_path / "models/benchmark/GunPoint/cnn/0"
    folder.mkdir(parents=True)
    (folder / "scores.json").write_text('{"test": {"accuracy": 1.0')
    with pytest.raises(PipelineError, match="scores.json is not valid JSON"):
        read_cells(["GunPoint"], ["cnn"], [0])
    (folder / "scores.json").write_text('{"test": {"accuracy": 1.0}, "validation": {}}')
    (folder / "timing.json").write_text('{"train_seconds": 1.0, "inference_series_per_s": 5}')
    with pytest.raises(PipelineError, match="lacks 'balanced_accuracy'; rerun"):
        read_cells(["GunPoint"], ["cnn"], [0])
