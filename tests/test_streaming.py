"""Streamed data: generated, split and trained on a chunk at a time, with the bytes of in memory.

Peak memory of the chunked path is measured by `python -m benchmarks.scale`,
not here (a timed or memory-bounded unit test would fail on a busy machine).
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from attention_ts.config.catalog import ANOMALY_KINDS
from attention_ts.core import io
from attention_ts.core.io import LazyArray, write_npy
from attention_ts.core.stage import PipelineError
from attention_ts.data.dataset import load_dataset, save_dataset, split
from attention_ts.data.synthetic import generate, generate_chunks
from attention_ts.models.classifiers import save_model
from attention_ts.training import distributed
from attention_ts.training.loop import fit_model
from tests.conftest import REPO, file_like_dataset, tiny_config


@pytest.mark.parametrize(
    "anomalies, noise, rows",
    [
        (["flat"], 0.0, 1),
        (["flat"], 0.2, 37),
        (list(ANOMALY_KINDS), 0.1, 64),  # every kind: the bursts and the signs in pieces too
        (["spike", "noise_burst", "level_shift"], 0.0, 1000),
    ],
)
def test_streamed_generation_gives_the_bytes_of_generation_in_memory(
    tiny_params, anomalies, noise, rows
):
    task = "multiclass" if len(anomalies) > 1 else "binary"
    params = tiny_params.generate.model_copy(
        update=dict(n_series=301, anomalies=anomalies, noise=noise, task=task)
    )
    whole = generate(params)
    table, classes, chunks = generate_chunks(params, rows)
    pieces = list(chunks)
    assert {len(piece) for piece in pieces[:-1]} <= {rows}  # really in pieces
    assert np.concatenate(pieces).tobytes() == whole.series.tobytes()
    assert table.tobytes() == whole.table.tobytes() and classes == whole.classes


def test_write_npy_writes_the_bytes_of_np_save_and_refuses_a_wrong_row_count(tmp_path):
    array = np.random.default_rng(0).normal(size=(50, 3, 7)).astype(np.float32)
    np.save(tmp_path / "saved.npy", array)
    write_npy(tmp_path / "written.npy", array.shape, np.float32, np.array_split(array, 7))
    assert (tmp_path / "written.npy").read_bytes() == (tmp_path / "saved.npy").read_bytes()
    with pytest.raises(ValueError, match="chunks of 49 rows in all for an array"):
        write_npy(tmp_path / "short.npy", array.shape, np.float32, [array[:49]])
    with pytest.raises(ValueError, match="a chunk of shape"):
        write_npy(tmp_path / "wide.npy", array.shape, np.float32, [array[:, :2]])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["saved.npy", "written.npy"]


def test_lazy_array_reads_what_np_load_reads(tmp_path):
    array = np.arange(60, dtype=np.float32).reshape(20, 1, 3)
    np.save(tmp_path / "a.npy", array)
    lazy = LazyArray(tmp_path / "a.npy")
    assert (lazy.shape, lazy.dtype, len(lazy)) == (array.shape, array.dtype, 20)
    for index in (4, -1, slice(3, 9), slice(None, None, -2), np.array([7, 0, 7, 19])):
        rows = lazy[index]
        assert type(rows) is np.ndarray and np.array_equal(rows, array[index])
    assert np.array_equal(np.concatenate(list(lazy.chunks(6))), array)


def test_a_chunk_boundary_inside_a_split_changes_no_byte(tmp_path, monkeypatch):
    data = file_like_dataset(("a", "b", "c"), n=90, channels=2)
    index = split(data.table["label"], (0.7, 0.1, 0.2), seed=3)["train"]
    save_dataset(tmp_path / "whole", "train", data, index)
    one_row = 2 * 60 * 4  # bytes of one (2 channels, 60 points) float32 row
    monkeypatch.setattr(io, "CHUNK_BYTES", 4 * one_row)  # 4 rows a chunk: boundaries inside
    save_dataset(tmp_path / "chunked", "train", load_dataset(tmp_path / "whole", "train", True))
    for name in ("train.npy", "train.csv", "classes.json"):
        assert (tmp_path / "chunked" / name).read_bytes() == (
            tmp_path / "whole" / name
        ).read_bytes()
    np.save(tmp_path / "expected.npy", data.series[index])
    assert (tmp_path / "whole/train.npy").read_bytes() == (tmp_path / "expected.npy").read_bytes()


def test_training_on_series_read_lazily_gives_the_model_trained_in_memory(tmp_path, tiny_params):
    data = generate(tiny_params.generate.model_copy(update=dict(n_series=120)))
    parts = split(data.table["label"], (0.7, 0.3), seed=0)
    for name, index in parts.items():
        save_dataset(tmp_path, name, data, index)
    config = tiny_config("bilstm_attention")
    settings = tiny_params.train.model_copy(update=dict(max_epochs=2))
    models = []
    for lazy in (False, True):
        train_set, val_set = (load_dataset(tmp_path, name, lazy) for name in ("train", "val"))
        assert isinstance(train_set.series, LazyArray) == lazy
        model, fitted, _ = fit_model(config, settings, train_set, val_set, lambda s: None)
        save_model(tmp_path / f"model-{lazy}.pt", model, fitted, 100, 1, train_set.classes)
        models.append(model.state_dict())
    assert all(torch.equal(models[0][key], models[1][key]) for key in models[0])


def test_more_processes_than_gpus_is_refused_before_anything_starts(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(PipelineError, match="train.processes = 2 on CUDA, but torch sees 1 GPU"):
        distributed.check_devices(2, torch.device("cuda"))
    distributed.check_devices(2, torch.device("cpu"))  # CPU processes share the cores


def _train_in_two_processes(out) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += ["--nproc-per-node=2", str(REPO / "tests/ddp_train.py"), str(out)]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return torch.load(out)


def test_data_parallel_training_in_two_gloo_processes_trains_and_matches_itself(tmp_path):
    first, second = (_train_in_two_processes(tmp_path / f"run{k}.pt") for k in (1, 2))
    assert first["world"] == 2
    assert len(first["losses"]) == 2 and np.isfinite(first["losses"]).all()
    assert first["losses"][1] < first["losses"][0]
    assert first["losses"] == second["losses"]
    assert all(torch.equal(first["state"][key], second["state"][key]) for key in first["state"])
