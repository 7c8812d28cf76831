"""Checks for dataset-versioning hooks: pre-commit, plain git hooks.

A data repository keeps xdata dataset versions (directories with ``manifest.json``). On every
commit (or push) a hook finds the versions the change touches and refuses the change when one
is tampered with or half-written:

* ``verify``: every touched version verifies (``xdata verify``: shards, card, Croissant file and
  manifest digests, nothing extra); a folder that holds shards but no ``manifest.json`` is an
  unfinished version and fails too;
* ``manifest-check``: each touched manifest parses, has the required fields and a schema
  version xdata reads, a licence, and consistent accounting (in = out + rejected per step).

The checks read JSON, Parquet metadata and file bytes only: no model stack is imported.
"""

from __future__ import annotations

import os
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .dataset.manifest import MANIFEST, read_manifest
from .errors import ConfigError, InputError

HOOK_MARK = "# xdata-hook: written by `xdata hooks install`"
REQUIRED = ("name", "version", "kind", "content_digest", "shards", "rows", "accounting", "inputs", "steps")
SCHEMAS = (1, 2)  # manifest schema versions this xdata reads


@dataclass
class HookReport:
    """Problems per dataset version (or per path that is not one)."""

    checked: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def git_root(start: str | Path = ".") -> Path:
    """The top of the git work tree around ``start``; a clear error outside one."""
    try:
        out = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, text=True,
                             check=False)
    except FileNotFoundError:
        raise ConfigError("git is not installed; the xdata hooks run inside a git repository") from None
    if out.returncode != 0:
        raise ConfigError(f"{Path(start).resolve()} is not inside a git repository; the xdata hooks check the "
                          "dataset versions a git commit touches")
    return Path(out.stdout.strip())


def staged_paths(root: Path) -> list[str]:
    """Paths the next commit adds, changes or deletes (deletions count: a removed shard must be seen)."""
    out = subprocess.run(["git", "diff", "--cached", "--name-only", "--no-renames", "-z"], cwd=root,
                         capture_output=True, check=False)
    return [p for p in out.stdout.decode("utf-8", "replace").split("\0") if p]


def touched_versions(paths: list[str], root: Path) -> tuple[set[Path], set[Path]]:
    """(version directories, directories that hold shards but no manifest) the paths lie in.

    A path belongs to the nearest directory above it (inside the repository) with a
    ``manifest.json``; a shard (``data/*.parquet`` or ``rejects/*.parquet``) with no manifest
    above it belongs to an unfinished version.
    """
    versions: set[Path] = set()
    unfinished: set[Path] = set()
    for rel in paths:
        p = Path(rel) if Path(rel).is_absolute() else root / rel
        inside = [d for d in [p, *p.parents] if d == root or root in d.parents]
        version = next((d for d in inside if (d / MANIFEST).is_file()), None)
        if version is not None:
            versions.add(version)
        elif p.suffix == ".parquet" and p.parent.name in ("data", "rejects"):
            unfinished.add(p.parent.parent)
    return versions, unfinished


def all_versions(root: Path) -> tuple[set[Path], set[Path]]:
    """Every dataset version in the work tree, and every folder of shards without a manifest
    (for pre-push and ``--all``)."""
    versions: set[Path] = set()
    unfinished: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        d = Path(dirpath)
        if MANIFEST in filenames:
            versions.add(d)
        elif d.name in ("data", "rejects") and any(f.endswith(".parquet") for f in filenames) \
                and not (d.parent / MANIFEST).exists():
            unfinished.add(d.parent)
    return versions, unfinished


def verify_versions(versions: set[Path], unfinished: set[Path], *, deep: bool = False) -> HookReport:
    from .dataset import verify

    rep = HookReport()
    for d in sorted(unfinished):
        rep.problems.append(f"{d}: holds shards but no manifest.json (an unfinished or broken version)")
    for d in sorted(versions):
        rep.checked.append(d)
        try:
            v = verify(d, deep=deep)
        except InputError as e:
            rep.problems.append(f"{d}: {e}")
            continue
        rep.problems += [f"{d}: {line}" for line in v.lines()]
    return rep


def check_manifests(versions: set[Path]) -> HookReport:
    rep = HookReport()
    for d in sorted(versions):
        rep.checked.append(d)
        try:
            m = read_manifest(d)
        except InputError as e:
            rep.problems.append(f"{d}: {e}")
            continue
        where = d / MANIFEST
        missing = [k for k in REQUIRED if k not in m]
        if missing:
            rep.problems.append(f"{where}: lacks the field(s) {', '.join(missing)}")
        if m.get("schema_version", 1) not in SCHEMAS:
            rep.problems.append(f"{where}: schema_version {m.get('schema_version')!r} is not one this xdata reads "
                                f"({', '.join(map(str, SCHEMAS))})")
        if not str(m.get("license") or "").strip():
            rep.problems.append(f"{where}: no licence (the recipe's Pipeline(license=...))")
        for a in m.get("accounting") or []:
            if not isinstance(a, dict) or a.get("expands"):
                continue
            if a.get("in") != (a.get("out") or 0) + (a.get("rejected") or 0):
                rep.problems.append(f"{where}: accounting of {a.get('step')}: in {a.get('in')} != out {a.get('out')} "
                                    f"+ rejected {a.get('rejected')}")
        acc = m.get("accounting") or []
        if acc and isinstance(acc[-1], dict) and acc[-1].get("out") != m.get("rows"):
            rep.problems.append(f"{where}: the last step gives {acc[-1].get('out')} rows, the manifest says "
                                f"{m.get('rows')}")
    return rep


def run_check(check: str, paths: list[str], *, staged: bool = True, everything: bool = False,
              deep: bool = False, start: str | Path = ".") -> HookReport:
    """The hook entry point: the versions touched by ``paths`` (and the staged change), or all."""
    root = git_root(start)
    if everything:
        versions, unfinished = all_versions(root)
    else:
        versions, unfinished = touched_versions(list(paths) + (staged_paths(root) if staged else []), root)
    if check == "verify":
        return verify_versions(versions, unfinished, deep=deep)
    if check == "manifest-check":
        rep = check_manifests(versions)
        rep.problems = [f"{d}: holds shards but no manifest.json" for d in sorted(unfinished)] + rep.problems
        return rep
    raise ConfigError(f"unknown check {check!r}; expected verify or manifest-check")


def install_hook(*, pre_push: bool = False, force: bool = False, start: str | Path = ".") -> Path:
    """Write a plain git hook running the checks; never overwrite a hook xdata did not write."""
    root = git_root(start)
    out = subprocess.run(["git", "rev-parse", "--git-path", "hooks"], cwd=root, capture_output=True, text=True,
                         check=False)
    hooks = (root / out.stdout.strip()) if out.returncode == 0 else root / ".git" / "hooks"
    name = "pre-push" if pre_push else "pre-commit"
    path = hooks / name
    if path.exists() and HOOK_MARK not in path.read_text(encoding="utf-8", errors="replace") and not force:
        raise ConfigError(f"{path} exists and was not written by xdata; pass --force to replace it "
                          "(or call `xdata hooks verify` from it)")
    what = "--all" if pre_push else ""
    body = (f"#!/bin/sh\n{HOOK_MARK}\n"
            f"# {'every dataset version before a push' if pre_push else 'the dataset versions this commit touches'}\n"
            f"xdata hooks verify {what} && exec xdata hooks manifest-check {what}\n")
    hooks.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path
