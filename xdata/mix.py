"""Mixing parts into one training set, and splits that cannot leak.

A :class:`Mix` is a source: it reads several parts (datasets, pipelines of the same recipe, or
any source), decides in a first pass how many copies of each row to keep and which split each
row's *root* belongs to, and emits the rows in a second pass. Every decision is a function of the
seed and the row's id or root, never of the batch size, the worker count or the executor.

Counts per part and language (``n``) become targets in three documented stages:

1. ``weight``: ``n * weight`` (2.0 doubles a part, 0.5 keeps half);
2. ``cap``: a part above ``cap`` rows (after its weight) is scaled down to ``cap``;
3. ``temperature`` T (optional): with ``M_l`` rows of language l after 1-2 and ``M`` in all,
   language l gets ``M * M_l^(1/T) / sum_k M_k^(1/T)`` rows (T=1 keeps the shares, larger T
   flattens them towards uniform: the multilingual-training convention).

A group of ``n`` rows with target ``t`` keeps ``floor(t/n)`` copies of every row and one more copy
of the ``t - floor(t/n) * n`` rows with the smallest keys ``xxh3(seed, part, row id)``: exact
counts, and a row kept at a smaller target is kept at every larger one. Copies are new rows
(their own ids) whose parent is the part's row; the first copy is the row itself, re-read.

Splits assign whole roots (the input row at the start of a row's lineage; see
:func:`xdata.io.readers.parquet.root_expr`) to ``train``, ``validation`` or ``test`` by
``xxh3(seed, root)``, so every synthetic variant of a held-out sentence is held out with it.
Roots read from a fixed test (or dev) set are held out whole. Then a row of ``train`` whose text
on either side is, exactly or after normalization (NFKC, lower case, punctuation and spacing
removed), a text of ``validation`` or ``test`` is removed as a leak (and a ``validation`` row
duplicating a ``test`` text); leaks are rejects with their reason, counted per split in the
manifest (``mix`` section).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import polars as pl

from .errors import ConfigError
from .hashing import digest_value, xxh3_128_rows
from .io.readers import DatasetSource, Source, SourceBatch, open_source
from .io.readers.parquet import root_expr
from .records import CONTENT, OPTIONAL, REJECT_SCHEMA

#: Origins with a meaning of their own (a recipe may use any other name too).
ORIGINS = ("real", "bt", "cs", "projected")
SPLITS = ("train", "validation", "test")
_SPLIT_NAMES = pl.Series("split", SPLITS, pl.String)  # a split code (index in SPLITS) -> its name


@dataclass(frozen=True)
class Part:
    """One input of a mix: a dataset directory, a pipeline of the same recipe, or any source."""

    source: Any
    origin: str = "real"
    weight: float = 1.0
    cap: int | None = None
    tag: str = ""  # prefixed (with a space) to the text, or to a pair's source side: tagged back-translation

    def __post_init__(self) -> None:
        if not self.origin or any(c in self.origin for c in "\t\n/"):
            raise ConfigError(f"part origin {self.origin!r} must be a non-empty name without tabs, newlines or '/'")
        if not (self.weight >= 0 and math.isfinite(self.weight)):
            raise ConfigError(f"part weight must be a finite number >= 0, got {self.weight!r}")
        if self.cap is not None and self.cap < 0:
            raise ConfigError(f"part cap must be >= 0, got {self.cap}")


@dataclass(frozen=True)
class Split:
    """Shares of roots for validation and test, and fixed held-out sets (files, dataset
    directories or sources) whose roots and texts are held out."""

    dev: float = 0.0
    test: float = 0.0
    test_sets: tuple[Any, ...] = ()
    dev_sets: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if not (0 <= self.dev < 1 and 0 <= self.test < 1 and self.dev + self.test < 1):
            raise ConfigError(f"split shares must be in [0, 1) with dev + test < 1, got dev={self.dev} test={self.test}")


def as_source(obj: Any) -> Source:
    """A part's or held-out set's source: a source as it is, a dataset directory, or a file."""
    if isinstance(obj, Source):
        return obj
    if hasattr(obj, "steps") and hasattr(obj, "source"):
        raise ConfigError(f"part {getattr(obj, 'name', obj)!r} is a pipeline: return it in a Recipe's parts so "
                          "`xdata run` writes it first (see `xdata.recipe.Recipe`)")
    p = Path(obj)
    if p.is_dir():
        return DatasetSource(p)
    if not p.exists():
        raise ConfigError(f"mix input not found: {p}")
    # Only a file's rows (roots) and texts matter here; its languages are those of the mix's parts.
    return open_source(p, lang="und", tgt_lang="und", on_error="reject")


def _text_exprs(kind: str) -> list[pl.Expr]:
    if kind == "pair":
        return [pl.col("src"), pl.col("tgt")]
    if kind == "tagged":
        return [pl.col("tokens").list.join(" ")]
    return [pl.col("text")]


def _norm(e: pl.Expr) -> pl.Expr:
    """The text a leak check compares: NFKC, lower case, letters and digits only (punctuation,
    symbols, spacing and '_' removed)."""
    return e.str.normalize("NFKC").str.to_lowercase().str.replace_all(r"[\W_]+", "")


def _norm_ascii(values: pl.Series) -> pl.Series:
    """:func:`_norm` of ASCII strings (NFKC leaves ASCII as it is), computed on the bytes with a few
    whole-array numpy operations instead of per-string regular expressions: ``b | 0x20`` lower-cases
    a letter and leaves a digit as it is, and only letters and digits are kept."""
    import pyarrow as pa

    if values.len() == 0:
        return values
    arr = values.rechunk().to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    n = len(arr)
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int64)[arr.offset:arr.offset + n + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8)[offsets[0]:offsets[-1]] if bufs[2] is not None else \
        np.zeros(0, np.uint8)
    low = data | np.uint8(0x20)
    keep = (low - np.uint8(97) < np.uint8(26)) | (data - np.uint8(48) < np.uint8(10))
    # kept bytes per string (a string without bytes keeps none; the appended 0 ends the last one)
    starts = offsets[:-1] - offsets[0]
    kept = np.add.reduceat(np.append(keep.view(np.uint8), np.uint8(0)), starts, dtype=np.int64)
    kept[starts == offsets[1:] - offsets[0]] = 0
    new_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(kept, out=new_offsets[1:])
    body = pa.py_buffer(np.compress(keep, low).tobytes())
    out = pa.LargeStringArray.from_buffers(n, pa.py_buffer(new_offsets), body, bufs[0], arr.null_count, 0) \
        if arr.null_count else pa.LargeStringArray.from_buffers(n, pa.py_buffer(new_offsets), body)
    return pl.Series(values.name, pl.from_arrow(out))


def _u64(df: pl.DataFrame, value: pl.Expr, salt: str) -> np.ndarray:
    """The first 8 bytes of XXH3-128(salt, value) per row, as unsigned integers."""
    if df.height == 0:
        return np.zeros(0, dtype=np.uint64)
    d = xxh3_128_rows(value, df, salt=salt)
    return np.ascontiguousarray(d[:, :8]).view(">u8").reshape(-1).astype(np.uint64)


def _lang_key(kind: str) -> pl.Expr:
    return pl.concat_str([pl.col("src_lang"), pl.col("tgt_lang")], separator="-") if kind == "pair" else pl.col("lang")


def _row_key(df: pl.DataFrame) -> pl.Expr:
    """What identifies a part's row for sampling: its id when it has one, else its row number."""
    return pl.col("_parent") if "_parent" in df.columns else pl.col("src_row").cast(pl.String)


