"""xdata: versioned, provenance-tagged training data for low-resource languages.

The verbs are functions too (``xdata.run``, ``xdata.backtranslate``, ``xdata.codeswitch``,
``xdata.project``, ``xdata.mix``, ``xdata.report``, ``xdata.export``; see :mod:`xdata.api`), imported
when first used so that ``import xdata`` stays light.
"""

from typing import Any

__version__ = "0.1.0"

_MODULES = ("backtranslate", "codeswitch", "project", "mix", "report")  # modules that are also verbs
_FUNCTIONS = ("run", "export", "Version")


def __getattr__(name: str) -> Any:
    import importlib

    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _FUNCTIONS:
        return getattr(importlib.import_module(f"{__name__}.api"), name)
    raise AttributeError(f"module 'xdata' has no attribute {name!r}")
