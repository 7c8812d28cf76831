"""The exception hierarchy of xdata.

The library raises; only the CLI prints and exits. Every error says what was expected and
where (file, line, field) so that a user can fix the input without reading the code.
"""

from __future__ import annotations

from pathlib import Path


class XdataError(Exception):
    """Base class of every error xdata raises on purpose."""


class InputError(XdataError):
    """Bad input data: names the file, the 1-based line (or row) and what was expected."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        self.reason = message
        where = []
        if self.path is not None:
            where.append(self.path)
        if line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = ":".join(where[:2]) + (f" ({where[2]})" if len(where) > 2 else "")
        super().__init__(f"{prefix}: {message}" if prefix else message)

    def __reduce__(self):
        # Errors raised in worker processes travel back to the driver intact.
        return (_rebuild_input_error, (self.reason, self.path, self.line, self.field))


def _rebuild_input_error(reason: str, path: str | None, line: int | None, field: str | None) -> InputError:
    return InputError(reason, path=path, line=line, field=field)


class ConfigError(XdataError):
    """A pipeline, step or recipe is configured wrongly (unknown parameter, bad value, ...)."""


class PipelineError(XdataError):
    """A pipeline cannot run as built (a step reads a column no earlier step produces, ...)."""


class VerifyError(XdataError):
    """A dataset directory does not match its manifest."""


class MissingDependency(XdataError):
    """An optional backend is not installed; names the pip extra that brings it."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        self.package = package
        self.extra = extra
        self.purpose = purpose
        super().__init__(
            f"{purpose} needs the optional package {package!r}, which is not installed. "
            f"Install it with: pip install 'xdata[{extra}]'"
        )

    def __reduce__(self):
        return (MissingDependency, (self.package, self.extra, self.purpose))


#: Optional packages and the pip extra that brings each (see pyproject.toml).
EXTRA_OF = {
    "torch": "models", "transformers": "models", "sentencepiece": "models", "sacrebleu": "models",
    "datasets": "hf", "fasttext": "lid", "matplotlib": "plots", "ctranslate2": "ct2", "eflomal": "eflomal",
    "ray": "ray", "icu": "icu", "uroman": "uroman", "heliport": "heliport", "gcld3": "lid", "lingua": "lid",
}


def missing_extra(e: ModuleNotFoundError) -> MissingDependency | None:
    """The :class:`MissingDependency` for an import of an optional package that failed, if it is one."""
    root = (e.name or "").split(".")[0]
    if root not in EXTRA_OF:
        return None
    return MissingDependency(root, EXTRA_OF[root], "this command")
