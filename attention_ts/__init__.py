"""Attention on time series, reproducibly: the logic the DVC stages in stages/ share."""
