"""Readers: every input format becomes a stream of record batches.

A reader (a :class:`Source`) yields :class:`polars.DataFrame` batches holding the content
columns of one record kind plus ``src_row`` (0-based row number in the input), and the
rows it could not read as rejects. Under ``on_error="raise"`` (the default) the first bad
row raises :class:`~xdata.errors.InputError` naming the file, the 1-based line and what was
expected; under ``on_error="reject"`` the row goes to the rejects with that reason and
reading goes on. Nothing is silently dropped or repaired.

One module per format; :data:`FORMATS` maps a format name to its opener and
:data:`EXTENSIONS` a file ending to its format, so a new reader is one module plus one line
in each table (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ...errors import ConfigError
from .base import READ_PARAMS, OnError, Source, SourceBatch
from .conll import ConllSource
from .conllu import CONLLU_FIELDS, ConlluSource, conllu_field_value, conllu_words, iter_conllu_blocks, read_conllu_sentences
from .hf import HFSource
from .jsonl import JsonlSource
from .lines import MAX_LINE_BYTES, LineBlock, line_blocks, sniff_tabular
from .memory import FrameSource
from .parallel import ParallelSource
from .parquet import DatasetSource, ParquetSource
from .text import TextSource
from .tsv import TsvSource

def _need(value: str | None, what: str, fmt: str, path: Any) -> str:
    if not value:
        raise ConfigError(f"{what} is required to read {fmt} input {path}")
    return value


def _parallel(p: Path, o: dict[str, Any]) -> Source:
    if o["tgt_path"] is None or o["tgt_lang"] is None:
        raise ConfigError("parallel text needs a target file and a target language")
    return ParallelSource(p, o["tgt_path"], _need(o["lang"], "--lang (or --src-lang)", "parallel", p), o["tgt_lang"],
                          on_error=o["on_error"])


def _tsv(p: Path, o: dict[str, Any]) -> Source:
    if o["tgt_lang"] is None:
        raise ConfigError("TSV pairs need a target language")
    return TsvSource(p, _need(o["lang"], "--lang (or --src-lang)", "tsv", p), o["tgt_lang"], on_error=o["on_error"])


#: Format name -> how to open it from a path and the options of :func:`open_source`.
FORMATS: dict[str, Callable[[Path, dict[str, Any]], Source]] = {
    "text": lambda p, o: TextSource(p, _need(o["lang"], "--lang (or --src-lang)", "text", p), on_error=o["on_error"]),
    "parallel": _parallel,
    "tsv": _tsv,
    "jsonl": lambda p, o: JsonlSource(p, on_error=o["on_error"]),
    "parquet": lambda p, o: ParquetSource(p, on_error=o["on_error"]),
    "dataset": lambda p, o: DatasetSource(p, on_error=o["on_error"]),
    "hf": lambda p, o: HFSource(p, on_error=o["on_error"]),
    "conllu": lambda p, o: ConlluSource(p, _need(o["lang"], "--lang", "conllu", p), field=o["field"],
                                        on_error=o["on_error"]),
    "conll": lambda p, o: ConllSource(p, _need(o["lang"], "--lang", "conll", p), on_error=o["on_error"]),
}
#: File ending (after any compression suffix) -> format.
EXTENSIONS = {".parquet": "parquet", ".jsonl": "jsonl", ".json": "jsonl", ".conllu": "conllu", ".conll": "conll",
              ".bio": "conll", ".tsv": "tsv"}
_COMPRESSION = (".gz", ".zst", ".zstd", ".xz", ".bz2")


def detect_format(path: str | Path, *, parallel: bool = False) -> str:
    """The format of an input from its kind (directory) or file ending."""
    p = Path(path)
    if p.is_dir():
        return "dataset" if (p / "manifest.json").exists() else ("hf" if (p / "dataset_info.json").exists() else "parquet")
    name = p.name.lower()
    for suf in _COMPRESSION:
        name = name.removesuffix(suf)
    for ending, fmt in EXTENSIONS.items():
        if name.endswith(ending):
            return fmt
    return "parallel" if parallel else "text"


def open_source(path: str | Path, *, fmt: str | None = None, lang: str | None = None,
                tgt_path: str | Path | None = None, tgt_lang: str | None = None,
                field: str = "upos", on_error: OnError = "raise") -> Source:
    """Open an input by format name or file extension (the CLI's entry point)."""
    fmt = fmt or detect_format(path, parallel=tgt_path is not None)
    if fmt not in FORMATS:
        raise ConfigError(f"unknown input format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return FORMATS[fmt](Path(path), {"lang": lang, "tgt_path": tgt_path, "tgt_lang": tgt_lang, "field": field,
                                     "on_error": on_error})


__all__ = ["Source", "SourceBatch", "OnError", "READ_PARAMS", "TextSource", "ParallelSource", "TsvSource",
           "JsonlSource", "ParquetSource", "DatasetSource", "ConllSource", "ConlluSource", "HFSource", "FrameSource",
           "open_source", "detect_format", "FORMATS", "EXTENSIONS", "CONLLU_FIELDS", "conllu_field_value",
           "conllu_words", "iter_conllu_blocks", "read_conllu_sentences", "LineBlock", "line_blocks",
           "MAX_LINE_BYTES", "sniff_tabular"]
