"""Two line-aligned files, one per side."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Iterator

import polars as pl

from ...errors import InputError
from ...hashing import INPUT_DIGEST
from ...langs import parse_lang
from ..files import input_digest, input_size, open_binary
from .base import raw_text, OnError, Source, SourceBatch, _decode, _rejects_frame, _stem
from .lines import MAX_LINE_BYTES, LineBlock, _blank, _count_lines, _fast_columns, _fast_lines, _length_error, _pairs_frame, _too_long, line_blocks


class ParallelSource(Source):
    """Two line-aligned files (source side, target side) -> ``pair`` records."""

    kind = "pair"
    native_parse = True

    def __init__(self, src_path: str | Path, tgt_path: str | Path, src_lang: str, tgt_lang: str, *,
                 name: str | None = None, on_error: OnError = "raise", allow_empty: bool = False,
                 max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.src_path, self.tgt_path = str(src_path), str(tgt_path)
        self.src_lang, self.tgt_lang = parse_lang(src_lang), parse_lang(tgt_lang)
        self.name = name or f"{_stem(src_path)}-{_stem(tgt_path)}"
        self.on_error = on_error
        self.allow_empty = allow_empty
        self.max_line_bytes = max_line_bytes
        self._check_policy()
        open_binary(self.src_path).close()
        open_binary(self.tgt_path).close()

    def paths(self) -> list[str]:
        return [self.src_path, self.tgt_path]

    def digest(self) -> str:
        return input_digest(self.paths(), INPUT_DIGEST)

    _pos = 0

    def size_hint(self) -> int | None:
        a, b = input_size(self.src_path), input_size(self.tgt_path)
        return None if a is None or b is None else a + b

    def progress_position(self) -> int | None:
        return self._pos

    def chunks(self, rows: int) -> Iterator[tuple[int, LineBlock, LineBlock]]:
        empty = LineBlock(b"", 0)
        self._pos = 0
        with open_binary(self.src_path) as fs, open_binary(self.tgt_path) as ft:
            row = 0
            for a, b in itertools.zip_longest(line_blocks(fs, rows), line_blocks(ft, rows), fillvalue=empty):
                if len(a) != len(b):
                    short, long_, n = (self.src_path, self.tgt_path, row + len(a)) if len(a) < len(b) \
                        else (self.tgt_path, self.src_path, row + len(b))
                    # Count both files whole so the message gives both lengths.
                    n_src, n_tgt = _count_lines(self.src_path), _count_lines(self.tgt_path)
                    raise InputError(
                        f"parallel files differ in length: {self.src_path} has {n_src} lines, "
                        f"{self.tgt_path} has {n_tgt}; {short} ends after line {n} while {long_} goes on",
                        path=long_, line=n + 1,
                    )
                self._pos += len(a.blob) + len(b.blob)
                yield row, a, b
                row += len(a)

    def parser(self) -> Source:
        return self

    def parse(self, chunk: tuple[int, list[bytes], list[bytes]]) -> SourceBatch:
        row, a, b = chunk
        ca, cb = _fast_columns(a, ("src",), "\x00"), _fast_columns(b, ("tgt",), "\x00")
        fa = ca[0] if ca is not None else _fast_lines(a)
        fb = cb[0] if cb is not None else _fast_lines(b)
        if fa is not None and fb is not None and (self.allow_empty or not (_blank(fa) or _blank(fb))) \
                and not (_too_long(fa, self.max_line_bytes) or _too_long(fb, self.max_line_bytes)):
            return SourceBatch(_pairs_frame(self.src_lang, fa, self.tgt_lang, fb, row))
        src: list[str] = []
        tgt: list[str] = []
        rows: list[int] = []
        rejects: list[dict[str, Any]] = []
        for ra, rb in zip(a, b):
            ta, ea = _decode(ra)
            tb, eb = _decode(rb)
            err, where = (ea, self.src_path) if ea else (eb, self.tgt_path)
            if err is None and not self.allow_empty:
                if not ta.strip():
                    err, where = "empty line where a sentence is required", self.src_path
                elif not tb.strip():
                    err, where = "empty line where a sentence is required", self.tgt_path
            if err is None and _length_error(ra, self.max_line_bytes):
                err, where = _length_error(ra, self.max_line_bytes), self.src_path
            elif err is None and _length_error(rb, self.max_line_bytes):
                err, where = _length_error(rb, self.max_line_bytes), self.tgt_path
            if err is not None:
                self.bad_row(rejects, row, err, {"src": raw_text(ra), "tgt": raw_text(rb)}, path=where,
                             reject_reason=f"{Path(where).name}: {err}")
            else:
                src.append(ta)
                tgt.append(tb)
                rows.append(row)
            row += 1
        df = _pairs_frame(self.src_lang, pl.Series(src, dtype=pl.String), self.tgt_lang,
                          pl.Series(tgt, dtype=pl.String), 0).with_columns(pl.Series("src_row", rows, pl.Int64))
        return SourceBatch(df, _rejects_frame(rejects))
