"""Diffing two dataset versions with bounded memory.

``diff(a, b)`` gives exactly what :func:`xdata.dataset.ops.diff` gives (rows added, removed
and changed by id, summaries per last step and language, the first 20 added / removed ids,
steps only in one side), without loading either dataset whole:

1. Each side is read shard by shard, in record batches. For every row only a small key is
   kept: its ``id``, a 128-bit XXH3 hash of its content columns (the JSON of the content
   columns, as ``ops.diff`` compares them), its language, its last step and its ordinal
   (position in the dataset's row order).
2. Rows are spread over K buckets by a hash of their id, and each bucket of each side is
   appended to its own small Arrow IPC file in a temporary directory. K comes from the row
   counts in the manifests so that a bucket holds about ``bucket_rows`` rows of a side.
3. Buckets are joined one at a time (rows with the same id always share a bucket), with the
   same joins as ``ops.diff``; counts, per-group counts and the lowest-ordinal ids are
   accumulated.

Memory is bounded by one record batch of a shard while spilling and by one bucket of each
side while joining, whatever the size of the datasets. The temporary directory is removed
at the end, also on error.
"""

from __future__ import annotations

import math
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from ..records import CONTENT, PROVENANCE
from .manifest import read_manifest
from .writer import row_digests

#: Rows of one side a bucket should hold (about 40 bytes of key per row once spilled).
BUCKET_ROWS = 250_000
#: Rows read from a shard at a time.
BATCH_ROWS = 50_000
#: At most this many buckets (one open file per bucket while a side is spilled).
MAX_BUCKETS = 512
#: Ids shown for added and removed rows.
SAMPLE_IDS = 20

_BUCKET_SEED = 0x5EED_D1FF
_KEY_SCHEMA = {"id": pl.String(), "_hi": pl.UInt64(), "_lo": pl.UInt64(), "_rhi": pl.UInt64(), "_rlo": pl.UInt64(),
               "language": pl.String(),
               "last_step": pl.String(), "_ord": pl.Int64()}


def _shard_paths(d: Path, m: dict[str, Any]) -> list[Path]:
    """The shards, confined to the dataset directory; garbage is an error naming the file."""
    import pyarrow.parquet as pq

    from ..errors import InputError
    from .shards import shard_file

    out = []
    for s in m["shards"]:
        p = shard_file(d, s.get("path") if isinstance(s, dict) else s)
        try:
            pq.read_metadata(p)
        except Exception as e:  # noqa: BLE001 - pyarrow raises several types for garbage
            raise InputError(f"not a readable Parquet shard ({str(e).splitlines()[0]})", path=p) from None
        out.append(p)
    return out


def _content_columns(paths: list[Path], kind: str) -> list[str]:
    """Content columns of ``kind`` present in at least one shard, in ``CONTENT`` order (as a
    diagonal concatenation of all shards would have them)."""
    present: set[str] = set()
    for p in paths:
        present.update(pq.read_schema(p).names)
    return [c for c in CONTENT[kind] if c in present]


def _batches(path: Path, columns: list[str] | None, types: dict[str, pl.DataType]) -> Iterator[pl.DataFrame]:
    """Record batches of one shard with ``columns`` (all when None; missing ones as nulls)."""
    f = pq.ParquetFile(path)
    if columns is None:
        columns = list(f.schema_arrow.names)
    have = [c for c in columns if c in f.schema_arrow.names]
    missing = [c for c in columns if c not in have]
    for batch in f.iter_batches(batch_size=BATCH_ROWS, columns=have):
        df = pl.from_arrow(batch)
        assert isinstance(df, pl.DataFrame)
        if missing:
            df = df.with_columns([pl.lit(None, types[c]).alias(c) for c in missing])
        yield df


