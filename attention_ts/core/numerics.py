"""Same bits on every x86-64 machine: pin the CPU code paths of the numeric libraries.

torch, and numba under aeon's MiniRocket, choose their kernels by the CPU they
run on, so the same params and seed train another model on another machine.
Each library reads one documented switch once, when it first loads or first
runs, so `pin` sets them in `os.environ` before torch is imported (the package's
`__init__` calls it, and `stages/__init__.py` imports the package first), and
overrides whatever the caller exported. Children (DVC's stage processes, a
test's subprocesses) inherit them.

| layer | what it computes | switch | pinned to |
|---|---|---|---|
| ATen | vectorized elementwise ops, reductions, softmax | ATEN_CPU_CAPABILITY | avx2 |
| oneMKL | BLAS (linear layers), vector math | MKL_CBWR (its CNR mode) | COMPATIBLE |
| oneDNN | convolutions, the LSTM | ONEDNN_MAX_CPU_ISA | AVX2 |
| numba | MiniRocket's transform | NUMBA_CPU_NAME, NUMBA_CPU_FEATURES | x86-64-v3, none added |
| OpenBLAS | MiniRocket's ridge head (scikit-learn) | OPENBLAS_CORETYPE | Haswell (AVX2) |

Why these levels, measured with torch 2.13.0 (oneMKL 2024.2, oneDNN 3.12):
- oneMKL accepts its AVX2 branch (or any ISA branch) only on Intel CPUs; on
  AMD it falls back to AUTO, per-machine reproducibility only (MKL_VERBOSE
  shows `CNR:AUTO`). COMPATIBLE (SSE2 without the approximate rcpps/rsqrtps)
  is the branch that gives the same bits on Intel and AMD.
- oneDNN is capped at AVX2, the level every x86-64 server of the last ten
  years has. Training gave the same bits natively (AMD EPYC, AVX-512) and
  under QEMU emulating a Haswell (Intel, AVX2) and an EPYC-Rome (AMD, AVX2),
  for every model QEMU can run; it cannot run oneDNN's AVX2 LSTM kernels
  (QEMU 7.2 faults in their vgatherdps), which gave the same bits across
  those CPUs at the SSE4.1 cap; but there an epoch took about 1.7 times as
  long, while at AVX2 the train stage is as fast as unpinned
  (`python -m benchmarks.numerics`).
- ATen's AVX2 kernels need AVX2 and FMA; a CPU without them (made before
  2013) would stop with an illegal instruction, so there nothing is pinned and
  the numbers are that machine's own (`pinned()` says so).
What no switch covers: torch's float32 `sqrt` goes through oneMKL's vector
math, which uses the CPU's approximate reciprocal square root whatever
MKL_CBWR says (its results differed between the native and the emulated
CPUs); training therefore uses the fused Adam/AdamW kernels, whose square
root is ATen's exact one (see `training.make_optimizer`).

`ATTENTION_TS_NATIVE_NUMERICS=1` turns the pins off: each machine then uses
its fastest code paths and gets its own bits (benchmarks and the tests that
show the pins matter use it). Nothing is pinned on other architectures
(ARM, Apple silicon) or on the GPU, where results are not bitwise portable.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
from pathlib import Path

from attention_ts.core.stage import PipelineError

OPT_OUT = "ATTENTION_TS_NATIVE_NUMERICS"
PINS = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_CBWR": "COMPATIBLE",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "NUMBA_CPU_NAME": "x86-64-v3",  # LLVM's name for AVX2 + FMA (+ BMI, F16C, ...)
    "NUMBA_CPU_FEATURES": "",  # none added to the name's own (numba adds the host's otherwise)
    "OPENBLAS_CORETYPE": "Haswell",  # its AVX2 kernels; DYNAMIC_ARCH picks the host's otherwise
}
ATEN_CAPABILITY = "AVX2"  # what torch.backends.cpu.get_cpu_capability() reports when pinned
MKL_CBWR_BRANCH = 1  # mkl_cbwr_get(MKL_CBWR_BRANCH): the branch in use (mkl_cbwr.h)
MKL_CBWR_COMPATIBLE = 3
X86_64 = ("x86_64", "amd64")
REQUIRED_FEATURES = ("AVX2", "FMA3")  # what ATen's AVX2 kernels are compiled for


class NumericsError(PipelineError):
    """torch runs on other code paths than the pins ask for: results would not be portable."""


def _cpu_supports_pins() -> bool:
    """An x86-64 CPU with AVX2 and FMA, as numpy detects them (cpuid, on every OS)."""
    if platform.machine().lower() not in X86_64:
        return False
    from numpy._core._multiarray_umath import __cpu_features__  # numpy's own cpuid table

    return all(__cpu_features__.get(name, False) for name in REQUIRED_FEATURES)


def pinned() -> bool:
    """Whether this process pins the code paths: not opted out, and a CPU that has them."""
    return os.environ.get(OPT_OUT) != "1" and _cpu_supports_pins()


_torch_loaded_first = False  # torch was imported before `pin`: some libraries may not obey


def pin() -> None:
    """Set every switch in PINS in os.environ, over the caller's values, unless not `pinned()`.

    Call before torch (or numba) is imported; the package's `__init__` does.
    """
    global _torch_loaded_first
    if not pinned():
        return
    _torch_loaded_first = _torch_loaded_first or "torch" in sys.modules
    os.environ.update(PINS)


def native_environ() -> dict[str, str]:
    """This process's environment opted out and without the pins it set: for a child process
    that is to run on its CPU's own code paths (a benchmark's reference). Children inherit the
    pins otherwise, even when they opt out themselves."""
    return {
        **{name: value for name, value in os.environ.items() if name not in PINS},
        OPT_OUT: "1",
    }


def _mkl_branch() -> int | None:
    """oneMKL's CNR branch in use (3 = COMPATIBLE), or None if this torch has no oneMKL."""
    import torch

    library = Path(torch.__file__).parent / "lib" / "libtorch_cpu.so"
    try:
        get = ctypes.CDLL(str(library)).mkl_serv_cbwr_get
    except (OSError, AttributeError):  # another platform's library, or a build without oneMKL
        return None
    return get(MKL_CBWR_BRANCH)


