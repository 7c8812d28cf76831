"""Tokenization steps: word tokens (for alignment and projection) and sentencepiece pieces.

Both add list columns and keep the record kind (the text stays as it was):

* :class:`Tokenize` -- ``tokens`` for ``text`` rows, ``src_tokens`` / ``tgt_tokens`` for
  ``pair`` rows, with the script-aware word tokenizer (:func:`xdata.tokenize.word_tokenize`);
* :class:`SpmEncode` -- ``pieces`` (or ``piece_ids`` with ``ids=True``) for text rows,
  ``src_pieces`` / ``tgt_pieces`` for pairs, with a sentencepiece model whose digest goes
  into the step's provenance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from ..errors import ConfigError
from ..hashing import digest_file
from ..pipeline import Context, MapStep
from . import word_tokenize


def _sides(batch: pl.DataFrame) -> list[tuple[str, str, str]]:
    """(text column, language column, output prefix) per side of the batch's record kind."""
    if "src" in batch.columns:
        return [("src", "src_lang", "src_"), ("tgt", "tgt_lang", "tgt_")]
    return [("text", "lang", "")]


@dataclass(frozen=True)
class TokenizeParams:
    pass


class Tokenize(MapStep):
    """Word tokens per row (``tokens``; pairs: ``src_tokens``, ``tgt_tokens``)."""

    name = "tokenize"
    kinds = ("text", "pair")
    writes = ("tokens", "src_tokens", "tgt_tokens")  # tokens for text rows, the other two for pairs
    Params = TokenizeParams

    def map(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        cols = []
        for text, lang, prefix in _sides(batch):
            toks = [word_tokenize(t, lg) for t, lg in zip(batch[text].to_list(), batch[lang].to_list())]
            cols.append(pl.Series(f"{prefix}tokens", toks, pl.List(pl.String)))
        return batch.with_columns(cols)


@dataclass(frozen=True)
class SpmEncodeParams:
    model: str = ""  # a sentencepiece .model file
    ids: bool = False  # piece ids (piece_ids) instead of piece strings (pieces)


class SpmEncode(MapStep):
    """Sentencepiece pieces (or ids) per row."""

    name = "spm-encode"
    kinds = ("text", "pair")
    Params = SpmEncodeParams
    runtime_params = ("model",)  # identified by its digest in resources()
    resource_params = ("model",)

    def __init__(self, params: Any = None, **kw: Any) -> None:
        super().__init__(params, **kw)
        if not self.params.model:
            raise ConfigError("spm-encode needs model= (a sentencepiece .model file)")

    def resources(self) -> dict[str, str]:
        return {"spm_model": digest_file(self.params.model)}

    def setup(self) -> None:
        import sentencepiece as spm

        self._r_sp = spm.SentencePieceProcessor(model_file=self.params.model)

    def map(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        cols = []
        for text, _lang, prefix in _sides(batch):
            texts = batch[text].to_list()
            if self.params.ids:
                cols.append(pl.Series(f"{prefix}piece_ids", self._r_sp.encode(texts), pl.List(pl.Int32)))
            else:
                cols.append(pl.Series(f"{prefix}pieces", self._r_sp.encode(texts, out_type=str), pl.List(pl.String)))
        return batch.with_columns(cols)


__all__ = ["Tokenize", "SpmEncode"]
