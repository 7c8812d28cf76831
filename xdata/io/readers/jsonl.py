"""JSON Lines: one record object a line."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any, Iterator

import polars as pl

from ...errors import ConfigError, InputError
from ...records import CONTENT, detect_kind
from ..files import open_binary
from .base import raw_text, OnError, SourceBatch, _FileSource, _coerce_records, _decode, _rejects_frame, _stem


class JsonlSource(_FileSource):
    """JSON Lines, one record object a line (kind from ``kind`` or the first object's keys)."""

    def __init__(self, path: str | Path, kind: str | None = None, *, name: str | None = None,
                 on_error: OnError = "raise") -> None:
        self.path = str(path)
        self.name = name or _stem(path)
        self.on_error = on_error
        self._check_policy()
        if kind is None:
            with open_binary(self.path) as fh:
                first = fh.readline()
            try:
                kind = detect_kind(list(json.loads(first).keys()))
            except (json.JSONDecodeError, AttributeError, UnicodeDecodeError) as e:
                raise InputError(f"expected a JSON object on the first line ({e})", path=self.path, line=1) from e
        if kind not in CONTENT:
            raise ConfigError(f"unknown record kind {kind!r}")
        self.kind = kind

    def chunks(self, batch_size: int) -> Iterator[SourceBatch]:
        with open_binary(self.path) as fh:
            row = 0
            while True:
                chunk = list(itertools.islice(fh, batch_size))
                if not chunk:
                    return
                recs: list[dict[str, Any]] = []
                rejects: list[dict[str, Any]] = []
                good_rows: list[int] = []
                for raw in chunk:
                    text, err = _decode(raw)
                    rec = None
                    if err is None:
                        try:
                            rec = json.loads(text)
                            if not isinstance(rec, dict):
                                err = f"expected a JSON object, found {type(rec).__name__}"
                        except json.JSONDecodeError as e:
                            err = f"invalid JSON at column {e.colno}: {e.msg}; expected one JSON object a line"
                    if err is not None:
                        self.bad_row(rejects, row, err, {"line": raw_text(raw)})
                    else:
                        recs.append(rec)  # type: ignore[arg-type]
                        good_rows.append(row)
                    row += 1
                df, more = _coerce_records(recs, self.kind, self.path, 0, self.on_error, self)
                # _coerce_records numbered rows within `recs`; map back to input rows.
                if df.height:
                    df = df.with_columns(pl.Series("src_row", [good_rows[i] for i in df["src_row"]], pl.Int64))
                for r in more:
                    r["src_row"] = good_rows[r["src_row"]]
                yield SourceBatch(df, _rejects_frame(rejects + more))
