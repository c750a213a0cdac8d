"""Stage check: the gate every other stage stands behind -> data/check/.

DVC removes a stage's outputs before it runs it, so a stage that refuses its
input has already lost the last run's outputs. This stage runs first
whenever params.yaml changes (it depends on the whole file) or a data file
changes (its output links to them), and every other stage depends on its
output, so DVC runs it before them and stops the run when it fails: a bad
param, a missing, unreadable or invalid data file, or data the settings
cannot train on is refused in one line while every output is as it was.
Its output is a constant marker (`ok`) and, for `dataset.source = file`,
symlinks to the data files (`train`, `test`): DVC hashes what they point
to, so editing a data file reruns this stage and the ones after it, and a
valid change of params reruns nothing that does not read it.
"""

import os
from pathlib import Path

from attention_ts.config.params import load_params
from attention_ts.core.io import atomic_output
from attention_ts.core.stage import run
from attention_ts.data.checks import check_data, check_files

OUTPUT = Path("data/check")
MARKER = "ok"  # the file the stages that read no data file (the benchmark) depend on


def main() -> None:
    params = load_params()
    for note in check_files(params):
        print(note)
    with atomic_output(OUTPUT) as tmp:
        tmp.mkdir()
        (tmp / MARKER).write_text("params.yaml and the data files are valid\n")
        if params.dataset.source == "file":
            dataset, test = check_data(params)
            for name, path in zip(("train", "test"), params.dataset.files().values()):
                target = path if path.is_absolute() else os.path.relpath(path.resolve(), OUTPUT)
                (tmp / name).symlink_to(target)
            shown = f"{len(dataset.table)} series" + (
                f", test file {len(test.table)}" if test is not None else ""
            )
            print(f"params.yaml valid; {params.dataset.path}: {shown}, classes {dataset.classes}")
        else:
            print("params.yaml valid")


if __name__ == "__main__":
    run(main)
