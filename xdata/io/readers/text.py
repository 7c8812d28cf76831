"""Plain text, one sentence a line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from ...errors import InputError
from ...langs import parse_lang
from ..files import open_binary
from .base import raw_text, OnError, SourceBatch, _decode, _rejects_frame, _stem
from .lines import MAX_LINE_BYTES, LineBlock, _blank, _fast_columns, _fast_lines, _length_error, _LineFileSource, _too_long, sniff_tabular


class TextSource(_LineFileSource):
    """Plain text, one sentence a line -> ``text`` records."""

    kind = "text"
    native_parse = True

    def __init__(self, path: str | Path, lang: str, *, name: str | None = None,
                 on_error: OnError = "raise", allow_empty: bool = False, check_format: bool = True,
                 max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.path = str(path)
        self.lang = parse_lang(lang)
        self.name = name or _stem(path)
        self.on_error = on_error
        self.allow_empty = allow_empty
        self.max_line_bytes = max_line_bytes
        self.check_format = check_format
        self._check_policy()
        open_binary(self.path).close()

    def _sniff(self, block: LineBlock) -> None:
        if self.check_format:
            looks = sniff_tabular(block.blob[: 1 << 16])
            if looks:
                raise InputError(f"this looks like {looks}, not plain text with one sentence a line; read it with "
                                 "its format (--format conllu|conll|tsv) or pass check_format=False to read it "
                                 "as text anyway", path=self.path, line=1)

    def parse(self, chunk: tuple[int, list[bytes]]) -> SourceBatch:
        row, lines = chunk
        cols = _fast_columns(lines, ("text",), "\x00")
        fast = cols[0] if cols is not None else _fast_lines(lines)
        if fast is not None and (self.allow_empty or not _blank(fast)) and not _too_long(fast, self.max_line_bytes):
            n = fast.len()
            return SourceBatch(pl.DataFrame({
                "lang": pl.repeat(self.lang, n, dtype=pl.String, eager=True),
                "text": fast,
                "src_row": pl.int_range(row, row + n, dtype=pl.Int64, eager=True)}))
        texts: list[str] = []
        rows: list[int] = []
        rejects: list[dict[str, Any]] = []
        for raw in lines:
            text, err = _decode(raw)
            if err is None and not self.allow_empty and not text.strip():
                err = "empty line where a sentence is required"
            err = err or _length_error(raw, self.max_line_bytes)
            if err is not None:
                self.bad_row(rejects, row, err, {"line": raw_text(raw)})
            else:
                texts.append(text)
                rows.append(row)
            row += 1
        df = pl.DataFrame(
            {"lang": [self.lang] * len(texts), "text": texts, "src_row": rows},
            schema={"lang": pl.String, "text": pl.String, "src_row": pl.Int64},
        )
        return SourceBatch(df, _rejects_frame(rejects))
