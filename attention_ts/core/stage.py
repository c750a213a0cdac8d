"""What every stage entry point shares: one error type and a runner for it.

Expected failures (bad params, bad input files) become one line on stderr and a
non-zero exit instead of a traceback, so the user sees what to fix. Ctrl-C
(SIGINT) and SIGTERM (what `kill`, `timeout`, CI runners and schedulers send)
take the same clean path: the exception they raise unwinds the stage, so every
`atomic_output` removes its temporary file and no output is left half-written.
(Without a handler, SIGTERM ends the process at once and no `finally` block
runs.)
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from types import FrameType

EXIT_USAGE = 2
EXIT_SIGNAL_BASE = 128  # as a shell reports death by signal N: 130 for SIGINT, 143 for SIGTERM
INTERRUPTS = (signal.SIGINT, signal.SIGTERM)


class PipelineError(Exception):
    """A failure the user can fix: the message says what is wrong and what is allowed."""

    def __str__(self) -> str:
        """The message on one line: a line break or other unprintable character a user's
        key, label or file name brought in is shown escaped, as `repr` shows it."""
        message = super().__str__()
        return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived; a KeyboardInterrupt, so no `except Exception` stops it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """Signal handler: unwind the stage, ignoring further signals so that its cleanup finishes."""
    for number in INTERRUPTS:
        signal.signal(number, signal.SIG_IGN)
    raise Interrupted(signum)


def run(main: Callable[[], None], again: str = "`dvc repro` reruns an unfinished stage") -> None:
    """Run a stage's `main`; expected failures and interrupts end in one line and an exit code.

    `again` ends the interrupt's line: how to finish what was stopped. Exit codes: 2 for a
    PipelineError; 128 + the signal number for an
    interrupt (130 for SIGINT, 143 for SIGTERM), which is what a shell reports
    for a process the signal killed. A signal ignored when the process started
    (as SIGINT is in a shell's background jobs) stays ignored.
    """
    for number in INTERRUPTS:
        if signal.getsignal(number) is not signal.SIG_IGN:
            signal.signal(number, _interrupt)
    try:
        main()
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt as interrupt:
        signum = interrupt.signum if isinstance(interrupt, Interrupted) else signal.SIGINT
        print(
            f"interrupted by {signal.Signals(signum).name}: stopped before finishing; outputs "
            f"may be missing or out of date but none is half-written; {again}",
            file=sys.stderr,
        )
        sys.exit(EXIT_SIGNAL_BASE + signum)
