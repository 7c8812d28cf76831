"""The back-translation step: ``text`` (target language) -> ``pair`` (synthetic source, real target)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import polars as pl

from ..errors import ConfigError
from ..hashing import digest_file
from ..langs import parse_lang
from ..pipeline import Context, Step, StepResult
from . import DECODES, LexiconEngine

ENGINES = ("lexicon",)


@dataclass(frozen=True)
class BackTranslateParams:
    src_lang: str = ""
    engine: str = "lexicon"
    lexicon: str | None = None
    decode: str = "greedy"
    n: int = 1
    tag: str = ""  # prefix for the synthetic side (tagged back-translation), e.g. "<BT>"


class BackTranslate(Step):
    """Translates each target-language line into ``n`` synthetic source sentences."""

    name = "backtranslate"
    kinds = ("text",)
    Params = BackTranslateParams

    def __init__(self, params: Any = None, **kw: Any) -> None:
        super().__init__(params, **kw)
        p = self.params
        if p.engine not in ENGINES:
            raise ConfigError(f"unknown engine {p.engine!r}; available here: {', '.join(ENGINES)}")
        if p.engine == "lexicon" and not p.lexicon:
            raise ConfigError("the lexicon engine needs lexicon= (a file with the source-language word first)")
        if not p.src_lang:
            raise ConfigError("src_lang= (the language to translate into) is required")
        parse_lang(p.src_lang)
        if p.decode not in DECODES:
            raise ConfigError(f"decode must be one of {', '.join(DECODES)} for the {p.engine} engine, got {p.decode!r}")
        if p.n < 1:
            raise ConfigError(f"n must be at least 1, got {p.n}")

    @property
    def expands(self) -> bool:  # type: ignore[override]
        return self.params.n > 1

    def output_kind(self, kind: str) -> str:
        return "pair"

    def resources(self) -> dict[str, str]:
        return {"lexicon": digest_file(self.params.lexicon)} if self.params.lexicon else {}

    def setup(self) -> None:
        self._r_engines: dict[str, LexiconEngine] = {}

    def _engine(self, tgt_lang: str) -> LexiconEngine:
        if tgt_lang not in self._r_engines:
            self._r_engines[tgt_lang] = LexiconEngine.load(self.params.lexicon, parse_lang(self.params.src_lang),
                                                           tgt_lang)  # type: ignore[arg-type]
        return self._r_engines[tgt_lang]

    def process(self, batch: pl.DataFrame, ctx: Context) -> StepResult:
        p = self.params
        texts = batch["text"].to_list()
        langs = batch["lang"].to_list()
        width = max((len(t) + 1 for t in texts), default=1) * p.n
        draws = ctx.uniforms(batch["id"].to_list(), width)
        src, tgt, ks, metas, rows_idx = [], [], [], [], []
        for i, (text, lang) in enumerate(zip(texts, langs)):
            engine = self._engine(lang)
            hyps = engine.translate([text], draws[i:i + 1], p.n, p.decode)[0]
            info = {**engine.describe(), "decode": p.decode, "n": p.n, "seed": ctx.seed, "tag": p.tag or None}
            for k, h in enumerate(hyps):
                src.append(f"{p.tag} {h}" if p.tag else h)
                tgt.append(text)
                ks.append(k)
                rows_idx.append(i)
                metas.append(json.dumps({**json.loads(batch["meta"][i] or "{}"),
                                         "backtranslate": {**info, "hypothesis": k}},
                                        ensure_ascii=False, sort_keys=True, separators=(",", ":")))
        base = batch[rows_idx]
        ids = base["id"].to_list()
        out = base.select(
            pl.lit(parse_lang(p.src_lang)).alias("src_lang"),
            pl.Series("src", src, pl.String),
            pl.col("lang").alias("tgt_lang"),
            pl.Series("tgt", tgt, pl.String),
            pl.Series("id", ctx.child_ids(ids, ks, src) if p.n > 1 else ids, pl.String),
            "src_dataset", "src_version", "src_row",
            pl.Series("parents", [[x] for x in ids] if p.n > 1 else base["parents"].to_list(), pl.List(pl.String)),
            "steps", "seed",
            pl.Series("meta", metas, pl.String),
        )
        return StepResult(out)
