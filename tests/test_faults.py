"""Faults: interrupts, damaged inputs and diverging training end cleanly; nothing is half-written.

Ctrl-C (SIGINT) and SIGTERM, to a stage run by hand or to `dvc repro` and
the stage it runs, must end with one line, no traceback and no temporary or
half-written file, and the next `dvc repro` must finish the job. A corrupted,
truncated or outdated model file, a damaged or missing split, and a training
run whose loss diverges must stop with one line and exit 2, leaving earlier
outputs as they were. And no code loads data by unpickling it, so a tampered
file cannot run code.
"""

from __future__ import annotations

import ast
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
import torch

from tests.conftest import REPO, shared_project, tiny_raw_params, write_params
from tests.project import Project, project_env

MODEL = "models/model.pt"
SUMMARY = "metrics/train.json"
EVALUATION = "metrics/evaluate.json"
SPLIT_TEST = "data/split/test.npy"
TEMP_NAME = re.compile(r"^\..+\.tmp-\d+$")  # what attention_ts.core.io.atomic_output writes first
SIGNALS = [signal.SIGINT, signal.SIGTERM]
SOURCE_DIRS = ("attention_ts", "stages", "benchmarks")  # the code that reads files
SAFE_LOADS = {"torch.load": ("weights_only", True), "numpy.load": ("allow_pickle", False)}
UNPICKLERS = {
    "pickle.load",
    "pickle.loads",
    "pickle.Unpickler",
    "joblib.load",
    "pandas.read_pickle",
}
TARGET = "evaluate"  # the stage the shared project is built up to (with train before it)
START_LIMIT_S = 120  # for a process to reach the point where the test interrupts it
e2e = pytest.mark.e2e


def _temp_files(root: Path) -> list[Path]:
    return [path for path in root.rglob(".*") if TEMP_NAME.match(path.name)]


def _one_line(stderr: str, prefix: str) -> str:
    """The single stderr line that starts with `prefix`; a traceback or a second one fails."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith(prefix)]
    assert len(lines) == 1, stderr
    return lines[0]


def _wait_for(path: Path, text: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_LIMIT_S
    while text not in path.read_text():
        assert process.poll() is None, f"exited before printing {text!r}: {path.read_text()}"
        assert time.monotonic() < deadline, f"{text!r} not printed in {START_LIMIT_S} s"
        time.sleep(0.05)


def _wait_until_gone(processes: list[psutil.Process]) -> None:
    """Until each process has exited; an orphan nobody reaps counts as gone once a zombie."""

    def alive(process: psutil.Process) -> bool:
        try:
            return process.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    deadline = time.monotonic() + START_LIMIT_S
    while any(alive(p) for p in processes):
        assert time.monotonic() < deadline, "interrupted processes did not exit"
        time.sleep(0.05)


def _signals_as_in_a_terminal() -> None:
    """In the child, before it runs: SIGINT and SIGTERM at their defaults.

    What a command typed at a terminal starts with. A background job of a
    non-interactive shell (`pytest &` in a CI script) starts with SIGINT
    ignored instead, and every child would inherit that; the tests below
    are about the signals arriving, so they set that state themselves
    (test_a_signal_ignored_at_start_stays_ignored sets the other one).
    """
    for signum in SIGNALS:
        signal.signal(signum, signal.SIG_DFL)


def _interrupt(
    command: list[str],
    cwd: Path,
    signums: list[int],
    group: bool,
    ready: str,
    logs: Path,
    env: dict[str, str] | None = None,
) -> tuple[int, str]:
    """Run `command` until it prints `ready`, then send `signums`; return exit code and stderr.

    The signals go to the process itself, or with `group` to its whole
    process group, as Ctrl-C in a terminal does to `dvc repro` and the stage
    it runs. Returns once every process of the group has exited, including
    a stage that outlives the shell DVC started it with. `env` defaults to
    `project_env()`.
    """
    stdout, stderr = logs / "stdout.txt", logs / "stderr.txt"
    env = {**(env or project_env()), "PYTHONUNBUFFERED": "1"}  # `ready` reaches the file at once
    with open(stdout, "w") as out, open(stderr, "w") as err:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=err,
            start_new_session=True,
            preexec_fn=_signals_as_in_a_terminal,
        )
    try:
        _wait_for(stdout, ready, process)
        family = [psutil.Process(process.pid), *psutil.Process(process.pid).children(True)]
        for signum in signums:
            (os.killpg if group else os.kill)(process.pid, signum)
        code = process.wait(timeout=START_LIMIT_S)
        _wait_until_gone(family)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return code, stderr.read_text()


def test_nothing_unpickles_untrusted_data():
    """torch.load only with weights_only=True, np.load with allow_pickle=False, no pickle.load."""
    checked, violations = [], []
    for path in (p for d in SOURCE_DIRS for p in (REPO / d).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        aliases = {}  # local name -> the module or function it stands for
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                aliases.update({a.asname or a.name: a.name for a in node.names})
            elif isinstance(node, ast.ImportFrom) and node.module:
                aliases.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names})
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            head, _, rest = name.partition(".")
            name = ".".join(filter(None, (aliases.get(head, head), rest)))
            where = f"{path.relative_to(REPO)}:{node.lineno} {name}"
            if name in UNPICKLERS:
                violations.append(f"{where}: unpickles")
            elif name in SAFE_LOADS:
                keyword, value = SAFE_LOADS[name]
                given = {k.arg: k.value for k in node.keywords}
                if isinstance(given.get(keyword), ast.Constant) and given[keyword].value is value:
                    checked.append(where)
                else:
                    violations.append(f"{where}: without {keyword}={value}")
    assert violations == []
    assert any("torch.load" in c for c in checked) and any("numpy.load" in c for c in checked)


ATOMIC_WRITER = f"""
import signal, sys, time
sys.path.insert(0, {str(REPO)!r})
from pathlib import Path
from attention_ts.core.io import atomic_output
from attention_ts.core.stage import run

