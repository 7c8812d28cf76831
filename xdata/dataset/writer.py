"""Writing a dataset version: shards, rejects, card, Croissant metadata, manifest last.

Layout (README, "Datasets, versions and provenance")::

    DIR/data/part-NNNNN.parquet      rows of input block NNNNN, written atomically
    DIR/rejects/part-NNNNN.parquet   rows of that block dropped by a step, with step and reason
    DIR/README.md                    Hugging Face dataset card
    DIR/croissant.json               MLCommons Croissant metadata
    DIR/manifest.json                written last

A shard holds the output of one fixed-size block of input rows, whatever the batch size
or worker count, so the same inputs give the same bytes. ``content_digest`` is a sha256
over the digests of every row in order (each row as one JSON line), so it does not depend
on how rows are sharded either.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from .. import __version__
from ..errors import PipelineError
from ..hashing import canonical_json, digest_file, digest_value, xxh3_128_rows
from ..records import REJECT_SCHEMA, schema
from .manifest import MANIFEST

ROW_GROUP_ROWS = 50_000
#: Layout of manifest.json (1: before schema_version existed; 2: files, manifest_digest, xdata_behaviour).
SCHEMA_VERSION = 2
#: Bumped whenever xdata itself would write other bytes for the same recipe, inputs and seed.
BEHAVIOUR = 2  # 2: rows read from a dataset carry its per-row meta and root
#: Files beside the manifest whose sha256 the manifest records.
CARD_FILES = ("README.md", "croissant.json")
#: Manifest fields the version fingerprints (everything that can change a byte of the version).
FINGERPRINTED = ("name", "kind", "description", "license", "synthetic", "task_categories", "xdata_behaviour", "seed")


def version_fingerprint(m: dict[str, Any]) -> str:
    """The version id: a digest of everything that can change the bytes of a version.

    Inputs (digest and reading parameters), every step's signature (name, version,
    parameters), resource digests, seed, recipe digest and options, the shard size, the
    dataset's declared metadata and xdata's behaviour number; not the time, the executor, the
    worker count or the batch size, which change no byte.
    """
    recipe = m.get("recipe") or {}
    # A part of a multi-part recipe is fingerprinted by what it reads and does, not by the recipe
    # file as a whole (an edit to another part must not recompute it), unless the part runs code
    # defined in the recipe file, which its step signatures cannot see.
    rec = ({"part": recipe["part"]} if recipe.get("part") and not recipe.get("code")
           else {"digest": recipe.get("digest"), "options": recipe.get("options", {})})
    return digest_value({
        **{k: m.get(k) for k in FINGERPRINTED},
        "inputs": [{k: v for k, v in i.items() if k not in ("version", "paths")} for i in m.get("inputs", [])],
        "steps": [s["signature"] for s in m.get("steps", [])],
        "resources": m.get("resources", {}),
        "recipe": rec,
        "block_rows": (m.get("run") or {}).get("block_rows"),
    }, 12)


def planned_version(pipeline: Any, *, kind: str, seed: int, recipe: dict[str, Any] | None, block_rows: int) -> str:
    """The version a run of ``pipeline`` will get, known before any row is read (the same
    fingerprint :meth:`DatasetWriter.finish` computes)."""
    p = pipeline
    return version_fingerprint({
        "name": p.name, "kind": kind, "description": p.description, "license": p.license,
        "synthetic": p.synthetic, "task_categories": p.tasks(kind), "xdata_behaviour": BEHAVIOUR, "seed": seed,
        "inputs": [p.source.describe()], "steps": p.describe(), "resources": p.resources(), "recipe": recipe,
        "run": {"block_rows": block_rows}})


def manifest_digest(m: dict[str, Any]) -> str:
    """sha256 of the manifest's canonical JSON without this field: any edit of a figure shows."""
    return hashlib.sha256(canonical_json({k: v for k, v in m.items() if k != "manifest_digest"}).encode()).hexdigest()


@dataclass
class BlockWritten:
    """What writing one block produced (returned from workers to the driver)."""

    index: int
    shard: dict[str, Any] | None = None
    reject_shard: dict[str, Any] | None = None
    row_digests: bytes = b""
    lang_rows: dict[str, int] = field(default_factory=dict)
    reject_reasons: dict[str, int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)


def _write_parquet(df: pl.DataFrame, path: Path) -> dict[str, Any]:
    tmp = path.with_name(f".{path.name}.tmp")
    df.write_parquet(tmp, compression="snappy", row_group_size=ROW_GROUP_ROWS, statistics=True)
    tmp.replace(path)
    return {"path": f"{path.parent.name}/{path.name}", "sha256": digest_file(path), "rows": df.height,
            "bytes": path.stat().st_size}


def conform(df: pl.DataFrame, want: dict[str, pl.DataType]) -> pl.DataFrame:
    """Required columns first in schema order (with their types), then any extra columns sorted."""
    for c, t in want.items():
        if c not in df.columns:
            df = df.with_columns(pl.lit(None, t).alias(c))
    extra = sorted(c for c in df.columns if c not in want)
    return df.select([pl.col(c).cast(t) for c, t in want.items()] + [pl.col(c) for c in extra])


