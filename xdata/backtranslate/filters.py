"""Filters for back-translated pairs. Each writes its score column and rejects by a separate
threshold, so a threshold can change later without rescoring.

* :class:`CopyFilter` -- the synthetic side is (nearly) the input copied: ``bt_copy`` is the
  share of synthetic tokens found in the input (after normalization);
* :class:`RepetitionFilter` -- degenerate repetition ("the the the ...", looping n-grams):
  ``bt_repeat`` is the longest run of one n-gram (n <= 4) repeated back to back;
* :class:`RoundTripFilter` -- translate the synthetic side back with a forward engine and
  score it against the real input with chrF (sacrebleu): ``bt_rt_chrf`` in [0, 100].

Language identification (:class:`xdata.lid.LidFilter`, both sides), length ratio
(:class:`xdata.filters.LengthRatio`) and exact or normalized duplicates
(:class:`xdata.filters.Dedup`) are the general steps, used as they are.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ..errors import ConfigError
from ..langs import parse_lang
from ..normalize import normalize
from ..pipeline import Context, FilterStep
from ..tokenize import word_tokenize
from . import EngineSpec, load_engine, open_cache


def copy_overlap(src: str, tgt: str, src_lang: str | None = None, tgt_lang: str | None = None) -> float:
    """Share of the synthetic side's words that also occur in the input (case-folded,
    punctuation ignored)."""
    a = _words(src, src_lang)
    if not a:
        return 1.0
    b = set(_words(tgt, tgt_lang))
    return sum(t in b for t in a) / len(a)


def _words(text: str, lang: str | None) -> list[str]:
    """Case-folded word tokens, punctuation and symbols left out."""
    return [t.casefold() for t in word_tokenize(normalize(text, lang), lang) if any(c.isalnum() for c in t)]


def longest_repeat(tokens: list[str], max_n: int = 4) -> int:
    """The most times one n-gram (n <= max_n) occurs back to back: 'a b a b a b' -> 3."""
    best = 1 if tokens else 0
    for n in range(1, max_n + 1):
        for start in range(n):
            run = 1
            for i in range(start + n, len(tokens) - n + 1, n):
                if tokens[i:i + n] == tokens[i - n:i]:
                    run += 1
                    best = max(best, run)
                else:
                    run = 1
    return best


@dataclass(frozen=True)
class CopyParams:
    max_overlap: float = 1.0  # reject when at least this share of synthetic tokens is copied
    min_tokens: int = 3  # shorter synthetic sides are judged only on exact copies


class CopyFilter(FilterStep):
    """Rejects pairs whose synthetic side copies the input (an MT failure mode)."""

    name = "bt-copy"
    kinds = ("pair",)
    writes = ("bt_copy",)
    Params = CopyParams

    def score(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        vals = [copy_overlap(s, t, sl, tl) for s, t, sl, tl in
                zip(batch["src"].to_list(), batch["tgt"].to_list(), batch["src_lang"].to_list(), batch["tgt_lang"].to_list())]
        return batch.with_columns(pl.Series("bt_copy", vals, pl.Float64))

    def accept(self, scored: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
        exact = pl.Series([normalize(s).casefold() == normalize(t).casefold()
                           for s, t in zip(scored["src"].to_list(), scored["tgt"].to_list())])
        ntok = pl.Series([len(s.split()) for s in scored["src"].to_list()])
        bad = exact | ((scored["bt_copy"] >= self.params.max_overlap) & (ntok >= self.params.min_tokens))
        reason = pl.Series(["copy of the input" if e else f"copy overlap >= {self.params.max_overlap}"
                            for e in exact.to_list()], dtype=pl.String)
        return ~bad, reason


@dataclass(frozen=True)
class RepetitionParams:
    max_repeat: int = 3  # reject when one n-gram occurs more than this many times back to back
    max_n: int = 4
    side: str = "src"


class RepetitionFilter(FilterStep):
    """Rejects degenerate, looping output."""

    name = "bt-repetition"
    kinds = ("pair", "text")
    writes = ("bt_repeat",)
    Params = RepetitionParams

    def score(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        col = self.params.side if self.params.side in batch.columns else "text"
        vals = [longest_repeat(t.split(), self.params.max_n) for t in batch[col].to_list()]
        return batch.with_columns(pl.Series("bt_repeat", vals, pl.Int64))

    def accept(self, scored: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
        keep = scored["bt_repeat"] <= self.params.max_repeat
        reason = pl.Series([f"degenerate repetition: an n-gram repeated {r} times"
                            for r in scored["bt_repeat"].to_list()], dtype=pl.String)
        return keep, reason


@dataclass(frozen=True)
class RoundTripParams:
    """The forward engine (source -> target; a lexicon is read as given) in its own group,
    the threshold and the cache."""

    spec: EngineSpec = field(default_factory=EngineSpec)
    min_chrf: float = 0.0  # reject below this chrF (0..100); 0 keeps every row and only scores
    cache: str = "auto"


class RoundTripFilter(FilterStep):
    """Round-trip consistency: forward-translate the synthetic source back into the target
    language (greedy) and score chrF against the real target."""

    name = "bt-roundtrip"
    block_batches = True  # model batches from the whole block: bytes independent of --batch-size
    kinds = ("pair",)
    writes = ("bt_rt_chrf",)
    Params = RoundTripParams
    resource_params = ("model", "lexicon", "tokenizer")
    runtime_params = ("model", "lexicon", "cache", "threads", "max_batch", "max_tokens", "revision", "tokenizer")

    def __init__(self, params: Any = None, **kw: Any) -> None:
        if params is None:
            if not (kw.get("model") or kw.get("lexicon") or kw.get("spec")):
                raise ConfigError("the round-trip filter needs model= (hf/ct2) or lexicon= (lexicon engine)")
            kw.setdefault("engine", "hf" if kw.get("model") else "lexicon")
            if "spec" not in kw:
                kw.setdefault("lexicon_reverse", False)  # a forward engine reads a lexicon as given
        super().__init__(params, **kw)
        if not (self.params.spec.model or self.params.spec.lexicon):
            raise ConfigError("the round-trip filter needs model= (hf/ct2) or lexicon= (lexicon engine)")
        if not 0 <= self.params.min_chrf <= 100:
            raise ConfigError(f"min_chrf must be in [0, 100], got {self.params.min_chrf}")

    def resources(self) -> dict[str, str]:
        return self.params.spec.resources()

    def setup(self) -> None:
        self._r_engines: dict[str, Any] = {}
        self._r_cache = open_cache(self.params.cache)

    def _forward(self, tgt_lang: str) -> Any:
        if tgt_lang not in self._r_engines:
            self._r_engines[tgt_lang] = load_engine(dataclasses.replace(self.params.spec, out_lang=tgt_lang))
        return self._r_engines[tgt_lang]

    def score(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        import numpy as np
        from sacrebleu.metrics import CHRF

        from . import Decoding
        from .cache import translate_cached

        vals: list[float | None] = [None] * batch.height
        by_lang: dict[str, list[int]] = {}
        for i, lang in enumerate(batch["tgt_lang"].to_list()):
            by_lang.setdefault(parse_lang(lang), []).append(i)
        srcs, src_langs, tgts = batch["src"].to_list(), batch["src_lang"].to_list(), batch["tgt"].to_list()
        chrf = CHRF()
        for lang, idx in by_lang.items():
            hyps = translate_cached(self._forward(lang), self._r_cache, [srcs[i] for i in idx],
                                    [src_langs[i] for i in idx], np.zeros((len(idx), 1), dtype=np.uint64), Decoding())
            for i, h in zip(idx, hyps):
                vals[i] = round(chrf.sentence_score(h[0].text, [tgts[i]]).score, 4)
        return batch.with_columns(pl.Series("bt_rt_chrf", vals, pl.Float64))

    def accept(self, scored: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
        keep = scored["bt_rt_chrf"] >= self.params.min_chrf
        reason = pl.Series([f"round-trip chrF {v:.1f} < {self.params.min_chrf}" for v in scored["bt_rt_chrf"].to_list()],
                           dtype=pl.String)
        return keep, reason


__all__ = ["CopyFilter", "RepetitionFilter", "RoundTripFilter", "copy_overlap", "longest_repeat"]
