"""CoNLL token/tag columns, a blank line between sentences."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Iterator

import polars as pl

from ...langs import parse_lang
from ..files import open_binary
from .base import OnError, SourceBatch, _FileSource, _decode, _rejects_frame, _stem


class ConllSource(_FileSource):
    """CoNLL token/tag columns (``token TAG`` per line, blank line between sentences) -> ``tagged``."""

    kind = "tagged"

    def __init__(self, path: str | Path, lang: str, *, token_col: int = 0, tag_col: int = -1,
                 n_columns: int | None = 2, sep: str | None = None, name: str | None = None,
                 on_error: OnError = "raise") -> None:
        self.path = str(path)
        self.lang = parse_lang(lang)
        self.token_col, self.tag_col, self.n_columns, self.sep = token_col, tag_col, n_columns, sep
        self.name = name or _stem(path)
        self.on_error = on_error
        self._check_policy()
        open_binary(self.path).close()

    def _sentences(self) -> Iterator[tuple[int, int, list[str], list[str], str | None, str]]:
        """(sentence index, first line, tokens, tags, error, raw text) per sentence."""
        tokens: list[str] = []
        tags: list[str] = []
        raw: list[str] = []
        err: str | None = None
        start = 0
        sent = 0
        with open_binary(self.path) as fh:
            for lineno, rawb in enumerate(fh, 1):
                text, derr = _decode(rawb)
                if derr is None and text.strip() == "":
                    if raw:
                        yield sent, start, tokens, tags, err, "\n".join(raw)
                        sent += 1
                    tokens, tags, raw, err = [], [], [], None
                    continue
                if not raw:
                    start = lineno
                raw.append(text if derr is None else rawb.decode("utf-8", "backslashreplace").rstrip("\r\n"))
                if err is not None:
                    continue
                if derr is not None:
                    err = f"line {lineno}: {derr}"
                    continue
                cols = text.split(self.sep) if self.sep else text.split()
                if self.n_columns is not None and len(cols) != self.n_columns:
                    err = f"line {lineno}: expected {self.n_columns} columns (token and tag), found {len(cols)}"
                    continue
                tokens.append(cols[self.token_col])
                tags.append(cols[self.tag_col])
        if raw:
            yield sent, start, tokens, tags, err, "\n".join(raw)

    def chunks(self, batch_size: int) -> Iterator[SourceBatch]:
        it = self._sentences()
        while True:
            chunk = list(itertools.islice(it, batch_size))
            if not chunk:
                return
            toks, tgs, rows = [], [], []
            rejects: list[dict[str, Any]] = []
            for sent, _start, tokens, tags, err, raw in chunk:
                if err is not None:
                    line = int(err.split(":", 1)[0].split()[1])
                    self.bad_row(rejects, sent, err.split(": ", 1)[1], {"lines": raw}, line=line, reject_reason=err)
                    continue
                toks.append(tokens)
                tgs.append(tags)
                rows.append(sent)
            df = pl.DataFrame(
                {"lang": [self.lang] * len(rows), "tokens": toks, "tags": tgs, "src_row": rows},
                schema={"lang": pl.String, "tokens": pl.List(pl.String), "tags": pl.List(pl.String),
                        "src_row": pl.Int64},
            )
            yield SourceBatch(df, _rejects_frame(rejects))
