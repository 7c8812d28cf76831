"""Hook verbs for data repositories: ``xdata hooks verify|manifest-check|install``."""

from __future__ import annotations

from typing import Optional

import typer

from .common import app, handle_errors

hooks_app = typer.Typer(help="Checks for data repositories: pre-commit hooks and plain git hooks.",
                        no_args_is_help=True)
app.add_typer(hooks_app, name="hooks")

_FILES = typer.Argument(None, help="Changed files (pre-commit passes them); the staged change is always added.")
_ALL = typer.Option(False, "--all", help="Check every dataset version in the repository (pre-push).")


def _report(rep, what: str) -> None:  # noqa: ANN001 - HookReport
    if rep.ok:
        typer.echo(f"xdata {what}: {len(rep.checked)} dataset version(s) ok", err=True)
        return
    for line in rep.problems:
        typer.echo(line, err=True)
    raise typer.Exit(1)


@hooks_app.command("verify")
@handle_errors
def hooks_verify(files: Optional[list[str]] = _FILES, everything: bool = _ALL,
                 deep: bool = typer.Option(False, "--deep", help="Also recompute every figure from the rows.")) -> None:
    """Verify every dataset version the commit touches; exit 1 naming each problem.

    A changed, missing or extra shard, an edited manifest, card or Croissant file, or a folder
    of shards without a manifest fails the commit.
    """
    from ..hooks import run_check

    _report(run_check("verify", files or [], everything=everything, deep=deep), "verify")


@hooks_app.command("manifest-check")
@handle_errors
def hooks_manifest_check(files: Optional[list[str]] = _FILES, everything: bool = _ALL) -> None:
    """Check the manifests the commit touches: schema, licence, accounting (in = out + rejected)."""
    from ..hooks import run_check

    _report(run_check("manifest-check", files or [], everything=everything), "manifest-check")


@hooks_app.command("install")
@handle_errors
def hooks_install(pre_push: bool = typer.Option(False, "--pre-push", help="Install a pre-push hook (checks every "
                                                "version) instead of a pre-commit hook."),
                  force: bool = typer.Option(False, "--force", help="Replace a hook xdata did not write.")) -> None:
    """Write a plain git hook that runs `xdata hooks verify` and `manifest-check` (no pre-commit needed)."""
    from ..hooks import install_hook

    typer.echo(f"installed {install_hook(pre_push=pre_push, force=force)}", err=True)
