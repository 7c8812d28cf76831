"""Readers: every input format becomes a stream of record batches.

A reader (a :class:`Source`) yields :class:`polars.DataFrame` batches holding the content
columns of one record kind plus ``src_row`` (0-based row number in the input), and the
rows it could not read as rejects. Under ``on_error="raise"`` (the default) the first bad
row raises :class:`~xdata.errors.InputError` naming the file, the 1-based line and what was
expected; under ``on_error="reject"`` the row goes to the rejects with that reason and
reading goes on. Nothing is silently dropped or repaired.
"""

from __future__ import annotations

import io
import itertools
import json
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Literal

import polars as pl

from ..errors import ConfigError, InputError
from ..hashing import INPUT_DIGEST, digest_files
from ..langs import parse_lang
from ..records import CONTENT, OPTIONAL, REJECT_SCHEMA, detect_kind
from .files import input_digest, input_path, input_size, open_binary

OnError = Literal["raise", "reject"]

#: Source attributes that change which rows are read (recorded in the manifest and fingerprinted).
READ_PARAMS = ("lang", "src_lang", "tgt_lang", "field", "on_error", "allow_empty", "cols", "n_columns",
               "token_col", "tag_col", "sep", "rename", "check_format", "max_line_bytes")


@dataclass
class SourceBatch:
    """Rows read from an input (content columns + ``src_row``) and rows rejected while reading."""

    rows: pl.DataFrame
    rejects: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECT_SCHEMA))


class Source(ABC):
    """An input dataset. Subclasses set ``kind``, ``name`` and implement :meth:`batches`."""

    kind: str
    name: str
    on_error: OnError = "raise"
    #: True if :meth:`parse` works in polars/Arrow (releasing the GIL) on valid input.
    native_parse: bool = False

    def batches(self, batch_size: int) -> Iterator[SourceBatch]:
        """Yield the input in order, ``batch_size`` rows (or fewer) at a time."""
        parser = self.parser()
        for chunk in self.chunks(batch_size):
            yield parser.parse(chunk) if parser is not None else chunk

    def chunks(self, rows: int) -> Iterator[Any]:
        """Raw pieces of at most ``rows`` rows, cheap to cut (runs in the driver process).

        Sources whose parsing is costly yield raw chunks here and parse them in
        :meth:`parse`, which runs in worker processes; the default yields parsed batches.
        """
        raise NotImplementedError

    def parser(self) -> "Source | None":
        """The object whose :meth:`parse` turns a chunk into a batch (None: chunks are batches)."""
        return None

    def parse(self, chunk: Any) -> SourceBatch:
        return chunk  # type: ignore[no-any-return]

    @abstractmethod
    def digest(self) -> str:
        """Digest (``INPUT_DIGEST``) of the input's bytes (all files that make it)."""

    def version(self) -> str:
        return self.content_digest()[:12]

    def content_digest(self) -> str:
        """:meth:`digest`, computed once per source object (it reads every input byte)."""
        cached = self.__dict__.get("_digest_cache")
        if cached is None:
            cached = self.__dict__["_digest_cache"] = self.digest()
        return cached

    def describe(self) -> dict[str, Any]:
        """What the manifest records about this input (all but ``version`` and ``paths`` go into
        the version fingerprint: the same bytes read as another language are another dataset)."""
        return {
            "name": self.name,
            "version": self.version(),
            "digest": self.content_digest(),
            "digest_algorithm": INPUT_DIGEST,
            "kind": self.kind,
            "format": type(self).__name__.removesuffix("Source").lower(),
            "params": self.read_params(),
            "paths": [Path(p).name for p in self.paths()],
        }

    def read_params(self) -> dict[str, Any]:
        """How the input is read: every attribute that changes which rows come out."""
        return {k: getattr(self, k) for k in READ_PARAMS if hasattr(self, k)}

    #: What :meth:`size_hint` and :meth:`progress_position` count.
    size_unit = "bytes"

    def size_hint(self) -> int | None:
        """Total input size for progress (bytes of uncompressed files), None when unknown."""
        return None

    def progress_position(self) -> int | None:
        """How much of :meth:`size_hint` the chunks handed out so far cover."""
        return None

    def paths(self) -> list[str]:
        return []

    def columns(self) -> set[str]:
        return set(CONTENT[self.kind])

    def _check_policy(self) -> None:
        if self.on_error not in ("raise", "reject"):
            raise ConfigError(f"on_error must be 'raise' or 'reject', got {self.on_error!r}")


