"""The command-line tools users run with `python -m attention_ts.cli.<tool>`: predict on a file,
rank experiments, seeds, sweeps, offline plots pages.
"""
