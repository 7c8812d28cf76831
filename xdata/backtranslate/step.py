"""The back-translation step: ``text`` (target language) -> ``pair`` (synthetic source, real target),
and the tagging step of tagged back-translation."""

from __future__ import annotations

import json
import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from ..errors import ConfigError
from ..hashing import canonical_json
from ..langs import parse_lang
from ..pipeline import Context, MapStep, Step, StepResult
from ..pipeline.rng import row_seeds
from . import Decoding, EngineSpec, Hypothesis, add_noise, hypothesis_seeds, load_engine, open_cache


@dataclass(frozen=True)
class BackTranslateParams:
    """The step's parameters: the decoding and the engine in their own groups (one home each:
    :class:`~xdata.backtranslate.Decoding`, :class:`~xdata.backtranslate.EngineSpec`); their
    fields are also accepted as flat keywords (``BackTranslate(decode="beam", model=...)``)."""

    src_lang: str = ""  # the language of the synthetic side (what the engine translates into)
    decoding: Decoding = field(default_factory=Decoding)
    spec: EngineSpec = field(default_factory=EngineSpec)
    tag: str = ""  # prefix for the synthetic side (tagged back-translation), e.g. "<BT>"
    cache: str = "auto"  # "auto": the user cache directory; "": no cache; else a SQLite file


class BackTranslate(Step):
    """Translates each target-language line into ``n`` synthetic source sentences.

    Output rows are ``pair`` records (``src`` synthetic, ``tgt`` the input line); with ``n > 1``
    each input makes n rows with ids derived from the input's. ``meta.backtranslate`` records
    the engine (model, weights digest, ...), the decoding parameters, seed, tag, hypothesis
    index, the engine's score (beam) and whether the length bound cut the hypothesis.
    """

    name = "backtranslate"
    block_batches = True  # model batches from the whole block: bytes independent of --batch-size
    kinds = ("text",)
    writes = ("bt_truncated",)
    Params = BackTranslateParams
    resource_params = ("model", "lexicon", "tokenizer")
    runtime_params = ("model", "lexicon", "tokenizer", "cache", "threads", "max_tokens", "max_batch", "revision")

    def __init__(self, params: Any = None, **kw: Any) -> None:
        super().__init__(params, **kw)
        p = self.params
        if not p.src_lang:
            raise ConfigError("src_lang= (the language to translate into) is required")
        parse_lang(p.src_lang)

    @property
    def decoding(self) -> Decoding:
        return self.params.decoding

    @property
    def spec(self) -> EngineSpec:
        """The engine settings, translating into ``src_lang``."""
        return dataclasses.replace(self.params.spec, out_lang=parse_lang(self.params.src_lang))

    @property
    def expands(self) -> bool:  # type: ignore[override]
        return self.params.decoding.n > 1

    def output_kind(self, kind: str) -> str:
        return "pair"

    def resources(self) -> dict[str, str]:
        return self.params.spec.resources()

    def setup(self) -> None:
        self._r_engine = load_engine(self.spec)
        self._r_info = self._r_engine.describe()
        self._r_cache = open_cache(self.params.cache)

    def translate(self, texts: list[str], langs: list[str], seeds: np.ndarray) -> list[list[Hypothesis]]:
        """Hypotheses per text, through the cache."""
        from .cache import translate_cached

        return translate_cached(self._r_engine, self._r_cache, texts, langs, seeds, self.decoding)

    def process(self, batch: pl.DataFrame, ctx: Context) -> StepResult:
        p = self.params
        d = self.decoding
        texts = batch["text"].to_list()
        langs = batch["lang"].to_list()
        ids = batch["id"].to_list()
        seeds = hypothesis_seeds(row_seeds(ctx.seed, ctx.step, ids), d.n)
        hyps = self.translate(texts, langs, seeds)
        info = {**self._r_info, "decoding": d.describe(), "seed": ctx.seed, "tag": p.tag or None}
        src, ks, metas, rows_idx, trunc = [], [], [], [], []
        old_meta = batch["meta"].to_list()
        for i in range(len(texts)):
            for k, h in enumerate(hyps[i]):
                text = add_noise(h.text, int(seeds[i, k]), d) if d.method == "noised-beam" else h.text
                src.append(f"{p.tag} {text}" if p.tag else text)
                ks.append(k)
                rows_idx.append(i)
                trunc.append(h.truncated)
                rec: dict[str, Any] = {"hypothesis": k, "truncated": h.truncated}
                if h.score is not None:
                    rec["score"] = h.score
                metas.append(canonical_json({**json.loads(old_meta[i] or "{}"), "backtranslate": {**info, **rec}}))
        base = batch[rows_idx]
        bids = base["id"].to_list()
        out = base.select(
            pl.lit(parse_lang(p.src_lang)).alias("src_lang"),
            pl.Series("src", src, pl.String),
            pl.col("lang").alias("tgt_lang"),
            pl.col("text").alias("tgt"),
            pl.Series("id", ctx.child_ids(bids, ks, src) if d.n > 1 else bids, pl.String),
            "src_dataset", "src_version", "src_row",
            pl.Series("parents", [[x] for x in bids] if d.n > 1 else base["parents"].to_list(), pl.List(pl.String)),
            "steps", "seed",
            pl.Series("meta", metas, pl.String),
            pl.Series("bt_truncated", trunc, pl.Boolean),
        )
        return StepResult(out)


@dataclass(frozen=True)
class TagParams:
    tag: str = "<BT>"
    side: str = "src"


class TagSynthetic(MapStep):
    """Tagged back-translation (Caswell et al. 2019): prefixes the synthetic side with a tag,
    so a model trained on the data can tell synthetic sources from real ones. Run it after
    the filters, which should see the text without the tag."""

    name = "bt-tag"
    kinds = ("pair",)
    Params = TagParams

    def __init__(self, params: Any = None, **kw: Any) -> None:
        super().__init__(params, **kw)
        if self.params.side not in ("src", "tgt"):
            raise ConfigError(f"side must be 'src' or 'tgt', got {self.params.side!r}")
        if not self.params.tag.strip():
            raise ConfigError("tag must not be empty")

    def map(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        from ..pipeline import merge_meta

        c = self.params.side
        return batch.with_columns((pl.lit(self.params.tag + " ") + pl.col(c)).alias(c),
                                  merge_meta(batch["meta"], "bt_tag", [self.params.tag] * batch.height))


__all__ = ["BackTranslate", "TagSynthetic"]