def _reject(src: "Source", row: int, reason: str, record: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": None,
        "step": "read",
        "reason": reason,
        "src_dataset": src.name,
        "src_row": row,
        "record": json.dumps(record, ensure_ascii=False, sort_keys=True),
    }


def _rejects_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=REJECT_SCHEMA) if rows else pl.DataFrame(schema=REJECT_SCHEMA)


def _decode(raw: bytes) -> tuple[str | None, str | None]:
    """Decode one line strictly; returns (text, None) or (None, what was wrong)."""
    if raw.endswith(b"\n"):
        raw = raw[:-1]
        if raw.endswith(b"\r"):
            raw = raw[:-1]
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as e:
        return None, f"invalid UTF-8 at byte {e.start} of the line (0x{raw[e.start]:02x}); expected UTF-8 text"


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


def _stem(path: str | Path) -> str:
    name = Path(path).name
    for suf in (".gz", ".zst", ".zstd", ".xz", ".bz2"):
        name = name.removesuffix(suf)
    return name.rsplit(".", 1)[0] if "." in name else name


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


class _FileSource(Source):
    """A source read from one file (``self.path``)."""

    path: str

    def paths(self) -> list[str]:
        return [self.path]

    def digest(self) -> str:
        return input_digest([self.path], INPUT_DIGEST)


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
            if err is None and not self.allow_empty and not text.strip():  # type: ignore[union-attr]
                err = "empty line where a sentence is required"
            err = err or _length_error(raw, self.max_line_bytes)
            if err is not None:
                if self.on_error == "raise":
                    raise InputError(err, path=self.path, line=row + 1)
                rejects.append(_reject(self, row, err, {"line": raw.decode("utf-8", "backslashreplace").rstrip("\r\n")}))
            else:
                texts.append(text)  # type: ignore[arg-type]
                rows.append(row)
            row += 1
        df = pl.DataFrame(
            {"lang": [self.lang] * len(texts), "text": texts, "src_row": rows},
            schema={"lang": pl.String, "text": pl.String, "src_row": pl.Int64},
        )
        return SourceBatch(df, _rejects_frame(rejects))


