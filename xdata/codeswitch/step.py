"""The code-switching step over ``tagged``, ``text`` and (one side of) ``pair`` records."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import regex

from ..errors import ConfigError
from ..hashing import canonical_json, digest_file
from ..lexicon import Lexicon, load_lexicon
from ..pipeline import Context, MapStep
from . import Policy, draws_needed, switch_tokens

# Words (with inner apostrophes/hyphens), numbers, or any other single non-space character.
_TOKEN = regex.compile(r"[\p{L}\p{M}\p{N}]+(?:['’\-][\p{L}\p{M}\p{N}]+)*|\S")


@dataclass(frozen=True)
class CodeSwitchParams:
    """The lexicons, how to switch (a :class:`~xdata.codeswitch.Policy`, whose fields are also
    accepted as flat keywords: ``CodeSwitch(lexicons=..., ratio=0.3)``) and where."""

    lexicons: tuple[str, ...] = ()  # paths, source-language word first (MUSE order)
    reverse: bool = False  # read the lexicons target -> source
    policy: Policy = field(default_factory=Policy)
    stem_prefix: int = 0  # > 0: also match words by their first N letters
    side: str = "src"  # for pair records: which side to switch
    engine: str = "auto"  # "auto" (vectorized when applicable), "reference" or "fast"


class CodeSwitch(MapStep):
    """Switches covered words to lexicon translations; logs every switch in ``meta``.

    Adds ``cs_covered`` (tokens the lexicons cover) and ``cs_switched`` (tokens switched)
    score columns, from which coverage and the realized ratio are reported.
    """

    name = "codeswitch"
    writes = ("cs_covered", "cs_switched", "cs_tokens")
    Params = CodeSwitchParams
    resource_params = ("lexicons",)
    runtime_params = ("lexicons",)  # identified by their digests in resources(), not by where they lie

    def __init__(self, params: Any = None, **kw: Any) -> None:
        if "lexicons" in kw and isinstance(kw["lexicons"], (list, str)):
            kw["lexicons"] = (kw["lexicons"],) if isinstance(kw["lexicons"], str) else tuple(str(x) for x in kw["lexicons"])
        super().__init__(params, **kw)
        if not self.params.lexicons:
            raise ConfigError("step 'codeswitch' needs at least one lexicon path in lexicons=")
        if self.params.engine not in ("auto", "reference", "fast"):
            raise ConfigError(f"engine must be auto, reference or fast, got {self.params.engine!r}")
        if self.params.side not in ("src", "tgt"):
            raise ConfigError(f"side must be 'src' or 'tgt', got {self.params.side!r}")
        self.policy().validate()

    def policy(self) -> Policy:
        return self.params.policy

    def resources(self) -> dict[str, str]:
        return {f"lexicon{i}": digest_file(path) for i, path in enumerate(self.params.lexicons)}

    def languages(self) -> list[str]:
        """The languages switched in: each lexicon's target (its source with ``reverse``), when declared."""
        from ..langs import parse_lang
        from ..lexicon.core import read_header

        out = []
        for path in self.params.lexicons:  # the header is enough: the entries are the workers' business
            lang = read_header(path).get("src_lang" if self.params.reverse else "tgt_lang")
            if lang:
                out.append(parse_lang(lang))
        return out

    def setup(self) -> None:
        lexs = [load_lexicon(p) for p in self.params.lexicons]
        lexs = [lx.reversed() for lx in lexs] if self.params.reverse else lexs
        self._r_lexicons: list[Lexicon] = [lx.with_stemming(self.params.stem_prefix) for lx in lexs] \
            if self.params.stem_prefix else lexs

    def map(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        policy = self.policy()
        if "tokens" in batch.columns and self.params.engine != "reference":
            from .fast import applicable, switch_frame

            if applicable(self._r_lexicons, policy):
                return self._map_fast(batch, ctx, policy, switch_frame)
            if self.params.engine == "fast":
                raise ConfigError("the fast engine needs single-word lexicons, choose='uniform' and no stemming")
        ids = batch["id"].to_list()
        if "tokens" in batch.columns:
            seqs = batch["tokens"].to_list()
            tags = batch["tags"].to_list()
            spans = None
        else:
            col = "text" if "text" in batch.columns else self.params.side
            texts = batch[col].to_list()
            matches = [list(_TOKEN.finditer(t)) for t in texts]
            seqs = [[m.group() for m in ms] for ms in matches]
            spans = [[m.span() for m in ms] for ms in matches]
            tags = [None] * len(seqs)
        n_draws = draws_needed(max((len(s) for s in seqs), default=0))
        draws = ctx.uniforms(ids, n_draws)
        new_tokens, new_tags, covered, switched, logs, new_texts = [], [], [], [], [], []
        for r, (toks, tg) in enumerate(zip(seqs, tags)):
            res = switch_tokens(toks, tg, self._r_lexicons, draws[r], policy)
            covered.append(res.covered)
            switched.append(sum(s.end - s.start for s in res.switches))
            log: dict[str, Any] | None = {"switches": [s.as_list() for s in res.switches]} if res.switches else None
            if log is not None and spans is not None:
                log["original"] = texts[r]  # text rows: the exact original string (spacing included)
            logs.append(log)
            if spans is None:
                new_tokens.append(res.tokens)
                new_tags.append(res.tags)
            else:
                new_texts.append(_rebuild(texts[r], spans[r], res.switches))
        from ..pipeline import merge_meta

        out = batch.with_columns(
            pl.Series("cs_covered", covered, pl.Int64),
            pl.Series("cs_switched", switched, pl.Int64),
            pl.Series("cs_tokens", [len(s) for s in seqs], pl.Int64),
            merge_meta(batch["meta"], "codeswitch", logs),
        )
        if spans is None:
            return out.with_columns(pl.Series("tokens", new_tokens, pl.List(pl.String)),
                                    pl.Series("tags", new_tags, pl.List(pl.String)))
        return out.with_columns(pl.Series(col, new_texts, pl.String))


    def _map_fast(self, batch: pl.DataFrame, ctx: Context, policy: Policy, switch_frame: Any) -> pl.DataFrame:
        toks, tags, covered, switched, logs = switch_frame(batch["tokens"], batch["tags"], batch["id"].to_list(),
                                                           ctx.seed, ctx.step, self._r_lexicons, policy)
        meta = batch["meta"]
        new_meta = pl.select(
            pl.when(logs.is_null()).then(meta)
            .when(meta == "{}").then(pl.concat_str(pl.lit('{"codeswitch":{"switches":['), logs, pl.lit("]}}")))
            .otherwise(None).alias("meta"))["meta"]
        todo = (new_meta.is_null()).arg_true().to_list()
        if todo:  # rows whose meta already holds other keys: merge in Python
            vals = new_meta.to_list()
            for i in todo:
                d = json.loads(meta[i])
                d["codeswitch"] = {"switches": json.loads("[" + logs[i] + "]")}
                vals[i] = canonical_json(d)
            new_meta = pl.Series("meta", vals, pl.String)
        return batch.with_columns(
            pl.Series("cs_covered", covered, pl.Int64), pl.Series("cs_switched", switched, pl.Int64),
            batch["tokens"].list.len().cast(pl.Int64).alias("cs_tokens"), new_meta.alias("meta"),
            toks.alias("tokens"), tags.alias("tags"))


def _rebuild(text: str, spans: list[tuple[int, int]], switches: list[Any]) -> str:
    """Replace the switched token spans in the original string, keeping its spacing."""
    out, pos = [], 0
    for s in switches:
        a, b = spans[s.start][0], spans[s.end - 1][1]
        out.append(text[pos:a])
        out.append(" ".join(s.tgt))
        pos = b
    out.append(text[pos:])
    return "".join(out)


def coverage_report(rows: pl.DataFrame) -> dict[str, Any]:
    """Coverage and realized ratio from a code-switched dataset's score columns."""
    tokens = int(rows["cs_tokens"].sum())
    covered = int(rows["cs_covered"].sum())
    switched = int(rows["cs_switched"].sum())
    return {
        "sentences": rows.height,
        "tokens": tokens,
        "covered_tokens": covered,
        "coverage": covered / tokens if tokens else 0.0,
        "switched_tokens": switched,
        "realized_ratio": switched / covered if covered else 0.0,
        "sentences_switched": int((rows["cs_switched"] > 0).sum()),
    }


__all__ = ["CodeSwitch", "CodeSwitchParams", "coverage_report", "json", "field"]
