"""Running a multi-part recipe (:class:`xdata.recipe.Recipe`): parts in dependency order, each
written as its own dataset version, unchanged parts reused, then exports and reports.

Layout under ``OUT``::

    OUT/PART/VERSION/            one dataset version per part (OUT/PART/latest -> VERSION)
    OUT/exports/PART/FORMAT/     exports of the parts the recipe names (hf: FORMAT/PART-VERSION/)
    OUT/reports/PART.html        reports (and PART.json beside each)
    OUT/xdata-run.json           the last run: each part's version and whether it was reused

A part's version is the fingerprint of everything that can change its bytes (inputs, with the
content digests of the parts it reads; steps; resources; seed), computed before the part runs:
when ``OUT/PART/VERSION`` already holds a version that verifies, the part is reused.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import importlib
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterator

from .dataset.manifest import MANIFEST, read_manifest
from .dataset.writer import planned_version
from .errors import ConfigError, PipelineError
from .io.readers import DatasetSource
from .pipeline import Pipeline
from .pipeline.executors import BLOCK_ROWS, DEFAULT_BATCH_SIZE, get_executor

#: The file that marks a directory as the output root of a multi-part recipe.
RUN_RECORD = "xdata-run.json"
#: The file that marks a directory as claimed by a multi-part recipe (written before any part runs).
MARK = ".xdata-run"
#: Reports are made by this function (imported when asked for: it needs the plots extra).
REPORTER = "xdata.report:report"


def _refs(src: Any) -> list[Any]:
    if isinstance(src, Pipeline):
        return [src]
    more = getattr(src, "references", None)
    return [r for r in more() if isinstance(r, Pipeline)] if callable(more) else []


def order_parts(parts: list[Pipeline]) -> list[Pipeline]:
    """Parts in dependency order (a part after every part it reads); a pipeline read by a part but
    not listed is added. Names must be unique; a cycle is an error naming it."""
    out: list[Pipeline] = []
    state: dict[int, str] = {}
    names: dict[str, int] = {}

    def visit(p: Pipeline, path: list[str]) -> None:
        if state.get(id(p)) == "done":
            return
        if state.get(id(p)) == "open":
            raise ConfigError("the recipe's parts read each other in a cycle: " + " -> ".join([*path, p.name]))
        if names.setdefault(p.name, id(p)) != id(p):
            raise ConfigError(f"two parts of the recipe are named {p.name!r}; part names must be unique")
        state[id(p)] = "open"
        for dep in _refs(p.source):
            visit(dep, [*path, p.name])
        state[id(p)] = "done"
        out.append(p)

    for p in parts:
        if not isinstance(p, Pipeline):
            raise ConfigError(f"a Recipe's parts must be Pipelines, got {type(p).__name__}")
        visit(p, [])
    return out


def _resolver(dirs: dict[int, Path]) -> Callable[[Any], Any]:
    def fn(x: Any) -> Any:
        if isinstance(x, Pipeline):
            return DatasetSource(dirs[id(x)])
        return x
    return fn


def _resolved(p: Pipeline, dirs: dict[int, Path]) -> Pipeline:
    fn = _resolver(dirs)
    src: Any = p.source
    if isinstance(src, Pipeline):
        src = fn(src)
    elif callable(getattr(src, "resolve", None)):
        src = src.resolve(fn)
    return replace(p, source=src)


@contextlib.contextmanager
def _locked_root(root: Path) -> Iterator[None]:
    if root.exists() and not root.is_dir():
        raise ConfigError(f"--out {root} is a file, expected a directory")
    if root.exists() and any(root.iterdir()) and not (root / MARK).exists():
        if (root / MANIFEST).exists():
            raise ConfigError(f"--out {root} holds a single dataset; a multi-part recipe needs its own directory")
        raise ConfigError(f"--out {root} is not empty and was not written by a multi-part recipe (no {MARK}); "
                          "choose a new or empty directory")
    try:
        root.mkdir(parents=True, exist_ok=True)
        (root / MARK).touch()  # claimed before any part runs: a run that fails leaves a root the next run takes
    except OSError as e:
        raise ConfigError(f"cannot create --out {root}: {e.strerror}") from e
    fd = os.open(root / ".xdata-run.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(f"another xdata run is writing {root} (lock {root / '.xdata-run.lock'}); "
                              "wait for it to finish") from None
        yield
    finally:
        os.close(fd)


def _write_record(root: Path, record: dict[str, Any]) -> None:
    tmp = root / f".{RUN_RECORD}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, root / RUN_RECORD)


def _reusable(d: Path) -> bool:
    from .dataset import verify

    return (d / MANIFEST).is_file() and verify(d).ok


def run_plan(recipe: Any, out: str | Path, *, recipe_info: dict[str, Any] | None = None, executor: str = "local",
             seed: int = 0, batch_size: int = DEFAULT_BATCH_SIZE, workers: int | None = None,
             progress: bool | None = None, block_rows: int | None = None,
             log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run every part of ``recipe`` under ``out``; returns the last part's manifest with the run's
    record under ``"plan"`` (parts, versions, ``computed``/``reused``, exports, reports)."""
    info = dict(recipe_info or {})
    root = Path(os.path.abspath(out))
    block_rows = block_rows or BLOCK_ROWS
    parts = order_parts(list(recipe.parts))
    known = {p.name for p in parts}
    for name in [*recipe.exports, *recipe.reports]:
        if name not in known:
            raise ConfigError(f"the recipe exports or reports {name!r}, which is not one of its parts: "
                              + ", ".join(sorted(known)))
    say = log or (lambda _m: None)
    record: dict[str, Any] = {"recipe": info, "seed": seed, "parts": [], "exports": {}, "reports": {}}
    dirs: dict[int, Path] = {}
    manifest: dict[str, Any] = {}
    module = getattr(recipe, "module", None)
    with _locked_root(root):
        for p in parts:
            pipe = _resolved(p, dirs)
            kind = pipe.validate()
            code = module is not None and any(type(s).__module__ == module for s in pipe.steps)
            rinfo = {**info, "part": p.name, "code": code}
            version = planned_version(pipe, kind=kind, seed=seed, recipe=rinfo, block_rows=block_rows)
            d = root / p.name / version
            if _reusable(d):
                status = "reused"
                manifest = read_manifest(d)
                from .dataset.outdir import HistoryDir

                HistoryDir(root / p.name).point_latest(version)
            else:
                status = "computed"
                say(f"part {p.name}: computing version {version} ...")
                manifest = get_executor(executor).run(pipe, root / p.name, seed=seed, batch_size=batch_size,
                                                       workers=workers, recipe=rinfo, progress=progress,
                                                       history=True, block_rows=block_rows)
                if manifest["version"] != version:
                    raise PipelineError(f"part {p.name}: wrote version {manifest['version']} but planned {version} "
                                        "(a fingerprint field is not known before the run: please report this)")
            dirs[id(p)] = d
            say(f"part {p.name}: {status} version {version}: {manifest['rows']:,} rows, "
                f"{manifest['rejected_rows']:,} rejected ({d})")
            record["parts"].append({"name": p.name, "version": version, "status": status, "kind": kind,
                                    "rows": manifest["rows"], "dir": str(d.relative_to(root))})
        from .dataset.export import export, export_dir

        part_dir = {p.name: dirs[id(p)] for p in parts}
        for name, formats in recipe.exports.items():
            d = part_dir[name]
            m = read_manifest(d)
            for fmt in formats:
                target = export_dir(root / "exports" / name, fmt, m)
                res = export(d, target, fmt)
                say(f"export {name} as {fmt}: {target} ({res['status']})")
                record["exports"].setdefault(name, {})[fmt] = str(target.relative_to(root))
        for name in recipe.reports:
            (root / "reports").mkdir(exist_ok=True)
            mod, fn = REPORTER.split(":")
            page = getattr(importlib.import_module(mod), fn)(part_dir[name], root / "reports" / f"{name}.html")
            say(f"report {name}: {page}")
            record["reports"][name] = str(Path(page).relative_to(root))
        record["finished"] = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
        _write_record(root, record)
    return {**manifest, "plan": record}


__all__ = ["run_plan", "order_parts", "RUN_RECORD"]
