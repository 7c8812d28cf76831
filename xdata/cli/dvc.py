"""DVC verb: ``xdata dvc stage``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import app, echo_json, handle_errors, parse_pairs

dvc_app = typer.Typer(help="DVC pipelines for recipes.", no_args_is_help=True)
app.add_typer(dvc_app, name="dvc")


@dvc_app.command("stage")
@handle_errors
def dvc_stage(
    recipe: Path = typer.Argument(..., help="Recipe file (inside the DVC repository)."),
    out: Path = typer.Option(..., "--out", help="Dataset directory the stage writes (its DVC output)."),
    option: list[str] = typer.Option([], "--set", help="Recipe option KEY=VALUE (repeatable); becomes a DVC param."),
    name: Optional[str] = typer.Option(None, "--name", help="Stage name (default: the pipeline's name)."),
    executor: str = typer.Option("local", "--executor", help="local or ray."),
) -> None:
    """Write or update a dvc.yaml stage that runs RECIPE; deps are what its pipeline reads."""
    from ..dvc import write_stage

    opts = parse_pairs(option, "--set")
    echo_json(write_stage(recipe, out, options=opts, name=name, executor=executor))
