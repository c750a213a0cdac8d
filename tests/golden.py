"""The golden run: a tiny, fixed training whose bits every x86-64 machine must reproduce.

    python -m tests.golden                 # this machine's result, as JSON
    python -m tests.golden --check         # same bits as tests/data/golden.json? exit 1 if not
    python -m tests.golden --write         # record it in tests/data/golden.json
    python -m tests.golden --cpu Haswell-v4 --check   # the same under QEMU emulating that CPU

It generates 400 noisy series of 100 points, splits them, and trains each
model of GOLDEN_MODELS for six epochs through the pipeline's own code
(`fit_model`, `predict`): LSTMs and convolutions (oneDNN), linear layers
(oneMKL), elementwise ops and softmax (ATen), fused AdamW, and MiniRocket's
numba transform. For each model it records a SHA-256 of the trained weights
and of the test probabilities, the best validation loss and the test F1.
tests/test_numerics.py compares a fresh run with the committed file, so every
machine that runs the tests checks that it computes the same bits as the one
that recorded them. Rewrite the file only for a deliberate change of the
numbers (new model code, new defaults), never to make a machine pass.

`--cpu NAME` reruns this module under `qemu-x86_64 -cpu NAME` (Debian's
qemu-user), another CPU than the host's, with its own instruction sets,
vendor and cache sizes: `qemu-x86_64 -cpu help` lists them. Its emulation
is about 10x slower, and QEMU 7.2 faults in oneDNN's AVX2 LSTM kernels (in
their vgatherdps, which real CPUs run), so there pass `--models` without the
LSTM models (tests/test_numerics.py uses EMULATED_MODELS).
"""

from __future__ import annotations

import attention_ts  # noqa: F401  (first: pins torch's CPU code paths before torch loads)

# isort: split
import argparse
import hashlib
import json
import os
import subprocess
import sys
import sysconfig

import numpy as np

from attention_ts.config.params import Params, build
from attention_ts.core.numerics import describe_cpu
from attention_ts.data.dataset import split
from attention_ts.data.synthetic import generate
from attention_ts.models.classifiers import predict
from attention_ts.training.loop import fit_model
from attention_ts.training.metrics import binary_f1
from tests.conftest import REPO, tiny_raw_params

GOLDEN = REPO / "tests/data/golden.json"
GOLDEN_MODELS = (
    "bilstm_attention",
    "local_attention",
    "lstm",
    "cnn",
    "transformer",
    "mlp",
    "minirocket",
)
# the models without an LSTM: QEMU 7.2 faults in oneDNN's AVX2 LSTM kernels (its vgatherdps)
EMULATED_MODELS = tuple(name for name in GOLDEN_MODELS if "lstm" not in name)
THRESHOLD = 0.5


def golden_params() -> Params:
    """The committed defaults, shrunk: 400 series x 100 points with noise, 6 epochs, 1 thread."""
    raw = tiny_raw_params()
    raw["generate"].update(n_series=400, n_points=100, noise=0.1)
    raw["model"].update(n_kernels=84)  # minirocket: its smallest kernel set
    raw["train"].update(max_epochs=6, threads=1)
    return build(Params, raw)


def _sha256(*arrays) -> str:
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(array.tobytes())
    return digest.hexdigest()


def golden_run(models: tuple[str, ...] = GOLDEN_MODELS) -> dict:
    """Train each of `models` on the golden data; the bits and scores that must not move."""
    params = golden_params()
    data = generate(params.generate)
    parts = split(data.table["label"], params.split.fractions(), params.split.seed)
    train_set, val_set, test_set = (data.subset(parts[name]) for name in ("train", "val", "test"))
    results = {"data_sha256": _sha256(data.series), "models": {}}
    for name in models:
        config = params.model.model_copy(update=dict(name=name))
        model, _, result = fit_model(config, params.train, train_set, val_set, lambda s: None)
        state = model.state_dict()
        probabilities, _ = predict(model, test_set.series)
        positive = np.ascontiguousarray(probabilities[:, 1])  # (n,) as before classes existed
        predicted = positive >= THRESHOLD
        f1 = binary_f1(test_set.table["label"], predicted)
        results["models"][name] = {
            "weights_sha256": _sha256(*(state[key].numpy() for key in sorted(state))),
            "test_probabilities_sha256": _sha256(positive),
            "best_val_loss": result.best_val_loss,
            "test_f1": f1,
        }
    return results


def under_qemu(cpu: str, args: list[str]) -> subprocess.CompletedProcess:
    """This module run by `qemu-x86_64 -cpu <cpu>` with this interpreter and its packages."""
    interpreter = os.path.realpath(sys.executable)  # QEMU runs the binary, not the venv's link
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), sysconfig.get_path("purelib")])}
    command = ["qemu-x86_64", "-cpu", cpu, interpreter, "-m", "tests.golden", *args]
    return subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, check=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--write", action="store_true", help=f"record the result in {GOLDEN}")
    parser.add_argument(
        "--check", action="store_true", help=f"compare with {GOLDEN}; exit 1 if a bit differs"
    )
    parser.add_argument("--cpu", help="run under qemu-x86_64 emulating this CPU model")
    parser.add_argument("--models", default=",".join(GOLDEN_MODELS), help="comma-separated")
    args = parser.parse_args(argv)
    if args.cpu:
        done = under_qemu(args.cpu, ["--models", args.models, *(["--check"] if args.check else [])])
        said = done.stderr.splitlines(keepends=True)
        sys.stderr.write("".join(line for line in said if "TCG doesn't support" not in line))
        print(done.stdout, end="")
        sys.exit(done.returncode)
    results = golden_run(tuple(args.models.split(",")))
    if args.write:
        GOLDEN.write_text(json.dumps({"recorded_on": describe_cpu(), **results}, indent=2) + "\n")
    if args.check:
        sys.exit(check(results))
    print(json.dumps(results, indent=2))


def check(results: dict) -> int:
    """Say whether `results` has the committed bits, model by model; 0 if all do, else 1."""
    committed = json.loads(GOLDEN.read_text())
    differ = [name for name, got in results["models"].items() if got != committed["models"][name]]
    if results["data_sha256"] != committed["data_sha256"]:
        differ.insert(0, "the generated data")
    verdict = f"differ: {', '.join(differ)}" if differ else "all the same bits"
    print(
        f"{len(results['models'])} models on {describe_cpu()}\nvs {GOLDEN.name}, recorded on "
        f"{committed['recorded_on']}:\n{verdict}"
    )
    return 1 if differ else 0


if __name__ == "__main__":
    main()
