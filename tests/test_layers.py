"""The architecture in .importlinter holds: layered subpackages, no cycles, entry points on top.

CI runs `lint-imports` too; this test keeps the README's test command the whole check,
and shows on a copy of the package that each contract catches what it is for.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

LINT = [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"]


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(LINT, cwd=root, capture_output=True, text=True, timeout=120)


def test_the_committed_package_keeps_every_contract():
    result = _lint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("attention_ts/config/params.py", "from attention_ts.data import dataset", "form layers"),
        ("attention_ts/core/stage.py", "from attention_ts.core import io", "No import cycles"),
        ("attention_ts/data/files.py", "import stages.generate", "Entry points sit on top"),
    ],
)
def test_each_contract_catches_its_violation(tmp_path, module, line, broken):
    for name in ("attention_ts", "stages", "benchmarks"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / ".importlinter", tmp_path)
    with open(tmp_path / module, "a") as source:
        source.write(f"\n{line}  # noqa\n")
    result = _lint(tmp_path)
    assert result.returncode == 1
    verdicts = [line.split()[-1] for line in result.stdout.splitlines() if broken in line]
    assert verdicts[0] == "BROKEN", result.stdout  # the first line naming it is its verdict