def row_digests(df: pl.DataFrame) -> bytes:
    """16-byte XXH3-128 digest of each row, concatenated in row order.

    A row is serialised as its values in column order (lists joined, nulls marked) with
    control separators, so equal rows give equal digests whatever shard holds them. The
    column names and order are the same for every row of a dataset (see ``conform``).
    """
    if df.height == 0:
        return b""
    parts: list[pl.Expr] = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.List):
            val = col.cast(pl.List(pl.String)).list.join("\x1e", ignore_nulls=False)
        elif isinstance(dtype, (pl.Struct, pl.Array)):
            val = pl.struct(col).struct.json_encode()
        elif dtype == pl.String:
            val = col
        else:
            val = col.cast(pl.String)
        parts.append(val.fill_null("\x00"))
    return xxh3_128_rows(pl.concat_str(parts, separator="\x1f"), df).tobytes()


def content_digest(row_stream_sha256: str, columns: list[str]) -> str:
    """The dataset's content digest: its column names plus the sha256 of its row digests."""
    return hashlib.sha256(json.dumps({"columns": columns, "rows": row_stream_sha256}).encode()).hexdigest()


def write_block(directory: str | Path, index: int, rows: pl.DataFrame, rejects: pl.DataFrame,
                kind: str) -> BlockWritten:
    """Write one block's rows and rejects as shards ``part-{index:05d}``; runs in workers."""
    d = Path(directory)
    out = BlockWritten(index)
    if rows.height:
        rows = conform(rows, schema(kind))
        out.shard = _write_parquet(rows, d / "data" / f"part-{index:05d}.parquet")
        out.row_digests = row_digests(rows)
        keys = (rows["src_lang"] + "-" + rows["tgt_lang"]) if kind == "pair" else rows["lang"]
        out.lang_rows = {k: n for k, n in keys.value_counts().iter_rows()}
        out.columns = {c: str(t) for c, t in rows.schema.items()}
    if rejects.height:
        rejects = rejects.select(list(REJECT_SCHEMA))
        out.reject_shard = _write_parquet(rejects, d / "rejects" / f"part-{index:05d}.parquet")
        out.reject_reasons = {f"{s}: {r}": n for s, r, n in rejects.group_by(["step", "reason"]).len().iter_rows()}
    return out


def reuse_block(prev_dir: str | Path, new_dir: str | Path, index: int, rows_shard: dict[str, Any] | None,
                reject_shard: dict[str, Any] | None, src_version: str, prev_src_version: str) -> BlockWritten:
    """A block's shards taken over from a previous version (``--update-from``).

    Rows carry their input's version (``src_version``), which changes with any byte of the input,
    so a taken-over shard is rewritten with the new one (rows and rejects alike): the shard then has
    exactly the bytes a full rebuild writes, at the cost of re-encoding instead of recomputing.
    """
    prev, new = Path(prev_dir), Path(new_dir)
    out = BlockWritten(index)
    old_tag, new_tag = f'"src_version":"{prev_src_version}"', f'"src_version":"{src_version}"'
    if rows_shard is not None:
        df = pl.read_parquet(prev / rows_shard["path"])
        if "src_version" in df.columns:
            df = df.with_columns(pl.lit(src_version, df.schema["src_version"]).alias("src_version"))
        out.shard = _write_parquet(df, new / rows_shard["path"])
        out.row_digests = row_digests(df)
        keys = (df["src_lang"] + "-" + df["tgt_lang"]) if "src_lang" in df.columns and "tgt" in df.columns else df["lang"]
        out.lang_rows = {k: n for k, n in keys.value_counts().iter_rows()}
        out.columns = {c: str(t) for c, t in df.schema.items()}
    if reject_shard is not None:
        rj = pl.read_parquet(prev / reject_shard["path"])
        rj = rj.with_columns(pl.col("record").str.replace_all(old_tag, new_tag, literal=True))
        out.reject_shard = _write_parquet(rj, new / reject_shard["path"])
        out.reject_reasons = {f"{a}: {b}": n for a, b, n in rj.group_by(["step", "reason"]).len().iter_rows()}
    return out


