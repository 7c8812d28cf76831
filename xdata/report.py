"""``xdata report DIR``: one self-contained HTML page (and a JSON twin with the same figures)
that shows, per language, whether a dataset version is fit to train on.

The figures come from the version's shards, read lazily with only the columns each figure
needs; counts, percentiles and histograms are computed by polars over all rows (bounded
memory). Two figures use a sample instead: the script mix and the subword fertility read the
first :data:`SAMPLE_ROWS` rows of each language.

"Per language" means per language of each side: a text or tagged row counts for its ``lang``;
a pair row for ``src_lang`` as ``LANG (src)`` and for ``tgt_lang`` as ``LANG (tgt)``. Figures a
step writes for one side (a code-switching ratio, a back-translation score) count for the
side it changed.

Plots are PNG images (matplotlib ``Agg``, the ``plots`` extra) embedded as ``data:`` URIs; the
page loads nothing else, and its Content-Security-Policy allows nothing else. Row text is
untrusted and always escaped. A small inline script checks, on ``load``, that every image
decoded and that no script error happened, and writes the verdict into ``<body
data-report-check=...>``, so a headless browser's ``--dump-dom`` shows whether the page
rendered.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
from pathlib import Path
from typing import Any, Iterable, Sequence

import polars as pl

from .dataset.manifest import read_manifest
from .dataset.shards import shard_file
from .errors import InputError, MissingDependency

SAMPLE_ROWS = 5000  # rows per language read for the script mix and the fertility
BINS = 30  # histogram bins of a length (the last one holds everything at or above the 99th percentile)
SCORE_BINS = 20
SYNTHETIC_ORIGINS = ("bt", "cs", "projected")
FEW_ROWS = 0.05  # a language with fewer rows than this share of the largest one is flagged
TOP_REASONS = 15  # reject reasons listed per step (the rest are summed)
QUANTILES = (("p10", 0.1), ("p50", 0.5), ("p90", 0.9))
ENGINE: Any = "streaming"  # polars reads the shards in batches: memory follows the aggregates, not the rows

# JSON keys a step writes at the top level of a row's ``meta`` (canonical JSON: no spaces). A
# quote inside a string value is escaped, so row text cannot fake these.
_META_BT = '"backtranslate":{'
_META_CS = '"codeswitch":{'
_META_PROJECT = '"project":{'


def default_outputs(directory: str | Path) -> tuple[Path, Path]:
    """``DIR.report.html`` and ``DIR.report.json`` beside the dataset directory (never inside it)."""
    d = Path(os.path.abspath(directory))
    return d.parent / f"{d.name}.report.html", d.parent / f"{d.name}.report.json"


def report_paths(directory: str | Path, out: str | Path | None = None) -> tuple[Path, Path]:
    """The HTML and JSON files :func:`report` writes for ``directory`` and ``--out``."""
    if out is None:
        return default_outputs(directory)
    o = Path(out)
    return o, (o.with_suffix(".json") if o.suffix.lower() in (".html", ".htm") else o.with_name(o.name + ".json"))


def _check_outputs(d: Path, html_path: Path, json_path: Path) -> None:
    for p in (html_path, json_path):
        parent = p.parent
        if not parent.is_dir():
            raise InputError("cannot write the report: the output directory does not exist", path=parent)
        if p.is_dir():
            raise InputError("cannot write the report: the output path is a directory", path=p)
        if not os.access(parent, os.W_OK):
            raise InputError("cannot write the report: the output directory is not writable", path=parent)
        inside = Path(os.path.realpath(parent))
        ds = Path(os.path.realpath(d))
        if inside == ds or ds in inside.parents:
            raise InputError("cannot write the report inside the dataset directory: `xdata verify` would find an "
                             "extra file; write it beside the directory (the default)", path=p)


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ModuleNotFoundError as e:
        if (e.name or "").split(".")[0] == "matplotlib":
            raise MissingDependency("matplotlib", "plots", "xdata report") from None
        raise


def report(directory: str | Path, out: str | Path | None = None, *, tokenizers: Iterable[str | Path] = (),
           sample: int = 5, seed: int = 0) -> Path:
    """Write the report of the dataset version in ``directory``; returns the HTML path.

    ``out`` is the HTML file (default ``DIR.report.html`` beside ``DIR``); the JSON with the same
    figures goes beside it (``FILE.json``). Both are replaced atomically. ``tokenizers`` are
    sentencepiece ``.model`` files whose fertility is reported per language; ``sample`` rows
    per origin are shown, chosen by ``seed``.
    """
    _require_matplotlib()
    d = Path(directory)
    m = read_manifest(d)
    html_path, json_path = report_paths(d, out)
    _check_outputs(d, html_path, json_path)
    toks = [Path(t) for t in tokenizers]
    for t in toks:
        if not t.is_file():
            raise InputError("tokenizer model not found (expected a sentencepiece .model file)", path=t)
    if toks:  # before the work, not after it
        try:
            import sentencepiece  # noqa: F401
        except ModuleNotFoundError:
            raise MissingDependency("sentencepiece", "models", "xdata report --tokenizer") from None
    if sample < 0:
        raise InputError(f"--sample must be 0 or more, got {sample}")
    try:
        figures = compute(d, m, tokenizers=toks, sample=sample, seed=seed)
    except pl.exceptions.PolarsError as e:
        raise InputError(f"cannot read the dataset's shards ({str(e).splitlines()[0]})", path=d) from None
    page, images = render(figures)
    figures["images"] = images
    _atomic_write(json_path, json.dumps(figures, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    _atomic_write(html_path, page)
    return html_path


def _atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it over ``path``."""
    from .io.files import atomic_write

    with atomic_write(path, "wb") as fh:
        fh.write(text.encode("utf-8"))


# -- figures -----------------------------------------------------------------------------------

