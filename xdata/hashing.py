"""Stable content digests: one hash family for rows, parameters, files and datasets."""

from __future__ import annotations

import binascii
import hashlib
import json

from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import polars as pl
import xxhash

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


#: Digest of pipeline inputs (their version): XXH3-128, an order of magnitude faster than sha256
#: on large corpora; shards, resources and the content digest stay sha256.
INPUT_DIGEST = "xxh3-128"


def _hasher(algorithm: str):  # noqa: ANN202 - hashlib-like object
    if algorithm == "sha256":
        return hashlib.sha256()
    if algorithm == "xxh3-128":
        return xxhash.xxh3_128()
    raise ValueError(f"unknown digest algorithm {algorithm!r}")


def digest_file(path: str | Path, chunk: int = 1 << 22, algorithm: str = "sha256") -> str:
    """Digest (sha256 unless told otherwise) of a file's bytes, streamed."""
    h = _hasher(algorithm)
    with open(path, "rb") as f:
        while True:
            block = f.read(chunk)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


def digest_files(paths: Iterable[str | Path], algorithm: str = "sha256") -> str:
    """One digest over several files (their relative order and bytes)."""
    h = _hasher(algorithm)
    for p in paths:
        h.update(digest_file(p, algorithm=algorithm).encode("ascii"))
        h.update(_SEP)
    return h.hexdigest()


def row_ids(salt: str, *columns: Sequence[str | None]) -> list[str]:
    """Content-derived ids: a hash of the salt and each row's fields.

    The salt carries what makes two equal texts different rows (their origin and row
    number, or the parent id and step signature), so ids are stable across runs and
    independent of batching.
    """
    sep = "\x1f"
    if len(columns) == 1:
        joined = ["" if f is None else f for f in columns[0]]
    else:
        joined = [sep.join("" if f is None else f for f in fields) for fields in zip(*columns)]
    return hash_strings(salt, joined)


def xxh3_128_rows(values: pl.Expr | pl.Series, frame: pl.DataFrame | None = None, salt: str | None = None) -> np.ndarray:
    """XXH3-128 of each string (optionally of ``salt + SEP + value``) as big-endian bytes, shape
    (rows, 16): byte-identical to ``xxhash.xxh3_128_digest`` per value, computed in Rust by the
    ``polars-hash`` plugin in one call for the whole column. Nulls hash as the empty string."""
    import polars_hash as plh

    if isinstance(values, pl.Series):
        frame, values = values.rename("v").to_frame(), pl.col("v")
    assert frame is not None
    parts = [pl.lit(salt + "\x1f"), values.fill_null("")] if salt is not None else [values.fill_null("")]
    two64 = pl.lit(2**64, dtype=pl.UInt128)
    h = frame.lazy().select(plh.concat_str(parts).nchash.xxh3_128().alias("h")).select(
        (pl.col("h") // two64).cast(pl.UInt64).alias("hi"),
        pl.col("h").cast(pl.UInt64, wrap_numerical=True).alias("lo")).collect()
    out = np.empty((h.height, 16), dtype=np.uint8)
    out[:, :8] = h["hi"].to_numpy().astype(">u8").view(np.uint8).reshape(-1, 8)
    out[:, 8:] = h["lo"].to_numpy().astype(">u8").view(np.uint8).reshape(-1, 8)
    return out


def hex_prefix(digests: np.ndarray, chars: int = ROW_ID_CHARS) -> pl.Series:
    """The first ``chars`` lowercase hex characters of each row's digest, as a String Series
    (built straight from an Arrow buffer: no Python string per row)."""
    import pyarrow as pa

    nb = (chars + 1) // 2
    n = len(digests)
    raw = binascii.hexlify(np.ascontiguousarray(digests[:, :nb]).tobytes())  # lowercase, 2 chars a byte
    if chars != 2 * nb:
        raw = np.ascontiguousarray(np.frombuffer(raw, dtype=np.uint8).reshape(n, 2 * nb)[:, :chars]).tobytes()
    offsets = np.arange(0, (n + 1) * chars, chars, dtype=np.int64)  # large strings: polars takes them ~20x faster
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(raw))
    return pl.Series(pl.from_arrow(arr))


def hash_strings(salt: str, values: list[str]) -> list[str]:
    """XXH3-128 of ``salt + SEP + value``, as 20 hex characters, for each value.

    This is the hot path of row ids: a fast, stable, non-cryptographic hash (ids name rows;
    integrity is guarded by the sha256 digests of shards and content).
    """
    h = xxhash.xxh3_128_hexdigest
    prefix = (salt + "\x1f").encode("utf-8")
    return [h(prefix + v.encode("utf-8"))[:ROW_ID_CHARS] for v in values]
