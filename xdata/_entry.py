"""The ``xdata`` command's entry point: Ctrl-C while the CLI is still starting is an exit, not a traceback.

Importing the CLI loads polars, pyarrow and typer (about half a second); a Ctrl-C then would
print a KeyboardInterrupt traceback. Once a verb runs, ``handle_errors`` handles Ctrl-C itself.
"""

from __future__ import annotations

from .interrupt import report_interrupt

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
