"""Text verbs: language identification (``xdata lid``)."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Optional

import typer

from .common import app, handle_errors


@app.command()
@handle_errors
def lid(
    model: Optional[Path] = typer.Option(None, "--model", help="fastText LID model (default: lid.176.ftz)."),
    k: int = typer.Option(1, "--k", min=1, help="Languages per line (lang<TAB>prob pairs)."),
    chunk: int = typer.Option(10_000, "--chunk", min=1, help="Lines predicted at once."),
) -> None:
    """Identify the language of each stdin line: `lang<TAB>prob`, exactly one output line per input line."""
    from ..lid import LidModel

    m = LidModel.load(model)
    stdin = sys.stdin.buffer
    out = sys.stdout
    warned = False
    while True:
        raw = list(itertools.islice(stdin, chunk))
        if not raw:
            break
        lines = []
        for b in raw:
            try:
                lines.append(b.decode("utf-8").rstrip("\r\n"))
            except UnicodeDecodeError:
                if not warned:
                    typer.echo("warning: invalid UTF-8 on stdin; those bytes are replaced with U+FFFD", err=True)
                    warned = True
                lines.append(b.decode("utf-8", "replace").rstrip("\r\n"))
        for preds in m.predict(lines, k):
            out.write("\t".join(f"{lang}\t{p:.4f}" for lang, p in preds) + "\n")
        out.flush()
