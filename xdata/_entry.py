"""The ``xdata`` command's entry point: Ctrl-C while the CLI is still starting is an exit, not a traceback.

Importing the CLI loads polars, pyarrow and typer (about half a second); a Ctrl-C then would
print a KeyboardInterrupt traceback. Once a verb runs, ``handle_errors`` handles Ctrl-C itself.
"""

from __future__ import annotations

import sys

INTERRUPTED = "interrupted: stopped without writing a result (any --out is as it was before)"
_reported = False


def report_interrupt() -> None:
    """Say once that the command was interrupted (typer turns a Ctrl-C during argument parsing
    into a silent exit 130; the verbs' own handler reports one during the work)."""
    global _reported
    if not _reported:
        _reported = True
        sys.stderr.write(INTERRUPTED + "\n")
        sys.stderr.flush()


def main() -> None:
    try:
        from .cli import main as cli_main

        cli_main()
    except KeyboardInterrupt:
        report_interrupt()
        raise SystemExit(130) from None
    except SystemExit as e:
        if e.code == 130:
            report_interrupt()
        raise
