"""Share results through a DVC remote: a teammate's clone pulls them and has nothing to rerun.

Both pipelines run in a throwaway project (a copy of the tests' shared one), `dvc push`
sends every cached output to a local directory remote (an s3 or ssh remote works the same), the
results are committed to git, and a `git clone` of it runs `dvc pull`. The
clone must then be up to date as it is: `dvc status` clean, `dvc repro`
running and restoring nothing, and the model the same bytes as the original.
And a clone with no remote at all (a newcomer's) runs `dvc metrics show` and
`dvc metrics diff` from what git tracks, without a warning about a metrics
file that only the DVC cache holds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.project import Project

pytestmark = pytest.mark.e2e
COMPARE = "compare/dvc.yaml"
UP_TO_DATE = "Data and pipelines are up to date."
PULLED = ["data/split/train.npy", "models/model.pt", "models/compare/mlp/model.pt"]


class Clone(Project):
    """A `git clone` of `origin` at `root`, driven by the same helpers."""

    def __init__(self, origin: Project, root: Path) -> None:
        origin.run("git", "clone", "-q", str(origin.root), str(root))
        self.root = root


def test_a_clone_pulls_the_results_and_reruns_nothing(compared_project, tmp_path):
    origin = compared_project.copy(tmp_path / "origin")  # both pipelines run (conftest.py)
    origin.run("git", "add", "-A")
    origin.run("git", "commit", "-qm", "results")

    newcomer = Clone(origin, tmp_path / "newcomer")  # git only: no remote to fetch from
    shown = newcomer.dvc("metrics", "show")  # what git tracks is enough: no file is missing
    assert "metrics/compare.json" in shown.stdout, shown.stdout
    for result in (shown, newcomer.dvc("metrics", "diff", "HEAD")):
        said = result.stdout + result.stderr
        assert "failed to load" not in said and "WARNING" not in said, said

    origin.dvc("remote", "add", "-d", "shared", str(tmp_path / "storage"))
    origin.run("git", "commit", "-qam", "the remote that holds the results' data")
    assert "files pushed" in origin.dvc("push").stdout

    clone = Clone(origin, tmp_path / "clone")
    assert not any((clone.root / name).exists() for name in PULLED)  # git has none of them
    clone.dvc("pull")
    for name in PULLED:
        assert (clone.root / name).read_bytes() == (origin.root / name).read_bytes()
    assert UP_TO_DATE in clone.dvc("status").stdout
    for pipeline in ("dvc.yaml", COMPARE):
        output = clone.dvc("repro", pipeline).stdout  # nothing runs, nothing restored from cache
        assert UP_TO_DATE in output and "Running stage" not in output, output
        assert "skipping run" not in output, output
    assert clone.run("git", "status", "--porcelain").stdout == ""
