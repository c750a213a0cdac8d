"""Stage check_params: validate the whole params.yaml, so a misspelled key never goes unnoticed.

The other stages validate too, but DVC reruns a stage only when one of its own
keys changes; this stage depends on the whole file, so adding an unknown key
(say `train.lrr`) fails `dvc repro` instead of being silently ignored.
"""

from attention_ts.config.params import load_params
from attention_ts.core.stage import run


def main() -> None:
    load_params()
    print("params.yaml: all keys known and valid")


if __name__ == "__main__":
    run(main)
