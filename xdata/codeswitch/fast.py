"""A vectorized engine for the common case: single-word lexicon entries, uniform choice.

It gives the same switches as :func:`xdata.codeswitch.switch_tokens` (the reference engine,
checked by a property test) but works on a whole batch at once: lookups and protection are
computed once per distinct token (exact semantics of ``Lexicon.lookup``), and everything
per token (draws, choices, case, tags, re-assembly) is polars and numpy over the exploded
batch. The step uses it when every lexicon has single-word sources, ``choose="uniform"``
and no prefix stemming; otherwise the reference engine runs.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import polars as pl
import pyarrow as pa

from ..lexicon import Lexicon
from ..pipeline.rng import _GOLDEN, _splitmix64, row_seeds
from . import Policy, _protected


def applicable(lexicons: Sequence[Lexicon], policy: Policy) -> bool:
    return policy.choose == "uniform" and all(lx.max_src_words == 1 and not lx.stem_prefix for lx in lexicons)


def _draw(seeds: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Uniform draw number ``k`` of each row (same as ``row_uniforms(...)[:, k]``)."""
    with np.errstate(over="ignore"):
        bits = _splitmix64(seeds + k.astype(np.uint64) * _GOLDEN)
    return (bits >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def switch_frame(tokens: pl.Series, tags: pl.Series | None, ids: list[str], seed: int, step: str,
                 lexicons: Sequence[Lexicon], policy: Policy) -> tuple[pl.Series, pl.Series | None, pl.Series,
                                                                          pl.Series, pl.Series]:
    """Switch a batch: (tokens, tags, covered per row, switched per row, switch log JSON per row or null)."""
    n_rows = tokens.len()
    seeds = row_seeds(seed, step, ids)
    tag_rules = tuple(r.strip() for r in policy.protect_tags.split(",") if r.strip())
    frame = pl.DataFrame({"row": pl.int_range(0, n_rows, dtype=pl.UInt32, eager=True), "tok": tokens})
    if tags is not None:
        frame = frame.with_columns(tags.alias("tag"))
    ex = frame.explode(["tok", "tag"] if tags is not None else ["tok"]).filter(pl.col("tok").is_not_null())
    lens = tokens.list.len().fill_null(0).to_numpy().astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]]) if n_rows else np.zeros(0, np.int64)
    ex = ex.with_columns(pl.Series("pos", np.arange(int(lens.sum()), dtype=np.int64) - np.repeat(starts, lens)))
    # Per distinct token: protection (without tags) and lexicon hits, with exact lookup semantics.
    types = ex.select(pl.col("tok").unique(maintain_order=True))["tok"].to_list()
    n_lex = len(lexicons)
    prot_first, prot_other, hit_lists, cand_rows = [], [], [], []
    for t in types:
        prot_first.append(_protected(t, None, policy, (), True))
        prot_other.append(_protected(t, None, policy, (), False))
        hits = []
        for lex_index, lx in enumerate(lexicons):
            entries = lx.lookup(t)
            if entries:
                hits.append(lex_index)
                for k, e in enumerate(entries):
                    cand_rows.append((t, lex_index, k, e.tgt, e.line, len(entries)))
        hit_lists.append(hits)
    tinfo = pl.DataFrame({"tok": types, "prot_first": prot_first, "prot_other": prot_other,
                          "hits": hit_lists}, schema={"tok": pl.String, "prot_first": pl.Boolean,
                                                      "prot_other": pl.Boolean, "hits": pl.List(pl.Int64)})
    ex = ex.join(tinfo, on="tok", how="left")
    protected = pl.when(pl.col("pos") == 0).then(pl.col("prot_first")).otherwise(pl.col("prot_other"))
    if tags is not None and tag_rules:
        for r in tag_rules:
            protected = protected | (pl.col("tag").str.starts_with(r) if r.endswith("-") else pl.col("tag") == r)
    ex = ex.with_columns((~protected & (pl.col("hits").list.len() > 0)).alias("covered"))
    row = ex["row"].to_numpy()
    pos = ex["pos"].to_numpy()
    s = seeds[row]
    active = _draw(seeds, np.zeros(n_rows, np.int64))[row] < policy.sentence_prob
    u_switch = _draw(s, 2 + 3 * pos)
    u_choice = _draw(s, 3 + 3 * pos)
    u_lex = _draw(s, 4 + 3 * pos)
    sent_lex = np.minimum((_draw(seeds, np.ones(n_rows, np.int64)) * n_lex).astype(np.int64), n_lex - 1)[row]
    ex = ex.with_columns(
        (pl.col("covered") & pl.Series(active & (u_switch < policy.ratio))).alias("switch"),
        pl.Series("u_choice", u_choice), pl.Series("u_lex", u_lex), pl.Series("sent_lex", sent_lex),
    )
    nh = pl.col("hits").list.len()
    li: pl.Expr
    if policy.multi == "sentence":
        li = pl.when(pl.col("hits").list.contains(pl.col("sent_lex"))).then(pl.col("sent_lex")) \
            .otherwise(pl.col("hits").list.first())
    else:
        li = pl.col("hits").list.get(pl.min_horizontal((pl.col("u_lex") * nh).floor().cast(pl.Int64), nh - 1))
    sw = ex.filter("switch").with_columns(li.alias("li"))
    cands = pl.DataFrame(cand_rows, schema={"tok": pl.String, "li": pl.Int64, "k": pl.Int64, "tgt": pl.String,
                                            "line": pl.Int64, "n": pl.Int64}, orient="row")
    counts = cands.select("tok", "li", "n").unique()
    sw = sw.join(counts, on=["tok", "li"], how="left").with_columns(
        pl.min_horizontal((pl.col("u_choice") * pl.col("n")).floor().cast(pl.Int64), pl.col("n") - 1).alias("k"))
    sw = sw.join(cands.select("tok", "li", "k", "tgt", "line"), on=["tok", "li", "k"], how="left")
    # Case: ALL CAPS source -> upper target; a capitalized source capitalizes the target.
    src_upper = (pl.col("tok").str.len_chars() > 1) & (pl.col("tok") == pl.col("tok").str.to_uppercase()) \
        & (pl.col("tok") != pl.col("tok").str.to_lowercase())
    first = pl.col("tok").str.slice(0, 1)
    tfirst = pl.col("tgt").str.slice(0, 1)
    first_upper = (first == first.str.to_uppercase()) & (first != first.str.to_lowercase())
    tfirst_upper = (tfirst == tfirst.str.to_uppercase()) & (tfirst != tfirst.str.to_lowercase())
    sw = sw.with_columns(
        pl.when(src_upper).then(pl.col("tgt").str.to_uppercase())
        .when(first_upper & ~tfirst_upper).then(tfirst.str.to_uppercase() + pl.col("tgt").str.slice(1))
        .otherwise(pl.col("tgt")).alias("new"))
    lex_digest = pl.Series([lx.digest[:12] for lx in lexicons])
    sw = sw.with_columns(pl.col("li").map_elements(lambda i: lex_digest[i], return_dtype=pl.String).alias("lexd")
                         if n_lex > 1 else pl.lit(lexicons[0].digest[:12]).alias("lexd"))
    # Re-assemble: each token becomes its replacement's words; tags follow (B-X -> B-X I-X ...).
    cols = ["row", "pos", "j", "w"] + (["t"] if tags is not None else [])
    keep = ex.filter(~pl.col("switch")).select(
        "row", "pos", pl.lit(0, pl.Int64).alias("j"), pl.col("tok").alias("w"),
        *([pl.col("tag").alias("t")] if tags is not None else []))
    swx = sw.select("row", "pos", pl.col("new").str.split(" ").alias("w"), *(["tag"] if tags is not None else [])) \
        .with_columns(pl.int_ranges(0, pl.col("w").list.len(), dtype=pl.Int64).alias("j")).explode(["w", "j"])
    if tags is not None:
        is_bi = pl.col("tag").str.starts_with("B-") | pl.col("tag").str.starts_with("I-")
        swx = swx.with_columns(pl.when((pl.col("j") > 0) & is_bi).then(pl.lit("I-") + pl.col("tag").str.slice(2))
                               .otherwise(pl.col("tag")).alias("t"))
    flat = pl.concat([keep.select(cols), swx.select(cols)]).sort(["row", "pos", "j"])
    offsets = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(flat["row"].to_numpy(), minlength=n_rows), out=offsets[1:])

    def as_lists(values: pl.Series) -> pl.Series:
        arr = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), values.to_arrow())
        return pl.Series(values.name, arr).cast(pl.List(pl.String))

    toks_out = as_lists(flat["w"].alias("tokens"))
    tags_out = as_lists(flat["t"].alias("tags")) if tags is not None else None
    row_np = ex["row"].to_numpy()
    covered_n = np.bincount(row_np, weights=ex["covered"].to_numpy(), minlength=n_rows).astype(np.int64)
    switched_n = np.bincount(row_np, weights=ex["switch"].to_numpy(), minlength=n_rows).astype(np.int64)
    logs = sw.sort(["row", "pos"]).with_columns(
        pl.format("[{},{},{},{},{},{}]", pl.col("pos"), pl.col("pos") + 1,
                  pl.struct(pl.col("tok").alias("x")).struct.json_encode().str.slice(5).str.strip_suffix("}"),
                  pl.struct(pl.col("new").alias("x")).struct.json_encode().str.slice(5).str.strip_suffix("}"),
                  pl.struct(pl.col("lexd").alias("x")).struct.json_encode().str.slice(5).str.strip_suffix("}"),
                  pl.col("line")).alias("item")
    ).group_by("row", maintain_order=True).agg(pl.col("item").str.join(",").alias("log"))
    full = pl.DataFrame({"row": pl.int_range(0, n_rows, dtype=pl.UInt32, eager=True)}).join(
        logs, on="row", how="left", maintain_order="left")
    return (toks_out, tags_out, pl.Series("covered", covered_n), pl.Series("switched", switched_n), full["log"])
