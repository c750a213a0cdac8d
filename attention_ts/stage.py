"""What every stage entry point shares: one error type and a runner for it.

Expected failures (bad params, bad input files) become one line on stderr and a
non-zero exit instead of a traceback, so the user sees what to fix.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class PipelineError(Exception):
    """A failure the user can fix: the message says what is wrong and what is allowed."""


def run(main: Callable[[], None]) -> None:
    """Run a stage's `main`, turning expected failures into one line and an exit code."""
    try:
        main()
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        print("interrupted: no output was written", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
