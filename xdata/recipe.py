"""Recipes: Python scripts in recipes/ that build a pipeline.

A recipe defines ``build(ctx: RecipeContext) -> Pipeline``. ``xdata run RECIPE`` loads the
file, calls ``build`` and runs the pipeline with the executor, seed, batch size and workers
given on the command line. The recipe file's digest goes into the manifest.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .hashing import digest_file
from .pipeline import Pipeline, run
from .pipeline.executors import DEFAULT_BATCH_SIZE


@dataclass
class RecipeContext:
    """What a recipe's ``build`` receives: where it lives and free-form options (``--set k=v``)."""

    path: Path
    options: dict[str, str] = field(default_factory=dict)

    def here(self, *parts: str) -> Path:
        """A path relative to the recipe file (for data shipped beside it)."""
        return self.path.parent.joinpath(*parts)

    def option(self, key: str, default: str | None = None) -> str | None:
        return self.options.get(key, default)


def load_recipe(path: str | Path) -> Any:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"recipe not found: {p}")
    name = f"xdata_recipe_{digest_file(p)[:12]}"
    spec = importlib.util.spec_from_file_location(name, p)
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot load recipe {p} as a Python module")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    try:  # steps defined inside the recipe travel to worker processes by value
        import cloudpickle

        cloudpickle.register_pickle_by_value(mod)
    except Exception:  # pragma: no cover - cloudpickle is a dependency
        pass
    if not callable(getattr(mod, "build", None)):
        raise ConfigError(f"recipe {p} defines no build(ctx) function returning a Pipeline")
    return mod


def build_recipe(path: str | Path, options: dict[str, str] | None = None) -> Pipeline:
    mod = load_recipe(path)
    pipe = mod.build(RecipeContext(Path(path).resolve(), dict(options or {})))
    if not isinstance(pipe, Pipeline):
        raise ConfigError(f"build() in {path} returned {type(pipe).__name__}, expected a Pipeline")
    return pipe


def run_recipe(path: str | Path, out: str | Path, *, executor: str = "local", seed: int = 0,
               batch_size: int = DEFAULT_BATCH_SIZE, workers: int | None = None, options: dict[str, str] | None = None,
               progress: bool | None = None, overwrite: bool = False, history: bool = False,
               block_rows: int | None = None, update_from: str | Path | None = None) -> dict[str, Any]:
    """Build and run a recipe; returns the manifest of the dataset written to ``out``."""
    pipe = build_recipe(path, options)
    recipe = {"path": Path(path).name, "digest": digest_file(path), "options": dict(options or {})}
    return run(pipe, out, executor=executor, seed=seed, batch_size=batch_size, workers=workers,
               recipe=recipe, progress=progress, overwrite=overwrite, history=history, block_rows=block_rows,
               update_from=update_from)
