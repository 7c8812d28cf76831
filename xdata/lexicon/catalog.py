"""The lexicon catalog (``lexicons/catalog.tsv``), fetching with digest checks, and statistics."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ..errors import ConfigError, InputError, XdataError
from .core import Lexicon

CATALOG = Path(__file__).resolve().parents[2] / "lexicons" / "catalog.tsv"
COLUMNS = ("name", "src_lang", "tgt_lang", "license", "format", "url", "sha256", "note")


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    src_lang: str
    tgt_lang: str
    license: str
    format: str
    url: str
    sha256: str
    note: str


def read_catalog(path: str | Path | None = None) -> dict[str, CatalogEntry]:
    """Entries by name; malformed lines raise with file and line."""
    p = Path(path) if path is not None else CATALOG
    if not p.is_file():
        raise InputError("lexicon catalog not found", path=p)
    out: dict[str, CatalogEntry] = {}
    header_seen = False
    for lineno, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if not header_seen:
            if tuple(cols) != COLUMNS:
                raise InputError(f"expected the header {' '.join(COLUMNS)}", path=p, line=lineno)
            header_seen = True
            continue
        if len(cols) != len(COLUMNS):
            raise InputError(f"expected {len(COLUMNS)} tab-separated columns, found {len(cols)}", path=p, line=lineno)
        e = CatalogEntry(*cols)
        if e.name in out:
            raise InputError(f"duplicate catalog name {e.name!r}", path=p, line=lineno)
        out[e.name] = e
    return out


class FetchError(XdataError):
    """A download failed or did not match its pinned digest."""


def fetch(name: str, dest: str | Path, *, catalog: str | Path | None = None, timeout: float = 60.0) -> Path:
    """Download catalog entry ``name`` into directory ``dest`` and verify its sha256 when pinned."""
    entries = read_catalog(catalog)
    if name not in entries:
        raise ConfigError(f"no lexicon named {name!r} in the catalog; known: {', '.join(sorted(entries))}")
    e = entries[name]
    target = Path(dest) / f"{name}.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    h = hashlib.sha256()
    try:
        with urllib.request.urlopen(e.url, timeout=timeout) as r, open(tmp, "wb") as f:  # noqa: S310 - catalog URLs
            while True:
                block = r.read(1 << 20)
                if not block:
                    break
                h.update(block)
                f.write(block)
    except (urllib.error.URLError, OSError, ValueError) as err:
        tmp.unlink(missing_ok=True)
        raise FetchError(f"could not download {name} from {e.url}: {err} (offline? download it by hand and pass "
                         "the file path instead)") from err
    digest = h.hexdigest()
    if e.sha256 and digest != e.sha256:
        tmp.unlink(missing_ok=True)
        raise FetchError(f"{name}: downloaded file has sha256 {digest}, the catalog expects {e.sha256}")
    tmp.replace(target)
    return target


def stats(lex: Lexicon, corpus: Iterable[list[str]] | None = None) -> dict[str, Any]:
    """Size, ambiguity and (with a tokenized corpus) token and type coverage."""
    per_src = Counter(e.src.lower() for e in lex.entries)
    out: dict[str, Any] = {
        "entries": len(lex),
        "source_types": len(per_src),
        "target_types": len({e.tgt.lower() for e in lex.entries}),
        "multiword_entries": sum(1 for e in lex.entries if " " in e.src or " " in e.tgt),
        "mean_translations_per_source": round(len(lex) / max(len(per_src), 1), 3),
        "max_translations_per_source": max(per_src.values(), default=0),
        "ambiguous_sources": sum(1 for n in per_src.values() if n > 1),
        "digest": lex.digest,
        **{k: v for k, v in lex.meta.items() if k in ("src_lang", "tgt_lang", "license", "source", "version")},
    }
    if corpus is not None:
        tokens = types_total = covered_tokens = 0
        seen: Counter[str] = Counter()
        for sent in corpus:
            for tok in sent:
                tokens += 1
                seen[tok.lower()] += 1
                if lex.lookup(tok):
                    covered_tokens += 1
        types_total = len(seen)
        covered_types = sum(1 for t in seen if lex.lookup(t))
        out.update({"corpus_tokens": tokens, "token_coverage": covered_tokens / tokens if tokens else 0.0,
                    "corpus_types": types_total, "type_coverage": covered_types / types_total if types_total else 0.0})
    return out
