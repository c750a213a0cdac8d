"""The gate, end to end: a refused run leaves every output of the last run byte for byte.

DVC removes a stage's outputs before it runs the stage; the `check` stage,
which every stage stands behind, must refuse bad params and bad data before
any of that happens (docs/contracts.md, "Validation is a gate"). Each case is
one kind of bad input, run the way users run it: `dvc exp run -S`, or an
edited params.yaml and `dvc repro`.
"""

from __future__ import annotations

import hashlib
import os
import time

import numpy as np
import pytest

from attention_ts.core import resources
from tests.project import Project

pytestmark = pytest.mark.e2e
CASES = "own"  # the folder of the committed data files the cases point at


def _series(n: int, points: int, seed: int = 0) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, points)
    rng = np.random.default_rng(seed)
    return np.sin(np.outer(rng.uniform(1, 3, n), t)).round(4)


def _csv(labels: list[str], values: np.ndarray, cell: tuple[int, int, str] | None = None) -> str:
    lines = ["label," + ",".join(f"v{i}" for i in range(values.shape[1]))]
    for k, (label, row) in enumerate(zip(labels, values.tolist())):
        cells = [repr(v) for v in row]
        if cell is not None and cell[0] == k:
            cells[cell[1]] = cell[2]
        lines.append(",".join([label, *cells]))
    return "\n".join(lines) + "\n"


GOOD = _csv(["a", "b"] * 20, _series(40, 30))
FILES = {
    "good.csv": GOOD,
    "short5.csv": _csv(["a", "b"] * 20, _series(40, 5)),  # too short for minirocket
    "oops.csv": _csv(["a", "b"] * 20, _series(40, 30), cell=(7, 3, "oops")),
    "na_label.csv": _csv(["a", "b"] * 19 + ["a", "NA"], _series(40, 30)),
    "only_a.csv": _csv(["a"] * 10, _series(10, 30, seed=1)),  # a test file without class b
}
OWN = ["dataset.source=file", f"dataset.path={CASES}/good.csv"]
BAD_RUNS = {  # name: the -S overrides of one refused run, and what the one line says
    "negative lr": (["train.lr=-1"], "train.lr = -1 is invalid"),
    "more threads than CPUs": (
        [f"train.threads={resources.cpus() + 1}"],
        f"allowed: an integer from 1 to {resources.cpus()}",
    ),
    "dropout of 2": (["model.dropout=2"], "model.dropout = 2 is invalid"),
    "a compare entry": (
        ["compare.flat_run_rule.train.lr=0"],
        "compare.flat_run_rule.train.lr = 0 is invalid",
    ),
    "a missing data file": (
        ["dataset.source=file", f"dataset.path={CASES}/absent.csv"],
        f"dataset.path = '{CASES}/absent.csv': no such file here",
    ),
    "a cell that is no number": (
        ["dataset.source=file", f"dataset.path={CASES}/oops.csv"],
        "row 9, column 5 (v3): 'oops' is not a number",
    ),
    "a missing label": (
        ["dataset.source=file", f"dataset.path={CASES}/na_label.csv"],
        "row 41, column 1 (label): missing label",
    ),
    "a test file without a class": (
        [*OWN, f"dataset.test_path={CASES}/only_a.csv"],
        "no series of class 'b' (dataset.test_path)",
    ),
    "series too short for the model": (
        ["dataset.source=file", f"dataset.path={CASES}/short5.csv", "model.name=minirocket"],
        "minirocket needs series of at least 9 points, not 5",
    ),
}


@pytest.fixture(scope="module")
def committed(built_project, tmp_path_factory) -> Project:
    """The built tiny project with its outputs and the cases' data files committed."""
    project = built_project.copy(tmp_path_factory.mktemp("gate") / "project")
    (project.root / CASES).mkdir()
    for name, text in FILES.items():
        (project.root / CASES / name).write_text(text)
    project.run("git", "add", "-A")
    project.run("git", "commit", "-qm", "outputs and the cases' files")
    return project


