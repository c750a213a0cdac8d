"""A throwaway copy of the project in a temporary git repository, for end-to-end tests.

Tests that run the real `dvc` (pipeline, remotes, faults, own data, plots) build
one of these, with tiny params, and drive git and dvc in it through `Project`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from attention_ts.config.params import read_params_file
from tests.conftest import REPO, tiny_raw_params, write_params

PROJECT_FILES = [
    "dvc.yaml",
    "compare/dvc.yaml",
    ".dvcignore",
    ".gitignore",
    ".dvc/config",
    ".dvc/.gitignore",
    ".dvc/offline_plots.html",  # .dvc/config's plots.html_template
    "tests/data/labelled_sample.csv",  # params.yaml's dataset.path: a dep of the generate stage
    "tests/data/gestures_TRAIN.ts",  # a sample of several classes, channels and lengths
    "tests/data/gestures_TEST.ts",
]
PROJECT_DIRS = ["stages", "attention_ts"]
BENCHMARK_FILES = [  # only where a test runs the benchmark: elsewhere `dvc status` would list it
    "benchmark/dvc.yaml",
    "benchmark/reference.csv",
    "requirements.txt",  # pins aeon, whose archive files the benchmark reads: its split's dep
]


def project_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(
        GIT_AUTHOR_NAME="pipeline test",
        GIT_AUTHOR_EMAIL="test@example.invalid",
        GIT_COMMITTER_NAME="pipeline test",
        GIT_COMMITTER_EMAIL="test@example.invalid",
        DVC_NO_ANALYTICS="1",
    )
    return env


class Project:
    """A throwaway copy of the project, with helpers to run git and dvc in it.

    Its params are `raw_params`, or the tiny ones when not given; with
    `benchmark`, it holds the archive benchmark's pipeline too.
    """

    def __init__(self, root: Path, raw_params: dict | None = None, benchmark: bool = False) -> None:
        self.root = root
        for name in PROJECT_FILES + (BENCHMARK_FILES if benchmark else []):
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPO / name, root / name)
        for name in PROJECT_DIRS:
            shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        self.write_params(raw_params or tiny_raw_params())
        self.run("git", "init", "-q")
        self.run("git", "add", "-A")
        self.run("git", "commit", "-qm", "tiny project")

    @classmethod
    def existing(cls, root: Path) -> Project:
        """A project already on disk (a copy of another, say), used as it is."""
        project = cls.__new__(cls)
        project.root = root
        return project

    def copy(self, root: Path) -> Project:
        """This project, its git history, DVC cache and outputs copied to `root` (a new folder).

        Seconds cheaper than building and running another: the end-to-end tests
        each change a copy of one project built per test process (conftest.py).
        """
        shutil.copytree(self.root, root, symlinks=True, dirs_exist_ok=True)
        return Project.existing(root)

    def run(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess:
        """Run `args` in the project with `project_env()`, changed by `env`."""
        env = {**project_env(), **(env or {})}
        result = subprocess.run(
            args, cwd=self.root, env=env, capture_output=True, text=True, timeout=600
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{args} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def dvc(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess:
        return self.run(sys.executable, "-m", "dvc", *args, check=check, env=env)

    def repro(self, *args: str, env: dict[str, str] | None = None) -> set[str]:
        """Run `dvc repro *args`; return the names of the stages that actually ran."""
        output = self.dvc("repro", *args, env=env).stdout
        return set(re.findall(r"Running stage '([^']+)'", output))

    def plan(self, *args: str) -> set[str]:
        """The stages `dvc repro *args` would run now, by DVC's own plan, running only the gate.

        The `check` stage, which every stage stands behind, runs for real
        (seconds; its output does not change with valid params), then `dvc
        repro --dry --force-downstream`: the stages whose deps or params
        changed, and every stage downstream of one. That is what a real repro
        runs when each stage that reruns writes new outputs, as a changed param
        makes it here (test_pipeline.py runs some of them for real to show it).
        """
        ran = self.repro("check")
        output = self.dvc("repro", "--dry", "--force-downstream", *args).stdout
        return ran | set(re.findall(r"Running stage '([^']+)'", output))

    def params(self) -> dict:
        return read_params_file(self.root / "params.yaml")

    def write_params(self, raw: dict) -> None:
        write_params(self.root / "params.yaml", raw)

    def set_param(self, section: str, key: str, value: object) -> None:
        raw = self.params()
        raw[section][key] = value
        self.write_params(raw)

    def json(self, path: str) -> dict:
        return json.loads((self.root / path).read_text())
