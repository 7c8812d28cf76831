"""General-purpose filters for pairs and text: length ratio and duplicates.

Scores stay as columns (``len_ratio``, ``dup_key``) so thresholds can change without
recomputing; rejected rows go to the rejects with the reason.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import polars as pl
import regex

from .pipeline import Context, FilterStep

_NONWORD = regex.compile(r"[\p{P}\p{S}\s]+")


@dataclass(frozen=True)
class LengthRatioParams:
    max_ratio: float = 3.0  # longer side / shorter side, in characters
    min_chars: int = 1


class LengthRatio(FilterStep):
    """Rejects pairs whose sides differ in length by more than ``max_ratio`` (characters)."""

    name = "length-ratio"
    kinds = ("pair",)
    writes = ("len_ratio",)
    Params = LengthRatioParams

    def score(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        a = pl.col("src").str.len_chars().cast(pl.Float64)
        b = pl.col("tgt").str.len_chars().cast(pl.Float64)
        return batch.with_columns((pl.max_horizontal(a, b) / pl.min_horizontal(a, b).clip(lower_bound=1.0))
                                  .alias("len_ratio"))

    def accept(self, scored: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
        p = self.params
        short = scored.select(pl.min_horizontal(pl.col("src").str.len_chars(), pl.col("tgt").str.len_chars()))
        keep = (scored["len_ratio"] <= p.max_ratio) & (short.to_series() >= p.min_chars)
        reason = pl.Series([f"length ratio {r:.2f} above {p.max_ratio}" if r > p.max_ratio
                            else f"a side shorter than {p.min_chars} characters"
                            for r in scored["len_ratio"].to_list()])
        return keep, reason


def dedup_key(text: str, normalized: bool) -> str:
    """The text a duplicate check compares: exact, or NFKC, case-folded, punctuation-free."""
    if not normalized:
        return text
    return _NONWORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


@dataclass(frozen=True)
class DedupParams:
    normalized: bool = False  # compare NFKC + case-folded + punctuation-free text
    columns: str = ""  # comma-separated; default: the kind's text columns


class Dedup(FilterStep):
    """Keeps the first occurrence of each text (or pair), in input order; a global step."""

    name = "dedup"
    scope = "global"
    writes = ("dup_key",)
    Params = DedupParams

    def setup(self) -> None:
        self._r_seen: set[str] = set()

    def _cols(self, batch: pl.DataFrame) -> list[str]:
        if self.params.columns:
            return [c.strip() for c in self.params.columns.split(",")]
        if "src" in batch.columns:
            return ["src", "tgt"]
        return ["text"] if "text" in batch.columns else ["tokens"]

    def score(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        parts = []
        for c in self._cols(batch):
            col = batch[c].list.join(" ") if isinstance(batch.schema[c], pl.List) else batch[c]
            parts.append([dedup_key(t, self.params.normalized) for t in col.to_list()])
        keys = ["\t".join(vals) for vals in zip(*parts)]
        return batch.with_columns(pl.Series("dup_key", keys, pl.String))

    def accept(self, scored: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
        keep = []
        for k in scored["dup_key"].to_list():
            keep.append(k not in self._r_seen)
            self._r_seen.add(k)
        kind = "normalized duplicate" if self.params.normalized else "exact duplicate"
        return pl.Series(keep), pl.Series([f"{kind} of an earlier row"] * scored.height)
