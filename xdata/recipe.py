"""Recipes: Python scripts in recipes/ that build a pipeline, or several.

A recipe defines ``build(ctx: RecipeContext)`` returning a :class:`~xdata.pipeline.Pipeline`
(one dataset) or a :class:`Recipe` (several parts, each a pipeline, whose outputs may feed later
ones, then exports and reports). ``xdata run RECIPE`` loads the file, calls ``build`` and runs it
with the executor, seed, batch size and workers given on the command line. The recipe file's
digest goes into every manifest.

A multi-part run writes ``OUT/PART/VERSION/`` for each part (with a ``latest`` link), in
dependency order; a part whose version (the fingerprint of its inputs, steps, resources and
seed, known before it runs) is already there is reused, not recomputed. Exports go to
``OUT/exports/PART/FORMAT/``, reports to ``OUT/reports/``, and ``OUT/xdata-run.json`` says what the
last run did.
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


@dataclass
class Recipe:
    """Several parts (pipelines) run in dependency order, then exported and reported.

    A part's source may be another part (the pipeline object itself), an existing dataset
    version (``DatasetSource``) or a mix of parts (``xdata.mix.Mix``). ``exports`` maps a part's
    name to the formats to write (``xdata.export.FORMATS``); ``reports`` names the parts that get
    an HTML report.
    """

    parts: list[Pipeline]
    exports: dict[str, tuple[str, ...] | list[str]] = field(default_factory=dict)
    reports: tuple[str, ...] | list[str] = ()


def build_recipe(path: str | Path, options: dict[str, str] | None = None) -> Pipeline:
    built = build_any(path, options)
    if not isinstance(built, Pipeline):
        raise ConfigError(f"build() in {path} returned a Recipe of {len(built.parts)} parts; run it with "
                          "`xdata run` (this command takes one pipeline)")
    return built


def build_any(path: str | Path, options: dict[str, str] | None = None) -> "Pipeline | Recipe":
    mod = load_recipe(path)
    built = mod.build(RecipeContext(Path(path).resolve(), dict(options or {})))
    if not isinstance(built, (Pipeline, Recipe)):
        raise ConfigError(f"build() in {path} returned {type(built).__name__}, expected a Pipeline or a Recipe")
    if isinstance(built, Recipe):
        built.module = mod.__name__  # type: ignore[attr-defined]
    return built


def run_recipe(path: str | Path, out: str | Path, *, executor: str = "local", seed: int = 0,
               batch_size: int = DEFAULT_BATCH_SIZE, workers: int | None = None, options: dict[str, str] | None = None,
               progress: bool | None = None, overwrite: bool = False, history: bool = False,
               block_rows: int | None = None, update_from: str | Path | None = None,
               log: Any = None) -> dict[str, Any]:
    """Build and run a recipe; returns the manifest of the dataset written to ``out`` (for a
    multi-part recipe, the manifest of its last part, with the run's record under ``"plan"``)."""
    built = build_any(path, options)
    recipe = {"path": Path(path).name, "digest": digest_file(path), "options": dict(options or {})}
    if isinstance(built, Recipe):
        if update_from is not None:
            raise ConfigError("--update-from takes one dataset; a multi-part recipe reuses every unchanged part "
                              "by itself (run it again with the same --out)")
        from .plan import run_plan

        return run_plan(built, out, recipe_info=recipe, executor=executor, seed=seed, batch_size=batch_size,
                        workers=workers, progress=progress, block_rows=block_rows, log=log)
    pipe = built
    return run(pipe, out, executor=executor, seed=seed, batch_size=batch_size, workers=workers,
               recipe=recipe, progress=progress, overwrite=overwrite, history=history, block_rows=block_rows,
               update_from=update_from)
