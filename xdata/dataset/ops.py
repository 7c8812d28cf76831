"""Operations on written dataset versions: verify, diff, info, trace."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import polars as pl

from ..errors import InputError
from ..hashing import digest_file
from ..records import CONTENT
from .manifest import MANIFEST, read_manifest
from .shards import SHARD_RE as _SHARD_RE
from .shards import read_shard, shard_file
from .diffing import diff as streaming_diff

_OWN_FILES = {MANIFEST, "README.md", "croissant.json"}
_OWN_DIRS = {"data", "rejects"}
@dataclass
class VerifyReport:
    """What differs between a dataset directory and its manifest."""

    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    content_mismatch: bool = False
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.extra or self.content_mismatch or self.problems)

    def lines(self) -> list[str]:
        out = [f"changed: {p} (sha256 differs from the manifest)" for p in self.changed]
        out += [f"missing: {p} (listed in the manifest, not on disk)" for p in self.missing]
        out += [f"extra: {p} (on disk, not in the manifest)" for p in self.extra]
        if self.content_mismatch:
            out.append("content digest of the rows differs from the manifest")
        out += [f"wrong: {p}" for p in self.problems]
        return out


def verify(path: str | Path, *, deep: bool = False) -> VerifyReport:
    """Check a dataset directory against its manifest, staying inside the directory.

    Always: the manifest's own digest (any edited figure, licence or input digest shows),
    the digests of the card and Croissant files, every shard's sha256, and no file or folder
    beside them that the manifest does not list. With ``deep``, also everything that can be
    recomputed from the rows: row counts per shard and in all, rejected rows, per-step
    accounting, rows per language, reject reasons, the content digest and the version id.
    """
    from .writer import manifest_digest

    d = Path(path)
    m = read_manifest(d)
    rep = VerifyReport()
    if "manifest_digest" in m:
        if manifest_digest(m) != m["manifest_digest"]:
            rep.problems.append(f"{MANIFEST} was edited after it was written (its manifest_digest does not match)")
    else:
        rep.notes.append(f"{MANIFEST} has no manifest_digest (written by an older xdata): its figures are "
                         "checked only with --deep")
    for name, digest in (m.get("files") or {}).items():
        if name not in _OWN_FILES - {MANIFEST}:
            rep.problems.append(f"{MANIFEST} lists the file {name!r}, which is not part of a dataset")
            continue
        f = d / name
        if not f.is_file() or f.is_symlink():
            rep.missing.append(name)
        elif digest_file(f) != digest:
            rep.changed.append(name)
    listed: dict[str, dict[str, Any]] = {}
    for s in list(m.get("shards") or []) + list(m.get("rejects") or []):
        rel = s.get("path") if isinstance(s, dict) else None
        try:
            p = shard_file(d, rel)
        except InputError as e:
            if isinstance(rel, str) and _SHARD_RE.match(rel) and not (d / rel).exists():
                rep.missing.append(rel)
            else:
                rep.problems.append(e.reason + f": {rel!r}")
            continue
        listed[str(rel)] = s
        if digest_file(p) != s.get("sha256"):
            rep.changed.append(str(rel))
    for p in sorted(d.iterdir()):
        if p.name in _OWN_DIRS and p.is_dir() and not p.is_symlink():
            for q in sorted(p.rglob("*")):
                rel = q.relative_to(d).as_posix()
                if not q.is_dir() and rel not in listed:
                    rep.extra.append(rel)
                elif q.is_dir():
                    rep.extra.append(rel + "/")
        elif p.name not in _OWN_FILES or not p.is_file() or p.is_symlink():
            rep.extra.append(p.name + ("/" if p.is_dir() else ""))
    if deep and not (rep.changed or rep.missing or rep.problems):
        _verify_deep(d, m, rep)
    return rep


def _verify_deep(d: Path, m: dict[str, Any], rep: VerifyReport) -> None:
    """Recompute from the shards every figure the manifest states about them."""
    from collections import Counter

    from .writer import content_digest, row_digests, version_fingerprint

    h = hashlib.sha256()
    columns: list[str] = []
    langs: Counter[str] = Counter()
    kind = m.get("kind", "text")
    rows = 0
    for s in m["shards"]:
        df = read_shard(d, s["path"])
        if df.height != s.get("rows"):
            rep.problems.append(f"{s['path']} holds {df.height} rows, the manifest says {s.get('rows')}")
        rows += df.height
        if df.height and not columns:
            columns = df.columns
        h.update(row_digests(df))
        if df.height:
            keys = (df["src_lang"] + "-" + df["tgt_lang"]) if kind == "pair" else df["lang"]
            langs.update(dict(keys.value_counts().iter_rows()))
    rep.content_mismatch = content_digest(h.hexdigest(), columns or list(m.get("schema", {}))) != m["content_digest"]
    rejected = 0
    reasons: Counter[str] = Counter()
    for s in m.get("rejects", []):
        df = read_shard(d, s["path"], ["step", "reason"])
        if df.height != s.get("rows"):
            rep.problems.append(f"{s['path']} holds {df.height} rows, the manifest says {s.get('rows')}")
        rejected += df.height
        reasons.update({f"{a}: {b}": n for a, b, n in df.group_by(["step", "reason"]).len().iter_rows()})
    if rows != m.get("rows"):
        rep.problems.append(f"the shards hold {rows} rows, the manifest says {m.get('rows')}")
    if rejected != m.get("rejected_rows", 0):
        rep.problems.append(f"the reject shards hold {rejected} rows, the manifest says {m.get('rejected_rows')}")
    acc = m.get("accounting") or []
    for a in acc:
        if not a.get("expands") and a.get("in") != a.get("out", 0) + a.get("rejected", 0):
            rep.problems.append(f"accounting of {a.get('step')}: in {a.get('in')} != out {a.get('out')} + "
                                f"rejected {a.get('rejected')}")
    for prev, nxt in zip(acc, acc[1:]):
        if prev.get("out") != nxt.get("in"):
            rep.problems.append(f"accounting: {prev.get('step')} gives {prev.get('out')} rows but "
                                f"{nxt.get('step')} takes {nxt.get('in')}")
    if acc and acc[-1].get("out") != rows:
        rep.problems.append(f"accounting: the last step gives {acc[-1].get('out')} rows, the shards hold {rows}")
    if acc and sum(a.get("rejected", 0) for a in acc) != rejected:
        rep.problems.append(f"accounting: steps rejected {sum(a.get('rejected', 0) for a in acc)} rows, "
                            f"the reject shards hold {rejected}")
    stats = m.get("stats") or {}
    if "rows_per_language" in stats and dict(stats["rows_per_language"]) != dict(langs):
        rep.problems.append("stats.rows_per_language differs from the rows")
    if "reject_reasons" in stats and dict(stats["reject_reasons"]) != dict(reasons):
        rep.problems.append("stats.reject_reasons differs from the reject shards")
    if m.get("schema_version", 1) >= 2 and version_fingerprint(m) != m.get("version"):
        rep.problems.append("version does not match the fingerprint of the manifest's inputs, steps, resources, "
                            "seed and recipe")


def load_rows(path: str | Path, columns: list[str] | None = None) -> pl.DataFrame:
    d = Path(path)
    m = read_manifest(d)
    frames = [read_shard(d, s["path"], columns) for s in m["shards"]]
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()


def _row_hash(df: pl.DataFrame, kind: str) -> pl.Series:
    cols = [c for c in CONTENT[kind] if c in df.columns]
    return df.select(pl.struct(cols).struct.json_encode().alias("h"))["h"]


def _whole(df: pl.DataFrame, row_digests: Any) -> pl.Series:
    """Each row's digest as the content digest counts it (all columns), as hex."""
    raw = row_digests(df)
    return pl.Series([raw[i:i + 16].hex() for i in range(0, len(raw), 16)], dtype=pl.String)


