"""Modules that are also functions: ``xdata.backtranslate(...)`` runs the verb while
``from xdata.backtranslate import ...`` still reads the package (see :mod:`xdata.api`)."""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        fn = getattr(importlib.import_module("xdata.api"), self.__name__.rsplit(".", 1)[1])
        return fn(*args, **kwargs)


def make_callable(name: str) -> None:
    """Make module ``name`` callable: calling it calls ``xdata.api.<last part of name>``."""
    sys.modules[name].__class__ = _CallableModule