def main():
    with atomic_output(Path("out.bin")) as tmp:
        tmp.write_bytes(b"half")
        print("writing", flush=True)
        time.sleep(60)

if "--ignore-sigint" in sys.argv:  # as a process started in the background inherits
    signal.signal(signal.SIGINT, signal.SIG_IGN)
run(main)
"""


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: s.name)
def test_a_signal_while_writing_removes_the_temporary_file(tmp_path, signum):
    (tmp_path / "out.bin").write_bytes(b"from before")
    command = [sys.executable, "-c", ATOMIC_WRITER]
    code, stderr = _interrupt(command, tmp_path, [signum], False, "writing", tmp_path)
    assert code == 128 + signum
    line = _one_line(stderr, f"interrupted by {signum.name}: ")
    assert stderr.strip() == line and "half-written" in line
    assert (tmp_path / "out.bin").read_bytes() == b"from before"
    assert _temp_files(tmp_path) == []


def test_a_signal_ignored_at_start_stays_ignored(tmp_path):
    command = [sys.executable, "-c", ATOMIC_WRITER, "--ignore-sigint"]
    signums = [signal.SIGINT, signal.SIGTERM]  # SIGINT is handled first: a lower number
    code, stderr = _interrupt(command, tmp_path, signums, False, "writing", tmp_path)
    assert code == 128 + signal.SIGTERM
    assert stderr.startswith("interrupted by SIGTERM: ")


# --- end to end, in one throwaway project --------------------------------------------------------


@pytest.fixture(scope="session")
def project(tmp_path_factory) -> Project:
    """The pipeline run once up to `evaluate`, training long enough to be interrupted.

    The signal goes when epoch 1 is printed; 7 more epochs of 1200 series (about 0.3 s each)
    leave it time to arrive during training, and no more (every test retrains once). Built
    once per test run and shared: tests read it, or interrupt a copy.
    """
    raw = tiny_raw_params()
    raw["generate"]["n_series"] = 1200
    raw["train"].update(max_epochs=8, patience=8)

    def build(root: Path) -> set[str]:  # up to `evaluate`: what the tests read, and downstream
        return Project(root, raw).repro(TARGET)  # of train, to show it does not rerun

    return shared_project(tmp_path_factory, "faults", build)


@pytest.fixture
def interruptible_project(project: Project, tmp_path: Path) -> Project:
    """A copy of the shared project, for a test that interrupts its training."""
    return project.copy(tmp_path / "project")


def _with_shell(shell: str | None) -> dict[str, str]:
    """The test env, with SHELL (the shell DVC runs a stage's cmd with) set to `shell` if given."""
    if shell is not None and not Path(shell).exists():
        pytest.skip(f"{shell} is not installed")
    env = project_env()
    return env if shell is None else {**env, "SHELL": shell}


# How DVC reports a stage that Ctrl-C stopped depends on the shell it runs the
# stage's cmd with, `$SHELL -c` or `/bin/sh -c` when SHELL is unset (cron,
# Docker, CI): bash execs the stage, so DVC sees its exit code, 130; dash
# (Debian's and Ubuntu's /bin/sh) waits for it and dies of the signal itself,
# so DVC sees -2 while the stage finishes its cleanup alone. Either way
# nothing is left half-written.
SIGINT_EXIT = {"/bin/bash": "exited with 130", "/bin/dash": "exited with -2"}


@e2e
@pytest.mark.parametrize(  # both signals to a stage alone: test_a_signal_while_writing_...
    ("target", "signum", "shell"),
    [
        ("stage", signal.SIGTERM, None),
        ("dvc repro", signal.SIGINT, "/bin/bash"),
        ("dvc repro", signal.SIGTERM, "/bin/bash"),
        ("dvc repro", signal.SIGINT, "/bin/dash"),
        ("dvc repro", signal.SIGTERM, "/bin/dash"),
    ],
    ids=[
        "stage-SIGTERM",
        "dvc_repro-SIGINT-bash",
        "dvc_repro-SIGTERM-bash",
        "dvc_repro-SIGINT-dash",
        "dvc_repro-SIGTERM-dash",
    ],
)
def test_an_interrupted_training_leaves_nothing_half_written(
    interruptible_project, tmp_path, target, signum, shell
):
    project = interruptible_project
    before = {name: (project.root / name).read_bytes() for name in (MODEL, SUMMARY)}
    if target == "stage":  # by hand; the signal goes to the stage alone
        command, group = [sys.executable, "-m", "stages.train"], False
    else:  # to dvc and the stage it runs, as Ctrl-C or a scheduler's SIGTERM do
        command, group = [sys.executable, "-m", "dvc", "repro", "-f", "-s", "train"], True
    env = _with_shell(shell)
    code, stderr = _interrupt(command, project.root, [signum], group, "epoch 1:", tmp_path, env)

    assert code != 0
    line = _one_line(stderr, f"interrupted by {signum.name}: ")
    if target == "stage":
        assert code == 128 + signum and stderr.strip() == line
    elif signum == signal.SIGINT:  # dvc outlives Ctrl-C and reports how its shell ended
        assert f"failed to run: python -m stages.train, {SIGINT_EXIT[shell]}" in stderr
    for name, content in before.items():
        if target == "stage":  # as they were
            assert (project.root / name).read_bytes() == content
        else:  # dvc removes a stage's outputs before it runs the stage
            assert not (project.root / name).exists()
    assert _temp_files(project.root) == []

    assert project.repro(TARGET) == {"train"}  # the same model, so evaluate does not rerun
    assert all((project.root / name).read_bytes() == c for name, c in before.items())
    assert "up to date" in project.dvc("status", TARGET).stdout


def _stage_by_hand(project: Project, workdir: Path, stage: str) -> subprocess.CompletedProcess:
    """Run `stage` in `workdir` with the project's code; `workdir` holds what the stage reads."""
    return subprocess.run(
        [sys.executable, "-m", f"stages.{stage}"],
        cwd=workdir,
        env={**project_env(), "PYTHONPATH": str(project.root)},
        capture_output=True,
        text=True,
        timeout=START_LIMIT_S,
    )


def _copy_outputs(project: Project, workdir: Path) -> dict[str, bytes]:
    """Copy params, split and the outputs of train and evaluate to `workdir`; return the outputs."""
    shutil.copytree(project.root / "data/split", workdir / "data/split")
    shutil.copy(project.root / "params.yaml", workdir / "params.yaml")
    outputs = {}
    for name in (MODEL, SUMMARY, EVALUATION):
        (workdir / name).parent.mkdir(parents=True, exist_ok=True)
        outputs[name] = shutil.copy(project.root / name, workdir / name).read_bytes()
    return outputs


def _random_bytes(content: bytes) -> bytes:
    return np.random.default_rng(0).bytes(len(content))


def _truncated(content: bytes) -> bytes:
    return content[: len(content) // 2]


def _deleted(content: bytes) -> None:
    return None


def _config_key_removed(model: bytes) -> bytes:
    """The checkpoint as an older version might have saved it: its config lacks a key."""
    checkpoint = torch.load(io.BytesIO(model), weights_only=True)
    del checkpoint["config"]["dropout"]
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    return buffer.getvalue()


@e2e
@pytest.mark.parametrize(
    ("name", "damage"),
    [
        (MODEL, _random_bytes),
        (MODEL, _truncated),
        (MODEL, _config_key_removed),
        (SPLIT_TEST, _truncated),
        (SPLIT_TEST, _deleted),  # a stage run by hand before `dvc pull` or `dvc repro`
    ],
    ids=["model-random", "model-truncated", "model-old-config", "split-truncated", "split-missing"],
)
def test_a_damaged_input_stops_evaluate_with_one_line(project, tmp_path, name, damage):
    before = _copy_outputs(project, tmp_path)
    damaged = damage((tmp_path / name).read_bytes())
    if damaged is None:
        (tmp_path / name).unlink()
    else:
        (tmp_path / name).write_bytes(damaged)
    result = _stage_by_hand(project, tmp_path, "evaluate")
    assert result.returncode == 2
    line = _one_line(result.stderr, "error: ")
    assert result.stderr.strip() == line and name in line
    assert "weights_only" not in line  # torch's own text advises loading untrusted pickles
    assert (tmp_path / EVALUATION).read_bytes() == before[EVALUATION]
    assert not (tmp_path / "plots").exists() and _temp_files(tmp_path) == []


@e2e
def test_a_diverging_training_stops_with_one_line_and_keeps_the_old_model(project, tmp_path):
    before = _copy_outputs(project, tmp_path)
    raw = project.params()
    raw["train"]["lr"] = 1e10  # the first step sends the weights to inf: the loss is NaN
    write_params(tmp_path / "params.yaml", raw)
    result = _stage_by_hand(project, tmp_path, "train")
    assert result.returncode == 2
    line = _one_line(result.stderr, "error: training loss became nan in epoch 1; allowed: ")
    assert result.stderr.strip() == line and "train.lr" in line
    for name in (MODEL, SUMMARY):
        assert (tmp_path / name).read_bytes() == before[name]
    assert _temp_files(tmp_path) == []
