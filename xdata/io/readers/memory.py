"""Records already in memory (tests, notebooks)."""

from __future__ import annotations

import io
from typing import Any, Iterator

import polars as pl

from ...records import detect_kind
from .base import OnError, Source, SourceBatch, _coerce_records, _rejects_frame


class FrameSource(Source):
    """Records already in memory (a polars DataFrame or a list of dicts): for tests and notebooks."""

    def __init__(self, rows: pl.DataFrame | list[dict[str, Any]], kind: str | None = None, *,
                 name: str = "memory", on_error: OnError = "raise") -> None:
        self.df = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(rows)
        self.kind = kind or detect_kind(self.df.columns)
        self.name = name
        self.on_error = on_error

    def digest(self) -> str:

        import xxhash

        buf = io.BytesIO()
        self.df.write_ndjson(buf)
        return xxhash.xxh3_128_hexdigest(buf.getvalue())

    def chunks(self, batch_size: int) -> Iterator[SourceBatch]:
        for start in range(0, max(self.df.height, 1), batch_size):
            part = self.df.slice(start, batch_size)
            if part.height == 0:
                return
            df, rejects = _coerce_records(part.to_dicts(), self.kind, self.name, start, self.on_error, self)
            yield SourceBatch(df, _rejects_frame(rejects))
