"""Fuzz the params validator: whatever a params.yaml holds, it is accepted or refused in one line.

Starts from the committed params.yaml (its keys are read at run time, so new
sections are fuzzed too) and mangles it at random: a value or a whole section
replaced by one of another type (None, text, huge, negative, NaN or infinite
numbers, bools, lists, nested mappings), keys deleted, unknown keys added.
The validator must return Params or raise ParamsError (or the PipelineError of a
limit of this machine, such as a batch too big for its memory; stages end either
in one line and exit 2) with a message saying
what is allowed, never another exception: a traceback is a bug.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from attention_ts.config.params import Params, ParamsError, build, load_params
from attention_ts.core.stage import PipelineError
from tests.conftest import REPO, default_raw_params, write_params

FUZZ = settings(deadline=None)  # a first call may import slowly; time is not what is tested
CLEAR = ("allowed", " is missing; ", " is not valid YAML: ")  # what every refusal says
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, -1, 1, 2**31, 2**63, 2**64]),  # edges of sizes, seeds, C integers
    st.sampled_from([10**400, -(10**400)]),  # integers beyond the range of a float
    st.floats(),  # NaN and infinities included
    st.floats(-2, 2),  # near the edges of fractions and sizes
    st.text(max_size=12),
    st.sampled_from(["", "1e3", "nan", ".inf", "true", "null", "bilstm_attention", "adamw"]),
)
KEYS = st.one_of(
    st.text(max_size=10),
    st.sampled_from(["", "lr ", "a\nb", "trian"]),  # a line break in a key, a typo
    st.integers(),
    st.none(),
    st.booleans(),
    st.floats(),
)
GARBAGE = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=6,
)
VALUES = SCALARS | GARBAGE  # half of them plain values: those reach the checks of each key


def _paths(tree: object, prefix: tuple = ()) -> list[tuple]:
    """Every key path in `tree` (sections and leaves), `()` (the whole file) first."""
    paths = [prefix]
    if isinstance(tree, dict):
        for key, value in tree.items():
            paths += _paths(value, (*prefix, key))
    return paths


def _get(tree: object, path: tuple) -> object:
    for key in path:
        tree = tree[key]
    return tree


def _mangle(data: st.DataObject) -> object:
    """The committed params with one to three random mutations, drawn step by step.

    scalar: a key's value becomes a plain value, which reaches that key's own
    checks; replace: any value, or the whole file, becomes anything; delete:
    a key goes; add: a mapping gets an unknown key.
    """
    raw: object = default_raw_params()
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        kind = data.draw(st.sampled_from(["scalar", "replace", "delete", "add"]), label="kind")
        paths = _paths(raw)
        if kind in ("scalar", "delete"):
            paths = paths[1:]  # keys, not the whole file
        elif kind == "add":
            paths = [path for path in paths if isinstance(_get(raw, path), dict)]
        if not paths:
            continue
        path = data.draw(st.sampled_from(paths), label="path")
        if kind == "add":
            _get(raw, path)[data.draw(KEYS, label="key")] = data.draw(VALUES, label="value")
        elif kind == "delete":
            del _get(raw, path[:-1])[path[-1]]
        elif path:
            value = data.draw(SCALARS if kind == "scalar" else VALUES, label="value")
            _get(raw, path[:-1])[path[-1]] = value
        else:
            raw = data.draw(VALUES, label="file")
    return raw


def _assert_clear(error: PipelineError) -> None:
    """One line that says what is allowed, what is missing, or where the YAML is broken."""
    message = str(error)
    assert len(message.splitlines()) == 1, message
    assert any(words in message for words in CLEAR), message


@settings(FUZZ, max_examples=400)
@given(st.data())
def test_mangled_params_are_accepted_or_refused_with_a_clear_message(data):
    raw = _mangle(data)
    before = repr(raw)  # repr, not ==: NaN != NaN
    try:
        params = build(Params, raw)
    except PipelineError as error:  # ParamsError, or a limit of this machine (resources.py)
        _assert_clear(error)
    else:
        assert isinstance(params, Params)
    assert repr(raw) == before, "validation changed its input"


YAML_TEXTS = st.one_of(
    st.text(max_size=80),
    st.binary(max_size=80).map(lambda b: b.decode("latin-1")),
    st.sampled_from(
        [
            "",
            "~",
            "- a\n- b\n",
            "42",
            "'just text'",
            "generate: [unclosed\n",
            "generate: {n_series: 1}\n\tsplit: 1\n",  # a tab
            "? [a, b]\n: 1\n",  # a key YAML can parse but Python cannot hash
            "a: &x [*x]\n",  # a list that contains itself
            "generate: !!python/object:os.system {}\n",
            "train: !!binary aGVsbG8=\n",
            "train: 2024-01-01\n",
            "[" * 200 + "]" * 200,
            "generate: {n_series: " + "9" * 5000 + "}\n",  # past Python's int-from-text limit
        ]
    ),
)


def _assert_refused(path: Path) -> None:
    try:
        load_params(path)
    except ParamsError as error:
        _assert_clear(error)
    else:
        raise AssertionError(f"accepted {path.read_bytes()!r}")


@settings(FUZZ, max_examples=150)
@given(YAML_TEXTS)
def test_any_text_in_params_yaml_is_refused_with_a_clear_message(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("text") / "params.yaml"
    path.write_text(text)
    _assert_refused(path)


@settings(FUZZ, max_examples=100)
@given(st.binary(max_size=80))
def test_any_bytes_in_params_yaml_are_refused_with_a_clear_message(tmp_path_factory, content):
    """Mostly not UTF-8, as a file saved in another encoding, say a Latin-1 comment, is not."""
    path = tmp_path_factory.mktemp("bytes") / "params.yaml"
    path.write_bytes(content)
    _assert_refused(path)


@settings(FUZZ, max_examples=4)
@given(st.data())
def test_check_stage_exits_2_with_the_one_line(tmp_path_factory, data):
    """What the validator says in-process, the check stage prints as its only line."""
    workdir: Path = tmp_path_factory.mktemp("stage")
    write_params(workdir / "params.yaml", _mangle(data))
    try:
        load_params(workdir / "params.yaml")
    except ParamsError as error:
        expected = f"error: {error}"
    else:
        expected = None
    result = subprocess.run(
        [sys.executable, "-m", "stages.check"],
        cwd=workdir,
        env={"PYTHONPATH": str(REPO), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    if expected is None:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode == 2
        assert result.stderr.splitlines() == [expected]
