"""How conv_attention pools over time: gated average vs softmax attention vs plain average.

    python -m benchmarks.pooling    # 2 minutes on 2 cores, after `dvc repro benchmark/dvc.yaml`

Fits conv_attention at its benchmark settings (`Params.benchmark_config`)
on resample 0 of each dataset (the benchmark's split stage's
data/benchmark/<dataset>/0/), three times: with its own pooling
(`GatedAveragePooling`), with softmax gated attention in its place
(`GatedAttention`: the weights sum to 1 and compete), and with plain
global average pooling (ResNet's own: every gate 1). Validation and test
accuracy of each go to benchmarks/pooling.json. This is how the model's
pooling was chosen; the choice was made on validation, and the test column
is reported, never used.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from attention_ts.config.params import load_params
from attention_ts.data.archive import split_dir
from attention_ts.data.dataset import load_dataset
from attention_ts.models.classifiers import (
    ConvAttention,
    GatedAttention,
    GatedAveragePooling,
    predict,
)
from attention_ts.training.fitting import fit_and_score

RESULTS = Path(__file__).resolve().parent / "pooling.json"
DATASETS = ("ArrowHead", "GunPoint", "ItalyPowerDemand", "OSULeaf")


class AveragePooling(GatedAveragePooling):
    """ResNet's global average pooling, shaped as the gated one with every gate 1."""

    def forward(
        self, states: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        ones = states.new_ones(states.shape[:2])  # (batch, steps)
        weights = ones if mask is None else ones.masked_fill(~mask, 0.0)
        weights = weights / weights.sum(dim=1, keepdim=True)
        return torch.bmm(weights.unsqueeze(1), states).squeeze(1), weights


POOLINGS: dict[str, type[nn.Module]] = {
    "gated average (conv_attention)": GatedAveragePooling,
    "softmax attention": GatedAttention,
    "average (ResNet)": AveragePooling,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    params = load_params()
    config, train = params.benchmark_config("conv_attention")
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name, pooling in POOLINGS.items():
        ConvAttention.pooling = pooling
        for dataset in args.datasets:
            splits = [load_dataset(split_dir(dataset, 0), s) for s in ("train", "val", "test")]
            fitted = fit_and_score("conv_attention", config, train, tuple(splits), 0.5)
            val = splits[1]
            probabilities, _ = predict(fitted.checkpoint.model, val.series, val.model_lengths())
            val_accuracy = float(np.mean(probabilities.argmax(axis=1) == val.table["label"]))
            results.setdefault(name, {})[dataset] = {
                "val_accuracy": val_accuracy,
                "test_accuracy": fitted.metrics["accuracy"],
            }
            print(name, dataset, results[name][dataset], flush=True)
    ConvAttention.pooling = GatedAveragePooling
    for rows in results.values():
        rows["mean"] = {
            key: float(np.mean([row[key] for row in rows.values()]))
            for key in ("val_accuracy", "test_accuracy")
        }
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