class DatasetWriter:
    """Collects the written blocks of one run and finishes the dataset version directory."""

    def __init__(self, out: str | Path, pipeline: Any, *, kind: str, seed: int,
                 recipe: dict[str, Any] | None = None, overwrite: bool = False, history: bool = False) -> None:
        from .outdir import HistoryDir, OutputDir

        self.out = HistoryDir(out) if history else OutputDir(out, overwrite=overwrite)
        self.final = self.out.final
        self.dir = self.out.open()  # shards go to a temporary sibling until the version is complete
        try:
            (self.dir / "data").mkdir()
            (self.dir / "rejects").mkdir()
        except BaseException:
            self.out.abort()
            raise
        self.parent: str | None = None  # the version this one updates (--update-from), if any
        self.pipeline = pipeline
        self.kind = kind
        self.seed = seed
        self.recipe = recipe
        self._digest = hashlib.sha256()
        self.shards: list[dict[str, Any]] = []
        self.reject_shards: list[dict[str, Any]] = []
        self.lang_rows: Counter[str] = Counter()
        self.reject_reasons: Counter[str] = Counter()
        self.columns: dict[str, str] = {}
        self._next = 0

    def add(self, block: BlockWritten) -> None:
        """Account for a written block (blocks must arrive in input order)."""
        if block.index < self._next:
            raise PipelineError(f"block {block.index} arrived after block {self._next - 1}")
        self._next = block.index + 1
        if block.shard:
            self.shards.append(block.shard)
        if block.reject_shard:
            self.reject_shards.append(block.reject_shard)
        self._digest.update(block.row_digests)
        self.lang_rows.update(block.lang_rows)
        self.reject_reasons.update(block.reject_reasons)
        for c, t in block.columns.items():
            self.columns.setdefault(c, t)

    @property
    def rows(self) -> int:
        return sum(s["rows"] for s in self.shards)

    @property
    def rejected(self) -> int:
        return sum(s["rows"] for s in self.reject_shards)

    def finish(self, accounting: list[dict[str, Any]], *, blocks: list[dict[str, Any]] | None = None,
               **run_info: Any) -> dict[str, Any]:
        if not self.shards:  # an empty dataset still has one (empty) shard with the schema
            self.shards.append(_write_parquet(pl.DataFrame(schema=schema(self.kind)),
                                              self.dir / "data" / "part-00000.parquet"))
        self._check_accounting(accounting)
        p = self.pipeline
        inputs = [p.source.describe()]
        steps = p.describe()
        resources = p.resources()
        langs = sorted({x for k in self.lang_rows for x in (_split_pair(k) if self.kind == "pair" else [k])}
                       | set(p.languages() if self.rows else []))
        manifest: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "name": p.name,
            "version": "",
            "kind": self.kind,
            "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
            "xdata_version": __version__,
            "xdata_behaviour": BEHAVIOUR,
            "description": p.description,
            "license": p.license,
            "synthetic": p.synthetic,
            "task_categories": p.tasks(self.kind),
            "recipe": self.recipe,
            "seed": self.seed,
            "run": run_info,
            "inputs": inputs,
            "steps": steps,
            "resources": resources,
            "schema": {**{c: str(t) for c, t in schema(self.kind).items()}, **self.columns},
            "shards": self.shards,
            "rejects": self.reject_shards,
            "rows": self.rows,
            "rejected_rows": self.rejected,
            "accounting": accounting,
            "stats": {"rows_per_language": dict(sorted(self.lang_rows.items())), "languages": langs,
                      "reject_reasons": dict(sorted(self.reject_reasons.items()))},
            "content_digest": content_digest(self._digest.hexdigest(), list(self.columns) or list(schema(self.kind))),
            "blocks": blocks or [],
        }
        report = getattr(p.source, "run_report", None)
        mix = report(self.dir) if callable(report) else None
        if mix:  # what a mix did: rows per part, origin and split (counted in the written shards)
            manifest["mix"] = mix
        warnings: list[str] = []
        for pos, st in enumerate(p.steps):
            entry = accounting[pos + 1] if pos + 1 < len(accounting) else {}
            warnings += [f"{st.name} (step {pos}): {w}" for w in st.warnings(entry, manifest)]
        manifest["warnings"] = warnings
        manifest["version"] = version_fingerprint(manifest)
        manifest["parent_version"] = self.parent or self.out.parent_version()
        from .card import write_card
        from .croissant import write_croissant

        write_card(self.dir, manifest)
        write_croissant(self.dir, manifest)
        manifest["files"] = {f: digest_file(self.dir / f) for f in CARD_FILES}
        manifest["manifest_digest"] = manifest_digest(manifest)
        tmp = self.dir / f".{MANIFEST}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(self.dir / MANIFEST)
        self.dir = self.final = self.out.commit(manifest["version"])
        return manifest

    def abort(self) -> None:
        """Drop everything this run wrote; ``--out`` stays as it was before the run."""
        self.out.abort()

    def _check_accounting(self, accounting: list[dict[str, Any]]) -> None:
        """in = out + rejected for every step that maps rows one to one; rows add up end to end."""
        for a in accounting:
            if not a.get("expands") and a["in"] != a["out"] + a["rejected"]:
                raise PipelineError(f"row accounting broken at {a['step']}: {a}")
        if accounting[-1]["out"] != self.rows:
            raise PipelineError(f"{accounting[-1]['out']} rows left the last step but {self.rows} were written")
        total_rej = sum(a["rejected"] for a in accounting)
        if total_rej != self.rejected:
            raise PipelineError(f"{total_rej} rows were rejected but {self.rejected} reject rows were written")


def _split_pair(key: str) -> list[str]:
    # keys look like "sw-en" or "sr-Latn-en"; a script subtag is 4 letters, title case.
    out: list[str] = []
    for part in key.split("-"):
        if out and len(part) == 4 and part.istitle():
            out[-1] += "-" + part
        else:
            out.append(part)
    return out