def _sides(kind: str) -> list[tuple[str, str, pl.Expr, str]]:
    """(side, language column, text expression, LID column prefix) per side of a record kind."""
    if kind == "pair":
        return [("src", "src_lang", pl.col("src"), "src_"), ("tgt", "tgt_lang", pl.col("tgt"), "tgt_")]
    if kind == "tagged":
        return [("", "lang", pl.col("tokens").list.join(" "), "")]
    return [("", "lang", pl.col("text"), "")]


def _label(lang_col: str, side: str) -> pl.Expr:
    lang = pl.col(lang_col).fill_null("(none)")
    return lang + pl.lit(f" ({side})") if side else lang


def _quantiles(c: pl.Expr, prefix: str) -> list[pl.Expr]:
    return [c.quantile(q, "linear").alias(f"{prefix}{name}") for name, q in QUANTILES] + [
        c.mean().alias(f"{prefix}mean"), c.quantile(0.99, "linear").alias(f"{prefix}p99"), c.max().alias(f"{prefix}max")]


def _stats(row: dict[str, Any], prefix: str) -> dict[str, Any]:
    out = {}
    for k in ("p10", "p50", "p90", "mean", "p99", "max"):
        v = row.get(prefix + k)
        out[k] = None if v is None else round(float(v), 4)
    return out


def _row_flags(cols: set[str]) -> dict[str, pl.Expr]:
    """Per-row origin, split and synthetic flags."""
    meta = pl.col("meta").fill_null("") if "meta" in cols else pl.lit("")
    origin = pl.col("origin").cast(pl.String).fill_null("unknown") if "origin" in cols else pl.lit("unknown")
    split = pl.col("split").cast(pl.String).fill_null("(none)") if "split" in cols else pl.lit("(all)")
    bt = meta.str.contains(_META_BT, literal=True)
    if "steps" in cols:
        bt = bt | pl.col("steps").list.eval(pl.element().str.starts_with("backtranslate@")).list.any().fill_null(False)
    cs = meta.str.contains(_META_CS, literal=True)
    pj = meta.str.contains(_META_PROJECT, literal=True)
    syn = origin.is_in(list(SYNTHETIC_ORIGINS)) | bt | cs | pj
    return {"_origin": origin, "_split": split, "_bt": bt | (origin == "bt"), "_cs": cs | (origin == "cs"),
            "_pj": pj | (origin == "projected"), "_syn": syn}


def _count_stats(values: Any, counts: Any, bins: int) -> dict[str, Any]:
    """Exact percentiles (linear interpolation, as numpy's default), mean, max and a histogram
    of integer values given as (distinct value, rows) -- the table polars counts in one pass."""
    import numpy as np

    order = np.argsort(values)
    v = np.asarray(values, dtype=np.float64)[order]
    c = np.asarray(counts, dtype=np.int64)[order]
    n = int(c.sum())
    cum = np.cumsum(c)

    def at(rank: int) -> float:  # the value of the rank-th row (0-based) in sorted order
        return float(v[int(np.searchsorted(cum, rank, side="right"))])

    def q(p: float) -> float:
        h = (n - 1) * p
        lo, hi = int(np.floor(h)), int(np.ceil(h))
        return at(lo) + (h - lo) * (at(hi) - at(lo))

    out: dict[str, Any] = {k: round(q(p), 4) for k, p in QUANTILES}
    out.update(mean=round(float((v * c).sum() / n), 4), p99=round(q(0.99), 4), max=float(v[-1]))
    width = _width(out["p99"], bins, True)
    idx = np.clip(np.floor(v / width), 0, bins - 1).astype(np.int64)
    hist = np.bincount(idx, weights=c, minlength=bins).astype(np.int64)
    return {"stats": out, "histogram": {"bin_width": width, "counts": [int(x) for x in hist]}}


def _lengths(lf: pl.LazyFrame, kind: str) -> dict[str, dict[str, Any]]:
    """Per language label: characters and whitespace tokens per row (stats and histograms),
    from tables of (length, rows) counted by polars."""
    out: dict[str, dict[str, Any]] = {}
    for side, lang_col, text, _ in _sides(kind):
        t = text.fill_null("")
        metrics = {"chars": t.str.len_chars(),
                   "words": pl.col("tokens").list.len() if kind == "tagged" else t.str.count_matches(r"\S+")}
        for name, e in metrics.items():
            tab = lf.select(_label(lang_col, side).alias("label"), e.cast(pl.Int64).alias("v")) \
                .group_by("label", "v").len().collect(engine=ENGINE)
            for (label,), part in tab.group_by("label"):
                out.setdefault(str(label), {})[name] = _count_stats(part["v"].to_numpy(), part["len"].to_numpy(), BINS)
    return out


def _row_counts(lf: pl.LazyFrame, kind: str, cols: set[str]) -> pl.DataFrame:
    """Rows per (languages of the row, origin, split), with how many of them are synthetic."""
    flags = _row_flags(cols)
    keys = [pl.col(c).alias(c) for c in (("src_lang", "tgt_lang") if kind == "pair" else ("lang",))]
    return lf.select(*keys, *[e.alias(k) for k, e in flags.items()]).group_by(
        *[k.meta.output_name() for k in keys], "_origin", "_split").agg(
        pl.len().alias("rows"), *[pl.col(f).sum().alias(f) for f in ("_syn", "_bt", "_cs", "_pj")]
    ).collect(engine=ENGINE)


def _lid_counts(lf: pl.LazyFrame, kind: str, cols: set[str]) -> pl.DataFrame:
    parts = []
    for side, lang_col, _, prefix in _sides(kind):
        if f"{prefix}lid_lang" in cols:
            parts.append(lf.filter(pl.col(f"{prefix}lid_lang").is_not_null()).select(
                _label(lang_col, side).alias("label"), pl.col(lang_col).alias("lang"),
                pl.col(f"{prefix}lid_lang").cast(pl.String).alias("lid")).group_by("label", "lang", "lid").len()
                .collect(engine=ENGINE))
    return pl.concat(parts) if parts else pl.DataFrame(schema={"label": pl.String, "lang": pl.String, "lid": pl.String,
                                                               "len": pl.UInt32})


