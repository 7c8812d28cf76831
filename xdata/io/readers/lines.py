"""Line files: cutting them into blocks cheaply, decoding blocks at once, and the checks every line reader shares."""

from __future__ import annotations

import io
from typing import Any, Iterator

import polars as pl

from ..files import input_size, open_binary
from .base import Source, _FileSource


class LineBlock:
    """Consecutive raw lines of a file as one bytes object (with their newlines).

    Cutting a file into blocks of lines this way costs one newline search per block instead of
    a Python object per line, and the block travels to a worker as a single buffer. Iterating
    gives the lines (each with its ``\\n``, the last one possibly without), as reading a file
    line by line would.
    """

    __slots__ = ("blob", "n")

    def __init__(self, blob: bytes, n: int) -> None:
        self.blob, self.n = blob, n

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[bytes]:
        parts = self.blob.split(b"\n")
        last = parts.pop()
        for p in parts:
            yield p + b"\n"
        if last:
            yield last


def line_blocks(fh: Any, rows: int, piece: int = 1 << 22) -> Iterator[LineBlock]:
    """Cut a binary stream into blocks of ``rows`` lines (the last block may be shorter).

    Reads fixed-size pieces and finds their newlines with one vectorized scan each, so the
    driver spends almost nothing per line.
    """
    import numpy as np

    pending: list[bytes] = []  # pieces of the block being built
    count = 0  # complete lines in pending
    while True:
        data = fh.read(piece)
        if not data:
            break
        ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
        pos = k = 0  # unconsumed bytes start at pos; ends[k] is their first newline
        while len(ends) - k >= rows - count:
            need = rows - count
            cut = int(ends[k + need - 1]) + 1
            pending.append(data[pos:cut])
            yield LineBlock(b"".join(pending), rows)
            pending, count = [], 0
            pos, k = cut, k + need
        if pos < len(data):
            pending.append(data[pos:])
            count += len(ends) - k
    if pending:
        blob = b"".join(pending)
        yield LineBlock(blob, count + (0 if blob.endswith(b"\n") else 1))


def _count_lines(path: str) -> int:
    with open_binary(path) as fh:
        return sum(len(b) for b in line_blocks(fh, 1 << 20))


def _join(chunk: "list[bytes] | LineBlock") -> bytes:
    return chunk.blob if isinstance(chunk, LineBlock) else b"".join(chunk)


def _fast_lines(chunk: "list[bytes] | LineBlock") -> pl.Series | None:
    """Decode a chunk of raw lines at once (the common, clean case); None if any byte is bad.

    The slow per-line path then runs on that chunk only, to name the exact line.
    """
    try:
        text = _join(chunk).decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text.endswith("\n"):
        text = text[:-1]
    lines = pl.Series("line", text.split("\n"), pl.String)
    if "\r" in text:
        lines = lines.str.strip_suffix("\r")
    return lines


def _fast_columns(chunk: "list[bytes] | LineBlock", names: tuple[str, ...], sep: str) -> list[pl.Series] | None:
    """Split clean lines into columns with polars' CSV parser (no quoting); None if unsure.

    Used when every line decodes as UTF-8, has no CR and exactly ``len(names)`` fields; any
    doubt sends the chunk to the per-line path, which names the offending line.
    """
    blob = _join(chunk)
    if b"\r" in blob or (len(names) == 1 and sep.encode() in blob):
        return None
    try:  # the CSV parser rejects invalid UTF-8 itself (ComputeError): no silent repair
        df = pl.read_csv(io.BytesIO(blob), separator=sep, has_header=False, quote_char=None,
                         schema={n: pl.String for n in names}, comment_prefix=None, raise_if_empty=False,
                         truncate_ragged_lines=False, eol_char="\n")
    except pl.exceptions.PolarsError:
        return None
    if df.height != len(chunk) or any(df[n].null_count() for n in names):
        return None
    return [df[n] for n in names]