def _pairs_frame(src_lang: str, src: pl.Series, tgt_lang: str, tgt: pl.Series, row: int) -> pl.DataFrame:
    n = src.len()
    return pl.DataFrame({
        "src_lang": pl.repeat(src_lang, n, dtype=pl.String, eager=True),
        "src": src.alias("src"),
        "tgt_lang": pl.repeat(tgt_lang, n, dtype=pl.String, eager=True),
        "tgt": tgt.alias("tgt"),
        "src_row": pl.int_range(row, row + n, dtype=pl.Int64, eager=True),
    })


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
                if not ta.strip():  # type: ignore[union-attr]
                    err, where = "empty line where a sentence is required", self.src_path
                elif not tb.strip():  # type: ignore[union-attr]
                    err, where = "empty line where a sentence is required", self.tgt_path
            if err is None and _length_error(ra, self.max_line_bytes):
                err, where = _length_error(ra, self.max_line_bytes), self.src_path
            elif err is None and _length_error(rb, self.max_line_bytes):
                err, where = _length_error(rb, self.max_line_bytes), self.tgt_path
            if err is not None:
                if self.on_error == "raise":
                    raise InputError(err, path=where, line=row + 1)
                rejects.append(_reject(self, row, f"{Path(where).name}: {err}", {
                    "src": ra.decode("utf-8", "backslashreplace").rstrip("\r\n"),
                    "tgt": rb.decode("utf-8", "backslashreplace").rstrip("\r\n")}))
            else:
                src.append(ta)  # type: ignore[arg-type]
                tgt.append(tb)  # type: ignore[arg-type]
                rows.append(row)
            row += 1
        df = _pairs_frame(self.src_lang, pl.Series(src, dtype=pl.String), self.tgt_lang,
                          pl.Series(tgt, dtype=pl.String), 0).with_columns(pl.Series("src_row", rows, pl.Int64))
        return SourceBatch(df, _rejects_frame(rejects))


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
                fields = text.split("\t")  # type: ignore[union-attr]
                if self.n_columns is not None and len(fields) != self.n_columns:
                    err = f"expected {self.n_columns} tab-separated columns, found {len(fields)}"
                elif len(fields) < need:
                    err = f"expected at least {need} tab-separated columns, found {len(fields)}"
                elif not self.allow_empty and (not fields[self.cols[0]].strip() or not fields[self.cols[1]].strip()):
                    err = "empty column where a sentence is required"
                else:
                    err = _length_error(raw, 2 * self.max_line_bytes)
            if err is not None:
                if self.on_error == "raise":
                    raise InputError(err, path=self.path, line=row + 1)
                rejects.append(_reject(self, row, err, {"line": raw.decode("utf-8", "backslashreplace").rstrip("\r\n")}))
            else:
                src.append(fields[self.cols[0]])
                tgt.append(fields[self.cols[1]])
                rows.append(row)
            row += 1
        df = _pairs_frame(self.src_lang, pl.Series(src, dtype=pl.String), self.tgt_lang,
                          pl.Series(tgt, dtype=pl.String), 0).with_columns(pl.Series("src_row", rows, pl.Int64))
        return SourceBatch(df, _rejects_frame(rejects))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _coerce_records(records: list[dict[str, Any]], kind: str, where: str, first_row: int,
                    on_error: OnError, src: Source) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Check dict records against a kind; keep the good ones, reject or raise on the bad."""
    want = CONTENT[kind]
    opt = OPTIONAL[kind]
    good: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    for i, rec in enumerate(records):
        row = first_row + i
        err = None
        for col, dtype in want.items():
            v = rec.get(col)
            if isinstance(dtype, pl.List):
                if not isinstance(v, list) or not all(isinstance(t, str) for t in v):
                    err = f"field {col!r} must be a list of strings, got {type(v).__name__}"
                elif not all(_encodable(t) for t in v):
                    err = f"field {col!r} holds an unpaired surrogate: not valid Unicode text"
            elif not isinstance(v, str):
                err = f"field {col!r} must be a string, got {type(v).__name__}"
            elif not _encodable(v):
                err = f"field {col!r} holds an unpaired surrogate (e.g. a lone \\ud800 escape): not valid Unicode text"
            elif col in ("text", "src", "tgt") and not v.strip():
                err = f"field {col!r} is empty where a sentence is required"
            if err:
                break
        if err is None and kind == "tagged" and len(rec["tokens"]) != len(rec["tags"]):
            err = f"{len(rec['tokens'])} tokens but {len(rec['tags'])} tags"
        if err is None:
            for col in ("lang", "src_lang", "tgt_lang"):
                if col in want:
                    try:
                        rec[col] = parse_lang(rec[col])
                    except ConfigError as e:
                        err = str(e)
        if err is not None:
            if on_error == "raise":
                raise InputError(err, path=where, line=row + 1)
            rejects.append(_reject(src, row, err, {k: v for k, v in rec.items()}))
            continue
        out = {c: rec[c] for c in want}
        for c in opt:
            if c in rec:
                out[c] = rec[c] if isinstance(rec[c], str) or rec[c] is None else json.dumps(rec[c])
        out["src_row"] = row
        good.append(out)
    schema = {**want, **{c: t for c, t in opt.items() if any(c in r for r in good)}, "src_row": pl.Int64()}
    return pl.DataFrame(good, schema=schema), rejects


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
                            rec = json.loads(text)  # type: ignore[arg-type]
                            if not isinstance(rec, dict):
                                err = f"expected a JSON object, found {type(rec).__name__}"
                        except json.JSONDecodeError as e:
                            err = f"invalid JSON at column {e.colno}: {e.msg}; expected one JSON object a line"
                    if err is not None:
                        if self.on_error == "raise":
                            raise InputError(err, path=self.path, line=row + 1)
                        rejects.append(_reject(self, row, err, {"line": raw.decode("utf-8", "backslashreplace").rstrip("\r\n")}))
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

        for f in self.files:
            try:
                pq.read_schema(input_path(f))
            except Exception as e:  # noqa: BLE001 - pyarrow raises several types for garbage
                raise InputError(f"not a readable Parquet file ({str(e).splitlines()[0]})", path=f) from None
        self.kind = kind or detect_kind(pq.read_schema(input_path(self.files[0])).names)

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


class DatasetSource(ParquetSource):
    """A dataset version written by xdata (``DIR/data/*.parquet`` + manifest): rows keep their ids as parents."""

    def __init__(self, path: str | Path, *, on_error: OnError = "raise") -> None:
        from ..dataset.manifest import read_manifest

        self.dir = Path(path)
        m = read_manifest(self.dir)
        super().__init__(self.dir / "data", kind=m.get("kind"), name=m["name"], on_error=on_error)
        self._version = m["version"]
        self._digest = m["content_digest"]

    def version(self) -> str:
        return self._version

    def digest(self) -> str:
        return self._digest

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
                out = df.select(
                    *keep,
                    pl.int_range(row, row + df.height, dtype=pl.Int64).alias("src_row"),
                    pl.col("id").alias("_parent"),
                )
                row += df.height
                yield SourceBatch(out)


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
                if derr is None and text.strip() == "":  # type: ignore[union-attr]
                    if raw:
                        yield sent, start, tokens, tags, err, "\n".join(raw)
                        sent += 1
                    tokens, tags, raw, err = [], [], [], None
                    continue
                if not raw:
                    start = lineno
                raw.append(text if text is not None else rawb.decode("utf-8", "backslashreplace").rstrip("\r\n"))
                if err is not None:
                    continue
                if derr is not None:
                    err = f"line {lineno}: {derr}"
                    continue
                cols = text.split(self.sep) if self.sep else text.split()  # type: ignore[union-attr]
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
                    if self.on_error == "raise":
                        raise InputError(err.split(": ", 1)[1], path=self.path, line=line)
                    rejects.append(_reject(self, sent, err, {"lines": raw}))
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


CONLLU_FIELDS = ("id", "form", "lemma", "upos", "xpos", "feats", "head", "deprel", "deps", "misc")


def conllu_field_value(token: dict[str, Any], field_name: str) -> str:
    """The text of one CoNLL-U field of a token (``misc:KEY`` reads one MISC attribute)."""
    if field_name.startswith("misc:"):
        misc = token.get("misc") or {}
        v = misc.get(field_name[5:])
        return "_" if v is None else str(v)
    v = token.get(field_name)
    if v is None:
        return "_"
    if isinstance(v, dict):
        return "|".join(f"{k}={val}" for k, val in v.items())
    return str(v)


def _conllu_block_error(lines: list[str], first: int) -> tuple[str, int] | None:
    """What is wrong with one sentence block (message, line), checked before parsing.

    A sentence has at least one token line; every token line has ten tab-separated fields,
    a non-empty FORM, and an ID that is an integer (numbered 1, 2, ... without gaps or
    repeats), a range ``n-m`` or an empty node ``n.k``.
    """
    expect = 1
    tokens = 0
    for off, ln in enumerate(lines):
        if ln.startswith("#"):
            continue
        at = first + off
        cols = ln.split("\t")
        if len(cols) != 10:
            return f"expected 10 tab-separated CoNLL-U columns, found {len(cols)}", at
        tid = cols[0]
        if tid.isdigit():
            if int(tid) != expect:
                what = "repeats" if int(tid) < expect else "skips"
                return f"token ID {tid} {what} the sequence (expected {expect})", at
            expect += 1
            tokens += 1
        elif not (re.fullmatch(r"\d+-\d+", tid) or re.fullmatch(r"\d+\.\d+", tid)):
            return f"token ID {tid!r} is not an integer, range or decimal", at
        if cols[1] == "":
            return "empty FORM (an unknown form is written '_')", at
    if tokens == 0:
        return "sentence block has comment lines but no token lines", first
    return None


def iter_conllu_blocks(path: str | Path) -> Iterator[tuple[int, list[str], Any, tuple[str, int] | None]]:
    """(first line, raw lines, parsed TokenList or None, (error, line) or None) per sentence block."""
    import conllu
    from conllu.exceptions import ParseException

    with open_binary(path) as fh:
        block: list[str] = []
        start = 1
        lineno = 0
        bad: tuple[str, int] | None = None

        def finish() -> tuple[int, list[str], Any, tuple[str, int] | None]:
            err = bad or _conllu_block_error(block, start)
            sent = None
            if err is None:
                try:
                    sents = conllu.parse("\n".join(block) + "\n\n")
                    sent = sents[0] if sents else None
                except ParseException as e:
                    err = (f"malformed CoNLL-U sentence: {e}", start)
                if sent is None and err is None:
                    err = ("sentence block has no tokens", start)
            return start, block, sent, err

        for rawb in fh:
            lineno += 1
            text, derr = _decode(rawb)
            if derr is not None:
                bad = bad or (derr, lineno)
                text = rawb.decode("utf-8", "backslashreplace").rstrip("\r\n")
            if text.strip() == "":  # type: ignore[union-attr]
                if block:
                    yield finish()
                block, bad = [], None
                start = lineno + 1
                continue
            block.append(text)  # type: ignore[arg-type]
        if block:
            yield finish()


def read_conllu_sentences(path: str | Path) -> Iterator[tuple[int, Any]]:
    """Parse a CoNLL-U file with the ``conllu`` package, yielding (first line, TokenList).

    Malformed input raises :class:`InputError` with the line of the offending token.
    """
    for start, _lines, sent, err in iter_conllu_blocks(path):
        if err is not None:
            raise InputError(err[0], path=path, line=err[1])
        yield start, sent


def conllu_words(sentence: Any) -> list[dict[str, Any]]:
    """The syntactic words of a sentence (no multiword-token ranges, no empty nodes)."""
    return [t for t in sentence if isinstance(t["id"], int)]


class ConlluSource(_FileSource):
    """CoNLL-U via the ``conllu`` parser -> ``tagged`` (tokens = FORM, tags = ``field``)."""

    kind = "tagged"

    def __init__(self, path: str | Path, lang: str, *, field: str = "upos", name: str | None = None,
                 on_error: OnError = "raise") -> None:
        self.path = str(path)
        self.lang = parse_lang(lang)
        if field not in CONLLU_FIELDS and not field.startswith("misc:"):
            raise ConfigError(f"unknown CoNLL-U field {field!r}; expected one of {', '.join(CONLLU_FIELDS)} or misc:KEY")
        self.field = field
        self.name = name or _stem(path)
        self.on_error = on_error
        self._check_policy()
        open_binary(self.path).close()

    def chunks(self, batch_size: int) -> Iterator[SourceBatch]:
        it = enumerate(iter_conllu_blocks(self.path))
        while True:
            chunk = list(itertools.islice(it, batch_size))
            if not chunk:
                return
            toks, tags, rows, sids = [], [], [], []
            rejects: list[dict[str, Any]] = []
            for i, (_line, raw, sent, err) in chunk:
                if err is not None:
                    if self.on_error == "raise":
                        raise InputError(err[0], path=self.path, line=err[1])
                    rejects.append(_reject(self, i, f"line {err[1]}: {err[0]}", {"lines": "\n".join(raw)}))
                    continue
                words = conllu_words(sent)
                toks.append([w["form"] for w in words])
                tags.append([conllu_field_value(w, self.field) for w in words])
                rows.append(i)
                sids.append(json.dumps({"sent_id": sent.metadata.get("sent_id")}))
            df = pl.DataFrame(
                {"lang": [self.lang] * len(rows), "tokens": toks, "tags": tags, "src_row": rows, "_meta": sids},
                schema={"lang": pl.String, "tokens": pl.List(pl.String), "tags": pl.List(pl.String),
                        "src_row": pl.Int64, "_meta": pl.String},
            )
            yield SourceBatch(df, _rejects_frame(rejects))


class HFSource(Source):
    """A Hugging Face ``datasets.Dataset`` (in memory) or one saved with ``save_to_disk``."""

    def __init__(self, dataset: Any, kind: str | None = None, *, name: str | None = None,
                 columns: dict[str, str] | None = None, on_error: OnError = "raise") -> None:
        import datasets

        if isinstance(dataset, (str, Path)):
            self.path: str | None = str(dataset)
            try:
                dataset = datasets.load_from_disk(str(dataset))
            except FileNotFoundError as e:
                raise InputError(f"not a dataset saved with save_to_disk ({e})", path=dataset) from e
            name = name or Path(self.path).name
        else:
            self.path = None
        if isinstance(dataset, datasets.DatasetDict):
            raise ConfigError(f"expected one split, got a DatasetDict with splits {list(dataset)}; pass ds['train']")
        self.ds = dataset
        self.rename = columns or {}
        cols = [self.rename.get(c, c) for c in dataset.column_names]
        self.kind = kind or detect_kind(cols)
        self.name = name or (dataset.info.dataset_name or "hf-dataset")
        self.on_error = on_error
        self._check_policy()

    def digest(self) -> str:
        fp = getattr(self.ds, "_fingerprint", None) or ""
        from ..hashing import digest_value

        return digest_value({"fingerprint": fp, "rows": len(self.ds)}, 64)

    def chunks(self, batch_size: int) -> Iterator[SourceBatch]:
        row = 0
        for start in range(0, len(self.ds), batch_size):
            part = self.ds[start:start + batch_size]
            cols = {self.rename.get(k, k): v for k, v in part.items()}
            n = len(next(iter(cols.values()))) if cols else 0
            recs = [{k: v[i] for k, v in cols.items()} for i in range(n)]
            df, rejects = _coerce_records(recs, self.kind, f"dataset {self.name}", row, self.on_error, self)
            row += n
            yield SourceBatch(df, _rejects_frame(rejects))


class FrameSource(Source):
    """Records already in memory (a polars DataFrame or a list of dicts): for tests and notebooks."""

    def __init__(self, rows: pl.DataFrame | list[dict[str, Any]], kind: str | None = None, *,
                 name: str = "memory", on_error: OnError = "raise") -> None:
        self.df = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(rows)
        self.kind = kind or detect_kind(self.df.columns)
        self.name = name
        self.on_error = on_error

    def digest(self) -> str:
        import io

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


def open_source(path: str | Path, *, fmt: str | None = None, lang: str | None = None,
                tgt_path: str | Path | None = None, tgt_lang: str | None = None,
                field: str = "upos", on_error: OnError = "raise") -> Source:
    """Open an input by format name or file extension (the CLI's entry point)."""
    p = Path(path)
    name = p.name.lower()
    for suf in (".gz", ".zst", ".zstd", ".xz", ".bz2"):
        name = name.removesuffix(suf)
    if fmt is None:
        if p.is_dir():
            fmt = "dataset" if (p / "manifest.json").exists() else ("hf" if (p / "dataset_info.json").exists() else "parquet")
        elif name.endswith(".parquet"):
            fmt = "parquet"
        elif name.endswith(".jsonl") or name.endswith(".json"):
            fmt = "jsonl"
        elif name.endswith(".conllu"):
            fmt = "conllu"
        elif name.endswith(".conll") or name.endswith(".bio"):
            fmt = "conll"
        elif name.endswith(".tsv"):
            fmt = "tsv"
        else:
            fmt = "parallel" if tgt_path else "text"

    def need_lang() -> str:
        if not lang:
            raise ConfigError(f"--lang (or --src-lang) is required to read {fmt} input {path}")
        return lang

    if fmt == "text":
        return TextSource(p, need_lang(), on_error=on_error)
    if fmt == "parallel":
        if tgt_path is None or tgt_lang is None:
            raise ConfigError("parallel text needs a target file and a target language")
        return ParallelSource(p, tgt_path, need_lang(), tgt_lang, on_error=on_error)
    if fmt == "tsv":
        if tgt_lang is None:
            raise ConfigError("TSV pairs need a target language")
        return TsvSource(p, need_lang(), tgt_lang, on_error=on_error)
    if fmt == "jsonl":
        return JsonlSource(p, on_error=on_error)
    if fmt == "parquet":
        return ParquetSource(p, on_error=on_error)
    if fmt == "dataset":
        return DatasetSource(p, on_error=on_error)
    if fmt == "hf":
        return HFSource(p, on_error=on_error)
    if fmt == "conllu":
        return ConlluSource(p, need_lang(), field=field, on_error=on_error)
    if fmt == "conll":
        return ConllSource(p, need_lang(), on_error=on_error)
    raise ConfigError(
        f"unknown input format {fmt!r}; expected one of text, parallel, tsv, jsonl, parquet, dataset, hf, conllu, conll"
    )
