"""The three dvc.yaml list, for each stage, the code it runs: its module, the
`__init__.py` files Python runs before it and the modules it imports,
transitively. The benchmark's stages list the package's folder instead: DVC
rewrites the whole lock after every stage, in time that grows with its size,
and the benchmark has 105 stages to the other pipelines' 20
(benchmarks/rerun_scope.py measures what each choice reruns).

If a stage imported a module that it does not list, editing that module would
not rerun the stage and the committed results would silently go stale; if it
listed one it does not import, edits there would rerun it for nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO, default_raw_params, read_yaml

PACKAGE = "attention_ts"
COMPARE_YAML = read_yaml(REPO / "compare/dvc.yaml")
BENCHMARK_YAML = read_yaml(REPO / "benchmark/dvc.yaml")
STAGES = {
    **read_yaml(REPO / "dvc.yaml")["stages"],
    # the fit stages are one template (foreach ... do:) instantiated per model
    **{f"compare:{name}": s.get("do", s) for name, s in COMPARE_YAML["stages"].items()},
    # a template (matrix:) per kind of cell: one stage per dataset x model x resample
    **{f"benchmark:{name}": s for name, s in BENCHMARK_YAML["stages"].items()},
}
PER_MODEL_KEY = "compare.${key}"
PER_CELL_KEY = "compare.${item.model}"


def _local_imports(path: Path) -> set[str]:
    """Files of our package that `path` imports directly."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            base = node.module.replace(".", "/")
            if (REPO / base).is_dir():  # from a package import its modules
                found |= {f"{base}/{alias.name}.py" for alias in node.names}
            else:
                found.add(base + ".py")
        elif isinstance(node, ast.Import):
            found |= {
                f"{PACKAGE}/__init__.py" if a.name == PACKAGE else a.name.replace(".", "/") + ".py"
                for a in node.names
                if a.name.startswith(PACKAGE)
            }
    return found


def _packages_of(path: str) -> list[str]:
    """The `__init__.py` of every package above `path`: Python runs each before the module."""
    parts = path.split("/")[:-1]
    return [f"{'/'.join(parts[:n])}/__init__.py" for n in range(1, len(parts) + 1)]


def _files_run_by(stage: dict) -> set[str]:
    """The stage's module, and what it and its packages' `__init__.py` import, transitively."""
    module = stage["cmd"].removeprefix("python -m ").split()[0]
    todo = [module.replace(".", "/") + ".py"]
    seen: set[str] = set()
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo.extend(_local_imports(REPO / path))
            todo.extend(_packages_of(path))
    return seen


def _package_deps(files: set[str]) -> set[str]:
    """`files`, every file of our package replaced by the package's folder."""
    return {path for path in files if not path.startswith(f"{PACKAGE}/")} | {PACKAGE}


def code_deps(name: str) -> set[str]:
    """The code deps stage `name` lists (see the module's docstring)."""
    files = _files_run_by(STAGES[name])
    return _package_deps(files) if name.startswith("benchmark:") else files


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_lists_exactly_the_code_it_runs(name):
    stage = STAGES[name]
    listed = {dep for dep in stage["deps"] if dep.endswith(".py") or dep.startswith(PACKAGE)}
    assert listed == code_deps(name)


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_params_are_fully_qualified_existing_keys(name):
    raw = default_raw_params()
    for key in STAGES[name].get("params", []):
        section, _, leaf = key.partition(".")
        if section == "compare":  # a mapping of models: read whole, or one model's entry
            assert key in ("compare", PER_MODEL_KEY, PER_CELL_KEY)
            continue
        assert leaf, f"{name} lists the whole section {key}; list the keys it reads"
        assert leaf in raw[section], f"{name} lists {key}, which params.yaml does not have"


def test_every_param_is_read_by_some_stage():
    listed = {key for stage in STAGES.values() for key in stage.get("params", [])}
    # a matrix is expanded from params: its lists make the stages themselves
    matrices = [s["matrix"] for s in STAGES.values() if "matrix" in s]
    listed |= {v.strip("${}") for matrix in matrices for v in matrix.values()}
    raw = default_raw_params()
    every = {
        f"{section}.{key}"
        for section, keys in raw.items()
        if isinstance(keys, dict)
        for key in keys
    }
    per_model = {f"compare.{name}" for name in raw["compare"]}
    assert every - per_model == listed - {"compare", PER_MODEL_KEY, PER_CELL_KEY}
    # the one top-level value: read by attention_ts/cli/seeds.py, which queues the runs, not a stage
    assert [key for key, value in raw.items() if not isinstance(value, dict)] == ["n_seeds"]
    assert "n_seeds" not in listed


def test_each_model_fit_reads_the_train_stage_settings_except_the_model_name():
    fit = STAGES["compare:fit"]["params"]
    train = STAGES["train"]["params"]
    scoring = set(STAGES["evaluate"]["params"]) | set(STAGES["attention_metrics"]["params"])
    scoring |= set(STAGES["faithfulness"]["params"])
    # train.processes: only the train stage runs data-parallel (training/distributed.py)
    assert set(fit) == set(train) - {"model.name", "train.processes"} | {PER_MODEL_KEY} | scoring
    assert COMPARE_YAML["stages"]["fit"]["foreach"] == "${compare}"


def test_each_benchmark_cell_reads_what_a_comparison_fit_reads_except_where_it_looks():
    cell = set(STAGES["benchmark:fit"]["params"])
    fit = set(STAGES["compare:fit"]["params"])
    localization = {"localization.tolerance", "localization.heatmap_series"}  # no segment there
    faithfulness = set(STAGES["faithfulness"]["params"]) - set(STAGES["train"]["params"])
    faithfulness -= {"evaluate.threshold"}  # the cells evaluate, not test explanations
    archive = {PER_CELL_KEY, "benchmark.model"}  # Params.benchmark_config
    archive.add("benchmark.resamples")  # a stage fits every resample of its (dataset, model)
    assert cell == fit - localization - faithfulness - {PER_MODEL_KEY} | archive
    matrix = BENCHMARK_YAML["stages"]["fit"]["matrix"]
    assert matrix == {"dataset": "${benchmark.datasets}", "model": "${benchmark.models}"}


def _stage_names(pipeline: dict) -> set[str]:
    """The stage names DVC makes of a dvc.yaml at the committed params (foreach and matrix)."""
    raw = default_raw_params()

    def value(reference: str) -> list:
        section, key = reference.strip("${}").split(".")
        return list(raw[section][key])

    names = set()
    for name, stage in pipeline["stages"].items():
        if "foreach" in stage:  # foreach: ${compare}, a mapping of models
            names |= {f"{name}@{key}" for key in raw[stage["foreach"].strip("${}")]}
        elif "matrix" in stage:
            combos = [[]]
            for reference in stage["matrix"].values():
                combos = [[*combo, str(v)] for combo in combos for v in value(reference)]
            names |= {f"{name}@{'-'.join(combo)}" for combo in combos}
        else:
            names.add(name)
    return names


@pytest.mark.parametrize("pipeline", ["dvc.yaml", "compare/dvc.yaml", "benchmark/dvc.yaml"])
def test_each_lock_holds_only_the_stages_of_its_pipeline(pipeline):
    """DVC keeps the entries of stages that are gone: a lock that grows with every redesign."""
    lock = read_yaml(REPO / pipeline.replace("dvc.yaml", "dvc.lock"))
    assert set(lock["stages"]) == _stage_names(read_yaml(REPO / pipeline))
