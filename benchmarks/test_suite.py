"""The README's test command in fresh clones, timed: the figure on the README's Tests line.

    python -m benchmarks.test_suite --runs 3     # 2 cores: about 30 minutes

Each run clones this repository's HEAD into a temporary folder, as a
newcomer would, and runs the Quick start's second command there verbatim
with bash (it makes its own .venv, installs requirements-dev.txt from pip's
cache and runs `pytest`), one run after the other. Writes, to
benchmarks/test_suite.json, each run's wall seconds for the whole command,
pytest's own seconds and its passed count from the summary line, the commit,
the CPU and the medians. Run it from the repository root with nothing else
busy: the suite uses every core.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks import write_runs

RESULTS = Path("benchmarks/test_suite.json")
SUMMARY = re.compile(r"(\d+) passed.* in ([0-9.]+)s")  # pytest's last line


def readme_test_command() -> str:
    """The second ```bash``` command of the README's Quick start (test_readme.py checks it)."""
    section = Path("README.md").read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)[1]


def one_run(command: str) -> dict:
    """Clone HEAD to a temporary folder and time `command` there; raise if it fails."""
    with tempfile.TemporaryDirectory() as folder:
        clone = Path(folder) / "clone"
        subprocess.run(["git", "clone", "-q", str(Path.cwd()), str(clone)], check=True)
        start = time.perf_counter()
        done = subprocess.run(
            ["bash", "-c", command], cwd=clone, capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - start
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    found = SUMMARY.search(last)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"the test command failed (exit {done.returncode}): {last}")
    return {"wall_s": round(wall, 1), "pytest_s": float(found[2]), "passed": int(found[1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh clones, one after another")
    args = parser.parse_args()
    command = readme_test_command()
    runs = []
    for k in range(args.runs):
        runs.append(one_run(command))
        print(f"run {k + 1}: {runs[-1]}", flush=True)
    write_runs(RESULTS, command, runs, "wall_s", "pytest_s")


if __name__ == "__main__":
    main()
