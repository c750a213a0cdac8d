"""Worker for tests/test_streaming.py: train a tiny model in torchrun's process group.

    python -m torch.distributed.run --standalone --nproc-per-node 2 tests/ddp_train.py OUT

Generates 200 series of 100 points (the project's generator), splits them,
trains params.yaml's model for 2 epochs in the process group torchrun
describes (`distributed.process_group`) and, in rank 0, writes the state
dict's tensors to OUT (torch.save) with the world size and the epoch losses.
"""

import attention_ts  # noqa: F401  (first: pins the numerics before torch loads)

# isort: split
import sys

import torch

from attention_ts.config.params import load_params
from attention_ts.data.dataset import split
from attention_ts.data.synthetic import generate
from attention_ts.training import distributed
from attention_ts.training.loop import fit_model

params = load_params()
generated = generate(params.generate.model_copy(update=dict(n_series=200, n_points=100)))
parts = split(generated.table["label"], (0.7, 0.3), seed=0)
train_set, val_set = (generated.subset(parts[name]) for name in ("train", "val"))
settings = params.train.model_copy(update=dict(max_epochs=2, min_steps=0, batch_size=16, threads=2))
with distributed.process_group(torch.device("cpu")):
    rank, world = distributed.world()
    model, _, result = fit_model(params.model, settings, train_set, val_set, lambda s: None)
if rank == 0:
    losses = [stats.train_loss for stats in result.history]
    torch.save({"world": world, "state": model.state_dict(), "losses": losses}, sys.argv[1])