def _group_key(df: pl.DataFrame, kind: str) -> pl.DataFrame:
    lang = (pl.col("src_lang") + ">" + pl.col("tgt_lang")) if kind == "pair" else pl.col("lang")
    return df.with_columns(lang.alias("language"),
                           pl.col("steps").list.last().fill_null("(source)").alias("last_step"))


def diff(a: str | Path, b: str | Path) -> dict[str, Any]:
    """Rows added, removed and changed (same id, other content) from A to B, per step and language.

    Streams both datasets through id-hash buckets on disk (:mod:`xdata.dataset.diffing`), so
    memory stays bounded whatever their size.
    """
    return streaming_diff(a, b)


def diff_in_memory(a: str | Path, b: str | Path) -> dict[str, Any]:
    """The reference implementation of :func:`diff` (loads both datasets whole; for tests)."""
    ma, mb = read_manifest(a), read_manifest(b)
    ka, kb = ma.get("kind", "text"), mb.get("kind", "text")
    da, db = load_rows(a), load_rows(b)
    from .writer import row_digests

    da = _group_key(da.with_columns(_row_hash(da, ka).alias("_h"), _whole(da, row_digests).alias("_w")), ka)
    db = _group_key(db.with_columns(_row_hash(db, kb).alias("_h"), _whole(db, row_digests).alias("_w")), kb)
    added = db.join(da.select("id"), on="id", how="anti")
    removed = da.join(db.select("id"), on="id", how="anti")
    both = da.select("id", pl.col("_h").alias("_ha"), pl.col("_w").alias("_wa")).join(
        db.select("id", "_h", "_w", "language", "last_step"), on="id")
    changed = both.filter(pl.col("_ha") != pl.col("_h"))
    other = both.filter((pl.col("_ha") == pl.col("_h")) & (pl.col("_wa") != pl.col("_w"))).height

    def summary(df: pl.DataFrame) -> list[dict[str, Any]]:
        if df.height == 0:
            return []
        g = df.group_by(["last_step", "language"]).len().sort(["last_step", "language"])
        return [{"step": s, "language": lang, "rows": n} for s, lang, n in g.iter_rows()]

    return {
        "a": {"name": ma["name"], "version": ma["version"], "rows": ma["rows"], "content_digest": ma["content_digest"]},
        "b": {"name": mb["name"], "version": mb["version"], "rows": mb["rows"], "content_digest": mb["content_digest"]},
        "identical": added.height == removed.height == changed.height == other == 0,
        "added": added.height,
        "removed": removed.height,
        "changed": changed.height,
        "other_changed": other,
        "added_by": summary(added),
        "removed_by": summary(removed),
        "changed_by": summary(changed),
        "added_ids": added["id"].head(20).to_list(),
        "removed_ids": removed["id"].head(20).to_list(),
        "steps_only_in_a": sorted({s["signature"] for s in ma["steps"]} - {s["signature"] for s in mb["steps"]}),
        "steps_only_in_b": sorted({s["signature"] for s in mb["steps"]} - {s["signature"] for s in ma["steps"]}),
    }


