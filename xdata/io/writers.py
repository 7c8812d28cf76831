"""Writers: records out to plain formats (the dataset writer handles versioned output)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from ..records import CONTENT, detect_kind
from .files import atomic_write


def write_text(df: pl.DataFrame, path: str | Path, column: str = "text") -> None:
    """One value of ``column`` a line (newlines inside a value would break alignment: rejected)."""
    values = df[column].to_list()
    for i, v in enumerate(values):
        if "\n" in v:
            raise ValueError(f"row {i} of column {column!r} contains a newline; cannot write one sentence a line")
    with atomic_write(path) as fh:
        fh.write("".join(v + "\n" for v in values).encode("utf-8"))


def write_parallel(df: pl.DataFrame, src_path: str | Path, tgt_path: str | Path) -> None:
    write_text(df, src_path, "src")
    write_text(df, tgt_path, "tgt")


def write_tsv(df: pl.DataFrame, path: str | Path) -> None:
    """Moses-style ``src<TAB>tgt``."""
    for col in ("src", "tgt"):
        if df[col].str.contains("\t|\n").any():
            raise ValueError(f"column {col!r} holds a tab or newline; cannot write TSV")
    with atomic_write(path) as fh:
        fh.write("".join(f"{a}\t{b}\n" for a, b in zip(df["src"], df["tgt"])).encode("utf-8"))


def write_jsonl(df: pl.DataFrame, path: str | Path) -> None:
    with atomic_write(path) as fh:
        df.write_ndjson(fh)


def write_parquet(df: pl.DataFrame, path: str | Path) -> None:
    with atomic_write(path) as fh:
        df.write_parquet(fh, compression="zstd")


def write_conll(df: pl.DataFrame, path: str | Path) -> None:
    """``token TAG`` lines, a blank line after each sentence (tagged records)."""
    out: list[str] = []
    for tokens, tags in zip(df["tokens"].to_list(), df["tags"].to_list()):
        out.extend(f"{t} {g}\n" for t, g in zip(tokens, tags))
        out.append("\n")
    with atomic_write(path) as fh:
        fh.write("".join(out).encode("utf-8"))


def to_hf_dataset(df: pl.DataFrame) -> Any:
    """A Hugging Face ``datasets.Dataset`` in memory."""
    import datasets

    return datasets.Dataset(df.to_arrow())


def content_only(df: pl.DataFrame) -> pl.DataFrame:
    return df.select(list(CONTENT[detect_kind(df.columns)]))


__all__ = ["write_text", "write_parallel", "write_tsv", "write_jsonl", "write_parquet", "write_conll",
           "to_hf_dataset", "content_only", "json"]
