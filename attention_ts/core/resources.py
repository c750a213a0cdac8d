"""What a run may ask of the machine: threads, processes and batch memory, checked up front.

A flag or param that asks for more than the machine has (`--threads 100000`
meant as a batch size) would start that many threads or allocate that much
memory before failing, and can take the whole machine down with it. Each
check here raises ValueError with the words of what is allowed (pydantic
turns it into the params' one-line error) or is wrapped by the caller into
its PipelineError.
"""

from __future__ import annotations

import os

from attention_ts.core.stage import PipelineError

# what a batch of series costs in memory while a model runs on it, as a multiple of the series'
# own float32 bytes: the layers' activations (a 32-channel front end, a 64-wide recurrence and
# their gradients) stay well under it for every model of the zoo
ACTIVATION_FACTOR = 256
MAX_BATCH_SIZE = 2**20


def cpus() -> int:
    """The CPUs this process may run on (its affinity mask; os.cpu_count() where unknown)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def memory_bytes() -> int:
    """The machine's physical memory in bytes (4 GiB where the OS does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 4 * 2**30


def check_threads(threads: int) -> int:
    """`threads` if this machine has that many CPUs; ValueError (what is allowed) otherwise."""
    if not 1 <= threads <= cpus():
        raise ValueError(f"an integer from 1 to {cpus()} (the CPUs this machine gives the run)")
    return threads


def check_processes(processes: int) -> int:
    """`processes` (data-parallel training) if at most one per CPU; ValueError otherwise."""
    if not 1 <= processes <= cpus():
        raise ValueError(f"an integer from 1 to {cpus()} (one process per CPU at most)")
    return processes


def check_batch_size(batch_size: int) -> int:
    """`batch_size` if at most MAX_BATCH_SIZE series; ValueError otherwise."""
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"an integer from 1 to {MAX_BATCH_SIZE}")
    return batch_size


def check_batch_memory(batch_size: int, channels: int, points: int, key: str) -> None:
    """Refuse a batch of series (channels, points) whose activations would not fit in memory.

    The estimate is batch x channels x points x 4 bytes x ACTIVATION_FACTOR
    against the machine's physical memory. Raises PipelineError naming
    `key` (e.g. "train" for train.batch_size, "--batch-size").
    """
    need = batch_size * channels * points * 4 * ACTIVATION_FACTOR
    if need > memory_bytes():
        largest = max(1, memory_bytes() // (channels * points * 4 * ACTIVATION_FACTOR))
        name = key if key.startswith("--") else f"{key}.batch_size"
        raise PipelineError(
            f"{name} = {batch_size} series of {channels} x {points} points would take about "
            f"{need / 2**30:.0f} GiB with the model's activations, more than this machine's "
            f"{memory_bytes() / 2**30:.0f} GiB; allowed: at most {largest}"
        )