def _keys(df: pl.DataFrame, kind: str, content: list[str], start: int, whole: Any) -> pl.DataFrame:
    """The diff key of each row: id, content hash (hi, lo), whole-row digest (``whole``: the one
    the content digest is made of), language, last step, ordinal."""
    import numpy as np
    import polars_hash as plh

    lang = (pl.col("src_lang") + ">" + pl.col("tgt_lang")) if kind == "pair" else pl.col("lang")
    two64 = pl.lit(2**64, dtype=pl.UInt128)
    h = plh.col("_json").nchash.xxh3_128()
    return (
        df.lazy()
        .with_columns(pl.struct(content).struct.json_encode().alias("_json"))
        .select(
            pl.col("id"),
            (h // two64).cast(pl.UInt64).alias("_hi"),
            h.cast(pl.UInt64, wrap_numerical=True).alias("_lo"),
            lang.cast(pl.String).alias("language"),
            pl.col("steps").list.last().fill_null("(source)").alias("last_step"),
            pl.int_range(start, start + df.height, dtype=pl.Int64).alias("_ord"),
        )
        .collect()
        .with_columns(pl.Series("_rhi", whole[:, 0].astype(np.uint64), pl.UInt64),
                      pl.Series("_rlo", whole[:, 1].astype(np.uint64), pl.UInt64))
    )


class _BucketFiles:
    """One Arrow IPC file per bucket, written a batch at a time."""

    def __init__(self, directory: Path, side: str, k: int) -> None:
        self.paths = [directory / f"{side}-{i:04d}.arrow" for i in range(k)]
        self._writers: dict[int, ipc.RecordBatchFileWriter] = {}
        self._options = ipc.IpcWriteOptions(compression="lz4")

    def write(self, bucket: int, df: pl.DataFrame) -> None:
        table = df.to_arrow(compat_level=pl.CompatLevel.oldest())
        w = self._writers.get(bucket)
        if w is None:
            w = ipc.new_file(str(self.paths[bucket]), table.schema, options=self._options)
            self._writers[bucket] = w
        w.write_table(table)

    def close(self) -> None:
        for w in self._writers.values():
            w.close()
        self._writers.clear()

    def read(self, bucket: int) -> pl.DataFrame:
        p = self.paths[bucket]
        if not p.exists():
            return pl.DataFrame(schema=_KEY_SCHEMA)
        with pa.memory_map(str(p)) as source:
            table = ipc.open_file(source).read_all()
        df = pl.from_arrow(table)
        assert isinstance(df, pl.DataFrame)
        return df


def _spill(d: Path, m: dict[str, Any], files: _BucketFiles, k: int) -> None:
    """Read one dataset shard by shard and append each row's key to its id bucket."""
    kind = m.get("kind", "text")
    paths = _shard_paths(d, m)
    content = _content_columns(paths, kind)
    types = {**PROVENANCE, **CONTENT[kind]}
    need = ["id", "steps", *[c for c in CONTENT[kind] if c not in ("id", "steps")]]
    start = 0
    try:
        for p in paths:
            for raw in _batches(p, None, types):
                if raw.height == 0:
                    continue
                whole = np.frombuffer(row_digests(raw), dtype=">u8").reshape(-1, 2)  # as the content digest sees it
                missing = [c for c in need if c not in raw.columns]
                batch = raw.with_columns([pl.lit(None, types[c]).alias(c) for c in missing]) if missing else raw
                keys = _keys(batch, kind, content, start, whole)
                start += batch.height
                keys = keys.with_columns((pl.col("id").hash(seed=_BUCKET_SEED) % k).alias("_b"))
                for (b,), part in keys.partition_by("_b", as_dict=True, maintain_order=True).items():
                    files.write(int(b), part.drop("_b"))
    finally:
        files.close()


def _rows(m: dict[str, Any]) -> int:
    if isinstance(m.get("rows"), int):
        return m["rows"]
    return sum(int(s.get("rows", 0)) for s in m["shards"])


def _summary(counts: Counter[tuple[str, str | None]]) -> list[dict[str, Any]]:
    if not counts:
        return []
    g = pl.DataFrame(
        {"last_step": [k[0] for k in counts], "language": [k[1] for k in counts], "rows": list(counts.values())},
        schema={"last_step": pl.String(), "language": pl.String(), "rows": pl.Int64()},
    ).sort(["last_step", "language"])
    return [{"step": s, "language": lang, "rows": n} for s, lang, n in g.iter_rows()]


def _count_groups(counts: Counter[tuple[str, str | None]], df: pl.DataFrame) -> None:
    if df.height:
        for s, lang, n in df.group_by(["last_step", "language"]).len().iter_rows():
            counts[(s, lang)] += n


def _first_ids(best: list[tuple[int, str | None]], df: pl.DataFrame) -> list[tuple[int, str | None]]:
    """The SAMPLE_IDS (ordinal, id) pairs of lowest ordinal among ``best`` and ``df``."""
    if df.height == 0:
        return best
    top = df.select("_ord", "id").sort("_ord").head(SAMPLE_IDS)
    return sorted(best + list(top.iter_rows()), key=lambda x: x[0])[:SAMPLE_IDS]


def diff(a: str | Path, b: str | Path, *, bucket_rows: int = BUCKET_ROWS,
         tmp_dir: str | Path | None = None) -> dict[str, Any]:
    """Rows added, removed and changed (same id, other content) from A to B, per step and language.

    The same result as :func:`xdata.dataset.ops.diff`, in bounded memory: about
    ``bucket_rows`` row keys of each side are held at a time (see the module docstring).
    Temporary files go to ``tmp_dir`` (default: the system temporary directory).
    """
    if bucket_rows < 1:
        raise ValueError("bucket_rows must be at least 1")
    da, db = Path(a), Path(b)
    ma, mb = read_manifest(da), read_manifest(db)
    k = min(MAX_BUCKETS, max(1, math.ceil(max(_rows(ma), _rows(mb)) / bucket_rows)))

    added = removed = changed = other = 0
    added_by: Counter[tuple[str, str | None]] = Counter()
    removed_by: Counter[tuple[str, str | None]] = Counter()
    changed_by: Counter[tuple[str, str | None]] = Counter()
    added_ids: list[tuple[int, str | None]] = []
    removed_ids: list[tuple[int, str | None]] = []

    with tempfile.TemporaryDirectory(prefix="xdata-diff-", dir=tmp_dir) as tmp:
        t = Path(tmp)
        fa, fb = _BucketFiles(t, "a", k), _BucketFiles(t, "b", k)
        _spill(da, ma, fa, k)
        _spill(db, mb, fb, k)
        for i in range(k):
            ka, kb = fa.read(i), fb.read(i)
            add = kb.join(ka.select("id"), on="id", how="anti")
            rem = ka.join(kb.select("id"), on="id", how="anti")
            both = ka.select("id", pl.col("_hi").alias("_hia"), pl.col("_lo").alias("_loa"), pl.col("_rhi").alias("_rhia"),
                             pl.col("_rlo").alias("_rloa")).join(
                kb.select("id", "_hi", "_lo", "_rhi", "_rlo", "language", "last_step"), on="id")
            same_content = (pl.col("_hia") == pl.col("_hi")) & (pl.col("_loa") == pl.col("_lo"))
            chg = both.filter(~same_content)
            other += both.filter(same_content & ((pl.col("_rhia") != pl.col("_rhi")) |
                                                 (pl.col("_rloa") != pl.col("_rlo")))).height
            added += add.height
            removed += rem.height
            changed += chg.height
            _count_groups(added_by, add)
            _count_groups(removed_by, rem)
            _count_groups(changed_by, chg)
            added_ids = _first_ids(added_ids, add)
            removed_ids = _first_ids(removed_ids, rem)
            del ka, kb, add, rem, both, chg

    sig_a = {s["signature"] for s in ma["steps"]}
    sig_b = {s["signature"] for s in mb["steps"]}
    return {
        "a": {"name": ma["name"], "version": ma["version"], "rows": ma["rows"], "content_digest": ma["content_digest"]},
        "b": {"name": mb["name"], "version": mb["version"], "rows": mb["rows"], "content_digest": mb["content_digest"]},
        "identical": added == removed == changed == other == 0,
        "added": added,
        "removed": removed,
        "changed": changed,
        "other_changed": other,
        "added_by": _summary(added_by),
        "removed_by": _summary(removed_by),
        "changed_by": _summary(changed_by),
        "added_ids": [i for _, i in added_ids],
        "removed_ids": [i for _, i in removed_ids],
        "steps_only_in_a": sorted(sig_a - sig_b),
        "steps_only_in_b": sorted(sig_b - sig_a),
    }
