"""Same bits on every x86-64 machine: the pinned CPU code paths, and the golden run proving it.

The golden run (tests/golden.py) is a tiny training whose weight hashes and
scores are committed; whichever machine runs these tests must compute exactly
those, and so must a CPU of another kind emulated by QEMU (marked `system`:
it needs QEMU and a minute, and runs apart, `pytest -m system`, as CI does after the suite;
skipped without qemu-user, unless ATTENTION_TS_REQUIRE_QEMU=1, as CI sets it). The caller's
environment cannot undo the pins, and without the pins the same run gives
other bits, so these tests can fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from attention_ts.core import numerics
from tests.conftest import CALLER_SWITCHES, REPO
from tests.golden import EMULATED_MODELS, GOLDEN
from tests.project import project_env

PINNED = {numerics.OPT_OUT: "0"}  # whatever the caller exported: these tests are about the pins
NATIVE = {numerics.OPT_OUT: "1"}
MODELS_USING = {  # the golden models each switch's library computes for (MiniRocket: numba)
    "ATEN_CPU_CAPABILITY": "bilstm_attention,cnn",
    "MKL_CBWR": "bilstm_attention,cnn",
    "ONEDNN_MAX_CPU_ISA": "bilstm_attention,cnn",
    "NUMBA_CPU_NAME": "minirocket",
}
# QEMU's Intel Haswell: AVX2 without AVX-512, Intel's vendor string and cache sizes; the
# golden file was recorded on an AMD CPU with AVX-512 (its recorded_on says which)
EMULATED_CPUS = ["Haswell-v4"]
pytestmark = pytest.mark.skipif(not numerics.pinned(), reason="no AVX2 x86-64 CPU: nothing pinned")


def _python(code_or_module: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *code_or_module],
        cwd=REPO,
        env={**project_env(), **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def _golden_run(env: dict[str, str], models: str | None = None) -> dict:
    """`python -m tests.golden` in a fresh process with `env`: its results by model."""
    done = _python(["-m", "tests.golden", *(["--models", models] if models else [])], env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _committed() -> dict:
    return json.loads(GOLDEN.read_text())


def test_the_golden_run_gives_the_committed_bits():
    done = _python(["-m", "tests.golden", "--check"], PINNED)
    assert done.returncode == 0, f"a CPU code path is not pinned:\n{done.stdout}{done.stderr}"
    assert done.stdout.endswith("all the same bits\n")


@pytest.mark.system  # QEMU, a minute: runs apart (`pytest -m system`, as .ci/run does)
@pytest.mark.parametrize("cpu", EMULATED_CPUS)
def test_an_emulated_cpu_of_another_kind_gives_the_committed_bits(cpu):
    """Another vendor's or generation's CPU, emulated by QEMU: another machine, in one test.

    Every golden model that QEMU 7.2 can run: it faults in the vgatherdps of
    oneDNN's AVX2 LSTM kernels, which real CPUs run (see attention_ts/core/numerics.py).
    """
    if shutil.which("qemu-x86_64") is None:
        reason = "no qemu-x86_64 (apt-get install qemu-user)"
        if os.environ.get("ATTENTION_TS_REQUIRE_QEMU") == "1":
            pytest.fail(f"ATTENTION_TS_REQUIRE_QEMU=1 but {reason}")
        pytest.skip(reason)
    models = ",".join(EMULATED_MODELS)
    done = _python(["-m", "tests.golden", "--cpu", cpu, "--models", models], PINNED)
    assert done.returncode == 0, done.stderr
    committed = _committed()["models"]
    assert json.loads(done.stdout)["models"] == {name: committed[name] for name in EMULATED_MODELS}


def test_the_switches_the_caller_exports_are_overridden():
    """Every library's switch exported at once, to another value than its pin: the same bits."""
    models = ",".join(dict.fromkeys(",".join(MODELS_USING.values()).split(",")))
    expected = {name: _committed()["models"][name] for name in models.split(",")}
    assert _golden_run({**CALLER_SWITCHES, **PINNED}, models)["models"] == expected


@pytest.mark.parametrize("switch", sorted(set(CALLER_SWITCHES) - {"NUMBA_CPU_NAME"}))
def test_a_switch_the_caller_exports_would_change_the_bits_without_the_pins(switch):
    """So each pin matters (numba's is not: see the next test)."""
    models = MODELS_USING[switch]
    expected = {name: _committed()["models"][name] for name in models.split(",")}
    exported = {switch: CALLER_SWITCHES[switch]}
    assert _golden_run({**exported, **NATIVE}, models)["models"] != expected


def test_numba_compiles_for_the_pinned_cpu_whatever_the_caller_exports():
    """MiniRocket's features are counts above thresholds, robust to rounding; the target is not."""
    code = "import attention_ts, numba.core.config as c; print(c.CPU_NAME, repr(c.CPU_FEATURES))"
    pinned = _python(["-c", code], {"NUMBA_CPU_NAME": "generic", **PINNED})
    native = _python(["-c", code], {"NUMBA_CPU_NAME": "generic", **NATIVE})
    assert pinned.stdout.split() == ["x86-64-v3", "''"]
    assert native.stdout.split() == ["generic", "''"]


def test_onednn_runs_its_avx2_kernels_whatever_the_caller_exports():
    """oneDNN has no query for its ISA; its verbose mode names it."""
    code = "import attention_ts, torch; torch.conv1d(torch.ones(2, 1, 50), torch.ones(4, 1, 5))"
    env = {"ONEDNN_VERBOSE": "1", "ONEDNN_MAX_CPU_ISA": "SSE41"}
    assert "isa:Intel AVX2\n" in _python(["-c", code], {**env, **PINNED}).stdout
    assert "isa:Intel SSE4.1\n" in _python(["-c", code], {**env, **NATIVE}).stdout


def test_torch_loaded_before_the_package_is_refused_in_one_line():
    code = "import torch, attention_ts.training.loop as t; t.make_deterministic(0, 1)"
    done = _python(["-c", code], PINNED)
    assert done.returncode != 0
    assert "NumericsError: torch's CPU code paths are not pinned (torch was imported before" in (
        done.stderr
    )
    assert "allowed: import attention_ts before torch" in done.stderr


def test_nothing_is_pinned_where_the_pins_cannot_run(monkeypatch):
    monkeypatch.setattr(numerics.platform, "machine", lambda: "aarch64")
    assert not numerics.pinned()
    monkeypatch.setattr(numerics.platform, "machine", lambda: "x86_64")
    monkeypatch.setenv(numerics.OPT_OUT, "1")
    assert not numerics.pinned()
    monkeypatch.setenv(numerics.OPT_OUT, "0")
    assert numerics.pinned()
    from numpy._core._multiarray_umath import __cpu_features__

    monkeypatch.setitem(__cpu_features__, "AVX2", False)  # a CPU from before 2013
    assert not numerics.pinned()


@pytest.mark.e2e
def test_without_the_pins_the_switches_the_caller_exports_change_the_stages_bytes(
    built_project, tmp_path
):
    """The other half of test_pipeline.py's forced rerun, where the same switches change nothing."""
    project = built_project.copy(tmp_path / "project")
    before = (project.root / "models/model.pt").read_bytes()
    project.repro("-f", "-s", "train", env={**CALLER_SWITCHES, **NATIVE})
    assert (project.root / "models/model.pt").read_bytes() != before
