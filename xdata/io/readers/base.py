"""The reader contract (:class:`Source`), rejects, strict decoding and record checks shared by every format."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Literal

import polars as pl

from ...errors import ConfigError, InputError
from ...hashing import INPUT_DIGEST
from ...langs import parse_lang
from ...records import CONTENT, OPTIONAL, REJECT_SCHEMA
from ..files import input_digest


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
        return chunk

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

    def bad_row(self, rejects: list[dict[str, Any]], row: int, reason: str, record: dict[str, Any], *,
                path: str | None = None, line: int | None = None, reject_reason: str | None = None,
                policy: OnError | None = None) -> None:
        """The one place a bad row goes: raise :class:`InputError` naming the file and the 1-based
        line (``on_error="raise"``), or keep the row in ``rejects`` with its reason (``"reject"``)."""
        if (policy or self.on_error) == "raise":
            raise InputError(reason, path=path or getattr(self, "path", None) or self.name,
                             line=line if line is not None else row + 1)
        rejects.append(_reject(self, row, reject_reason or reason, record))

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


def raw_text(raw: bytes) -> str:
    """A raw line as text for a reject record (undecodable bytes shown as escapes)."""
    return raw.decode("utf-8", "backslashreplace").rstrip("\r\n")


def _rejects_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=REJECT_SCHEMA) if rows else pl.DataFrame(schema=REJECT_SCHEMA)


def _decode(raw: bytes) -> tuple[str, str | None]:
    """Decode one line strictly; returns (text, None) or ("", what was wrong)."""
    if raw.endswith(b"\n"):
        raw = raw[:-1]
        if raw.endswith(b"\r"):
            raw = raw[:-1]
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as e:
        return "", f"invalid UTF-8 at byte {e.start} of the line (0x{raw[e.start]:02x}); expected UTF-8 text"


def _stem(path: str | Path) -> str:
    name = Path(path).name
    for suf in (".gz", ".zst", ".zstd", ".xz", ".bz2"):
        name = name.removesuffix(suf)
    return name.rsplit(".", 1)[0] if "." in name else name


class _FileSource(Source):
    """A source read from one file (``self.path``)."""

    path: str

    def paths(self) -> list[str]:
        return [self.path]

    def digest(self) -> str:
        return input_digest([self.path], INPUT_DIGEST)


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
            src.bad_row(rejects, row, err, dict(rec), path=where, policy=on_error)
            continue
        out = {c: rec[c] for c in want}
        for c in opt:
            if c in rec:
                out[c] = rec[c] if isinstance(rec[c], str) or rec[c] is None else json.dumps(rec[c])
        out["src_row"] = row
        good.append(out)
    schema = {**want, **{c: t for c, t in opt.items() if any(c in r for r in good)}, "src_row": pl.Int64()}
    return pl.DataFrame(good, schema=schema), rejects
