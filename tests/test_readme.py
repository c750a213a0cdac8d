"""The README's Quick start is what CI runs, so the documented commands cannot rot."""

from __future__ import annotations

import re

from tests.conftest import REPO


def _quick_start_commands() -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_quick_start_has_two_commands_and_ci_runs_the_test_one():
    setup_and_run, setup_and_test = _quick_start_commands()
    assert setup_and_run.endswith("dvc repro")
    assert setup_and_test.endswith("pytest")
    ci_lines = (REPO / ".ci" / "run").read_text().strip().splitlines()
    assert ci_lines[-1] == setup_and_test
