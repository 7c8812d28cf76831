"""Executors run a pipeline: read blocks, apply the steps, write a versioned dataset.

The work on one block (:class:`BatchRunner`) is the same for every executor; an executor only
decides where blocks run (``base`` holds the contract, ``local`` and ``ray`` the two
executors). A new executor is one module plus one line in :data:`EXECUTORS`.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from ...errors import ConfigError
from ..pipeline import Pipeline
from .base import BLOCK_ROWS, DEFAULT_BATCH_SIZE, BatchRunner, BlockOutput, Counts, Executor, default_workers

#: Executor name -> "module:class" (imported when used: Ray only when asked for).
EXECUTORS = {"local": "local:LocalExecutor", "ray": "ray:RayExecutor"}


def get_executor(name: str) -> Executor:
    if name not in EXECUTORS:
        raise ConfigError(f"unknown executor {name!r}; expected one of {', '.join(repr(n) for n in EXECUTORS)}")
    module, cls = EXECUTORS[name].split(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)()


def run(pipeline: Pipeline, out: str | Path, *, executor: str = "local", **kw: Any) -> dict[str, Any]:
    """Run ``pipeline`` and write the dataset to ``out``; returns the manifest."""
    return get_executor(executor).run(pipeline, out, **kw)


def __getattr__(name: str) -> Any:  # LocalExecutor / RayExecutor without importing Ray up front
    if name == "LocalExecutor":
        from .local import LocalExecutor

        return LocalExecutor
    if name == "RayExecutor":
        from .ray import RayExecutor

        return RayExecutor
    raise AttributeError(name)


__all__ = ["Executor", "BatchRunner", "BlockOutput", "Counts", "get_executor", "run", "default_workers",
           "DEFAULT_BATCH_SIZE", "BLOCK_ROWS", "EXECUTORS", "LocalExecutor", "RayExecutor"]
