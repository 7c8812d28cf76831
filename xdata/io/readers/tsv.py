"""Moses-style TSV: source and target columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from ...langs import parse_lang
from ..files import open_binary
from .base import raw_text, OnError, SourceBatch, _decode, _rejects_frame, _stem
from .lines import MAX_LINE_BYTES, _blank, _fast_columns, _length_error, _LineFileSource, _pairs_frame, _too_long


class TsvSource(_LineFileSource):
    """Moses-style TSV ``source<TAB>target`` (or any two columns of a wider file) -> ``pair``."""

    kind = "pair"
    native_parse = True

    def __init__(self, path: str | Path, src_lang: str, tgt_lang: str, *, columns: tuple[int, int] = (0, 1),
                 n_columns: int | None = 2, name: str | None = None, on_error: OnError = "raise",
                 allow_empty: bool = False, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.max_line_bytes = max_line_bytes
        self.path = str(path)
        self.src_lang, self.tgt_lang = parse_lang(src_lang), parse_lang(tgt_lang)
        self.cols = columns
        self.n_columns = n_columns
        self.name = name or _stem(path)
        self.on_error = on_error
        self.allow_empty = allow_empty
        self._check_policy()
        open_binary(self.path).close()


    def parse(self, piece: tuple[int, list[bytes]]) -> SourceBatch:
        need = max(self.cols) + 1
        row, chunk = piece
        if self.n_columns == 2 and self.cols in ((0, 1), (1, 0)):
            cols = _fast_columns(chunk, ("c0", "c1"), "\t")
            if cols is not None:
                a, b = cols[self.cols[0]], cols[self.cols[1]]
                if (self.allow_empty or not (_blank(a) or _blank(b))) and not (
                        _too_long(a, self.max_line_bytes) or _too_long(b, self.max_line_bytes)):
                    return SourceBatch(_pairs_frame(self.src_lang, a, self.tgt_lang, b, row))
        src: list[str] = []
        tgt: list[str] = []
        rows: list[int] = []
        rejects: list[dict[str, Any]] = []
        for raw in chunk:
            text, err = _decode(raw)
            fields: list[str] = []
            if err is None:
                fields = text.split("\t")
                if self.n_columns is not None and len(fields) != self.n_columns:
                    err = f"expected {self.n_columns} tab-separated columns, found {len(fields)}"
                elif len(fields) < need:
                    err = f"expected at least {need} tab-separated columns, found {len(fields)}"
                elif not self.allow_empty and (not fields[self.cols[0]].strip() or not fields[self.cols[1]].strip()):
                    err = "empty column where a sentence is required"
                else:
                    err = _length_error(raw, 2 * self.max_line_bytes)
            if err is not None:
                self.bad_row(rejects, row, err, {"line": raw_text(raw)})
            else:
                src.append(fields[self.cols[0]])
                tgt.append(fields[self.cols[1]])
                rows.append(row)
            row += 1
        df = _pairs_frame(self.src_lang, pl.Series(src, dtype=pl.String), self.tgt_lang,
                          pl.Series(tgt, dtype=pl.String), 0).with_columns(pl.Series("src_row", rows, pl.Int64))
        return SourceBatch(df, _rejects_frame(rejects))