def _frames(src: Source, rows: int, *, light: bool = False) -> Iterator[pl.DataFrame]:
    """A part's rows with ``_root`` (and ``_parent``/``_meta`` for a dataset), batch by batch.

    A dataset version is read straight from its shards, only the columns a mix uses (``light``:
    no per-row meta, for the first pass); any other source through its own reader."""
    if not isinstance(src, DatasetSource):
        for b in src.batches(rows):
            yield _with_root(b.rows, src)
        return
    import pyarrow.parquet as pq

    kind = src.kind
    row = 0
    for f in src.files:
        have = set(pq.read_schema(f).names)
        want = [*CONTENT[kind], *OPTIONAL[kind], "id", "src_version", "src_row", "root", "meta"]
        if light:
            want = [c for c in want if c != "meta" or "root" not in have]
        df = pl.read_parquet(f, columns=[c for c in want if c in have])
        cols = set(df.columns)
        out = df.select(
            *[pl.col(c) for c in (*CONTENT[kind], *OPTIONAL[kind]) if c in cols],
            pl.int_range(row, row + df.height, dtype=pl.Int64).alias("src_row"),
            pl.col("id").alias("_parent"),
            *([] if light else [pl.col("meta").alias("_meta")] if "meta" in cols else [pl.lit("{}").alias("_meta")]),
            root_expr(cols).alias("_root"),
        )
        row += df.height
        for start in range(0, max(out.height, 1), rows):
            piece = out.slice(start, rows)
            if piece.height:
                yield piece


