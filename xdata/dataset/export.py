"""Exports that trainers read directly, each recording the version it came from.

Formats (``FORMATS``), one file set per split (the rows' ``split`` column; a dataset without one
is all ``train``):

* ``hf``       -- a Hugging Face dataset directory (recipes write one per version, see
  :func:`export_dir`): ``data/SPLIT-00000-of-00001.parquet`` and a
  ``README.md`` whose YAML ``configs`` names them; ``datasets.load_dataset(DIR)`` returns a
  ``DatasetDict``. Pair rows become ``{"translation": {SRC: ..., TGT: ...}}`` (one language pair
  per dataset), text and tagged rows keep their columns; ``id`` and ``origin`` are kept; tagged
  rows also get ``soft_labels`` / ``soft_probs`` (per token, a teacher's top-k labels and their
  probabilities; null for rows without).
* ``parallel`` -- pair rows as line-aligned plain text: ``SPLIT.SRC``, ``SPLIT.TGT`` and
  ``SPLIT.ids`` (the row id of each line) for Marian, fairseq and OpenNMT. A line break inside a
  text would shift every later line, so it becomes a space (counted in the record).
* ``jsonl``    -- ``SPLIT.jsonl``: pair rows as ``{"id", "origin", "translation": {SRC, TGT}}``,
  other rows with their content columns; tagged rows labelled by a teacher (``teach`` or
  ``pseudolabel``) also carry ``soft``: per token its ``[[label, p], ...]`` (top-k), for a
  distillation loss.
* ``conll``    -- tagged rows: ``SPLIT.conll``, ``TOKEN<TAB>TAG`` lines, a blank line after each
  sentence (CoNLL-2003 style), and ``SPLIT.ids``.
* ``conllu``   -- tagged rows: ``SPLIT.conllu`` with ``# sent_id`` (the row id) and ``# text``;
  tags go in UPOS when every tag is a Universal POS tag, else in MISC as ``Tag=...``.

Every export directory holds ``xdata-export.json``: the dataset's name, version and content
digest, the format, rows per split and the sha256 of each file. It is written into a temporary
sibling and renamed into place; an export of the same version already there is kept.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
from pathlib import Path
from typing import Any, Callable, Iterator

import polars as pl

from ..errors import ConfigError
from ..hashing import digest_file
from .manifest import read_manifest
from .shards import read_shard

FORMATS = ("hf", "parallel", "jsonl", "conll", "conllu")
RECORD = "xdata-export.json"
SPLIT_ORDER = ("train", "validation", "test")
UPOS = {"ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT",
        "SCONJ", "SYM", "VERB", "X"}
KINDS_OF = {"hf": ("text", "pair", "tagged"), "parallel": ("pair",), "jsonl": ("text", "pair", "tagged"),
            "conll": ("tagged",), "conllu": ("tagged",)}


def _batches(d: Path, m: dict[str, Any], columns: list[str]) -> Iterator[pl.DataFrame]:
    """The dataset's rows, shard by shard, with a ``split`` column (``train`` when it has none)."""
    have = set((m.get("schema") or {}).keys())
    for s in m["shards"]:
        df = read_shard(d, s["path"], [c for c in columns if c in have])
        if "split" not in df.columns:
            df = df.with_columns(pl.lit("train").alias("split"))
        if "origin" in columns and "origin" not in df.columns:
            df = df.with_columns(pl.lit(None, pl.String).alias("origin"))
        yield df


def _one_pair(d: Path, m: dict[str, Any]) -> tuple[str, str]:
    pairs = sorted({(a, b) for s in m["shards"] for a, b in
                    read_shard(d, s["path"], ["src_lang", "tgt_lang"]).unique().iter_rows()})
    if len(pairs) != 1:
        raise ConfigError(f"{d}: this format holds one language pair, the dataset has {len(pairs)}: "
                          + ", ".join(f"{a}-{b}" for a, b in pairs[:5]) + "; use the jsonl export")
    return pairs[0]


def _flat(col: str) -> pl.Expr:
    return pl.col(col).str.replace_all(r"[\r\n\u2028\u2029\x0b\x0c\x85]+", " ")


