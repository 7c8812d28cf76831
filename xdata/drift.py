"""Drift between two dataset versions: the figures a hook can stop a version on.

:func:`profile` summarises a version per language: rows, text length (characters of the text,
or of each side of a pair; tokens of a tagged row) as mean and 10th/50th/90th percentiles,
the share of rows in each dominant script, and the share of synthetic rows (rows a
back-translation or code-switching step made). :func:`drift` compares two profiles against
thresholds and lists every figure that moved more than allowed.

Rows, lengths and synthetic shares are computed from all rows, lazily over the shards (bounded
memory); the script mix from the first :data:`SCRIPT_SAMPLE` rows of each language.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from .dataset.manifest import read_manifest
from .dataset.shards import shard_file

SCRIPT_SAMPLE = 5000
SYNTHETIC_STEPS = ("backtranslate@", "codeswitch@")


@dataclass(frozen=True)
class Thresholds:
    """How much a figure may move between versions before :func:`drift` reports it."""

    rows: float | None = None  # relative change of a language's rows, e.g. 0.2 = 20%
    length: float | None = None  # relative change of a language's median length
    script: float | None = None  # absolute change of any script's share, e.g. 0.05
    synthetic: float | None = None  # absolute change of the share of synthetic rows


def _length_exprs(kind: str) -> dict[str, pl.Expr]:
    if kind == "pair":
        return {"src": pl.col("src").str.len_chars(), "tgt": pl.col("tgt").str.len_chars()}
    if kind == "tagged":
        return {"tokens": pl.col("tokens").list.len()}
    return {"text": pl.col("text").str.len_chars()}


def profile(path: str | Path) -> dict[str, Any]:
    """Per-language figures of a dataset version (see the module doc)."""
    from .normalize.scripts import dominant_script

    d = Path(path)
    m = read_manifest(d)
    kind = m.get("kind", "text")
    files = [shard_file(d, s["path"]) for s in m["shards"]]
    lang = (pl.col("src_lang") + "-" + pl.col("tgt_lang")) if kind == "pair" else pl.col("lang")
    synthetic = pl.col("steps").list.eval(
        pl.element().str.starts_with(SYNTHETIC_STEPS[0]) | pl.element().str.starts_with(SYNTHETIC_STEPS[1])).list.any()
    lengths = _length_exprs(kind)
    lf = pl.scan_parquet(files).with_columns(lang.alias("_lang"), synthetic.alias("_syn"),
                                             *[e.alias(f"_len_{k}") for k, e in lengths.items()])
    aggs: list[pl.Expr] = [pl.len().alias("rows"), pl.col("_syn").mean().alias("synthetic")]
    for k in lengths:
        c = pl.col(f"_len_{k}")
        aggs += [c.mean().alias(f"{k}_mean"), c.quantile(0.1).alias(f"{k}_p10"), c.median().alias(f"{k}_p50"),
                 c.quantile(0.9).alias(f"{k}_p90")]
    table = lf.group_by("_lang").agg(aggs).sort("_lang").collect()
    text_col = {"pair": "tgt", "tagged": "tokens", "text": "text"}[kind]
    out: dict[str, Any] = {"name": m["name"], "version": m["version"], "kind": kind, "languages": {}}
    for row in table.iter_rows(named=True):
        lg = row.pop("_lang")
        sample = pl.scan_parquet(files).filter(lang == lg).select(text_col).head(SCRIPT_SAMPLE).collect()[text_col]
        counts: dict[str, int] = {}
        for v in sample.to_list():
            s = dominant_script(" ".join(v) if isinstance(v, list) else (v or "")) or "none"
            counts[s] = counts.get(s, 0) + 1
        total = max(1, sum(counts.values()))
        row["scripts"] = {s: round(n / total, 4) for s, n in sorted(counts.items())}
        row["synthetic"] = round(float(row["synthetic"] or 0.0), 4)
        out["languages"][lg] = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}
    return out


def drift(a: dict[str, Any], b: dict[str, Any], t: Thresholds) -> list[str]:
    """Figures of profile ``b`` that moved from ``a`` beyond the thresholds, one line each."""
    out: list[str] = []
    langs = sorted(set(a["languages"]) | set(b["languages"]))
    for lg in langs:
        x, y = a["languages"].get(lg), b["languages"].get(lg)
        if x is None or y is None:
            if t.rows is not None:
                out.append(f"{lg}: {'new' if x is None else 'gone'} ({0 if x is None else x['rows']:,} -> "
                           f"{0 if y is None else y['rows']:,} rows)")
            continue
        if t.rows is not None and x["rows"] and abs(y["rows"] - x["rows"]) / x["rows"] > t.rows:
            out.append(f"{lg}: rows {x['rows']:,} -> {y['rows']:,} ({(y['rows'] - x['rows']) / x['rows']:+.1%}, "
                       f"allowed ±{t.rows:.0%})")
        if t.length is not None:
            for key in (k for k in x if k.endswith("_p50")):
                if x[key] and abs(y[key] - x[key]) / x[key] > t.length:
                    out.append(f"{lg}: median {key[:-4]} length {x[key]} -> {y[key]} "
                               f"({(y[key] - x[key]) / x[key]:+.1%}, allowed ±{t.length:.0%})")
        if t.script is not None:
            for s in sorted(set(x["scripts"]) | set(y["scripts"])):
                dx, dy = x["scripts"].get(s, 0.0), y["scripts"].get(s, 0.0)
                if abs(dy - dx) > t.script:
                    out.append(f"{lg}: share of {s} script {dx:.1%} -> {dy:.1%} (allowed ±{t.script:.0%} points)")
        if t.synthetic is not None and abs(y["synthetic"] - x["synthetic"]) > t.synthetic:
            out.append(f"{lg}: synthetic share {x['synthetic']:.1%} -> {y['synthetic']:.1%} "
                       f"(allowed ±{t.synthetic:.0%} points)")
    return out
