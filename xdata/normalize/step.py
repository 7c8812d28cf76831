"""The normalization step: text, both sides of pairs, or each token of tagged records."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..pipeline import Context, MapStep
from . import normalize


@dataclass(frozen=True)
class NormalizeParams:
    form: str = "NFC"
    punct: bool = True
    rules: bool = True
    harakat: bool = False
    digits: str | None = None


class Normalize(MapStep):
    """Normalizes every text column with the row's own language rules."""

    name = "normalize"
    Params = NormalizeParams

    def map(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        p = self.params
        opts = dict(form=p.form, punct=p.punct, rules=p.rules, harakat=p.harakat, digits=p.digits)
        cols = []
        if "tokens" in batch.columns:
            cols.append(pl.Series("tokens", [[normalize(t, lang, whitespace=False, **opts) or t for t in toks]
                                             for toks, lang in zip(batch["tokens"].to_list(), batch["lang"].to_list())],
                                  pl.List(pl.String)))
        for col, lang_col in (("text", "lang"), ("src", "src_lang"), ("tgt", "tgt_lang")):
            if col in batch.columns:
                cols.append(pl.Series(col, [normalize(t, lang, **opts) for t, lang in
                                            zip(batch[col].to_list(), batch[lang_col].to_list())], pl.String))
        return batch.with_columns(cols)
