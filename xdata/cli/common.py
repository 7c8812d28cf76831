"""Shared CLI plumbing: the typer app, common options and error handling.

The CLI is thin: each verb parses its arguments and calls one plain public function.
Library code raises; only this layer prints and exits.
"""

from __future__ import annotations

import errno
import functools
import json
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

import typer

from ..errors import XdataError, missing_extra
from ..interrupt import report_interrupt
from ..pipeline.executors.base import DEFAULT_BATCH_SIZE

app = typer.Typer(
    name="xdata",
    help="xdata: versioned, provenance-tagged training data for low-resource languages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
eval_app = typer.Typer(help="Evaluate alignments and projected tags.", no_args_is_help=True)
lexicon_app = typer.Typer(help="Bilingual lexicons: fetch, stats, induce.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
app.add_typer(lexicon_app, name="lexicon")

F = TypeVar("F", bound=Callable[..., Any])

# Options every dataset-writing verb takes, with the same meaning everywhere.
OUT = typer.Option(..., "--out", help="Dataset version directory to write (data/, rejects/, manifest.json, ...).")
SEED = typer.Option(0, "--seed", help="Recipe seed: per-row randomness derives from (seed, step, row id).")
BATCH_SIZE = typer.Option(DEFAULT_BATCH_SIZE, "--batch-size", min=1, help="Rows per batch (does not change the output).")
WORKERS = typer.Option(None, "--workers", min=1, help="Worker processes (default: all cores; does not change the output).")
OVERWRITE = typer.Option(False, "--overwrite", help="Replace a finished dataset already in --out.")
PROGRESS = typer.Option(None, "--progress/--no-progress", help="Progress bar on stderr (default: when a terminal).")


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def handle_errors(fn: F) -> F:
    """Turn library errors into a clear message on stderr and a non-zero exit."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except XdataError as e:
            fail(_one_line(str(e)))
        except ModuleNotFoundError as e:  # an optional model stack is not installed: name its extra
            missing = missing_extra(e)
            if missing is None:
                raise
            fail(str(missing))
        except BrokenPipeError:  # e.g. `xdata lid < big.txt | head`
            sys.stderr.close()
            raise typer.Exit(0) from None
        except KeyboardInterrupt:
            # Workers are already stopped and a dataset --out is left as it was (see xdata.workers).
            report_interrupt()
            raise typer.Exit(130) from None
        except OSError as e:  # disk full, read-only or missing directory, permission denied, ...
            where = f"{e.filename}: " if e.filename else ""
            fail(f"{where}{e.strerror or e}" + (" (nothing was written)" if e.errno in _WRITE_ERRNOS else ""), 1)

    return wrapper  # type: ignore[return-value]


_WRITE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT}


def _one_line(message: str) -> str:
    """Errors are one line: a long message from a library keeps only its first line."""
    first = message.strip().splitlines()
    return first[0] if first else message


def parse_pairs(items: list[str], flag: str, form: str = "KEY=VALUE") -> dict[str, str]:
    """``KEY=VALUE`` items of a repeatable option (``--set``, ``--lang``) as a dict; a bad one fails."""
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            fail(f"{flag} expects {form}, got {item!r}")
        k, v = item.split("=", 1)
        out[k] = v
    return out


def echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def summarize_manifest(manifest: dict[str, Any], out: str | Path) -> None:
    """The one-line report every dataset-writing verb prints on stderr."""
    typer.echo(
        f"wrote {manifest['name']} version {manifest['version']} to {out}: {manifest['rows']:,} rows, "
        f"{manifest.get('rejected_rows', 0):,} rejected; content digest {manifest['content_digest'][:16]}",
        err=True,
    )
    for w in manifest.get("warnings") or []:
        typer.echo(f"warning: {w}", err=True)
