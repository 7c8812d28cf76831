"""DVC stages for recipes: ``dvc repro`` reruns a recipe exactly when something it reads changed.

:func:`write_stage` builds the recipe's pipeline (so the dependencies are those the pipeline
really reads, not guessed): the recipe file, every input file, and every lexicon and local model
its steps use. The stage's ``cmd`` runs ``xdata run``; its ``outs`` is the dataset directory;
each ``--set`` option becomes a DVC parameter (kept in ``params.yaml`` and interpolated into the
command), so changing one reruns the stage too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .errors import ConfigError, InputError

STAGE_NOTE = "written by `xdata dvc stage`"


def _rel(path: str | Path, base: Path) -> str:
    p = Path(os.path.abspath(path))
    try:
        return p.relative_to(base).as_posix()
    except ValueError:
        raise ConfigError(f"{p} is outside the DVC repository {base}; DVC tracks only files inside it") from None


def find_dvc_root(start: str | Path = ".") -> Path:
    """The nearest directory at or above ``start`` holding ``.dvc/``; a clear error without one."""
    d = Path(os.path.abspath(start))
    for p in [d, *d.parents]:
        if (p / ".dvc").is_dir():
            return p
    raise ConfigError(f"no DVC repository at or above {d} (no .dvc/ directory); run `dvc init` first")


def write_stage(recipe: str | Path, out: str | Path, *, options: dict[str, str] | None = None,
                name: str | None = None, start: str | Path = ".", executor: str = "local") -> dict[str, Any]:
    """Write or update the stage for ``recipe`` in the repository's ``dvc.yaml``; returns the stage."""
    import yaml

    from .recipe import build_recipe

    root = find_dvc_root(start)
    recipe = Path(recipe)
    if not recipe.is_file():
        raise InputError("recipe not found", path=recipe)
    options = dict(options or {})
    pipe = build_recipe(recipe, options)
    stage_name = name or pipe.name
    deps = [_rel(recipe, root)] + [_rel(p, root) for p in pipe.dependencies()]
    out_rel = _rel(out, root)
    sets = " ".join(f"--set {k}=${{{k}}}" for k in sorted(options))
    cmd = f"xdata run {deps[0]} --out {out_rel} --overwrite --executor {executor} {sets}".rstrip()
    stage: dict[str, Any] = {"cmd": cmd, "deps": list(dict.fromkeys(deps)), "outs": [out_rel]}
    if options:
        stage["params"] = sorted(options)
        params_file = root / "params.yaml"
        params = yaml.safe_load(params_file.read_text(encoding="utf-8")) if params_file.exists() else {}
        if not isinstance(params, dict):
            raise InputError("params.yaml does not hold a mapping", path=params_file)
        params.update(options)
        params_file.write_text(yaml.safe_dump(params, sort_keys=True), encoding="utf-8")
    dvc_file = root / "dvc.yaml"
    doc = yaml.safe_load(dvc_file.read_text(encoding="utf-8")) if dvc_file.exists() else {}
    if not isinstance(doc, dict):
        raise InputError("dvc.yaml does not hold a mapping", path=dvc_file)
    doc.setdefault("stages", {})[stage_name] = {**stage, "desc": f"{pipe.description or pipe.name} ({STAGE_NOTE})"}
    tmp = dvc_file.with_name(".dvc.yaml.tmp")
    tmp.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    tmp.replace(dvc_file)
    return {stage_name: doc["stages"][stage_name]}