def check() -> None:
    """Raise NumericsError unless torch really runs the pinned code paths (when `pinned()`).

    Checks ATen's capability and oneMKL's CNR branch as the libraries report
    them, and that torch was not imported before `pin` (oneDNN, which has no
    query, would then run unpinned). Imports torch.
    """
    if not pinned():
        return
    import torch

    capability = torch.backends.cpu.get_cpu_capability()
    branch = _mkl_branch()
    problems = []
    if _torch_loaded_first:
        problems.append("torch was imported before attention_ts")
    if capability != ATEN_CAPABILITY:
        problems.append(f"ATen runs {capability} kernels, not {ATEN_CAPABILITY}")
    if branch not in (None, MKL_CBWR_COMPATIBLE):
        problems.append(f"oneMKL runs CNR branch {branch}, not COMPATIBLE ({MKL_CBWR_COMPATIBLE})")
    if problems:
        raise NumericsError(
            "torch's CPU code paths are not pinned (" + "; ".join(problems) + "), so results "
            f"would differ between machines; allowed: import attention_ts before torch, or set "
            f"{OPT_OUT}=1 to run on this CPU's own code paths"
        )


def describe_cpu() -> str:
    """The CPU and the code paths torch runs on it, for messages and benchmark records."""
    import torch

    name = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
        name = names[0].split(":", 1)[1].strip() if names else name
    from numpy._core._multiarray_umath import __cpu_features__

    avx512 = "with" if __cpu_features__.get("AVX512F") else "without"
    paths = "pinned" if pinned() else "native"
    return (
        f"{name} ({platform.machine()}, {avx512} AVX-512), {os.cpu_count()} cores; torch "
        f"{torch.__version__} runs {torch.backends.cpu.get_cpu_capability()} kernels "
        f"({paths} numerics)"
    )
