"""Stable content digests: one hash family for rows, parameters, files and datasets."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterable

#: Hex characters of a row id (80 bits: collisions are negligible below 10^11 rows).
ROW_ID_CHARS = 20
_SEP = b"\x1f"


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest_value(value: Any, length: int = 16) -> str:
    """Short hex digest of any JSON-serialisable value (parameters, settings)."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()[:length]


def digest_bytes(data: bytes, length: int | None = None) -> str:
    h = hashlib.sha256(data).hexdigest()
    return h if length is None else h[:length]


def digest_file(path: str | Path, chunk: int = 1 << 22) -> str:
    """sha256 of a file's bytes, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(chunk)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


def digest_files(paths: Iterable[str | Path]) -> str:
    """One digest over several files (their names relative order and bytes)."""
    h = hashlib.sha256()
    for p in paths:
        h.update(digest_file(p).encode("ascii"))
        h.update(_SEP)
    return h.hexdigest()


def row_ids(salt: str, *columns: list[str | None]) -> list[str]:
    """Content-derived ids: a hash of the salt and each row's fields.

    The salt carries what makes two equal texts different rows (their origin and row
    number, or the parent id and step signature), so ids are stable across runs and
    independent of batching.
    """
    s = salt.encode("utf-8") + _SEP
    out = []
    blake = hashlib.blake2b
    for fields in zip(*columns):
        data = _SEP.join(("" if f is None else f).encode("utf-8") for f in fields)
        out.append(blake(s + data, digest_size=ROW_ID_CHARS // 2).hexdigest())
    return out
