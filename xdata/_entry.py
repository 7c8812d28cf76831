"""The ``xdata`` command's entry point: Ctrl-C while the CLI is still starting is an exit, not a traceback.

Importing the CLI loads polars, pyarrow and typer (about half a second); a Ctrl-C then would
print a KeyboardInterrupt traceback. Once a verb runs, ``handle_errors`` handles Ctrl-C itself.
"""

from __future__ import annotations

import sys

INTERRUPTED = "interrupted: stopped without writing a result (any --out is as it was before)"


def main() -> None:
    try:
        from .cli import main as cli_main

        cli_main()
    except KeyboardInterrupt:
        sys.stderr.write(INTERRUPTED + "\n")
        raise SystemExit(130) from None