def _with_root(df: pl.DataFrame, src: Source) -> pl.DataFrame:
    """The part's rows with a ``_root`` column."""
    cols = set(df.columns)
    tmp = df.with_columns(pl.lit(src.version(), pl.String).alias("src_version"))
    if "_meta" in cols:
        tmp = tmp.with_columns(pl.col("_meta").alias("meta"))
    have: set[str] = {c for c in ("root", "meta") if c in tmp.columns}
    out = tmp.with_columns(root_expr(have).alias("_root"))
    return df.with_columns(out["_root"])


class Mix(Source):
    """Parts mixed by weight, cap and language temperature, optionally split by root (module doc).

    Rows carry ``origin`` (the part's), ``root`` and, with ``split``, ``split``.
    """

    size_unit = "rows"

    def __init__(self, parts: Sequence[Part], *, temperature: float | None = None, split: Split | None = None,
                 name: str = "mix", block_rows: int = 50_000) -> None:
        if not parts:
            raise ConfigError("a mix needs at least one part")
        if temperature is not None and not (temperature > 0 and math.isfinite(temperature)):
            raise ConfigError(f"temperature must be a positive number, got {temperature!r}")
        self.parts = list(parts)
        self.temperature = temperature
        self.split = split
        self.name = name
        self.on_error = "reject"
        self.read_rows = block_rows
        self._sources: list[Source] | None = None
        self.seed = 0
        self.report: dict[str, Any] = {}

    # -- parts that are pipelines of the same recipe (resolved to their datasets before a run) -----
    def references(self) -> list[Any]:
        """Everything this mix reads that is not a source yet (pipelines of the recipe, paths)."""
        sp = self.split
        return [p.source for p in self.parts] + ([*sp.test_sets, *sp.dev_sets] if sp else [])

    def resolve(self, fn: Any) -> "Mix":
        """A copy whose parts and held-out sets are ``fn(x)`` (the recipe runner turns a pipeline
        into the dataset version it wrote)."""
        sp = self.split
        parts = [Part(fn(p.source), p.origin, p.weight, p.cap, p.tag) for p in self.parts]
        split = None if sp is None else Split(sp.dev, sp.test, tuple(fn(x) for x in sp.test_sets),
                                              tuple(fn(x) for x in sp.dev_sets))
        return Mix(parts, temperature=self.temperature, split=split, name=self.name, block_rows=self.read_rows)

    # -- what the pipeline and manifest see -------------------------------------------------------
    @property
    def sources(self) -> list[Source]:
        if self._sources is None:
            self._sources = [as_source(p.source) for p in self.parts]
            kinds = {s.kind for s in self._sources}
            if len(kinds) > 1:
                raise ConfigError("mix parts must hold one record kind; got "
                                  + ", ".join(f"{p.origin}: {s.kind}" for p, s in zip(self.parts, self._sources)))
            if self.parts[0].tag and self._sources[0].kind == "tagged":
                raise ConfigError("a tag prefix applies to text and pair rows, not to tagged rows")
        return self._sources

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.sources[0].kind

    def columns(self) -> set[str]:
        return set(CONTENT[self.kind]) | {"origin", "root"} | ({"split"} if self.split else set())

    def _held_sources(self) -> tuple[list[Source], list[Source]]:
        sp = self.split
        if sp is None:
            return [], []
        return [as_source(x) for x in sp.test_sets], [as_source(x) for x in sp.dev_sets]

    def digest(self) -> str:
        tests, devs = self._held_sources()
        return digest_value([s.content_digest() for s in [*self.sources, *tests, *devs]], 64)

    def read_params(self) -> dict[str, Any]:
        tests, devs = self._held_sources()
        return {
            "parts": [{"origin": p.origin, "weight": p.weight, "cap": p.cap, "tag": p.tag, "input": s.describe()}
                      for p, s in zip(self.parts, self.sources)],
            "temperature": self.temperature,
            "split": None if self.split is None else {
                "dev": self.split.dev, "test": self.split.test,
                "test_sets": [s.describe() for s in tests], "dev_sets": [s.describe() for s in devs]},
        }

    def paths(self) -> list[str]:
        return [p for s in self.sources for p in s.paths()]

    def set_seed(self, seed: int) -> None:
        """The run's seed (the executor calls this before reading): copies and splits depend on it."""
        self.seed = seed

    # -- pass 1: counts, copies, held-out texts ------------------------------------------------------
    def _split_codes(self, df: pl.DataFrame, fixed: dict[str, set[str]]) -> np.ndarray:
        """Each row's split as its index in :data:`SPLITS` (``df`` has ``_root``), by its root."""
        sp = self.split
        assert sp is not None
        u = _u64(df, pl.col("_root"), f"split/{self.seed}").astype(np.float64) / 2.0**64
        codes = np.where(u < sp.test, 2, np.where(u < sp.test + sp.dev, 1, 0)).astype(np.uint8)
        for code, which in ((1, "validation"), (2, "test")):
            if fixed[which]:
                codes[df["_root"].is_in(list(fixed[which])).to_numpy()] = code
        return codes

    def _text_keys(self, df: pl.DataFrame, kind: str) -> list[np.ndarray]:
        """Per text column, the 64-bit key of each row's normalized text (0 for an empty text).

        ASCII texts take a fast path with the same result (:func:`_norm_ascii`)."""
        out = []
        for e in _text_exprs(kind):
            raw = df.select(e.alias("t"))
            t = raw["t"]
            ascii_ = (t.str.len_bytes() == t.str.len_chars()).fill_null(True).to_numpy()
            k = np.zeros(df.height, dtype=np.uint64)
            for mask, fast in ((ascii_, True), (~ascii_, False)):
                if mask.any():
                    part = raw if mask.all() else raw.filter(pl.Series(mask))
                    norm = part.select(_norm_ascii(part["t"]).alias("t")) if fast else part.select(_norm(pl.col("t")).alias("t"))
                    h = _u64(norm, pl.col("t"), "text")
                    h[(norm["t"].fill_null("") == "").to_numpy()] = 0
                    k[mask] = h
            out.append(k)
        return out

    def _scan(self) -> tuple[list[np.ndarray], list[np.ndarray | None], dict[str, np.ndarray]]:
        """Pass 1: copies per row, split codes per row (with a split) and the held-out text keys."""
        kind = self.kind
        groups: list[tuple[np.ndarray, list[str]]] = []  # per part: each row's group code, the group names
        codes: list[np.ndarray | None] = []
        fixed: dict[str, set[str]] = {"validation": set(), "test": set()}
        held: dict[str, list[np.ndarray]] = {"validation": [], "test": []}
        if self.split is not None:
            tests, devs = self._held_sources()
            for which, srcs in (("validation", devs), ("test", tests)):
                for s in srcs:
                    for df in _frames(s, self.read_rows):
                        fixed[which].update(df["_root"].to_list())
                        held[which] += self._text_keys(df, s.kind)
        for src in self.sources:
            names: dict[str, int] = {}  # each row's language (pair: src-tgt) as a small integer
            gs: list[np.ndarray] = []
            cs: list[np.ndarray] = []
            for df in _frames(src, self.read_rows, light=self.split is None):
                g = df.select(_lang_key(kind).alias("g"))["g"]
                for name in g.unique().to_list():
                    names.setdefault(name, len(names))
                gs.append(g.replace_strict(names, return_dtype=pl.Int32).to_numpy())
                if self.split is not None and df.height:
                    c = self._split_codes(df, fixed)
                    cs.append(c)
                    for code, which in ((1, "validation"), (2, "test")):
                        sel = c == code
                        if sel.any():
                            held[which] += self._text_keys(df.filter(pl.Series(sel)), kind)
            codes.append(np.concatenate(cs) if cs else np.zeros(0, np.uint8) if self.split is not None else None)
            groups.append((np.concatenate(gs) if gs else np.zeros(0, np.int32), list(names)))
        copies = self._copies(groups)
        held_keys = {w: np.setdiff1d(np.unique(np.concatenate(v)), [0]) if v else np.zeros(0, np.uint64)
                     for w, v in held.items()}
        return copies, codes, held_keys

    def _row_keys(self, pi: int) -> np.ndarray:
        """The sampling keys ``xxh3(seed, part, row id)`` of part ``pi``'s rows (read again: only a
        part that keeps a fraction of some group's rows needs them)."""
        ks = [_u64(df, _row_key(df), f"mix/{self.seed}/{pi}") for df in _frames(self.sources[pi], self.read_rows, light=True)]
        return np.concatenate(ks) if ks else np.zeros(0, np.uint64)

    def _copies(self, groups: list[tuple[np.ndarray, list[str]]]) -> list[np.ndarray]:
        # per part, its groups in name order: (name, code, rows)
        counts = [sorted((name, code, int(n)) for code, (name, n) in
                         enumerate(zip(names, np.bincount(g, minlength=len(names)))) if n)
                  for g, names in groups]
        target: list[dict[str, float]] = []
        for part, c in zip(self.parts, counts):
            t = {g: n * part.weight for g, _, n in c}
            total = sum(t.values())
            if part.cap is not None and total > part.cap:
                t = {g: v * part.cap / total for g, v in t.items()}
            target.append(t)
        if self.temperature is not None:
            per_lang: dict[str, float] = {}
            for tg in target:
                for g, v in tg.items():
                    per_lang[g] = per_lang.get(g, 0.0) + v
            m = sum(per_lang.values())
            z = sum(v ** (1 / self.temperature) for v in per_lang.values() if v > 0)
            scale = {g: (m * v ** (1 / self.temperature) / z) / v if v > 0 else 0.0 for g, v in per_lang.items()}
            target = [{g: v * scale[g] for g, v in tg.items()} for tg in target]
        out: list[np.ndarray] = []
        for pi, ((gcol, _), c, t) in enumerate(zip(groups, counts, target)):
            cp = np.zeros(len(gcol), dtype=np.int32)
            k: np.ndarray | None = None
            for name, code, n in c:
                want = int(round(t[name]))
                idx = np.flatnonzero(gcol == code) if len(c) > 1 else np.arange(len(gcol))
                base, extra = divmod(want, n)
                cp[idx] = base
                if extra:
                    k = self._row_keys(pi) if k is None else k
                    order = np.lexsort((idx, k[idx]))  # smallest keys first; ties by position
                    cp[idx[order[:extra]]] += 1
            out.append(cp)
        return out

    # -- pass 2: emit (in the driver), then leak removal (in the executor's block workers) -----------
    def _prepared(self) -> tuple[list[np.ndarray], list[np.ndarray | None], dict[str, np.ndarray]]:
        key = self.seed
        if getattr(self, "_prep_key", None) != key:
            self._prep = self._scan()
            self._prep_key = key
        return self._prep

    def parser(self) -> "Mix":
        """This mix, with its first pass done: its :meth:`parse` removes leaks block by block where
        the executor runs blocks (threads or workers), in parallel with the emission."""
        self._prepared()
        return self

    native_parse = True  # polars and numpy work on whole columns

    def parse(self, chunk: Any) -> SourceBatch:
        if isinstance(chunk, SourceBatch):
            return chunk
        rows: pl.DataFrame = chunk
        if self.split is None or rows.height == 0:
            return SourceBatch(rows)
        _, _, held = self._prepared()
        kept, rej = self._drop_leaks(rows, self.kind, held)
        return SourceBatch(kept, rej)

    def __getstate__(self) -> dict[str, Any]:  # what a worker needs: the held-out keys, not the copies
        st = dict(self.__dict__)
        if "_prep" in st:
            st["_prep"] = ([], [], st["_prep"][2])
        return st

    def chunks(self, rows: int) -> Iterator[Any]:
        copies, codes, _ = self._prepared()
        kind = self.kind
        parts_report: list[dict[str, Any]] = []
        pending: list[pl.DataFrame] = []
        n_pending = 0
        for pi, (part, src, cp, sc) in enumerate(zip(self.parts, self.sources, copies, codes)):
            pos = 0
            for df in _frames(src, self.read_rows):
                c = cp[pos:pos + df.height]
                extra = [] if sc is None else [pl.Series("_split", sc[pos:pos + df.height])]
                pos += df.height
                if not (c == 1).all():
                    df = df.with_columns(pl.Series("_copies", c, pl.Int64), *extra).filter(pl.col("_copies") > 0)
                    if df.height == 0:
                        continue
                    df = df.with_columns(pl.int_ranges(0, pl.col("_copies")).alias("_copy")).explode("_copy")
                else:  # every row once (no copies to make)
                    df = df.with_columns(pl.lit(0, pl.Int64).alias("_copy"), *extra)
                if sc is not None:
                    df = df.with_columns(_SPLIT_NAMES.gather(df["_split"]).alias("split"))
                pending.append(self._finish_rows(df, pi, part, src, kind))
                n_pending += pending[-1].height
                while n_pending >= rows:
                    block = pl.concat(pending, how="vertical_relaxed")
                    head, rest = block.head(rows), block.slice(rows)
                    yield head
                    pending, n_pending = ([rest] if rest.height else []), rest.height
            parts_report.append({"origin": part.origin, "input": src.name, "version": src.version(),
                                 "rows_in": int(len(cp)), "rows_out": int(cp.sum()), "weight": part.weight,
                                 "cap": part.cap, "tag": part.tag})
        if pending:
            yield pl.concat(pending, how="vertical_relaxed")
        self.report = {"parts": parts_report, "temperature": self.temperature,
                       "rows_out": int(sum(int(c.sum()) for c in copies))}
        if self.split is not None:
            self.report["split"] = {"dev": self.split.dev, "test": self.split.test}

    def _finish_rows(self, df: pl.DataFrame, pi: int, part: Part, src: Source, kind: str) -> pl.DataFrame:
        text_col = "src" if kind == "pair" else "text"
        cols: list[pl.Expr] = [pl.col(c) for c in CONTENT[kind]]
        if part.tag and kind != "tagged":
            cols = [pl.concat_str([pl.lit(part.tag + " "), pl.col(c)]).alias(c) if c == text_col else pl.col(c)
                    for c in CONTENT[kind]]
        return df.select(
            *cols,
            *[pl.col(c) for c in OPTIONAL[kind] if c in df.columns],
            pl.col("src_row"),
            pl.lit(part.origin, pl.String).alias("origin"),
            pl.col("_root").alias("root"),
            *([pl.col("split")] if self.split is not None else []),
            (pl.col("_parent") if "_parent" in df.columns else pl.lit(None, pl.String)).alias("_parent"),
            (pl.col("_meta") if "_meta" in df.columns else pl.lit("{}", pl.String)).alias("_meta"),
            pl.lit(src.name, pl.String).alias("_src_dataset"),
            pl.lit(src.version(), pl.String).alias("_src_version"),
            pl.concat_str([pl.lit(f"{pi}/{part.origin}/"), pl.col("_copy").cast(pl.String)]).alias("_id_salt"),
        )

    def _drop_leaks(self, df: pl.DataFrame, kind: str, held: dict[str, np.ndarray]) -> tuple[pl.DataFrame, pl.DataFrame]:
        if df.height == 0 or not (held["test"].size or held["validation"].size):
            return df, pl.DataFrame(schema=REJECT_SCHEMA)
        train = (df["split"] == "train").to_numpy()
        dev = (df["split"] == "validation").to_numpy()
        check = train | dev  # a test row cannot leak
        hit_test = np.zeros(df.height, dtype=bool)
        hit_dev = np.zeros(df.height, dtype=bool)
        if check.any():
            sub = df if check.all() else df.filter(pl.Series(check))
            for k in self._text_keys(sub, kind):
                hit_test[check] |= np.isin(k, held["test"])
                hit_dev[check] |= np.isin(k, held["validation"])
        leak = (train & (hit_test | hit_dev)) | (dev & hit_test)
        if not leak.any():
            return df, pl.DataFrame(schema=REJECT_SCHEMA)
        bad = df.filter(pl.Series(leak)).with_columns(
            pl.Series("_of", np.where(hit_test[leak], "test", "validation").tolist(), pl.String))
        rej = bad.select(
            pl.lit(None, pl.String).alias("id"), pl.lit("mix").alias("step"),
            pl.concat_str([pl.lit("leak: this "), pl.col("split"), pl.lit(" row repeats a "), pl.col("_of"),
                           pl.lit(" text (exactly or after normalization)")]).alias("reason"),
            pl.col("_src_dataset").alias("src_dataset"), pl.col("src_row"),
            pl.struct([c for c in (*CONTENT[kind], "origin", "root", "split")]).struct.json_encode().alias("record"))
        return df.filter(~pl.Series(leak)), rej

    def run_report(self, directory: str | Path | None = None) -> dict[str, Any]:
        """What the manifest records under ``mix``: rows per part; with a split, per split the rows,
        roots, leaks removed and rows per origin, counted in the written version ``directory``."""
        if self.split is None or directory is None or not self.report:
            return self.report
        d = Path(directory)
        stats: dict[str, dict[str, Any]] = {}
        shards = sorted((d / "data").glob("*.parquet"))
        if shards and {"split", "origin", "root"} <= set(pl.scan_parquet(shards).collect_schema().names()):
            # streamed, with each root as a 64-bit hash: memory of 8 bytes a distinct root, not the
            # root strings (polars' hash is not stable across its versions, so it only counts here)
            scan = pl.scan_parquet(shards)
            per = (scan.group_by("split").agg(pl.len().alias("rows"), pl.col("root").hash(seed=0).n_unique().alias("roots"))
                   .collect(engine="streaming"))
            org = scan.group_by("split", "origin").len().collect(engine="streaming")
            for s_, n, r in per.iter_rows():
                stats[s_] = {"rows": n, "roots": r, "leaks_removed": 0, "rows_per_origin": {}}
            for s_, o, n in org.sort("split", "origin").iter_rows():
                stats[s_]["rows_per_origin"][o] = n
        rej = sorted((d / "rejects").glob("*.parquet"))
        if rej:
            leaks = (pl.scan_parquet(rej).filter(pl.col("step") == "mix")
                     .select(pl.col("record").str.json_path_match("$.split").alias("split"))
                     .group_by("split").len().collect())
            for s_, n in leaks.iter_rows():
                stats.setdefault(s_, {"rows": 0, "roots": 0, "leaks_removed": 0, "rows_per_origin": {}})
                stats[s_]["leaks_removed"] = n
        order = {s: i for i, s in enumerate(SPLITS)}
        return {**self.report, "splits": dict(sorted(stats.items(), key=lambda kv: order.get(kv[0], 9)))}


__all__ = ["Mix", "Part", "Split", "ORIGINS", "SPLITS", "as_source"]


from ._callable import make_callable  # noqa: E402

make_callable(__name__)  # xdata.mix(...) runs the verb (xdata.api)
