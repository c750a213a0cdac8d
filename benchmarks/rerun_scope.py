"""What an edit to one module reruns, and the lock entries it costs: stage deps as files or folders.

    python -m benchmarks.rerun_scope    # a second; reads the three dvc.yaml

For each pipeline (its stages as DVC instantiates them at the committed
params) and every module of `attention_ts`, counts the stages an edit to
the module reruns and the code deps the pipeline's lock holds, three ways:
each stage lists the files it runs (its modules, transitively: `files`,
what dvc.yaml and compare/dvc.yaml do); a subpackage's folder where it
runs all its modules (`complete_folders`: the same reruns, fewer entries);
the package's folder (`package`: what benchmark/dvc.yaml does). The means
over modules go to benchmarks/rerun_scope.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from statistics import mean

from tests.conftest import REPO, read_yaml
from tests.test_dvc_yaml import STAGES, _files_run_by, _package_deps, _stage_names

RESULTS = Path(__file__).resolve().parent / "rerun_scope.json"
PIPELINES = {"dvc.yaml": "", "compare/dvc.yaml": "compare:", "benchmark/dvc.yaml": "benchmark:"}


def _complete_folders(files: set[str]) -> set[str]:
    """`files`, a subpackage's modules replaced by its folder where `files` holds them all."""
    deps = set(files)
    for folder in {str(Path(path).parent) for path in files if path.count("/") > 1}:
        modules = {str(p.relative_to(REPO)) for p in (REPO / folder).glob("*.py")}
        if modules <= files:
            deps = deps - modules | {folder}
    return deps


CHOICES = {"files": set, "complete_folders": _complete_folders, "package": _package_deps}


def _instances(path: str) -> dict[str, int]:
    """Stage template (as tests/test_dvc_yaml.py names it) -> how many stages DVC makes of it."""
    counts: dict[str, int] = {}
    for name in _stage_names(read_yaml(REPO / path)):
        key = PIPELINES[path] + name.split("@")[0]
        counts[key] = counts.get(key, 0) + 1
    return counts


def _reruns(module: str, runs: dict[str, set[str]], instances: dict[str, int], deps) -> int:
    """Stages whose deps hold `module` or a folder above it."""
    owners = {module, *(str(parent) for parent in Path(module).parents if str(parent) != ".")}
    return sum(instances[name] for name, run in runs.items() if deps(run) & owners)


def main() -> None:
    package = (REPO / "attention_ts").rglob("*.py")
    modules = sorted(str(p.relative_to(REPO)) for p in package if p.name != "__init__.py")
    results = {}
    for path in PIPELINES:
        instances = _instances(path)
        runs = {name: _files_run_by(STAGES[name]) for name in instances}
        results[path] = {
            "stages": sum(instances.values()),
            "mean_reruns_per_module_edit": {
                choice: round(mean(_reruns(m, runs, instances, deps) for m in modules), 1)
                for choice, deps in CHOICES.items()
            },
            "code_dep_entries": {
                choice: sum(len(deps(run)) * instances[name] for name, run in runs.items())
                for choice, deps in CHOICES.items()
            },
        }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