def info(path: str | Path) -> dict[str, Any]:
    """A summary of a dataset version from its manifest."""
    m = read_manifest(path)
    return {
        "name": m["name"], "version": m["version"], "kind": m.get("kind"), "created": m.get("created"),
        "rows": m["rows"], "rejected_rows": m.get("rejected_rows", 0), "shards": len(m["shards"]),
        "content_digest": m["content_digest"], "seed": m.get("seed"),
        "inputs": [f"{i['name']}@{i['version']}" for i in m.get("inputs", [])],
        "steps": [s["signature"] for s in m.get("steps", [])],
        "resources": m.get("resources", {}),
        "rows_per_language": m.get("stats", {}).get("rows_per_language", {}),
        "accounting": m.get("accounting", []),
    }


def find_row(path: str | Path, row_id: str) -> tuple[dict[str, Any], bool]:
    """(row, rejected?) for an id, searching the rows and then the rejects."""
    d = Path(path)
    m = read_manifest(d)
    for group, rejected in ((m["shards"], False), (m.get("rejects", []), True)):
        for s in group:
            try:
                df = pl.scan_parquet(shard_file(d, s["path"])).filter(pl.col("id") == row_id).collect()
            except pl.exceptions.PolarsError as e:
                raise InputError(f"not a readable Parquet shard ({str(e).splitlines()[0]})", path=d / s["path"]) from None
            if df.height:
                return df.row(0, named=True), rejected
    raise InputError(f"no row with id {row_id!r} in the rows or the rejects", path=d)