#: Longest line a line reader accepts as one sentence (1 MiB). A longer "line" (a whole book
#: without newlines, a binary blob) would make per-token steps hold tens of millions of tokens
#: at once; it is refused (or rejected) instead, which bounds the memory one row can take.
MAX_LINE_BYTES = 1 << 20


def _too_long(s: pl.Series, limit: int) -> bool:
    return bool(s.len() and (s.str.len_bytes().max() or 0) > limit)  # type: ignore[operator]


def _length_error(raw: bytes, limit: int) -> str | None:
    n = len(raw.rstrip(b"\r\n"))
    return None if n <= limit else (f"line of {n:,} bytes is longer than max_line_bytes={limit:,}: not one sentence "
                                    "(split it, or raise the limit)")


def _blank(s: pl.Series) -> bool:
    return bool((s.str.strip_chars().str.len_bytes() == 0).any())


def sniff_tabular(head: bytes) -> str | None:
    """Name the format when the start of a file is plainly CoNLL-U, CoNLL columns or a TSV.

    Plain text has no fixed column structure; these formats do on nearly every line:
    CoNLL-U has ten tab-separated fields with a numeric first one (and ``# sent_id``/``# text``
    comments), a TSV the same number (>= 2) of tab-separated fields on every line, CoNLL
    two or more space-separated fields per line with blank lines between sentences.
    """
    lines = head.decode("utf-8", "replace").split("\n")[:-1] or head.decode("utf-8", "replace").split("\n")
    lines = [ln.rstrip("\r") for ln in lines[:400]]
    body = [ln for ln in lines if ln.strip() and not ln.startswith("#")]
    if len(body) < 5:
        return None
    comments = sum(1 for ln in lines if ln.startswith(("# sent_id", "# text =", "# text=")))
    tabbed = [ln.split("\t") for ln in body]
    conllu = sum(1 for f in tabbed if len(f) == 10 and f[0].replace("-", "").replace(".", "").isdigit())
    if conllu >= 0.9 * len(body) or (comments and conllu >= 0.5 * len(body)):
        return "CoNLL-U (ten tab-separated columns a line)"
    widths = {len(f) for f in tabbed}
    if len(widths) == 1 and widths.pop() >= 2:
        return "a TSV file (the same number of tab-separated columns on every line)"
    blanks = sum(1 for ln in lines if not ln.strip())
    short = sum(1 for ln in body if 2 <= len(ln.split()) <= 4 and "\t" not in ln)
    tokens_per_line = sum(len(ln.split()) for ln in body) / len(body)
    if blanks and short >= 0.95 * len(body) and tokens_per_line <= 3 and len(body) >= 4 * blanks:
        return "CoNLL columns (a token and its tag a line, blank lines between sentences)"
    return None


class _LineFileSource(_FileSource):
    """A source read from one line-based file: raw line chunks cut in the driver, parsed in workers."""

    _pos = 0

    def chunks(self, rows: int) -> Iterator[tuple[int, LineBlock]]:
        self._pos = 0
        with open_binary(self.path) as fh:
            row = 0
            for block in line_blocks(fh, rows):
                if row == 0:
                    self._sniff(block)
                self._pos += len(block.blob)
                yield row, block
                row += len(block)

    def _sniff(self, block: LineBlock) -> None:
        """Refuse an obviously wrong format before reading it as something else."""

    def size_hint(self) -> int | None:
        return input_size(self.path)

    def progress_position(self) -> int | None:
        return self._pos

    def parser(self) -> Source:
        return self


def _pairs_frame(src_lang: str, src: pl.Series, tgt_lang: str, tgt: pl.Series, row: int) -> pl.DataFrame:
    n = src.len()
    return pl.DataFrame({
        "src_lang": pl.repeat(src_lang, n, dtype=pl.String, eager=True),
        "src": src.alias("src"),
        "tgt_lang": pl.repeat(tgt_lang, n, dtype=pl.String, eager=True),
        "tgt": tgt.alias("tgt"),
        "src_row": pl.int_range(row, row + n, dtype=pl.Int64, eager=True),
    })