def _histogram(lf: pl.LazyFrame, col: str, width: dict[str, float], bins: int) -> dict[str, list[int]]:
    """Counts per bin of ``col`` per label; bin i holds [i*w, (i+1)*w), the last everything above."""
    w = pl.col("label").replace_strict(width, default=1.0, return_dtype=pl.Float64)
    b = (pl.col(col).cast(pl.Float64) / w).floor().clip(0, bins - 1).cast(pl.Int64).alias("_bin")
    t = lf.filter(pl.col(col).is_not_null()).select("label", b).group_by("label", "_bin").len().collect(engine=ENGINE)
    out: dict[str, list[int]] = {k: [0] * bins for k in width}
    for label, i, n in t.iter_rows():
        if label in out:
            out[label][i] += n
    return out


def _width(p99: float | None, bins: int, integer: bool) -> float:
    if p99 is None or p99 <= 0:
        return 1.0
    w = p99 / (bins - 1)
    return float(max(1, -(-int(p99) // (bins - 1)))) if integer else w


def _base(tag: str | None) -> str | None:
    from .langs import base_lang

    if tag is None:
        return None
    try:
        return base_lang(tag)
    except Exception:  # a label the LID model invented or an odd declared tag: compared as written
        return tag.lower()


def compute(d: Path, m: dict[str, Any], *, tokenizers: Sequence[Path] = (), sample: int = 5,
            seed: int = 0) -> dict[str, Any]:
    """Every figure of the report, as plain JSON-able values."""
    kind = str(m.get("kind", "text"))
    files = [shard_file(d, s["path"]) for s in m["shards"]]
    rejects = [shard_file(d, s["path"]) for s in m.get("rejects") or []]
    out: dict[str, Any] = {"dataset": _header(m), "kind": kind, "sample": sample, "seed": seed,
                           "script_sample_rows": SAMPLE_ROWS}
    out["rejects"] = _rejects(rejects, kind)
    if not files:
        out.update(languages={}, origin_present=False, split_present=False, rows_by_origin_split=[],
                   histograms={}, length_ratio={}, codeswitch={}, projection={}, backtranslate={},
                   fertility={}, samples={})
        return out
    lf = pl.scan_parquet(files)
    cols = set(lf.collect_schema().names())
    out["origin_present"] = "origin" in cols
    out["split_present"] = "split" in cols
    counts = _row_counts(lf, kind, cols)
    sides = [("src_lang", " (src)"), ("tgt_lang", " (tgt)")] if kind == "pair" else [("lang", "")]
    per_side = pl.concat([counts.select(pl.col(c).fill_null("(none)").alias("lang"),
                                        (pl.col(c).fill_null("(none)") + pl.lit(suffix)).alias("label"),
                                        "_origin", "_split", "rows", "_syn", "_bt", "_cs", "_pj")
                          for c, suffix in sides])
    main = per_side.group_by("label").agg(pl.col("lang").first(), *[pl.col(c).sum() for c in
                                                                     ("rows", "_syn", "_bt", "_cs", "_pj")])
    mix = per_side.group_by("label", "_origin", "_split").agg(pl.col("rows").sum())
    lengths = _lengths(lf, kind)
    total = int(m.get("rows") or 0)
    biggest = max([int(r) for r in main["rows"].to_list()] or [0])
    langs: dict[str, Any] = {}
    for row in main.sort("label").iter_rows(named=True):
        n = int(row["rows"])
        ln = lengths.get(row["label"], {})
        langs[row["label"]] = {
            "lang": row["lang"], "side": row["label"].rsplit(" (", 1)[1][:-1] if kind == "pair" else "",
            "rows": n, "share_of_rows": round(n / total, 4) if total else None,
            "few_rows": bool(biggest and n < FEW_ROWS * biggest),
            "chars": ln.get("chars", {}).get("stats"), "words": ln.get("words", {}).get("stats"),
            "synthetic": {k: round(int(row[f]) / n, 4) if n else 0.0 for k, f in
                          (("share", "_syn"), ("bt", "_bt"), ("cs", "_cs"), ("projected", "_pj"))},
            "origins": {}, "splits": {},
        }
    out["rows_by_origin_split"] = [{"language": a, "origin": b, "split": c, "rows": int(n)}
                                   for a, b, c, n in mix.sort("label", "_origin", "_split").iter_rows()]
    for r in out["rows_by_origin_split"]:
        e = langs[r["language"]]
        e["origins"][r["origin"]] = e["origins"].get(r["origin"], 0) + r["rows"]
        e["splits"][r["split"]] = e["splits"].get(r["split"], 0) + r["rows"]
    _lid(langs, _lid_counts(lf, kind, cols))
    out["histograms"] = {k: {lb: v[k]["histogram"] for lb, v in lengths.items() if k in v} for k in ("chars", "words")}
    out["length_ratio"] = _length_ratio(lf, kind) if kind == "pair" else {}
    _scripts_and_fertility(lf, kind, langs, tokenizers, out)
    out["languages"] = langs
    out["codeswitch"] = _codeswitch(lf, kind, cols, m)
    out["projection"] = _projection(lf, kind, cols)
    out["backtranslate"] = _backtranslate(lf, kind, cols)
    out["samples"] = _samples(lf, kind, cols, sample, seed)
    return out


def _header(m: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": m.get("name"), "version": m.get("version"), "kind": m.get("kind"), "created": m.get("created"),
        "rows": m.get("rows"), "rejected_rows": m.get("rejected_rows", 0), "content_digest": m.get("content_digest"),
        "license": m.get("license"), "description": m.get("description"), "seed": m.get("seed"),
        "inputs": [f"{i.get('name')}@{i.get('version')} ({i.get('format', '?')}: {', '.join(i.get('paths') or [])})"
                   for i in m.get("inputs") or []],
        "steps": [s.get("signature") for s in m.get("steps") or []],
        "warnings": list(m.get("warnings") or []),
    }


def _lid(langs: dict[str, Any], lid: pl.DataFrame) -> None:
    per: dict[str, dict[str, Any]] = {}
    for label, lang, got, n in lid.iter_rows():
        e = per.setdefault(label, {"rows": 0, "agree": 0, "labels": {}})
        e["rows"] += n
        if got != "und" and _base(got) == _base(lang):
            e["agree"] += n
        else:
            e["labels"][got] = e["labels"].get(got, 0) + n
    for label, e in per.items():
        top = sorted(e["labels"].items(), key=lambda kv: (-kv[1], kv[0]))[:5]
        langs[label]["lid"] = {"rows": e["rows"], "agreeing_rows": e["agree"],
                               "agreement": round(e["agree"] / e["rows"], 4) if e["rows"] else None,
                               "other_labels": dict(top)}


def _length_ratio(lf: pl.LazyFrame, kind: str) -> dict[str, Any]:
    direction = pl.col("src_lang").fill_null("(none)") + pl.lit("-") + pl.col("tgt_lang").fill_null("(none)")
    r = (pl.col("src").str.len_chars().cast(pl.Float64) / pl.col("tgt").str.len_chars().cast(pl.Float64))
    base = lf.select(direction.alias("label"), pl.when(pl.col("tgt").str.len_chars() > 0).then(r).alias("ratio"))
    t = base.filter(pl.col("ratio").is_not_null()).group_by("label").agg(
        pl.len().alias("rows"), *_quantiles(pl.col("ratio"), "r_")).collect(engine=ENGINE)
    out: dict[str, Any] = {}
    widths = {}
    for row in t.sort("label").iter_rows(named=True):
        out[row["label"]] = {"rows": int(row["rows"]), **_stats(row, "r_")}
        widths[row["label"]] = _width(row["r_p99"], BINS, False)
    for label, counts in _histogram(base, "ratio", widths, BINS).items():
        out[label]["histogram"] = {"bin_width": round(widths[label], 6), "counts": counts}
    return out


def _scripts_and_fertility(lf: pl.LazyFrame, kind: str, langs: dict[str, Any], tokenizers: Sequence[Path],
                           out: dict[str, Any]) -> None:
    """Script mix (dominant script of each row, and letters per script) and subword fertility,
    from the first :data:`SAMPLE_ROWS` rows of each language."""
    from collections import Counter

    from .normalize.scripts import scripts

    loaded = []
    if tokenizers:
        from .tokenize.subword import Tokenizer

        loaded = [(t.name, Tokenizer.load(t)) for t in tokenizers]
    fert: dict[str, dict[str, Any]] = {name: {} for name, _ in loaded}
    for side, lang_col, text, _ in _sides(kind):
        labels = lf.select(_label(lang_col, side).alias("label")).unique().collect(engine=ENGINE)["label"].to_list()
        for label in sorted(labels):
            texts = lf.filter(_label(lang_col, side) == label).select(text.fill_null("").alias("t")) \
                .head(SAMPLE_ROWS).collect(engine=ENGINE)["t"].to_list()
            dominant: Counter[str] = Counter()
            letters: Counter[str] = Counter()
            for t in texts:
                c = scripts(t)
                letters.update(c)
                dominant[c.most_common(1)[0][0] if c else "none"] += 1
            nl = max(1, sum(letters.values()))
            langs[label]["scripts"] = {
                "sampled_rows": len(texts),
                "rows_by_dominant_script": {s: round(n / max(1, len(texts)), 4) for s, n in sorted(dominant.items())},
                "letters_by_script": {s: round(n / nl, 4) for s, n in sorted(letters.items())},
            }
            if loaded:
                from .tokenize.subword import fertility

                for name, tok in loaded:
                    f = fertility(tok, {label: texts})[0]
                    f.pop("lang", None)
                    fert[name][label] = f
    out["fertility"] = fert


def _score_stats(frame: pl.DataFrame, col: str, bins: int, lo: float, hi: float) -> dict[str, Any]:
    s = frame[col].drop_nulls().cast(pl.Float64)
    if s.len() == 0:
        return {"rows": 0}
    width = (hi - lo) / bins if hi > lo else 1.0
    idx = ((s - lo) / width).floor().clip(0, bins - 1).cast(pl.Int64)
    counts = [0] * bins
    for i, n in idx.value_counts().iter_rows():
        counts[i] = int(n)
    q = {name: round(float(s.quantile(p, "linear") or 0.0), 4) for name, p in QUANTILES}
    return {"rows": int(s.len()), **q, "mean": round(float(s.mean() or 0.0), 4),  # type: ignore[arg-type]
            "histogram": {"low": lo, "high": hi, "counts": counts}}


def _grouped_scores(t: pl.LazyFrame, cols: dict[str, tuple[float | None, float | None]]) -> dict[str, Any]:
    """Per label, the distribution of each score column over a fixed range (an open end: the
    label's own minimum or maximum)."""
    out: dict[str, Any] = {}
    labels = t.select("label").unique().collect(engine=ENGINE)["label"].to_list()
    for label in sorted(labels):
        f = t.filter(pl.col("label") == label).collect(engine=ENGINE)
        e: dict[str, Any] = {}
        for c, (lo, hi) in cols.items():
            if c not in f.columns:
                continue
            vals = f[c].drop_nulls().cast(pl.Float64)
            if vals.len() == 0:
                continue
            low = lo if lo is not None else float(vals.min())  # type: ignore[arg-type]
            top = hi if hi is not None else float(vals.max())  # type: ignore[arg-type]
            st = _score_stats(f, c, SCORE_BINS, low, max(top, low + 1e-9))
            if st["rows"]:
                e[c] = st
        if e:
            out[label] = e
    return out


def _side_label(kind: str, side: str) -> pl.Expr:
    if kind == "pair":
        return _label(f"{side}_lang", side)
    return _label("lang", "")


def _codeswitch(lf: pl.LazyFrame, kind: str, cols: set[str], m: dict[str, Any]) -> dict[str, Any]:
    """Realized code-switching ratio (switched / all tokens of the switched side) of the rows
    the codeswitch step saw, per language of the switched side."""
    if not {"cs_switched", "cs_tokens"} <= cols:
        return {}
    side = "src"
    for s in m.get("steps") or []:
        if s.get("name") == "codeswitch":
            side = str((s.get("params") or {}).get("side", "src"))
    t = lf.filter(pl.col("cs_tokens") > 0).select(
        _side_label(kind, side).alias("label"),
        (pl.col("cs_switched").cast(pl.Float64) / pl.col("cs_tokens").cast(pl.Float64)).alias("switched_ratio"),
        (pl.col("cs_covered").cast(pl.Float64) / pl.col("cs_tokens").cast(pl.Float64)).alias("covered_ratio")
        if "cs_covered" in cols else pl.lit(None, dtype=pl.Float64).alias("covered_ratio"))
    out = _grouped_scores(t, {"switched_ratio": (0.0, 1.0), "covered_ratio": (0.0, 1.0)})
    counts = t.group_by("label").agg(pl.len().alias("rows"), (pl.col("switched_ratio") > 0).sum().alias("sw")).collect(engine=ENGINE)
    for label, n, sw in counts.iter_rows():
        if label in out:
            out[label]["rows_seen"] = int(n)
            out[label]["rows_switched"] = int(sw)
    return out


def _projection(lf: pl.LazyFrame, kind: str, cols: set[str]) -> dict[str, Any]:
    """Projection confidence from ``meta.project``: each projected span's confidence (span
    mode) and each row's mean per-token label agreement (token mode)."""
    if "meta" not in cols:
        return {}
    dtype = pl.Struct({"project": pl.Struct({"agreement": pl.List(pl.Float64),
                                             "spans": pl.List(pl.Struct({"confidence": pl.Float64}))})})
    label = _label("lang", "") if kind != "pair" else _label("tgt_lang", "tgt")
    base = lf.filter(pl.col("meta").str.contains(_META_PROJECT, literal=True)).select(
        label.alias("label"), pl.col("meta").str.json_decode(dtype).struct.field("project").alias("p"))
    rows = base.select("label", pl.col("p").struct.field("agreement").list.mean().alias("token_agreement"))
    spans = base.select("label", pl.col("p").struct.field("spans").alias("s")).explode("s").select(
        "label", pl.col("s").struct.field("confidence").alias("span_confidence"))
    out = _grouped_scores(rows, {"token_agreement": (0.0, 1.0)})
    for lb, e in _grouped_scores(spans, {"span_confidence": (0.0, 1.0)}).items():
        out.setdefault(lb, {}).update(e)
    return out


def _backtranslate(lf: pl.LazyFrame, kind: str, cols: set[str]) -> dict[str, Any]:
    """Back-translation: the engine's score (``meta.backtranslate.score``) and the filters'
    score columns, per language of the synthetic (source) side."""
    if kind != "pair" or "meta" not in cols:
        return {}
    score_cols: dict[str, tuple[float | None, float | None]] = {
        "bt_copy": (0.0, 1.0), "bt_repeat": (0.0, None), "bt_rt_chrf": (0.0, 100.0)}
    present = [c for c in score_cols if c in cols]
    t = lf.filter(pl.col("meta").str.contains(_META_BT, literal=True)).select(
        _side_label(kind, "src").alias("label"),
        pl.col("meta").str.json_path_match("$.backtranslate.score").cast(pl.Float64, strict=False).alias("engine_score"),
        pl.col("meta").str.json_path_match("$.backtranslate.truncated").eq("true").cast(pl.Float64).alias("truncated"),
        *[pl.col(c).cast(pl.Float64) for c in present])
    return _grouped_scores(t, {"engine_score": (None, None), "truncated": (0.0, 1.0),
                               **{c: score_cols[c] for c in present}})


def _samples(lf: pl.LazyFrame, kind: str, cols: set[str], n: int, seed: int) -> dict[str, list[dict[str, Any]]]:
    """``n`` rows per origin: those whose id hashes lowest under ``seed`` (stable across runs)."""
    if n <= 0 or "id" not in cols:
        return {}
    import polars_hash as plh

    flags = _row_flags(cols)
    h = plh.concat_str([pl.lit(f"{seed}\x1f"), pl.col("id").fill_null("")]).nchash.xxh3_64().alias("_h")
    picked = lf.select(pl.col("id"), flags["_origin"].alias("_origin"), h).group_by("_origin").agg(
        pl.col("id").bottom_k_by("_h", n)).collect(engine=ENGINE)
    ids = [i for lst in picked["id"].to_list() for i in lst]
    show = [c for c in ("lang", "text", "src_lang", "src", "tgt_lang", "tgt", "tokens", "tags") if c in cols]
    extra = [c for c in ("id", "split", "steps", "meta") if c in cols]
    rows = lf.filter(pl.col("id").is_in(ids)).select(*show, *extra, flags["_origin"].alias("_origin"), h).sort(
        "_origin", "_h").collect(engine=ENGINE)
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows.iter_rows(named=True):
        origin = r.pop("_origin")
        r.pop("_h")
        if r.get("steps") is not None:
            r["steps"] = [s.split("@")[0] for s in r["steps"]]
        if isinstance(r.get("meta"), str) and len(r["meta"]) > 400:
            r["meta"] = r["meta"][:400] + "..."
        out.setdefault(origin, []).append(r)
    return out


def _rejects(files: list[Path], kind: str) -> dict[str, Any]:
    if not files:
        return {"rows": 0, "by_step": {}, "by_reason": [], "by_language": {}}
    lf = pl.scan_parquet(files)
    rec = pl.col("record").fill_null("")
    if kind == "pair":
        langs = [rec.str.json_path_match("$.src_lang").fill_null("(unparsed)") + pl.lit(" (src)"),
                 rec.str.json_path_match("$.tgt_lang").fill_null("(unparsed)") + pl.lit(" (tgt)")]
    else:
        langs = [rec.str.json_path_match("$.lang").fill_null("(unparsed)")]
    # a record that is not JSON (a raw line) has no language
    safe = [pl.when(rec.str.starts_with("{")).then(e).otherwise(pl.lit("(unparsed)")) for e in langs]
    by_reason_q = lf.group_by("step", "reason").len()
    by_lang_q = pl.concat([lf.select("step", e.alias("language")) for e in safe]).group_by("step", "language").len()
    by_reason, by_lang = pl.collect_all([by_reason_q, by_lang_q], engine=ENGINE)
    by_step: dict[str, int] = {}
    for step, _, n in by_reason.iter_rows():
        by_step[step] = by_step.get(step, 0) + int(n)
    listed = []
    for step in sorted(by_step):
        part = by_reason.filter(pl.col("step") == step).sort("len", "reason", descending=[True, False])
        for _, reason, n in part.head(TOP_REASONS).iter_rows():
            listed.append({"step": step, "reason": reason, "rows": int(n)})
        rest = part.slice(TOP_REASONS)
        if rest.height:
            listed.append({"step": step, "reason": f"({rest.height:,} other reasons)", "rows": int(rest["len"].sum())})
    per_lang: dict[str, dict[str, int]] = {}
    for step, lang, n in by_lang.sort("language", "step").iter_rows():
        per_lang.setdefault(lang, {})[step] = int(n)
    return {"rows": sum(by_step.values()), "by_step": dict(sorted(by_step.items())), "by_reason": listed,
            "by_language": per_lang}


# -- page ---------------------------------------------------------------------------------------

_CHECK = """
(function () {
  var errors = [];
  window.addEventListener('error', function (e) { errors.push('error: ' + (e.message || e.type)); }, true);
  var orig = console.error;
  console.error = function () {
    errors.push('console.error: ' + Array.prototype.join.call(arguments, ' '));
    return orig.apply(console, arguments);
  };
  window.addEventListener('load', function () {
    var imgs = document.images, bad = [];
    for (var i = 0; i < imgs.length; i++) {
      if (!imgs[i].complete || imgs[i].naturalWidth === 0) { bad.push('image not rendered: ' + (imgs[i].alt || i)); }
    }
    var all = errors.concat(bad);
    document.body.setAttribute('data-report-images', String(imgs.length));
    document.body.setAttribute('data-report-check', all.length ? 'failed' : 'ok');
    var pre = document.getElementById('report-errors');
    pre.textContent = all.join('\\n');
    pre.hidden = all.length === 0;
  });
})();
"""

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}th,td{border:1px solid #ddd;padding:.2em .5em;
text-align:left;vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}
.few{background:#fde2e1}.absent{color:#777;font-style:italic}img{max-width:100%}
.row{white-space:pre-wrap;word-break:break-word;max-width:60em}code{font-size:.9em}
"""


def _e(v: Any) -> str:
    return html.escape("" if v is None else str(v), quote=True)


def _pct(v: Any) -> str:
    return "" if v is None else f"{float(v):.1%}"


def _num(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.2f}"
    return f"{v:,}"


def _table(head: list[str], rows: list[list[Any]], numeric: set[int] | None = None,
           row_class: list[str] | None = None) -> str:
    numeric = numeric or set()
    out = ["<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>"]
    for i, r in enumerate(rows):
        cls = f' class="{_e(row_class[i])}"' if row_class and row_class[i] else ""
        out.append(f"<tr{cls}>" + "".join(
            f'<td class="n">{_e(c)}</td>' if j in numeric else f"<td>{_e(c)}</td>" for j, c in enumerate(r)) + "</tr>")
    return "\n".join(out) + "</table>"


def _absent(what: str) -> str:
    return f'<p class="absent">{_e(what)}: not present in this dataset.</p>'


class _Plots:
    """Matplotlib figures rendered to PNG data URIs."""

    def __init__(self) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        self.plt = plt
        self.count = 0
        self.names: list[str] = []

    def img(self, fig: Any, alt: str) -> str:
        import io

        buf = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buf, format="png", dpi=80)
        self.plt.close(fig)
        self.count += 1
        self.names.append(alt)
        uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
        return f'<p><img src="{uri}" alt="{_e(alt)}"></p>'

    def barh(self, labels: list[str], series: dict[str, list[float]], title: str, xlabel: str,
             annotate: list[str] | None = None) -> Any:
        fig, ax = self.plt.subplots(figsize=(8, max(1.6, 0.45 * len(labels) + 1)))
        left = [0.0] * len(labels)
        for name, vals in series.items():
            ax.barh(labels, vals, left=left, label=name)
            left = [a + b for a, b in zip(left, vals)]
        if annotate:
            for i, text in enumerate(annotate):
                ax.text(left[i], i, " " + text, va="center", fontsize=8)
            ax.set_xlim(0, max(left or [1]) * 1.25 or 1)
        ax.invert_yaxis()
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        if len(series) > 1:
            ax.legend(fontsize=8, loc="lower right")
        return fig

    def hists(self, hists: dict[str, dict[str, Any]], title: str, xlabel: str, width_key: str = "bin_width") -> Any:
        fig, ax = self.plt.subplots(figsize=(8, 3))
        for label, h in hists.items():
            counts = h["counts"]
            total = max(1, sum(counts))
            w = h.get(width_key) or ((h["high"] - h["low"]) / len(counts) if "high" in h else 1.0)
            lo = h.get("low", 0.0)
            xs = [lo + i * w for i in range(len(counts) + 1)]
            ax.stairs([c / total for c in counts], xs, label=label)
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("share of rows")
        if hists:
            ax.legend(fontsize=8)
        return fig


def render(f: dict[str, Any]) -> tuple[str, list[str]]:
    """The HTML page of the figures, and the names of its images."""
    p = _Plots()
    h = f["dataset"]
    langs: dict[str, Any] = f.get("languages") or {}
    labels = list(langs)
    parts: list[str] = []
    title = f"xdata report: {h['name']} version {h['version']}"
    parts.append(f"<h1>{_e(title)}</h1>")
    parts.append(_table(["field", "value"], [
        ["dataset", h["name"]], ["version", h["version"]], ["kind", h["kind"]], ["created", h["created"]],
        ["rows", _num(h["rows"])], ["rejected rows", _num(h["rejected_rows"])],
        ["content digest", h["content_digest"]], ["licence", h["license"] or "(none given)"],
        ["description", h["description"] or ""], ["inputs", "; ".join(h["inputs"])],
        ["steps", " -> ".join(s or "" for s in h["steps"]) or "(none)"], ["seed", h["seed"]],
    ]))
    for w in h["warnings"]:
        parts.append(f"<p>warning: {_e(w)}</p>")

    # 2. rows per language, origin, split
    parts.append("<h2>Rows per language, origin and split</h2>")
    if not langs:
        parts.append(_absent("rows"))
    else:
        sides = "Each side of a pair counts for its language (LANG (src), LANG (tgt)). " if f["kind"] == "pair" else ""
        parts.append("<p>" + _e(f"{sides}Languages with fewer than {FEW_ROWS:.0%} of the largest language's rows "
                                "are marked.") + "</p>")
        origins = sorted({o for v in langs.values() for o in v["origins"]})
        splits = sorted({s for v in langs.values() for s in v["splits"]})
        rows, cls = [], []
        for lb, v in langs.items():
            rows.append([lb, v["rows"], _pct(v["share_of_rows"]), "few rows" if v["few_rows"] else ""]
                        + [v["origins"].get(o, 0) for o in origins] + [v["splits"].get(s, 0) for s in splits])
            cls.append("few" if v["few_rows"] else "")
        head = ["language", "rows", "share of rows", "flag"] + [f"origin {o}" for o in origins] + \
               [f"split {s}" for s in splits]
        parts.append(_table(head, rows, {1, 2} | set(range(4, len(head))), cls))
        if not f.get("origin_present"):
            parts.append(_absent("origin column (rows' origin is unknown)"))
        if not f.get("split_present"):
            parts.append(_absent("split column (the whole set is one split)"))
        fig = p.barh(labels, {o: [float(langs[lb]["origins"].get(o, 0)) for lb in labels] for o in origins},
                     "rows per language and origin", "rows", [f"{langs[lb]['rows']:,}" for lb in labels])
        parts.append(p.img(fig, "rows per language and origin"))
        if f.get("split_present"):
            fig = p.barh(labels, {s: [float(langs[lb]["splits"].get(s, 0)) for lb in labels] for s in splits},
                         "rows per language and split", "rows")
            parts.append(p.img(fig, "rows per language and split"))

    # 3. lengths
    parts.append("<h2>Lengths</h2>")
    if not langs:
        parts.append(_absent("lengths"))
    else:
        rows = [[lb] + [_num(langs[lb][k][q]) for k in ("chars", "words") for q in ("p10", "p50", "p90", "mean")]
                for lb in labels]
        parts.append(_table(["language", "chars p10", "chars p50", "chars p90", "chars mean", "words p10", "words p50",
                             "words p90", "words mean"], rows, set(range(1, 9))))
        for k, name in (("chars", "characters"), ("words", "whitespace tokens")):
            parts.append(p.img(p.hists(f["histograms"][k], f"{name} per row (last bin: 99th percentile and above)",
                                       name), f"histogram of {name}"))
        if f.get("length_ratio"):
            lr = f["length_ratio"]
            parts.append("<p>Length ratio of pairs: characters of src / characters of tgt, per direction.</p>")
            parts.append(_table(["direction", "rows", "p10", "p50", "p90", "mean"],
                                [[k, v["rows"], v["p10"], v["p50"], v["p90"], v["mean"]] for k, v in lr.items()],
                                {1, 2, 3, 4, 5}))
            parts.append(p.img(p.hists({k: v["histogram"] for k, v in lr.items()}, "length ratio src/tgt",
                                       "characters of src / characters of tgt"), "histogram of the length ratio"))
        elif f["kind"] == "pair":
            parts.append(_absent("length ratio"))

    # 4. scripts
    parts.append("<h2>Script mix</h2>")
    scr = {lb: v["scripts"] for lb, v in langs.items() if "scripts" in v}
    if not scr:
        parts.append(_absent("script mix"))
    else:
        parts.append("<p>" + _e(f"Unicode Script property of the letters (ISO 15924 codes), from the first "
                                f"{SAMPLE_ROWS:,} rows of each language.") + "</p>")
        rows = [[lb, v["sampled_rows"],
                 ", ".join(f"{s} {x:.1%}" for s, x in sorted(v["rows_by_dominant_script"].items(), key=lambda kv: -kv[1])),
                 ", ".join(f"{s} {x:.1%}" for s, x in sorted(v["letters_by_script"].items(), key=lambda kv: -kv[1]))]
                for lb, v in scr.items()]
        parts.append(_table(["language", "rows sampled", "rows by dominant script", "letters by script"], rows, {1}))
        names = sorted({s for v in scr.values() for s in v["rows_by_dominant_script"]})
        fig = p.barh(list(scr), {s: [scr[lb]["rows_by_dominant_script"].get(s, 0.0) for lb in scr] for s in names},
                     "rows by dominant script", "share of rows")
        parts.append(p.img(fig, "rows by dominant script"))

    # 5. LID agreement
    parts.append("<h2>Language identification agreement</h2>")
    lid = {lb: v["lid"] for lb, v in langs.items() if "lid" in v}
    if not lid:
        parts.append(_absent("LID columns (lid_lang, src_lid_lang, tgt_lid_lang)"))
    else:
        parts.append("<p>Share of rows whose LID label names the declared language.</p>")
        rows = [[lb, v["rows"], _pct(v["agreement"]), ", ".join(f"{k} {n:,}" for k, n in v["other_labels"].items())]
                for lb, v in lid.items()]
        parts.append(_table(["language", "rows with LID", "agreement", "most frequent other labels"], rows, {1, 2}))
        fig = p.barh(list(lid), {"agreement": [float(v["agreement"] or 0) for v in lid.values()]},
                     "LID agreement", "share of rows", [_pct(v["agreement"]) for v in lid.values()])
        parts.append(p.img(fig, "LID agreement per language"))

    # 6. synthetic share
    parts.append("<h2>Synthetic rows</h2>")
    if not langs:
        parts.append(_absent("synthetic rows"))
    else:
        parts.append("<p>" + _e("A row is synthetic when its origin is bt, cs or projected, or when its steps or meta "
                                "show back-translation, an actual code-switch or a projection.") + "</p>")
        rows = [[lb, _pct(v["synthetic"]["share"]), _pct(v["synthetic"]["bt"]), _pct(v["synthetic"]["cs"]),
                 _pct(v["synthetic"]["projected"])] for lb, v in langs.items()]
        parts.append(_table(["language", "synthetic", "back-translated", "code-switched", "projected"], rows,
                            {1, 2, 3, 4}))
        fig = p.barh(labels, {"synthetic": [langs[lb]["synthetic"]["share"] for lb in labels]}, "share of synthetic rows",
                     "share of rows", [_pct(langs[lb]["synthetic"]["share"]) for lb in labels])
        parts.append(p.img(fig, "share of synthetic rows"))

    # 7. step scores
    parts.append("<h2>Code-switching, projection and back-translation scores</h2>")
    for key, what, note in (
        ("codeswitch", "code-switching ratios", "switched_ratio: tokens switched / tokens of the switched side; "
                                                "covered_ratio: tokens the lexicons cover / tokens."),
        ("projection", "projection confidence", "span_confidence: per projected span (meta.project.spans); "
                                                "token_agreement: per row, mean share of votes for each token's label."),
        ("backtranslate", "back-translation scores", "engine_score: meta.backtranslate.score; truncated: share cut by "
                                                     "the length bound; bt_copy, bt_repeat, bt_rt_chrf: filter scores."),
    ):
        data = f.get(key) or {}
        if not data:
            parts.append(_absent(what))
            continue
        parts.append(f"<h3>{_e(what)}</h3><p>{_e(note)}</p>")
        rows = []
        hist: dict[str, dict[str, Any]] = {}
        for lb, e in data.items():
            for metric, st in e.items():
                if not isinstance(st, dict):
                    continue
                rows.append([lb, metric, st["rows"], st["p10"], st["p50"], st["p90"], st["mean"]])
                hist[f"{lb}: {metric}"] = st["histogram"]
        parts.append(_table(["language", "figure", "rows", "p10", "p50", "p90", "mean"], rows, {2, 3, 4, 5, 6}))
        parts.append(p.img(p.hists(hist, what, "value"), what))

    # 8. fertility
    parts.append("<h2>Subword fertility</h2>")
    fert = f.get("fertility") or {}
    if not fert:
        parts.append(_absent("tokenizer (give --tokenizer SPM_MODEL)"))
    else:
        parts.append("<p>" + _e(f"Subword tokens per word (words as `xdata tokenize` splits them) from the first "
                                f"{SAMPLE_ROWS:,} rows of each language.") + "</p>")
        rows = [[name, lb, v["words"], v["tokens"], v["fertility"], _pct(v["split_share"])]
                for name, per in fert.items() for lb, v in per.items()]
        parts.append(_table(["tokenizer", "language", "words", "tokens", "tokens per word", "words split"], rows,
                            {2, 3, 4, 5}))
        fl = sorted({lb for per in fert.values() for lb in per})
        fig = p.barh(fl, {name: [per.get(lb, {}).get("fertility", 0.0) for lb in fl] for name, per in fert.items()},
                     "subword tokens per word", "tokens per word")
        parts.append(p.img(fig, "subword fertility"))

    # 9. rejects
    parts.append("<h2>Rejected rows</h2>")
    rj = f["rejects"]
    if not rj["rows"]:
        parts.append(_absent("rejected rows"))
    else:
        parts.append(_table(["step", "reason", "rows"], [[r["step"], r["reason"], r["rows"]] for r in rj["by_reason"]],
                            {2}))
        steps = sorted(rj["by_step"])
        langs_r = sorted(rj["by_language"])
        parts.append(_table(["language"] + steps, [[lb] + [rj["by_language"][lb].get(s, 0) for s in steps]
                                                   for lb in langs_r], set(range(1, len(steps) + 1))))
        fig = p.barh([s.split("@")[0] for s in steps], {"rejected": [float(rj["by_step"][s]) for s in steps]},
                     "rejected rows per step", "rows", [f"{rj['by_step'][s]:,}" for s in steps])
        parts.append(p.img(fig, "rejected rows per step"))

    # 10. samples
    parts.append("<h2>Sample rows</h2>")
    samples = f.get("samples") or {}
    if not samples:
        parts.append(_absent("rows to sample"))
    else:
        parts.append("<p>" + _e(f"{f['sample']} rows per origin, chosen by --seed {f['seed']}.") + "</p>")
        for origin, rows_ in samples.items():
            parts.append(f"<h3>origin {_e(origin)}</h3>")
            keys = list(rows_[0]) if rows_ else []
            body = [[_cell(r.get(k)) for k in keys] for r in rows_]
            parts.append(_table(keys, body).replace("<td>", '<td class="row">'))

    script = _CHECK
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{digest}'"
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">"
            f"<title>{_e(title)}</title><style>{_STYLE}</style><script>{script}</script></head>\n<body>\n"
            + "\n".join(parts) + "\n<pre id=\"report-errors\" hidden></pre>\n</body></html>\n")
    return page, p.names


def _cell(v: Any) -> str:
    if isinstance(v, list):
        return " ".join("" if x is None else str(x) for x in v)
    return "" if v is None else str(v)


__all__ = ["report", "report_paths", "compute", "render", "default_outputs"]


from ._callable import make_callable  # noqa: E402

make_callable(__name__)  # xdata.report(...) runs the verb (xdata.api)
