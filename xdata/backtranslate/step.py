"""The back-translation step: ``text`` (target language) -> ``pair`` (synthetic source, real target),
and the tagging step of tagged back-translation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from ..errors import ConfigError
from ..hashing import digest_file
from ..langs import parse_lang
from ..pipeline import Context, MapStep, Step, StepResult
from ..pipeline.rng import row_seeds
from . import DECODES, ENGINES, Decoding, EngineSpec, Hypothesis, add_noise, hypothesis_seeds, load_engine


@dataclass(frozen=True)
class BackTranslateParams:
    src_lang: str = ""  # the language of the synthetic side (what the engine translates into)
    engine: str = "lexicon"  # hf | ct2 | lexicon
    model: str | None = None  # hf / ct2: local directory or hub name
    lexicon: str | None = None  # lexicon engine: source-language word first (read in reverse)
    decode: str = "greedy"  # greedy | beam | sample | topk | topp | noised-beam
    n: int = 1  # hypotheses per input
    beam_size: int = 5
    temperature: float = 1.0
    top_k: int = 10
    top_p: float = 0.9
    noise_delete: float = 0.1
    noise_filler: float = 0.1
    noise_swap: int = 3
    filler: str = "<blank>"
    max_len_a: float = 1.5
    max_len_b: int = 5
    tag: str = ""  # prefix for the synthetic side (tagged back-translation), e.g. "<BT>"
    device: str = "cpu"
    dtype: str = "float32"
    compute_type: str = "default"
    threads: int = 0
    max_tokens: int = 4096
    max_batch: int = 64
    revision: str | None = None
    tokenizer: str | None = None
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
    runtime_params = ("model", "lexicon", "tokenizer", "cache", "threads", "max_tokens", "max_batch", "revision")

    def __init__(self, params: Any = None, **kw: Any) -> None:
        super().__init__(params, **kw)
        p = self.params
        if not p.src_lang:
            raise ConfigError("src_lang= (the language to translate into) is required")
        parse_lang(p.src_lang)
        if p.engine not in ENGINES:
            raise ConfigError(f"unknown engine {p.engine!r}; expected one of {', '.join(ENGINES)}")
        if p.decode not in DECODES:
            raise ConfigError(f"unknown decoding {p.decode!r}; expected one of {', '.join(DECODES)}")
        self.decoding  # noqa: B018 - validates the decoding parameters now, before data moves
        self.spec  # noqa: B018 - same for the engine settings

    @property
    def decoding(self) -> Decoding:
        p = self.params
        return Decoding(p.decode, p.n, p.beam_size, p.temperature, p.top_k, p.top_p, p.noise_delete, p.noise_filler,
                        p.noise_swap, p.filler, p.max_len_a, p.max_len_b)

    @property
    def spec(self) -> EngineSpec:
        p = self.params
        return EngineSpec(p.engine, p.model, p.lexicon, parse_lang(p.src_lang), p.device, p.dtype, p.compute_type,
                          p.threads, p.max_tokens, p.max_batch, p.revision, p.tokenizer)

    @property
    def expands(self) -> bool:  # type: ignore[override]
        return self.params.n > 1

    def output_kind(self, kind: str) -> str:
        return "pair"

    def resources(self) -> dict[str, str]:
        p = self.params
        if p.engine == "lexicon":
            return {"lexicon": digest_file(p.lexicon)}  # type: ignore[arg-type]
        from ..models import model_digest, resolve_model_dir

        return {"model": model_digest(resolve_model_dir(p.model, p.revision))}  # type: ignore[arg-type]

    def setup(self) -> None:
        from .cache import TranslationCache, default_cache_path

        self._r_engine = load_engine(self.spec)
        self._r_info = self._r_engine.describe()
        c = self.params.cache
        self._r_cache = TranslationCache(default_cache_path() if c == "auto" else c) if c else None

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
                rec = {"hypothesis": k, "truncated": h.truncated}
                if h.score is not None:
                    rec["score"] = h.score
                metas.append(json.dumps({**json.loads(old_meta[i] or "{}"), "backtranslate": {**info, **rec}},
                                        ensure_ascii=False, sort_keys=True, separators=(",", ":")))
        base = batch[rows_idx]
        bids = base["id"].to_list()
        out = base.select(
            pl.lit(parse_lang(p.src_lang)).alias("src_lang"),
            pl.Series("src", src, pl.String),
            pl.col("lang").alias("tgt_lang"),
            pl.col("text").alias("tgt"),
            pl.Series("id", ctx.child_ids(bids, ks, src) if p.n > 1 else bids, pl.String),
            "src_dataset", "src_version", "src_row",
            pl.Series("parents", [[x] for x in bids] if p.n > 1 else base["parents"].to_list(), pl.List(pl.String)),
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
