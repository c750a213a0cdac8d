"""Shared fixtures: the committed params, and tiny variants of them for fast tests."""

from __future__ import annotations

import attention_ts  # noqa: F401  (first: pins torch's CPU code paths before torch loads)

# isort: split
import copy
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from filelock import FileLock
from ruamel.yaml import YAML
from torch import nn

from attention_ts.config.params import ModelParams, Params, build, read_params_file
from attention_ts.data.dataset import NO_SEGMENT, TABLE_DTYPE, Dataset
from attention_ts.models.classifiers import FixedFeatures, build_model

REPO = Path(__file__).resolve().parents[1]
if "PYTEST_XDIST_WORKER" in os.environ:  # a pytest-xdist worker: one per core
    torch.set_num_threads(1)  # a second thread per worker would only spin against the others


# each library's switch of the CPU code path, exported by a caller to another value than its pin
# (attention_ts/core/numerics.py): test_numerics.py and test_pipeline.py's forced rerun
CALLER_SWITCHES = {
    "ATEN_CPU_CAPABILITY": "default",
    "MKL_CBWR": "AUTO",
    "ONEDNN_MAX_CPU_ISA": "SSE41",
    "NUMBA_CPU_NAME": "generic",
}

# the comparison on tiny params: a few models, the fastest of each kind, and entries that change
TINY_COMPARE = {
    "mlp": {},
    "bilstm_attention": {},
    "local_attention": {},
    "minirocket": {"model": {"n_kernels": 84}},
    "flat_run_rule": {"train": {"lr": 0.05}},
}


def _yaml() -> YAML:
    return YAML(typ="safe", pure=True)  # YAML 1.2, as DVC reads and writes dvc.yaml and params


def read_yaml(path: Path) -> object:
    """A YAML file (dvc.yaml, say) read as DVC reads it."""
    return _yaml().load(path)


def write_params(path: Path, raw: object) -> None:
    """Write `raw` to the params file `path` so that the pipeline reads it back as `raw`."""
    yaml = _yaml()
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # keep the order of `raw`, as params.yaml has
    yaml.dump(raw, path)


def default_raw_params() -> dict:
    """params.yaml as committed, read as the pipeline reads it (a fresh copy each call)."""
    return read_params_file(REPO / "params.yaml")


def tiny_raw_params() -> dict:
    """Defaults shrunk so the whole pipeline runs in seconds."""
    raw = copy.deepcopy(default_raw_params())
    raw["generate"].update(n_series=240, n_points=100)
    raw["model"].update(hidden_size=8, downsample=5, conv_channels=8)
    raw["train"].update(max_epochs=3, batch_size=32, threads=1, min_steps=0)
    raw["plot"].update(n_per_class=2)
    raw["faithfulness"].update(steps=4, ig_steps=8)
    raw["compare"] = TINY_COMPARE
    raw["benchmark"].update(datasets=["UnitTest"], models=["local_attention", "minirocket"])
    raw["benchmark"].update(explain=["local_attention"])
    raw["benchmark"].update(resamples=[0, 1])
    return raw


@pytest.fixture
def raw_params() -> dict:
    return default_raw_params()


@pytest.fixture
def tiny_params() -> Params:
    return build(Params, tiny_raw_params())


# models: the original architecture, and tiny variants of every model for fast tests
ORIGINAL = ModelParams(
    name="bilstm_attention",
    hidden_size=32,
    downsample=1,
    conv_channels=32,
    standardize=False,
    dropout=0.0,
    n_kernels=84,  # minirocket only: its smallest kernel set, for speed
)


def tiny_config(name: str, **changes) -> ModelParams:
    return ORIGINAL.model_copy(
        update=dict(name=name, hidden_size=8, downsample=5, conv_channels=8, **changes)
    )


def tiny_model(
    name: str, n_points: int = 60, n_channels: int = 1, n_classes: int = 2, **changes
) -> nn.Module:
    """A small model of each kind; a fixed-feature model is fitted on random series first."""
    torch.manual_seed(0)
    model = build_model(tiny_config(name, **changes), n_points, n_channels, n_classes)
    if isinstance(model, FixedFeatures):
        shape = (16, n_channels, n_points)
        model.fit_features(np.random.default_rng(0).normal(size=shape).astype(np.float32), None, 0)
    return model


def padded(series: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """`series` (n, channels, points) with zeros past each length, as datasets hold it."""
    steps = np.arange(series.shape[2])[None, None, :]
    return np.where(steps < lengths[:, None, None], series, 0.0).astype(np.float32)


def file_like_dataset(
    classes: tuple[str, ...], n: int, channels: int, points: int = 60, seed: int = 1
) -> Dataset:
    """What a user's file becomes: random series of unequal lengths (20 to `points`), no segments.

    Series k has class k % len(classes).
    """
    rng = np.random.default_rng(seed)
    table = np.zeros(n, dtype=TABLE_DTYPE)
    table["id"] = np.arange(n)
    table["label"] = np.arange(n) % len(classes)
    table["amplitude"] = table["frequency"] = np.nan
    table["segment_start"] = table["segment_end"] = NO_SEGMENT
    table["length"] = rng.integers(20, points + 1, size=n)
    return Dataset(padded(rng.normal(size=(n, channels, points)), table["length"]), table, classes)


def write_file(tmp_path: Path, name: str, text: str | bytes) -> Path:
    """`text` (or bytes) written to tmp_path/name; its path."""
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


# One tiny project for the whole run, built by the real `dvc repro` by whichever pytest-xdist
# worker needs it first (the others wait on a file lock); end-to-end tests change copies of it
# (Project.copy), never the project itself.
def shared_project(tmp_path_factory, name: str, build):
    """The project `build(root)` makes once per test run, with `.ran` (the stages that ran).

    Shared by every worker: tests read it, or change a copy (Project.copy).
    """
    from tests.project import Project  # tests.project imports this module

    base = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:  # a worker's folder: pytest-N/popen-gwK
        base = base.parent  # pytest-N, this run's, shared by its workers
    root = base / name
    done = root.with_suffix(".json")
    with FileLock(f"{root}.lock"):
        if not done.exists():
            done.write_text(json.dumps(sorted(build(root))))
    project = Project.existing(root)
    project.ran = set(json.loads(done.read_text()))
    return project


@pytest.fixture(scope="session")
def built_project(tmp_path_factory):
    """The tiny project after `dvc repro` (`.ran`: the stages that ran). Copy, never change it."""
    from tests.project import Project

    return shared_project(tmp_path_factory, "built", lambda root: Project(root).repro())


@pytest.fixture(scope="session")
def compared_project(built_project, tmp_path_factory):
    """`built_project` after `dvc repro compare/dvc.yaml` too (`.ran`: the stages that ran)."""

    def build(root: Path) -> set[str]:
        return built_project.copy(root).repro("compare/dvc.yaml")

    return shared_project(tmp_path_factory, "compared", build)
