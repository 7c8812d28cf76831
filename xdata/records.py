"""Record kinds as Arrow schemas, and the provenance columns every row carries.

Three kinds cover the field (docs/ARCHITECTURE.md):

* ``text``   -- ``lang``, ``text``
* ``pair``   -- ``src_lang``, ``src``, ``tgt_lang``, ``tgt`` (optional ``alignment``)
* ``tagged`` -- ``lang``, ``tokens: list<str>``, ``tags: list<str>`` (optional ``spans``)

Every row also carries provenance (:data:`PROVENANCE`): a stable content-derived ``id``,
its source dataset/version/row, its parent ids, the chain of steps that touched it, the
seed, and a JSON ``meta`` object where steps record per-row details (scores, substitution
logs, decoding settings).
"""

from __future__ import annotations

from typing import Literal

import polars as pl
import pyarrow as pa

from .errors import InputError

Kind = Literal["text", "pair", "tagged"]
KINDS: tuple[str, ...] = ("text", "pair", "tagged")

PROVENANCE: dict[str, pl.DataType] = {
    "id": pl.String(),
    "src_dataset": pl.String(),
    "src_version": pl.String(),
    "src_row": pl.Int64(),
    "parents": pl.List(pl.String()),
    "steps": pl.List(pl.String()),
    "seed": pl.Int64(),
    "meta": pl.String(),
}

CONTENT: dict[str, dict[str, pl.DataType]] = {
    "text": {"lang": pl.String(), "text": pl.String()},
    "pair": {"src_lang": pl.String(), "src": pl.String(), "tgt_lang": pl.String(), "tgt": pl.String()},
    "tagged": {"lang": pl.String(), "tokens": pl.List(pl.String()), "tags": pl.List(pl.String())},
}
OPTIONAL: dict[str, dict[str, pl.DataType]] = {
    "text": {},
    "pair": {"alignment": pl.String()},
    "tagged": {"spans": pl.String()},
}
#: Columns whose text makes a row's identity (hashed into its id).
ID_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("lang", "text"),
    "pair": ("src_lang", "src", "tgt_lang", "tgt"),
    "tagged": ("lang", "tokens", "tags"),
}
REJECT_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String(),
    "step": pl.String(),
    "reason": pl.String(),
    "src_dataset": pl.String(),
    "src_row": pl.Int64(),
    "record": pl.String(),
}


def schema(kind: str) -> dict[str, pl.DataType]:
    """Required columns of a record kind, content first, then provenance."""
    if kind not in CONTENT:
        raise ValueError(f"unknown record kind {kind!r}; expected one of {', '.join(KINDS)}")
    return {**CONTENT[kind], **PROVENANCE}


def arrow_schema(kind: str) -> pa.Schema:
    """The Arrow schema of a record kind (required columns only)."""
    return pl.DataFrame(schema=schema(kind)).to_arrow().schema


def detect_kind(columns: list[str] | set[str]) -> str:
    """Guess the record kind from column names (pair before tagged before text)."""
    cols = set(columns)
    for kind in ("pair", "tagged", "text"):
        if set(CONTENT[kind]) <= cols:
            return kind
    raise InputError(
        f"columns {sorted(cols)} match no record kind; expected the columns of one of: "
        + "; ".join(f"{k}: {', '.join(CONTENT[k])}" for k in KINDS)
    )


def validate(df: pl.DataFrame, kind: str, *, where: str = "batch", provenance: bool = True) -> None:
    """Raise :class:`InputError` unless ``df`` has the columns and types of ``kind``.

    Tagged rows must have as many tags as tokens.
    """
    want = schema(kind) if provenance else CONTENT[kind]
    for name, dtype in want.items():
        if name not in df.columns:
            raise InputError(f"missing column {name!r} for a {kind} record", path=where, field=name)
        if df.schema[name] != dtype:
            raise InputError(
                f"column {name!r} has type {df.schema[name]}, expected {dtype}", path=where, field=name
            )
    if kind == "tagged" and df.height:
        bad = df.with_row_index("_i").filter(pl.col("tokens").list.len() != pl.col("tags").list.len())
        if bad.height:
            i = bad["_i"][0]
            raise InputError(
                f"{bad.height} row(s) have a different number of tokens and tags "
                f"(first: row {i}, {len(bad['tokens'][0])} tokens, {len(bad['tags'][0])} tags)",
                path=where,
                line=int(i) + 1,
                field="tags",
            )


def content_columns(kind: str) -> list[str]:
    return list(CONTENT[kind])