def _outputs(project: Project) -> dict[str, str]:
    """SHA-256 of every file that is an output of a stage, and of dvc.lock."""
    found = {}
    for top in ("data", "models", "metrics", "plots", "reports"):
        for path in sorted((project.root / top).rglob("*")):
            relative = path.relative_to(project.root).as_posix()
            if path.is_file() or path.is_symlink():
                found[relative] = hashlib.sha256(
                    os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
                ).hexdigest()
    found["dvc.lock"] = hashlib.sha256((project.root / "dvc.lock").read_bytes()).hexdigest()
    return found


@pytest.mark.parametrize("how", ["dvc exp run -S", "dvc repro"])
@pytest.mark.parametrize("name", sorted(BAD_RUNS))
def test_a_refused_run_leaves_every_output_byte_identical(committed, tmp_path, name, how):
    project = committed.copy(tmp_path / "project")
    overrides, message = BAD_RUNS[name]
    before = _outputs(project)
    if how == "dvc repro":
        raw = project.params()
        for override in overrides:
            key, _, value = override.partition("=")
            *parents, leaf = key.split(".")
            tree = raw
            for part in parents:
                tree = tree[part]
            tree[leaf] = _yaml_value(value)
        project.write_params(raw)
        result = project.dvc("repro", check=False)
    else:
        result = project.dvc("exp", "run", *(f"-S{o}" for o in overrides), check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert "failed to reproduce 'check'" in result.stderr  # the gate refused it, nothing after
    assert "Traceback" not in result.stderr
    assert _outputs(project) == before


def _yaml_value(text: str) -> object:
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(text)


def test_a_valid_change_reruns_nothing_that_does_not_read_it(committed, tmp_path):
    """The gate's output is the same for every valid params file: a plot seed reruns the plots."""
    project = committed.copy(tmp_path / "project")
    project.set_param("plot", "seed", 9)
    assert project.repro() == {"check", "plot_attention"}


def test_editing_a_data_file_reruns_from_the_gate(committed, tmp_path):
    """DVC follows the gate's links to the data files: an edit in place is seen by `dvc status`."""
    project = committed.copy(tmp_path / "project")
    for override in OWN:
        key, _, value = override.partition("=")
        section, _, leaf = key.partition(".")
        project.set_param(section, leaf, value)
    project.repro()
    assert project.repro() == set()
    path = project.root / CASES / "good.csv"
    path.write_text(path.read_text().replace("\na,", "\nb,", 1))
    assert "data/check" in project.dvc("status").stdout
    assert {"check", "generate", "split", "train"} <= project.repro()


def test_a_queued_run_with_an_untracked_file_fails_in_one_line_naming_it(committed, tmp_path):
    project = committed.copy(tmp_path / "project")
    (project.root / "untracked.csv").write_text(GOOD)
    queued = project.dvc(
        "exp", "run", "--queue", "-S", "dataset.source=file", "-S", "dataset.path=untracked.csv"
    )
    name = queued.stdout.split("Queued experiment '")[1].split("'")[0]
    project.dvc("queue", "start")
    status = ""
    for _ in range(120):  # the worker runs the check stage only: seconds
        status = project.dvc("queue", "status").stdout
        if "Failed" in status or "Success" in status:
            break
        time.sleep(1)
    project.dvc("queue", "stop", "--kill", check=False)
    assert "Failed" in status, status
    logs = project.dvc("queue", "logs", name, check=False)
    errors = [line for line in (logs.stdout + logs.stderr).splitlines() if "error: " in line]
    assert errors and "dataset.path = 'untracked.csv': no such file here" in errors[0]
    assert "`git add untracked.csv` and commit it (or `dvc add untracked.csv`)" in errors[0]


def test_the_gate_notes_a_file_a_queued_run_would_not_see(committed, tmp_path):
    project = committed.copy(tmp_path / "project")
    (project.root / "untracked.csv").write_text(GOOD)
    project.set_param("dataset", "source", "file")
    project.set_param("dataset", "path", "untracked.csv")
    output = project.dvc("repro", "check").stdout
    assert "note: dataset.path = untracked.csv is not tracked by git or DVC" in output
    assert os.path.islink(project.root / "data/check/train")
