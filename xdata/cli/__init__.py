"""The xdata command line: ``xdata VERB ...`` (see ``xdata --help``)."""

from .common import app

# Each module registers its verbs on `app` (or on the `eval` / `lexicon` groups).
from . import core, text, align, project, backtranslate, codeswitch, hooks, dvc, teacher  # noqa: E402,F401


def main() -> None:
    app()


__all__ = ["app", "main"]
