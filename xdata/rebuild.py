"""Replaying a dataset version: the reproducibility audit a reviewer runs.

:func:`rebuild` runs the recipe a version was made with again, with the options, seed and shard
size its manifest records, into a temporary directory, and compares: the recipe's digest first
(an edited recipe is named), then the version id (it changes when an input, a step parameter or
a resource changed: the differing inputs and steps are named), then the content digest.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from .dataset.manifest import read_manifest
from .errors import ConfigError
from .hashing import digest_file


def _find_recipe(name: str, d: Path) -> Path:
    for base in (Path.cwd(), Path.cwd() / "recipes", d.parent, d.parent.parent):
        if (base / name).is_file():
            return base / name
    raise ConfigError(f"the recipe {name!r} this version was made with is not in the current directory or "
                      "recipes/; pass --recipe PATH")


def rebuild(path: str | Path, *, recipe: str | Path | None = None, workers: int | None = None) -> dict[str, Any]:
    """Rebuild the version at ``path`` and compare; returns a report (``reproduced``: bool)."""
    from .recipe import run_recipe

    d = Path(path)
    m = read_manifest(d)
    rec = m.get("recipe") or {}
    if not rec.get("path"):
        raise ConfigError(f"{d} was not made by a recipe (xdata run); only recipe-made versions can be rebuilt")
    recipe_path = Path(recipe) if recipe else _find_recipe(rec["path"], d)
    if digest_file(recipe_path) != rec.get("digest"):
        raise ConfigError(f"{recipe_path} is not the recipe this version was made with (its sha256 differs from "
                          f"the manifest's {str(rec.get('digest'))[:16]}...)")
    run_info = m.get("run") or {}
    with tempfile.TemporaryDirectory(prefix="xdata-rebuild-") as tmp:
        again = run_recipe(recipe_path, Path(tmp) / "out", seed=int(m.get("seed") or 0),
                           options=dict(rec.get("options") or {}), workers=workers,
                           executor=run_info.get("executor", "local"), block_rows=run_info.get("block_rows"))
        if "plan" in again:  # a multi-part recipe: compare the part this version is
            part = next((p for p in again["plan"]["parts"] if p["name"] == rec.get("part", m["name"])), None)
            if part is None:
                raise ConfigError(f"the recipe {recipe_path} has no part {rec.get('part', m['name'])!r} any more")
            again = read_manifest(Path(tmp) / "out" / part["dir"])
    report: dict[str, Any] = {"version": m["version"], "rebuilt_version": again["version"],
                              "content_digest": m["content_digest"], "rebuilt_content_digest": again["content_digest"],
                              "differences": []}
    diffs: list[str] = report["differences"]
    old_in = {i["name"]: i for i in m.get("inputs", [])}
    for i in again.get("inputs", []):
        o = old_in.get(i["name"])
        if o is None or o.get("digest") != i.get("digest") or o.get("params") != i.get("params"):
            diffs.append(f"input {i['name']}: " + ("not in the original" if o is None else
                         f"digest {str(o.get('digest'))[:12]} -> {str(i.get('digest'))[:12]}"))
    old_steps = [s["signature"] for s in m.get("steps", [])]
    new_steps = [s["signature"] for s in again.get("steps", [])]
    if old_steps != new_steps:
        diffs.append(f"steps: {', '.join(old_steps)} -> {', '.join(new_steps)}")
    if m.get("resources") != again.get("resources"):
        changed = sorted(k for k in set(m.get("resources", {})) | set(again.get("resources", {}))
                         if m.get("resources", {}).get(k) != again.get("resources", {}).get(k))
        diffs.append(f"resources changed: {', '.join(changed)}")
    if report["content_digest"] != report["rebuilt_content_digest"] and not diffs:
        diffs.append("same inputs, steps and resources, but other rows: xdata itself behaves differently "
                     f"(xdata_behaviour {m.get('xdata_behaviour')} -> {again.get('xdata_behaviour')})")
    report["reproduced"] = report["content_digest"] == report["rebuilt_content_digest"] and \
        report["version"] == report["rebuilt_version"]
    return report
