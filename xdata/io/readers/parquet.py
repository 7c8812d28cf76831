"""Parquet files and xdata dataset versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import polars as pl

from ...errors import InputError
from ...hashing import INPUT_DIGEST, digest_files
from ...records import CONTENT, OPTIONAL, detect_kind
from ..files import input_path
from .base import OnError, Source, SourceBatch, _coerce_records, _rejects_frame, _stem


class ParquetSource(Source):
    """Parquet file(s) (a file or a directory of ``*.parquet``) with record columns."""

    def __init__(self, path: str | Path, kind: str | None = None, *, name: str | None = None,
                 on_error: OnError = "raise") -> None:
        p = Path(path)
        self.files = sorted(str(f) for f in p.glob("*.parquet")) if p.is_dir() else [str(p)]
        if not self.files or not all(Path(f).exists() for f in self.files):
            raise InputError("no Parquet file found", path=p)
        self.name = name or (p.name if p.is_dir() else _stem(p))
        self.on_error = on_error
        self._check_policy()
        import pyarrow.parquet as pq

        names: list[list[str]] = []
        for f in self.files:
            try:
                names.append(pq.read_schema(input_path(f)).names)
            except Exception as e:  # noqa: BLE001 - pyarrow raises several types for garbage
                raise InputError(f"not a readable Parquet file ({str(e).splitlines()[0]})", path=f) from None
        self.kind = kind or detect_kind(names[0])

    def paths(self) -> list[str]:
        return self.files

    def digest(self) -> str:
        return digest_files(self.files, algorithm=INPUT_DIGEST)

    def chunks(self, batch_size: int) -> Iterator[SourceBatch]:
        import pyarrow.parquet as pq

        row = 0
        for f in self.files:
            pf = pq.ParquetFile(f)
            for rb in pf.iter_batches(batch_size=batch_size):
                recs = rb.to_pylist()
                df, rejects = _coerce_records(recs, self.kind, f, row, self.on_error, self)
                row += len(recs)
                yield SourceBatch(df, _rejects_frame(rejects))


#: Columns a mix writes (``xdata.mix``) that a dataset read as input keeps.
MIX_COLUMNS = ("origin", "split", "root")


def root_expr(columns: list[str] | set[str]) -> pl.Expr:
    """A row's root, the input row at the start of its lineage: its ``root`` column, else the
    ``root`` its meta carries (rows read from another dataset), else its own input row
    (``src_version:src_row``; ``src_version`` is the digest of the input's bytes, so two readers of
    one file agree)."""
    own = pl.concat_str([pl.col("src_version"), pl.col("src_row").cast(pl.String)], separator=":")
    carried = pl.col("meta").str.json_path_match("$.root") if "meta" in columns else pl.lit(None, pl.String)
    return pl.coalesce(pl.col("root") if "root" in columns else pl.lit(None, pl.String), carried, own)


def with_root_meta(meta: pl.Expr, root: pl.Expr) -> pl.Expr:
    """``meta`` (a JSON object) with a ``root`` key added when it has none (string work, no parsing)."""
    has = meta.str.json_path_match("$.root").is_not_null()
    # a root is "VERSION:ROW" (hex digits, a colon, digits): a JSON string as it is, no escaping needed
    entry = pl.concat_str([pl.lit('{"root":"'), root, pl.lit('"')])
    tail = meta.str.strip_chars_start().str.slice(1)
    return (pl.when(has).then(meta)
            .when(tail.str.strip_chars() == "}").then(pl.concat_str([entry, pl.lit("}")]))
            .otherwise(pl.concat_str([entry, pl.lit(","), tail])))


class DatasetSource(ParquetSource):
    """A dataset version written by xdata (``DIR/data/*.parquet`` + manifest).

    Rows keep their lineage: the read row's id becomes the parent, its per-row ``meta`` is carried
    over with the ``root`` of its lineage added (see :func:`root_expr`), and the columns a mix
    writes (origin, split, root) are kept, so ``xdata trace`` and splits by root work across
    datasets.
    """

    def __init__(self, path: str | Path, *, on_error: OnError = "raise") -> None:
        from ...dataset.manifest import read_manifest

        self.dir = Path(path)
        m = read_manifest(self.dir)
        super().__init__(self.dir / "data", kind=m.get("kind"), name=m["name"], on_error=on_error)
        self._version = m["version"]
        self._digest = m["content_digest"]
        self.extra = [c for c in MIX_COLUMNS if c in (m.get("schema") or {})]

    def version(self) -> str:
        return self._version

    def digest(self) -> str:
        return self._digest

    def columns(self) -> set[str]:
        return set(CONTENT[self.kind]) | set(self.extra)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "format": "dataset", "dataset": {"name": self.name, "version": self._version}}

    def chunks(self, batch_size: int) -> Iterator[SourceBatch]:
        import pyarrow.parquet as pq

        row = 0
        for f in self.files:
            for rb in pq.ParquetFile(f).iter_batches(batch_size=batch_size):
                df = pl.from_arrow(rb)
                assert isinstance(df, pl.DataFrame)
                keep = [c for c in (*CONTENT[self.kind], *OPTIONAL[self.kind]) if c in df.columns]
                if "id" not in df.columns:
                    raise InputError("shard has no 'id' column: not written by xdata", path=f)
                meta = pl.col("meta") if "meta" in df.columns else pl.lit("{}", pl.String)
                out = df.select(
                    *keep,
                    *[pl.col(c) for c in ("origin", "split") if c in self.extra],
                    pl.int_range(row, row + df.height, dtype=pl.Int64).alias("src_row"),
                    pl.col("id").alias("_parent"),
                    with_root_meta(meta, root_expr(df.columns)).alias("_meta"),
                    *([root_expr(df.columns).alias("root")] if "root" in self.extra else []),
                )
                row += df.height
                yield SourceBatch(out)
