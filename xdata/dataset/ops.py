"""Operations on written dataset versions: verify, diff, info, trace."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import InputError
from ..hashing import digest_file
from ..records import CONTENT
from .manifest import MANIFEST, read_manifest

_OWN_FILES = {MANIFEST, "README.md", "croissant.json"}


@dataclass
class VerifyReport:
    """What differs between a dataset directory and its manifest."""

    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    content_mismatch: bool = False

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.extra or self.content_mismatch)

    def lines(self) -> list[str]:
        out = [f"changed: {p} (sha256 differs from the manifest)" for p in self.changed]
        out += [f"missing: {p} (listed in the manifest, not on disk)" for p in self.missing]
        out += [f"extra: {p} (on disk, not in the manifest)" for p in self.extra]
        if self.content_mismatch:
            out.append("content digest of the rows differs from the manifest")
        return out


def verify(path: str | Path, *, deep: bool = False) -> VerifyReport:
    """Recompute shard digests (and with ``deep`` the content digest) against the manifest."""
    d = Path(path)
    m = read_manifest(d)
    rep = VerifyReport()
    listed = {s["path"]: s for s in m["shards"] + m.get("rejects", [])}
    for rel, s in listed.items():
        p = d / rel
        if not p.exists():
            rep.missing.append(rel)
        elif digest_file(p) != s["sha256"]:
            rep.changed.append(rel)
    for sub in ("data", "rejects"):
        if (d / sub).exists():
            for p in sorted((d / sub).rglob("*")):
                rel = p.relative_to(d).as_posix()
                if p.is_file() and rel not in listed:
                    rep.extra.append(rel)
    for p in sorted(d.iterdir()):
        if p.is_file() and p.name not in _OWN_FILES:
            rep.extra.append(p.name)
    if deep and not (rep.changed or rep.missing):
        from .writer import content_digest, row_digests

        h = hashlib.sha256()
        columns: list[str] = []
        for s in m["shards"]:
            df = pl.read_parquet(d / s["path"])
            if df.height and not columns:
                columns = df.columns
            h.update(row_digests(df))
        rep.content_mismatch = content_digest(h.hexdigest(), columns or list(m["schema"])) != m["content_digest"]
    return rep


def load_rows(path: str | Path, columns: list[str] | None = None) -> pl.DataFrame:
    d = Path(path)
    m = read_manifest(d)
    frames = [pl.read_parquet(d / s["path"], columns=columns) for s in m["shards"]]
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()


def _row_hash(df: pl.DataFrame, kind: str) -> pl.Series:
    cols = [c for c in CONTENT[kind] if c in df.columns]
    return df.select(pl.struct(cols).struct.json_encode().alias("h"))["h"]


def _group_key(df: pl.DataFrame, kind: str) -> pl.DataFrame:
    lang = (pl.col("src_lang") + ">" + pl.col("tgt_lang")) if kind == "pair" else pl.col("lang")
    return df.with_columns(lang.alias("language"),
                           pl.col("steps").list.last().fill_null("(source)").alias("last_step"))


def diff(a: str | Path, b: str | Path) -> dict[str, Any]:
    """Rows added, removed and changed (same id, other content) from A to B, per step and language."""
    ma, mb = read_manifest(a), read_manifest(b)
    ka, kb = ma.get("kind", "text"), mb.get("kind", "text")
    da, db = load_rows(a), load_rows(b)
    da = _group_key(da.with_columns(_row_hash(da, ka).alias("_h")), ka)
    db = _group_key(db.with_columns(_row_hash(db, kb).alias("_h")), kb)
    added = db.join(da.select("id"), on="id", how="anti")
    removed = da.join(db.select("id"), on="id", how="anti")
    both = da.select("id", pl.col("_h").alias("_ha")).join(db.select("id", "_h", "language", "last_step"), on="id")
    changed = both.filter(pl.col("_ha") != pl.col("_h"))

    def summary(df: pl.DataFrame) -> list[dict[str, Any]]:
        if df.height == 0:
            return []
        g = df.group_by(["last_step", "language"]).len().sort(["last_step", "language"])
        return [{"step": s, "language": lang, "rows": n} for s, lang, n in g.iter_rows()]

    return {
        "a": {"name": ma["name"], "version": ma["version"], "rows": ma["rows"], "content_digest": ma["content_digest"]},
        "b": {"name": mb["name"], "version": mb["version"], "rows": mb["rows"], "content_digest": mb["content_digest"]},
        "identical": ma["content_digest"] == mb["content_digest"],
        "added": added.height,
        "removed": removed.height,
        "changed": changed.height,
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
            df = pl.scan_parquet(d / s["path"]).filter(pl.col("id") == row_id).collect()
            if df.height:
                return df.row(0, named=True), rejected
    raise InputError(f"no row with id {row_id!r} in the rows or the rejects", path=d)


def trace(path: str | Path, row_id: str) -> list[str]:
    """A row's lineage in plain words."""
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
    kind = m.get("kind")
    content = {c: row[c] for c in CONTENT.get(kind, {}) if c in row}
    out.append(f"Row {row_id} of dataset {m['name']!r} version {m['version']} ({kind} record).")
    out.append("Content: " + json.dumps(content, ensure_ascii=False))
    inp = inputs.get(row["src_dataset"], {})
    out.append(
        f"It comes from input dataset {row['src_dataset']!r} version {row['src_version']}"
        + (f" ({inp.get('format')} file(s) {', '.join(inp.get('paths', []))}, sha256 {inp.get('digest', '')[:16]}...)" if inp else "")
        + f", row {row['src_row']} (0-based; line {row['src_row'] + 1} of a line-based file)."
    )
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
