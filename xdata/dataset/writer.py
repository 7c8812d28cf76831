"""Writing a dataset version: shards, rejects, card, Croissant metadata, manifest last.

Layout (ARCHITECTURE.md)::

    DIR/data/part-NNNNN.parquet      rows, fixed rows per shard, written atomically
    DIR/rejects/part-NNNNN.parquet   dropped rows with step and reason
    DIR/README.md                    Hugging Face dataset card
    DIR/croissant.json               MLCommons Croissant metadata
    DIR/manifest.json                written last

Shards hold a fixed number of rows whatever the batch size, so the same rows give the
same bytes. ``content_digest`` is one sha256 over every row in order (as JSON lines), so
it does not depend on how rows were sharded either.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from .. import __version__
from ..errors import ConfigError, PipelineError
from ..hashing import digest_file, digest_value
from ..records import REJECT_SCHEMA, schema
from .manifest import MANIFEST

SHARD_ROWS = 250_000
ROW_GROUP_ROWS = 50_000


def _write_parquet(df: pl.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(df.to_arrow(), tmp, compression="zstd", row_group_size=ROW_GROUP_ROWS)
    tmp.replace(path)


class _ShardSink:
    """Buffers rows and writes fixed-size shards into one folder."""

    def __init__(self, folder: Path, schema_: dict[str, pl.DataType], shard_rows: int,
                 digest: "hashlib._Hash | None" = None) -> None:
        self.folder = folder
        self.schema = schema_
        self.shard_rows = shard_rows
        self.buf: list[pl.DataFrame] = []
        self.buffered = 0
        self.shards: list[dict[str, Any]] = []
        self.rows = 0
        self.digest = digest

    def add(self, df: pl.DataFrame) -> None:
        if df.height == 0:
            return
        self.buf.append(df)
        self.buffered += df.height
        while self.buffered >= self.shard_rows:
            self._flush(self.shard_rows)

    def _flush(self, n: int | None) -> None:
        if self.buf:
            allrows = pl.concat(self.buf, how="diagonal_relaxed") if len(self.buf) > 1 else self.buf[0]
        else:
            allrows = pl.DataFrame(schema=self.schema)
        n = allrows.height if n is None else n
        part, rest = allrows.slice(0, n), allrows.slice(n)
        self.buf = [rest] if rest.height else []
        self.buffered = rest.height
        part = _conform(part, self.schema)
        path = self.folder / f"part-{len(self.shards):05d}.parquet"
        _write_parquet(part, path)
        if self.digest is not None:
            buf = io.BytesIO()
            part.write_ndjson(buf)
            self.digest.update(buf.getvalue())
        self.shards.append({"path": f"{self.folder.name}/{path.name}", "sha256": digest_file(path),
                            "rows": part.height, "bytes": path.stat().st_size})
        self.rows += part.height

    def close(self) -> None:
        if self.buffered or not self.shards:
            self._flush(None)


def _conform(df: pl.DataFrame, want: dict[str, pl.DataType]) -> pl.DataFrame:
    """Required columns first in schema order (with their types), then any extra columns sorted."""
    for c, t in want.items():
        if c not in df.columns:
            df = df.with_columns(pl.lit(None, t).alias(c))
    extra = sorted(c for c in df.columns if c not in want)
    return df.select([pl.col(c).cast(t) for c, t in want.items()] + [pl.col(c) for c in extra])


class DatasetWriter:
    """Writes one dataset version directory for a pipeline run."""

    def __init__(self, out: str | Path, pipeline: Any, *, kind: str, seed: int,
                 recipe: dict[str, Any] | None = None, overwrite: bool = False,
                 shard_rows: int | None = None) -> None:
        self.dir = Path(out)
        if (self.dir / MANIFEST).exists() and not overwrite:
            raise ConfigError(f"{self.dir} already holds a finished dataset; choose another --out or pass --overwrite")
        if self.dir.exists() and any(self.dir.iterdir()):
            for sub in ("data", "rejects"):
                if (self.dir / sub).exists():
                    shutil.rmtree(self.dir / sub)
            for f in (MANIFEST, "README.md", "croissant.json"):
                (self.dir / f).unlink(missing_ok=True)
        (self.dir / "data").mkdir(parents=True, exist_ok=True)
        (self.dir / "rejects").mkdir(parents=True, exist_ok=True)
        self.pipeline = pipeline
        self.kind = kind
        self.seed = seed
        self.recipe = recipe
        self._digest = hashlib.sha256()
        shard_rows = shard_rows or SHARD_ROWS
        self.data = _ShardSink(self.dir / "data", schema(kind), shard_rows, self._digest)
        self.rejects = _ShardSink(self.dir / "rejects", REJECT_SCHEMA, shard_rows)
        self.lang_rows: Counter[str] = Counter()
        self.reject_reasons: Counter[str] = Counter()
        self.columns: dict[str, str] = {}

    def write(self, rows: pl.DataFrame) -> None:
        if rows.height == 0:
            return
        for c, t in rows.schema.items():
            self.columns.setdefault(c, str(t))
        if self.kind == "pair":
            keys = (rows["src_lang"] + "-" + rows["tgt_lang"]).value_counts()
        else:
            keys = rows["lang"].value_counts()
        for k, n in keys.iter_rows():
            self.lang_rows[k] += n
        self.data.add(rows)

    def write_rejects(self, rejects: pl.DataFrame) -> None:
        if rejects.height == 0:
            return
        for step, reason, n in rejects.group_by(["step", "reason"]).len().iter_rows():
            self.reject_reasons[f"{step}: {reason}"] += n
        self.rejects.add(rejects.select(list(REJECT_SCHEMA)))

    def finish(self, accounting: list[dict[str, Any]], **run_info: Any) -> dict[str, Any]:
        self.data.close()
        self.rejects.close()
        self._check_accounting(accounting)
        p = self.pipeline
        inputs = [p.source.describe()]
        steps = p.describe()
        resources = p.resources()
        fingerprint = digest_value({
            "inputs": [i["digest"] for i in inputs],
            "steps": [s["signature"] for s in steps],
            "resources": resources,
            "seed": self.seed,
            "recipe": (self.recipe or {}).get("digest"),
        }, 12)
        langs = sorted({x for k in self.lang_rows for x in k.split("-") if x} if self.kind != "pair"
                       else {x for k in self.lang_rows for x in _split_pair(k)})
        manifest: dict[str, Any] = {
            "name": p.name,
            "version": fingerprint,
            "kind": self.kind,
            "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
            "xdata_version": __version__,
            "description": p.description,
            "license": p.license,
            "synthetic": p.synthetic,
            "task_categories": p.task_categories,
            "recipe": self.recipe,
            "seed": self.seed,
            "run": run_info,
            "inputs": inputs,
            "steps": steps,
            "resources": resources,
            "schema": {**{c: str(t) for c, t in schema(self.kind).items()}, **self.columns},
            "shards": self.data.shards,
            "rejects": self.rejects.shards,
            "rows": self.data.rows,
            "rejected_rows": self.rejects.rows,
            "accounting": accounting,
            "stats": {"rows_per_language": dict(sorted(self.lang_rows.items())), "languages": langs,
                      "reject_reasons": dict(sorted(self.reject_reasons.items()))},
            "content_digest": self._digest.hexdigest(),
        }
        from .card import write_card
        from .croissant import write_croissant

        write_card(self.dir, manifest)
        write_croissant(self.dir, manifest)
        tmp = self.dir / f".{MANIFEST}.tmp"
        tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")
        tmp.replace(self.dir / MANIFEST)
        return manifest

    def _check_accounting(self, accounting: list[dict[str, Any]]) -> None:
        """in = out + rejected for every step that maps rows one to one; rows add up end to end."""
        for a in accounting:
            if not a.get("expands") and a["in"] != a["out"] + a["rejected"]:
                raise PipelineError(f"row accounting broken at {a['step']}: {a}")
        last = accounting[-1]["out"]
        if last != self.data.rows:
            raise PipelineError(f"{last} rows left the last step but {self.data.rows} were written")
        total_rej = sum(a["rejected"] for a in accounting)
        if total_rej != self.rejects.rows:
            raise PipelineError(f"{total_rej} rows were rejected but {self.rejects.rows} reject rows were written")


def _split_pair(key: str) -> list[str]:
    # keys look like "sw-en" or "sr-Latn-en"; a script subtag is 4 letters, title case.
    parts = key.split("-")
    out: list[str] = []
    for p in parts:
        if out and (len(p) == 4 and p.istitle()):
            out[-1] += "-" + p
        else:
            out.append(p)
    return out
