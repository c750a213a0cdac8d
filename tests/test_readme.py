"""The README and every docs page stay true: commands, links, files and numbers.

The README's Quick start is what CI runs. On the README and on every docs/*.md page (each test
parametrized by page): relative links and #anchors resolve, `python -m` modules and their
--flags exist, `dvc repro` targets name real dvc.yaml files and stages, repo paths in backticks
exist in git or as pipeline outputs, and the numbers quoted are those of the committed files.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
README = "README.md"
DOCS = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "docs").glob("*.md"))
PAGES = [README, *DOCS]
MAX_README_LINES = 250

# the modules whose files must be in this repository; others (venv, torch.distributed.run)
# must be importable
REPO_PACKAGES = ("attention_ts", "stages", "benchmarks", "tests")
# where a backticked path points into the repository
REPO_DIRS = (
    "attention_ts",
    "benchmark",
    "benchmarks",
    "compare",
    "data",
    "docs",
    "metrics",
    "models",
    "plots",
    "reports",
    "stages",
    "tests",
    "vendor",
)
PIPELINES = ("dvc.yaml", "compare/dvc.yaml", "benchmark/dvc.yaml")

# The numbers the pages quote, read from the committed files they cite:
# (page, file, key path, format, scale). The formatted value must appear in the page.
NUMBERS = [
    # README: the synthetic task
    (README, "metrics/evaluate.json", "f1", "F1 {:.4f}", 1),
    (README, "metrics/attention.json", "attention.mass_inside", "{:.3f} of its weight", 1),
    (README, "metrics/attention.json", "attention.lift", "({:.2f} x", 1),
    (README, "metrics/attention.json", "attention.pointing_game", "{:.1f} %", 100),
    # README: the comparison
    (README, "metrics/compare.json", "bilstm_attention.f1", "F1 {:.4f}", 1),
    (README, "metrics/compare.json", "local_attention.f1", "F1 {:.4f}", 1),
    (README, "metrics/localization.json", "bilstm_attention.attention.mass_inside", "{:.3f}", 1),
    (
        README,
        "metrics/localization.json",
        "bilstm_attention.attention.pointing_game",
        "{:.1f} %",
        100,
    ),
    (README, "metrics/localization.json", "local_attention.attention.mass_inside", "{:.3f}", 1),
    (
        README,
        "metrics/localization.json",
        "local_attention.attention.pointing_game",
        "{:.1f} %",
        100,
    ),
    # README: the test command's time
    (README, "benchmarks/test_suite.json", "median_wall_s", "median {:.1f} s", 1),
    (README, "benchmarks/test_suite.json", "median_pytest_s", "own median {:.2f} s", 1),
    (README, "benchmarks/test_suite.json", "commit", "(at {}, ", 1),
    (README, "benchmarks/test_suite.json", "runs.0.passed", ", {} tests", 1),
    # README: the train stage against the original code
    (README, "benchmarks/original.json", "train_stage.median_wall_s", "{:.1f} s", 1),
    (README, "benchmarks/original.json", "original.median_wall_s", "{:.0f} s", 1),
    (README, "benchmarks/original.json", "ratio_original_to_train_stage", "1/{:.0f}", 1),
    # README: the archive benchmark
    (README, "metrics/benchmark_summary.json", "mean_rank.conv_attention", "Mean rank {:.2f}", 1),
    (README, "metrics/benchmark_summary.json", "mean_rank.minirocket", "mean rank {:.2f}", 1),
    (README, "metrics/benchmark_summary.json", "mean_rank.bilstm_attention", "rank {:.2f}", 1),
    (README, "metrics/benchmark_summary.json", "mean_rank.local_attention", "and {:.2f};", 1),
    (README, "metrics/benchmark_summary.json", "mean_rank.cnn", "CNN ranks {:.2f}", 1),
    (README, "metrics/benchmark_summary.json", "targets.minirocket.ours", "accuracy is {:.3f}", 1),
    (README, "metrics/benchmark_summary.json", "targets.minirocket.minirocket", "{:.3f} (", 1),
    # README: the faithfulness headline
    (README, "metrics/faithfulness.json", "targets.local_attention.uniform_f1.value", "{:.3f}", 1),
    (README, "metrics/faithfulness.json", "targets.bilstm_attention.uniform_f1.value", "{:.3f}", 1),
    (
        README,
        "metrics/faithfulness.json",
        "targets.bilstm_attention.randomization.value",
        "{:.2f}",
        1,
    ),
    (
        README,
        "metrics/faithfulness.json",
        "targets.local_attention.randomization.value",
        "{:.2f}",
        1,
    ),
    # the docs pages
    ("docs/experiments.md", "metrics/evaluate.json", "recall", "recall {:.3f}", 1),
    ("docs/experiments.md", "metrics/compare.json", "mlp.f1", "| mlp | {:.4f} |", 1),
    ("docs/experiments.md", "metrics/compare.json", "rnn.roc_auc", "| {:.4f} |", 1),
    ("docs/experiments.md", "metrics/train.json", "best_val_loss", "loss {:.4f}", 1),
    (
        "docs/interpretability.md",
        "metrics/localization.json",
        "local_attention.attention.lift",
        "| {:.2f} |",
        1,
    ),
    (
        "docs/interpretability.md",
        "metrics/localization.json",
        "cnn.saliency.pointing_game",
        "| {:.3f} |",
        1,
    ),
    (
        "docs/interpretability.md",
        "metrics/faithfulness.json",
        "targets.bilstm_attention.deletion_ratio.value",
        "{:.1f}: met",
        1,
    ),
    (
        "docs/interpretability.md",
        "metrics/explanations.json",
        "methods.attention.randomization",
        "{:.2f}: **missed**",
        1,
    ),
    (
        "docs/benchmark.md",
        "metrics/benchmark.json",
        "GunPoint.minirocket.accuracy",
        "| {:.3f} ±",
        1,
    ),
    ("docs/benchmark.md", "metrics/benchmark.json", "OSULeaf.cnn.accuracy", "| {:.3f} ±", 1),
    (
        "docs/benchmark.md",
        "metrics/benchmark_summary.json",
        "validation_accuracy.conv_attention",
        "accuracy {:.3f}",
        1,
    ),
    (
        "docs/benchmark.md",
        "metrics/benchmark_summary.json",
        "mean_rank.conv_attention",
        "{:.2f}",
        1,
    ),
    (
        "docs/benchmark.md",
        "benchmarks/pooling.json",
        "softmax attention.OSULeaf.test_accuracy",
        "/ {:.3f}",
        1,
    ),
    (
        "docs/scale.md",
        "benchmarks/original.json",
        "per_epoch.pinned.original.median_s",
        "{:.1f} s",
        1,
    ),
    (
        "docs/scale.md",
        "benchmarks/numerics.json",
        "train_stage.pinned.median_s",
        "{:.1f} s pinned",
        1,
    ),
    (
        "docs/scale.md",
        "benchmarks/comparison.json",
        "whole_comparison_fresh_clone.median_s",
        "{:.1f} min",
        1 / 60,
    ),
    (
        "docs/own-data.md",
        "benchmarks/readers.json",
        "readers.ts.read_series.median_s",
        "`.ts` {:.2f} s",
        1,
    ),
    (
        "docs/predict.md",
        "benchmarks/predict.json",
        "models.models/model.pt.100000 series.series_per_s",
        "| {:,} |",
        1,
    ),
    (
        "docs/reproducibility.md",
        "benchmarks/numerics.json",
        "train_stage.native.median_s",
        "{:.1f} s",
        1,
    ),
]


# --- reading the pages ---

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
INLINE = re.compile(r"`([^`\n]+(?:\n[^`\n]+)?)`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _text(page: str) -> str:
    return (REPO / page).read_text()


def _prose(text: str) -> str:
    """The page without its fenced code blocks."""
    return FENCE.sub("", text)


def _code(text: str) -> list[str]:
    """Every command line in code: fenced blocks (backslash continuations joined) and inline."""
    lines = []
    for block in FENCE.findall(text):
        lines += block.replace("\\\n", " ").splitlines()
    lines += [m.replace("\n", " ") for m in INLINE.findall(_prose(text))]
    return lines


def _command(line: str, start: int) -> str:
    """The rest of one shell command from `start`: up to a comment, &&, ; or |."""
    return re.split(r"\s#|&&|;|\|", line[start:], maxsplit=1)[0]


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lowercase, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@functools.cache
def anchors(page: str) -> frozenset[str]:
    seen: dict[str, int] = {}
    out = set()
    for heading in re.findall(r"^#{1,6} (.+)$", _prose(_text(page)), re.M):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return frozenset(out)


@functools.cache
def tracked() -> frozenset[str]:
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True)
    return frozenset(out.stdout.splitlines())


def _tracked_dirs() -> set[str]:
    dirs = set()
    for f in tracked():
        parts = f.split("/")
        dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))
    return dirs


@functools.cache
def pipeline_stages() -> dict[str, dict[str, bool]]:
    """{dvc.yaml path: {stage name: whether it is a foreach/matrix template}}."""
    out = {}
    for f in PIPELINES:
        stages = yaml.safe_load((REPO / f).read_text())["stages"]
        out[f] = {name: ("foreach" in s or "matrix" in s) for name, s in stages.items()}
    return out


@functools.cache
def pipeline_outputs() -> tuple[re.Pattern, ...]:
    """Every out, metric and plot file the pipelines declare, as patterns (templates: any name)."""
    patterns = []
    for f in PIPELINES:
        for stage in yaml.safe_load((REPO / f).read_text())["stages"].values():
            body = stage.get("do", stage)
            for kind in ("outs", "metrics", "plots"):
                for out in body.get(kind, []):
                    path = out if isinstance(out, str) else next(iter(out))
                    parts = re.split(r"\$\{[^}]*\}", path.rstrip("/"))
                    regex = "[^/]+".join(re.escape(p) for p in parts)
                    patterns.append(re.compile(regex + r"(/.*)?"))
    return tuple(patterns)


def _resolve(page: str, target: str) -> str:
    path = (REPO / page).parent / target
    return path.resolve().relative_to(REPO).as_posix()


def _links(page: str) -> list[str]:
    return [t for t in LINK.findall(_prose(_text(page))) if not re.match(r"[a-z]+:", t)]


def _graph() -> dict[str, set[str]]:
    graph = {}
    for page in PAGES:
        targets = {_resolve(page, t.split("#")[0]) for t in _links(page) if not t.startswith("#")}
        graph[page] = {t for t in targets if t.endswith(".md")}
    return graph


# --- 1. the README is one short page that leads to every other ---


def _quick_start_commands() -> list[str]:
    readme = _text(README)
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_quick_start_has_two_commands_and_ci_runs_the_test_one():
    setup_and_run, setup_and_test = _quick_start_commands()
    assert setup_and_run.endswith("dvc repro")
    assert setup_and_test.endswith("pytest")
    ci_lines = (REPO / ".ci" / "run").read_text().strip().splitlines()
    assert ci_lines[-2] == setup_and_test  # verbatim, then the tests marked system, apart
    assert ci_lines[-1].startswith("pytest -m system ")


def test_readme_is_short():
    n = len(_text(README).splitlines())
    assert n <= MAX_README_LINES, f"README.md has {n} lines; move detail to docs/"


def test_readme_has_one_test_time_line():
    lines = [x for x in _text(README).splitlines() if x.startswith("Test command time:")]
    assert len(lines) == 1, lines


@pytest.mark.parametrize("page", DOCS)
def test_docs_page_is_linked_from_the_readme(page):
    assert page in _graph()[README], f"README.md does not link {page}"


@pytest.mark.parametrize("page", DOCS)
def test_docs_page_is_reachable(page):
    graph, seen, todo = _graph(), {README}, [README]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert page in seen, f"{page} is linked from no page reachable from README.md"


# --- 2. links and anchors ---


@pytest.mark.parametrize("page", PAGES)
def test_links_resolve(page):
    broken = []
    for target in _links(page):
        path, _, anchor = target.partition("#")
        file = page if not path else _resolve(page, path)
        if path and file not in tracked() and file not in _tracked_dirs():
            broken.append(f"{target}: {file} is not tracked in git")
        elif anchor and file.endswith(".md") and anchor not in anchors(file):
            broken.append(f"{target}: no heading #{anchor} in {file}")
    assert not broken, "\n".join(broken)


# --- 3. python -m modules and their flags ---


def _modules(page: str) -> list[tuple[str, list[str]]]:
    found = []
    for line in _code(_text(page)):
        for m in re.finditer(r"python3? (?:-\S+ )*-m ([A-Za-z_][\w.]*)", line):
            rest = _command(line, m.end())
            flags = re.findall(r"(?<![\w-])(--[a-z][\w-]*)", rest)
            found.append((m.group(1), flags))
    return found


def _module_file(module: str) -> Path | None:
    base = REPO / module.replace(".", "/")
    for path in (base.with_suffix(".py"), base / "__main__.py", base / "__init__.py"):
        if path.is_file():
            return path
    return None


@pytest.mark.parametrize("page", PAGES)
def test_python_modules_and_flags_exist(page):
    import importlib.util

    wrong = []
    for module, flags in _modules(page):
        if module.split(".")[0] not in REPO_PACKAGES:
            if importlib.util.find_spec(module) is None:
                wrong.append(f"python -m {module}: not importable")
            continue
        path = _module_file(module)
        if path is None:
            wrong.append(f"python -m {module}: no such module file")
            continue
        source = path.read_text()
        if "argparse" not in source:
            continue
        for flag in set(flags) - {"--help"}:  # argparse adds --help itself
            if not re.search(rf"[\"']{re.escape(flag)}[\"'=]", source):
                wrong.append(f"python -m {module} {flag}: no such flag in {path.name}")
    assert not wrong, "\n".join(wrong)


def _dotted_names(page: str) -> list[str]:
    """Every `package.module` or `package.module.NAME` of the repository in backticks."""
    packages = "|".join(REPO_PACKAGES)
    return re.findall(rf"`((?:{packages})(?:\.[A-Za-z_]\w*)+)`", _prose(_text(page)))


@pytest.mark.parametrize("page", PAGES)
def test_dotted_module_names_exist(page):
    """A removed module (or a function gone from one) named as `attention_ts.data.x` fails."""
    wrong = []
    for name in _dotted_names(page):
        parts = name.split(".")
        cut = next((k for k in range(len(parts), 0, -1) if _module_file(".".join(parts[:k]))), 0)
        rest = parts[cut:]
        if not cut or len(rest) > 1:
            wrong.append(f"{name}: no such module")
        elif rest:
            source = _module_file(".".join(parts[:cut])).read_text()
            if not re.search(rf"^(?:def |class )?{re.escape(rest[0])}\b", source, re.M):
                wrong.append(f"{name}: {rest[0]} is not defined in {'.'.join(parts[:cut])}")
    assert not wrong, "\n".join(wrong)


# --- 4. dvc targets ---


def _dvc_targets(page: str) -> list[str]:
    """Every dvc.yaml file and stage a `dvc ...` command names (file or file:stage or stage)."""
    targets = []
    for line in _code(_text(page)):
        for m in re.finditer(r"(?:^|&&|;|\$ )\s*dvc (repro|exp run|status|push|pull)\b", line):
            tokens = _command(line, m.end()).split()
            skip_next = False
            for token in tokens:
                if skip_next:
                    skip_next = False
                elif token in ("-S", "-n", "--name", "-j", "--jobs"):
                    skip_next = m.group(1) == "exp run"
                elif token.startswith("-"):
                    continue
                elif "dvc.yaml" in token:
                    targets.append(token.strip("'\""))
                elif m.group(1) == "repro" and re.fullmatch(r"[\w@.-]+", token):
                    targets.append(token)
    return targets


@pytest.mark.parametrize("page", PAGES)
def test_dvc_targets_exist(page):
    wrong = []
    for target in _dvc_targets(page):
        if "dvc.yaml" in target:
            file, _, stage = target.partition(":")
        else:
            file, stage = "dvc.yaml", target
        stages = pipeline_stages().get(file)
        if stages is None:
            wrong.append(f"{target}: no pipeline file {file}")
        elif stage and stage not in stages:
            prefix = stage.split("@")[0]
            if not ("@" in stage and stages.get(prefix)):
                wrong.append(f"{target}: no stage {stage} in {file}")
    assert not wrong, "\n".join(wrong)


# --- 5. repo paths in backticks ---


def _paths(page: str) -> list[str]:
    out = []
    for code in INLINE.findall(_prose(_text(page))):
        code = code.strip()
        if " " in code or "\n" in code or not re.search(r"\.[a-z]{2,5}$", code):
            continue
        if code.split("/")[0] in REPO_DIRS and "/" in code and not re.search(r"[*{}]|tmp", code):
            out.append(code)
    return out


@pytest.mark.parametrize("page", PAGES)
def test_backticked_paths_exist(page):
    missing = []
    for path in _paths(page):
        # placeholders, <model> or NAME, stand for any one name
        parts = re.split(r"<[^>/]*>|\b[A-Z]{2,}\b", path)
        regex = re.compile("[^/]+".join(re.escape(p) for p in parts))
        if any(regex.fullmatch(f) for f in tracked()):
            continue
        if any(p.fullmatch(path) for p in pipeline_outputs()):
            continue
        missing.append(path)
    assert not missing, "not in git nor a pipeline output: " + ", ".join(missing)


# --- 6. the numbers quoted are the committed ones ---


def _value(file: str, key: str):
    value = json.loads((REPO / file).read_text())
    rest = key
    while rest:
        if isinstance(value, list):  # "runs.0.passed": an index into a list
            index, _, rest = rest.partition(".")
            value = value[int(index)]
            continue
        # keys may hold dots ("models/model.pt"): take the longest key that matches
        for name in sorted(value, key=len, reverse=True):
            if rest == name or rest.startswith(name + "."):
                value, rest = value[name], rest[len(name) + 1 :]
                break
        else:
            raise KeyError(f"{file}: no key {rest}")
    return value


def test_every_page_with_numbers_has_a_row():
    assert {row[0] for row in NUMBERS} >= {
        README,
        "docs/experiments.md",
        "docs/interpretability.md",
        "docs/benchmark.md",
        "docs/scale.md",
        "docs/own-data.md",
        "docs/predict.md",
        "docs/reproducibility.md",
    }


@pytest.mark.parametrize(("page", "file", "key", "fmt", "scale"), NUMBERS)
def test_quoted_number_is_the_committed_one(page, file, key, fmt, scale):
    assert file in tracked(), f"{file} is not committed"
    value = _value(file, key) * scale
    text = fmt.format(value)
    assert file in _text(page), f"{page} quotes {file}'s numbers without naming it"
    assert text in " ".join(_text(page).split()), f"{page} lacks {text!r} ({file}: {key})"