class _Files:
    """Text files opened on demand, one per name, appended to in order."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.fh: dict[str, Any] = {}

    def write(self, name: str, text: str) -> None:
        if name not in self.fh:
            self.fh[name] = open(self.root / name, "w", encoding="utf-8", newline="\n")
        self.fh[name].write(text)

    def close(self) -> None:
        for f in self.fh.values():
            f.close()


def _export_hf(d: Path, m: dict[str, Any], tmp: Path) -> dict[str, int]:
    import pyarrow.parquet as pq

    kind = m["kind"]
    (tmp / "data").mkdir()
    if kind == "pair":
        sl, tl = _one_pair(d, m)
        cols = ["id", "src", "tgt", "origin", "split"]
        select = [pl.col("id"), pl.struct(pl.col("src").alias(sl), pl.col("tgt").alias(tl)).alias("translation"),
                  pl.col("origin")]
    else:
        content = ["lang", "text"] if kind == "text" else ["lang", "tokens", "tags"]
        cols = ["id", *content, "origin", "split", *(["meta"] if kind == "tagged" else [])]
        select = [pl.col(c) for c in ["id", *content, "origin"]]
        if kind == "tagged":  # soft labels of a teacher, per token: labels and probabilities (null: none)
            select += [pl.col("soft_labels"), pl.col("soft_probs")]
    writers: dict[str, Any] = {}
    rows: dict[str, int] = {}
    try:
        for df in _batches(d, m, cols):
            if kind == "tagged":
                soft = [_soft_labels(x) for x in (df["meta"].to_list() if "meta" in df.columns else [None] * df.height)]
                df = df.with_columns(
                    pl.Series("soft_labels", [None if s is None else [[str(q[0]) for q in tok] for tok in s] for s in soft],
                              pl.List(pl.List(pl.String))),
                    pl.Series("soft_probs", [None if s is None else [[float(q[1]) for q in tok] for tok in s] for s in soft],
                              pl.List(pl.List(pl.Float64))))
            for (split,), part in df.group_by(["split"], maintain_order=True):
                t = part.select(select).to_arrow()
                w = writers.get(split)
                if w is None:
                    w = writers[split] = pq.ParquetWriter(tmp / "data" / f"{split}-00000-of-00001.parquet", t.schema)
                w.write_table(t)
                rows[str(split)] = rows.get(str(split), 0) + part.height
    finally:
        for w in writers.values():
            w.close()
    splits = [s for s in SPLIT_ORDER if s in rows] + sorted(s for s in rows if s not in SPLIT_ORDER)
    yaml = ["---", "configs:", "- config_name: default", "  data_files:"]
    for s in splits:
        yaml += [f"  - split: {s}", f"    path: data/{s}-*.parquet"]
    yaml += [f"license: {m.get('license', 'other')}", "---", ""]
    body = [f"# {m['name']} (xdata export)", "",
            f"Exported from dataset `{m['name']}` version `{m['version']}` (content digest "
            f"`{m['content_digest'][:16]}`), a {kind} dataset written by xdata.", "",
            "| split | rows |", "|---|---:|", *[f"| {s} | {rows[s]:,} |" for s in splits], "",
            "Load it with `datasets.load_dataset(\"PATH/TO/THIS/DIRECTORY\")`; the provenance of every row "
            "(by its `id`) is in the dataset version it came from (`xdata trace`).", ""]
    (tmp / "README.md").write_text("\n".join(yaml + body), encoding="utf-8")
    return rows


def _export_parallel(d: Path, m: dict[str, Any], tmp: Path) -> dict[str, int]:
    sl, tl = _one_pair(d, m)
    files = _Files(tmp)
    rows: dict[str, int] = {}
    try:
        for df in _batches(d, m, ["id", "src", "tgt", "split"]):
            df = df.with_columns(_flat("src"), _flat("tgt"))
            for (split,), part in df.group_by(["split"], maintain_order=True):
                for col, ext in (("src", sl), ("tgt", tl), ("id", "ids")):
                    files.write(f"{split}.{ext}", "".join(f"{x}\n" for x in part[col].to_list()))
                rows[str(split)] = rows.get(str(split), 0) + part.height
    finally:
        files.close()
    return rows


def _export_jsonl(d: Path, m: dict[str, Any], tmp: Path) -> dict[str, int]:
    kind = m["kind"]
    files = _Files(tmp)
    rows: dict[str, int] = {}
    content = {"pair": ["src_lang", "src", "tgt_lang", "tgt"], "text": ["lang", "text"],
               "tagged": ["lang", "tokens", "tags"]}[kind]
    try:
        for df in _batches(d, m, ["id", *content, "origin", "split", *(["meta"] if kind == "tagged" else [])]):
            for (split,), part in df.group_by(["split"], maintain_order=True):
                lines = []
                for r in part.iter_rows(named=True):
                    if kind == "pair":
                        rec = {"id": r["id"], "origin": r["origin"],
                               "translation": {r["src_lang"]: r["src"], r["tgt_lang"]: r["tgt"]}}
                    else:
                        rec = {"id": r["id"], "origin": r["origin"], **{c: r[c] for c in content}}
                        soft = _soft_labels(r.get("meta"))
                        if soft is not None:
                            rec["soft"] = soft
                    lines.append(json.dumps(rec, ensure_ascii=False) + "\n")
                files.write(f"{split}.jsonl", "".join(lines))
                rows[str(split)] = rows.get(str(split), 0) + part.height
    finally:
        files.close()
    return rows


def _soft_labels(meta: str | None) -> list[list[list[Any]]] | None:
    """Per token, the ``[[label, p], ...]`` a teacher gave it (``teach`` or ``pseudolabel`` step;
    ``[]`` for a token without one), for a distillation loss; None for rows without soft labels."""
    if not meta:
        return None
    rec = json.loads(meta)
    for key in ("pseudolabel", "teach"):
        if isinstance(rec.get(key), dict) and "top" in rec[key]:
            top = rec[key]["top"]
            return top if isinstance(top, list) else None
    return None


def _tag_sets(d: Path, m: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for s in m["shards"]:
        out.update(read_shard(d, s["path"], ["tags"])["tags"].explode().drop_nulls().unique().to_list())
    return out


def _export_conll(d: Path, m: dict[str, Any], tmp: Path, *, conllu: bool) -> dict[str, int]:
    upos = conllu and _tag_sets(d, m) <= UPOS
    files = _Files(tmp)
    rows: dict[str, int] = {}
    ext = "conllu" if conllu else "conll"
    try:
        for df in _batches(d, m, ["id", "tokens", "tags", "split"]):
            for (split,), part in df.group_by(["split"], maintain_order=True):
                out: list[str] = []
                ids: list[str] = []
                for rid, toks, tags in part.select("id", "tokens", "tags").iter_rows():
                    toks = [_clean_token(t) for t in toks]
                    if conllu:
                        out += [f"# sent_id = {rid}", "# text = " + " ".join(toks)]
                        for i, (t, g) in enumerate(zip(toks, tags), 1):
                            cols = [str(i), t, "_", g if upos else "_", "_", "_", "_", "_", "_",
                                    "_" if upos else f"Tag={_clean_token(g)}"]
                            out.append("\t".join(cols))
                    else:
                        out += [f"{t}\t{_clean_token(g)}" for t, g in zip(toks, tags)]
                        ids.append(f"{rid}\n")
                    out.append("")
                files.write(f"{split}.{ext}", "".join(x + "\n" for x in out))
                if ids:
                    files.write(f"{split}.ids", "".join(ids))
                rows[str(split)] = rows.get(str(split), 0) + part.height
    finally:
        files.close()
    return rows


def _clean_token(t: str) -> str:
    """A token that cannot break the column format (tabs, line breaks and spaces become '_')."""
    return "".join("_" if ch in "\t\r\n " or ch in "\u2028\u2029\x0b\x0c\x85" else ch for ch in t) or "_"


WRITERS: dict[str, Callable[[Path, dict[str, Any], Path], dict[str, int]]] = {
    "hf": _export_hf,
    "parallel": _export_parallel,
    "jsonl": _export_jsonl,
    "conll": lambda d, m, t: _export_conll(d, m, t, conllu=False),
    "conllu": lambda d, m, t: _export_conll(d, m, t, conllu=True),
}


def export_dir(base: str | Path, fmt: str, manifest: dict[str, Any]) -> Path:
    """Where a recipe or ``xdata mix`` puts an export: ``BASE/FORMAT``, and for ``hf``
    ``BASE/hf/NAME-VERSION``: the datasets library caches a local dataset by its directory's name,
    so a directory per version keeps it from serving an older export."""
    b = Path(base) / fmt
    return b / f"{manifest['name']}-{manifest['version']}" if fmt == "hf" else b


def export(directory: str | Path, target: str | Path, fmt: str, *, overwrite: bool = True) -> dict[str, Any]:
    """Export the dataset version ``directory`` to ``target`` in ``fmt``; returns the export record
    with ``status``: ``written``, or ``reused`` when ``target`` already holds this version's export."""
    d = Path(directory)
    m = read_manifest(d)
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if m["kind"] not in KINDS_OF[fmt]:
        raise ConfigError(f"{d}: the {fmt} export takes {' or '.join(KINDS_OF[fmt])} rows; this dataset holds "
                          f"{m['kind']} rows")
    target = Path(os.path.abspath(target))
    old = _read_record(target)
    if old is not None and old.get("version") == m["version"] and old.get("format") == fmt \
            and old.get("content_digest") == m["content_digest"] and _files_ok(target, old):
        return {**old, "status": "reused"}
    if target.exists() and (not target.is_dir() or (any(target.iterdir()) and old is None)):
        raise ConfigError(f"export target {target} exists and is not an xdata export; choose another directory")
    if target.exists() and not overwrite:
        raise ConfigError(f"export target {target} holds an export of another version; pass overwrite to replace it")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"cannot create {target.parent}: {e.strerror}") from e
    tmp = target.with_name(f".{target.name}.xdata-partial-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        rows = WRITERS[fmt](d, m, tmp)
        files = {str(p.relative_to(tmp)): digest_file(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
        record = {"dataset": m["name"], "version": m["version"], "content_digest": m["content_digest"],
                  "kind": m["kind"], "format": fmt, "rows": sum(rows.values()),
                  "splits": {s: rows[s] for s in [*SPLIT_ORDER, *sorted(rows)] if s in rows},
                  "files": files,
                  "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()}
        (tmp / RECORD).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if target.exists():
            aside = target.with_name(f".{target.name}.xdata-old-{os.getpid()}")
            os.rename(target, aside)
            os.rename(tmp, target)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {**record, "status": "written"}


def _read_record(target: Path) -> dict[str, Any] | None:
    try:
        rec = json.loads((target / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) else None


def _files_ok(target: Path, rec: dict[str, Any]) -> bool:
    files = rec.get("files") or {}
    return all((target / f).is_file() and digest_file(target / f) == h for f, h in files.items())


__all__ = ["export", "export_dir", "FORMATS", "RECORD"]
