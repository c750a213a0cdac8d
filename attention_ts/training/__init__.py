"""Fitting and scoring a model: the training loop, data-parallel training, metrics, evaluation."""
