"""Saying once that a command was interrupted (Ctrl-C), from wherever the interrupt is caught."""

from __future__ import annotations

import sys

INTERRUPTED = "interrupted: stopped without writing a result (any --out is as it was before)"
_reported = False


def report_interrupt() -> None:
    """Write :data:`INTERRUPTED` to stderr, once per process (typer turns a Ctrl-C during argument
    parsing into a silent exit 130; the verbs' own handler reports one during the work)."""
    global _reported
    if not _reported:
        _reported = True
        sys.stderr.write(INTERRUPTED + "\n")
        sys.stderr.flush()
