"""A dataset's history (``ROOT/NAME/VERSION/`` + ``latest``): listing versions and removing
the ones nothing points to."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from ..errors import InputError
from .manifest import MANIFEST, read_manifest
from .outdir import HISTORY_MARK


def _root(path: str | Path) -> Path:
    r = Path(path)
    if not (r / HISTORY_MARK).exists():
        raise InputError(f"not a dataset history (no {HISTORY_MARK}); write one with `xdata run ... --history`",
                         path=r)
    return r


def pointers(path: str | Path) -> dict[str, str]:
    """Name -> version of every pointer in the history: ``latest`` and any symbolic link a team
    adds beside it (``stable``, ``paper-2026``: tags)."""
    r = _root(path)
    out = {}
    for p in sorted(r.iterdir()):
        if p.is_symlink():
            target = os.readlink(p)
            if "/" not in target and (r / target / MANIFEST).is_file():
                out[p.name] = target
    return out


def log(path: str | Path) -> list[dict[str, Any]]:
    """The versions of a history, oldest first: version, created, rows, inputs, recipe digest,
    parent version and the pointers naming it."""
    r = _root(path)
    named: dict[str, list[str]] = {}
    for name, v in pointers(r).items():
        named.setdefault(v, []).append(name)
    out = []
    for d in sorted(p for p in r.iterdir() if p.is_dir() and not p.is_symlink() and (p / MANIFEST).is_file()):
        m = read_manifest(d)
        out.append({"version": m["version"], "created": m.get("created"), "rows": m.get("rows"),
                    "inputs": [f"{i['name']}@{i['version']}" for i in m.get("inputs", [])],
                    "recipe_digest": ((m.get("recipe") or {}).get("digest") or "")[:12] or None,
                    "parent_version": m.get("parent_version"), "pointers": sorted(named.get(m["version"], []))})
    parent = {e["version"]: e["parent_version"] for e in out}

    def depth(v: str | None, seen: int = 0) -> int:  # generations from the first version
        return 0 if v is None or v not in parent or seen > len(parent) else 1 + depth(parent[v], seen + 1)

    return sorted(out, key=lambda e: (e["created"] or "", depth(e["version"]), e["version"]))


def gc(path: str | Path, *, delete: bool = False) -> list[str]:
    """Versions no pointer refers to (removed only with ``delete``); returns their ids."""
    r = _root(path)
    keep = set(pointers(r).values())
    doomed = [e["version"] for e in log(r) if e["version"] not in keep]
    if delete:
        for v in doomed:
            shutil.rmtree(r / v)
    return doomed
