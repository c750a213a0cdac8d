"""Benchmarks behind the README's timings (`python -m benchmarks.<name>`).

Importing attention_ts first pins torch's CPU code paths, as in the stages.
"""

import json
import statistics
import subprocess
from pathlib import Path

import attention_ts  # noqa: F401  (pins the numerics on import)
from attention_ts.core.numerics import describe_cpu


def write_runs(path: Path, command: str, runs: list[dict], *keys: str) -> None:
    """Write to `path` (JSON) and print: `command`, the commit, the CPU, `runs`, and the
    median over runs of each of `keys` as `median_<key>`."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    output = {"command": command, "commit": commit.stdout.strip(), "machine": describe_cpu()}
    output["runs"] = runs
    output |= {f"median_{key}": statistics.median(run[key] for run in runs) for key in keys}
    path.write_text(json.dumps(output, indent=2) + "\n")
    print(json.dumps(output, indent=2))
