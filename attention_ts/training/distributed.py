"""Data-parallel training: several processes, one model, each process a share of every batch.

`train.processes = N > 1` makes the train stage start itself again under
torchrun (torch's launcher, `python -m torch.distributed.run --standalone
--nproc-per-node N`) on this machine; launched by torchrun yourself (several
nodes: docs/scale.md), the stage takes the world torchrun describes. Each
process joins a process group (gloo on the CPU, NCCL on GPUs, one GPU per
process), the model is wrapped in DistributedDataParallel, which averages the
gradients over the processes after every backward pass, and the training
loop gives each process every world-th series of each batch
(`training.train`). Same params, seed and world size: the same model, bit
for bit; another world size sums the gradients in another order, so its
bits differ.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.distributed as dist
from torch import nn

from attention_ts.core.stage import PipelineError

LAUNCHED = "TORCHELASTIC_RUN_ID"  # torchrun sets it in every process it starts


def launched() -> bool:
    """Whether this process was started by torchrun (it then has RANK, WORLD_SIZE, ...)."""
    return LAUNCHED in os.environ


def relaunch(processes: int, module: str) -> int:
    """Run `python -m module` again as `processes` processes under torchrun; its exit status.

    On this machine only (--standalone: a rendezvous on localhost); the
    children see `launched()` and train together.
    """
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc-per-node={processes}",
        "-m",
        module,
    ]
    return subprocess.run(command, check=False).returncode


def check_devices(processes: int, device: torch.device) -> None:
    """Refuse more processes than GPUs on CUDA (each process takes its own GPU): PipelineError."""
    if device.type == "cuda" and processes > torch.cuda.device_count():
        raise PipelineError(
            f"train.processes = {processes} on CUDA, but torch sees "
            f"{torch.cuda.device_count()} GPU(s); allowed: at most one process per GPU"
        )


def world() -> tuple[int, int]:
    """(rank, world size) of this process: (0, 1) outside a process group."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def local_processes() -> int:
    """Processes of this job on this machine (torchrun's LOCAL_WORLD_SIZE; 1 when not launched)."""
    return int(os.environ.get("LOCAL_WORLD_SIZE", "1"))


@contextmanager
def process_group(device: torch.device) -> Iterator[torch.device]:
    """Join torchrun's process group for the duration, when launched; yield the device to use.

    gloo on the CPU, NCCL on CUDA, where each process takes the GPU of its
    LOCAL_RANK. Not launched: nothing is joined and `device` is yielded as is.
    """
    if not launched():
        yield device
        return
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    try:
        yield device
    finally:
        dist.destroy_process_group()


def wrap(model: nn.Module, device: torch.device) -> nn.Module:
    """`model` in DistributedDataParallel inside a process group of several, else `model`."""
    if world()[1] == 1:
        return model
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=ids)


def total(value: float, device: torch.device) -> float:
    """The sum of `value` over every process (itself outside a process group)."""
    if world()[1] == 1:
        return value
    summed = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(summed)
    return float(summed.item())