def find_dataset(near: str | Path, name: str, version: str, search: Sequence[str | Path] = ()) -> Path | None:
    """The directory of dataset ``name`` version ``version``, looked for beside ``near``: in the
    layouts xdata writes (``ROOT/NAME/VERSION`` of a history or a multi-part recipe, a sibling
    ``NAME`` directory) and under each ``search`` root."""
    here = Path(near).resolve()
    roots = [here.parent.parent, here.parent, *[Path(r) for r in search]]
    for r in roots:
        for cand in (r / name / version, r / name, r / version):
            try:
                if (cand / MANIFEST).is_file() and read_manifest(cand).get("version") == version:
                    return cand
            except Exception:  # noqa: BLE001 - a damaged neighbour is just not the one
                continue
    return None


def trace(path: str | Path, row_id: str, *, search: Sequence[str | Path] = (), depth: int = 0) -> list[str]:
    """A row's lineage in plain words, followed back through every dataset it was read from (found
    with :func:`find_dataset`) to the original file and line."""
    lines = _trace_one(path, row_id)
    if depth > 50:
        return lines
    row, rejected = find_row(path, row_id)
    if rejected or not row.get("parents"):
        return lines
    src = find_dataset(path, str(row["src_dataset"]), str(row["src_version"]), search)
    if src is None:
        m = read_manifest(path)
        if any(i.get("format") in ("dataset", "mix") for i in m.get("inputs", [])):
            lines.append(f"Its parent row is in dataset {row['src_dataset']!r} version {row['src_version']}, "
                         "which was not found beside this one (pass --search DIR).")
        return lines
    parent = str(row["parents"][0])
    try:
        find_row(src, parent)
    except InputError:
        return lines
    lines.append("")
    lines.append(f"Its parent row {parent}, in {src}:")
    return lines + ["  " + x if x else x for x in trace(src, parent, search=search, depth=depth + 1)]


def _trace_one(path: str | Path, row_id: str) -> list[str]:
    m = read_manifest(path)
    row, rejected = find_row(path, row_id)
    steps_by_sig = {s["signature"]: s for s in m.get("steps", [])}
    inputs = {i["name"]: i for i in m.get("inputs", [])}
    out: list[str] = []
    if rejected:
        rec = json.loads(row["record"]) if row.get("record") else {}
        out.append(f"Row {row_id} was REJECTED by step {row['step']}: {row['reason']}.")
        out.append(f"It came from input {row['src_dataset']!r}, row {row['src_row']} (line {row['src_row'] + 1} "
                   "for line-based files)." if row.get("src_row") is not None else "")
        out.append("Its record was: " + json.dumps(rec, ensure_ascii=False))
        return [x for x in out if x]
    kind = str(m.get("kind", "text"))
    content = {c: row[c] for c in CONTENT.get(kind, {}) if c in row}
    out.append(f"Row {row_id} of dataset {m['name']!r} version {m['version']} ({kind} record).")
    out.append("Content: " + json.dumps(content, ensure_ascii=False))
    inp = inputs.get(row["src_dataset"], {})
    if inp and inp.get("format") not in ("dataset", "mix"):
        out.append(
            f"It comes from input dataset {row['src_dataset']!r} version {row['src_version']}"
            + f" ({inp.get('format')} file(s) {', '.join(inp.get('paths', []))}, sha256 {inp.get('digest', '')[:16]}...)"
            + f", row {row['src_row']} (0-based; line {row['src_row'] + 1} of a line-based file).")
    else:
        out.append(f"It was read from row {row['src_row']} (0-based) of dataset {row['src_dataset']!r} "
                   f"version {row['src_version']}.")
    if row.get("parents"):
        out.append("It was made from the parent row(s): " + ", ".join(row["parents"]) + ".")
    if row.get("steps"):
        out.append("Steps that touched it, in order:")
        for i, sig in enumerate(row["steps"], 1):
            s = steps_by_sig.get(sig)
            if s is None:
                out.append(f"  {i}. {sig} (not described in this manifest: it ran in an earlier dataset)")
                continue
            line = f"  {i}. {s['name']} version {s['version']} with parameters {json.dumps(s['params'], sort_keys=True)}"
            if s.get("resources"):
                line += "; resources " + ", ".join(f"{k} sha256 {v[:16]}" for k, v in s["resources"].items())
            out.append(line)
    else:
        out.append("No step changed it after reading.")
    out.append(f"Seed: {row['seed']}.")
    meta = json.loads(row["meta"]) if row.get("meta") else {}
    if meta:
        out.append("Per-row details recorded by steps: " + json.dumps(meta, ensure_ascii=False, sort_keys=True))
    return out
