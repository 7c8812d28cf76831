"""The normalization step: text, both sides of pairs, or each token of tagged records."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import polars as pl

from ..pipeline import Context, MapStep
from . import Options, normalize


@dataclass(frozen=True)
class NormalizeParams:
    """The normalization :class:`~xdata.normalize.Options` (one home: the fields are also accepted
    as flat keywords, ``Normalize(form="NFKC", lossy=True)``)."""

    options: Options = field(default_factory=Options)


class Normalize(MapStep):
    """Normalizes every text column with the row's own language rules."""

    name = "normalize"
    Params = NormalizeParams

    def map(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        opts = dataclasses.asdict(self.params.options)
        token_opts = {**opts, "whitespace": False}  # a token keeps its inner spaces (CoNLL-U forms may hold some)
        cols = []
        if "tokens" in batch.columns:
            cols.append(pl.Series("tokens", [[normalize(t, lang, **token_opts) or t for t in toks]
                                             for toks, lang in zip(batch["tokens"].to_list(), batch["lang"].to_list())],
                                  pl.List(pl.String)))
        for col, lang_col in (("text", "lang"), ("src", "src_lang"), ("tgt", "tgt_lang")):
            if col in batch.columns:
                cols.append(pl.Series(col, [normalize(t, lang, **opts) for t, lang in
                                            zip(batch[col].to_list(), batch[lang_col].to_list())], pl.String))
        return batch.with_columns(cols)
