"""The lexicon catalog (``lexicons/catalog.tsv``), fetching with digest checks, and statistics."""

from __future__ import annotations

import hashlib
import re
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ..errors import ConfigError, InputError, XdataError
from .core import Lexicon, load_lexicon

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
        if not _SLUG.match(e.name):
            raise InputError(f"catalog name {e.name!r} is not a slug (a-z, 0-9, '.', '_', '-')", path=p, line=lineno)
        if e.name in out:
            raise InputError(f"duplicate catalog name {e.name!r}", path=p, line=lineno)
        out[e.name] = e
    return out


class FetchError(XdataError):
    """A download failed, was not allowed, or did not match its pinned digest."""


_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


def check_entry(e: CatalogEntry, *, catalog: Path, allowed_root: Path | None = None,
                sha256: str | None = None) -> tuple[str, str]:
    """The download policy: (url, expected sha256 in lower case) or :class:`FetchError` saying why not.

    * names are slugs (lower-case letters, digits, ``.``, ``_``, ``-``): never a path;
    * URLs are ``https://``, or ``file://`` inside ``allowed_root`` (default: the catalog's
      own directory); no other scheme (``http:``, ``ftp:``, ``data:``, ...);
    * a sha256 is required (from the catalog or given by the caller) and compared in any case.
    """
    if not _SLUG.match(e.name) or ".." in e.name:
        raise FetchError(f"catalog name {e.name!r} is not a slug (a-z, 0-9, '.', '_', '-'); refusing to use it as a file name")
    url = e.url.strip()
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        root = (allowed_root or catalog.parent).resolve()
        target = Path(urllib.request.url2pathname(parsed.path)).resolve()
        if parsed.netloc not in ("", "localhost") or not target.is_relative_to(root):
            raise FetchError(f"{e.name}: file URL {url} points outside the allowed directory {root}")
    elif parsed.scheme != "https" or not parsed.netloc:
        raise FetchError(f"{e.name}: URL {url!r} is not https:// (or file:// inside the catalog's directory); refusing it")
    want = (sha256 or e.sha256 or "").strip()
    if not want:
        raise FetchError(f"{e.name}: the catalog pins no sha256, so the download could not be verified; download it "
                         "by hand and check it, or pass the expected digest (xdata lexicon fetch NAME --sha256 HEX)")
    if not _SHA256.match(want):
        raise FetchError(f"{e.name}: {want!r} is not a sha256 (64 hexadecimal characters)")
    return url, want.lower()


def fetch(name: str, dest: str | Path, *, catalog: str | Path | None = None, timeout: float = 60.0,
          sha256: str | None = None, allowed_root: str | Path | None = None) -> Path:
    """Download catalog entry ``name`` into directory ``dest``; keep it only if its sha256 matches
    and it reads as a lexicon (see :func:`check_entry` for what is allowed)."""
    cat = Path(catalog) if catalog is not None else CATALOG
    entries = read_catalog(cat)
    if name not in entries:
        raise ConfigError(f"no lexicon named {name!r} in the catalog; known: {', '.join(sorted(entries))}")
    e = entries[name]
    url, want = check_entry(e, catalog=cat, allowed_root=Path(allowed_root) if allowed_root else None, sha256=sha256)
    dest_dir = Path(dest)
    target = dest_dir / f"{e.name}.txt"
    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    h = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r, open(tmp, "wb") as f:  # noqa: S310 - checked above
            while True:
                block = r.read(1 << 20)
                if not block:
                    break
                h.update(block)
                f.write(block)
    except (urllib.error.URLError, OSError, ValueError) as err:
        tmp.unlink(missing_ok=True)
        raise FetchError(f"could not download {name} from {url}: {err} (offline? download it by hand and pass "
                         "the file path instead)") from err
    digest = h.hexdigest()
    if digest != want:
        tmp.unlink(missing_ok=True)
        raise FetchError(f"{name}: downloaded file has sha256 {digest}, expected {want}; not kept")
    try:
        load_lexicon(tmp)
    except XdataError as err:
        tmp.unlink(missing_ok=True)
        raise FetchError(f"{name}: the downloaded file is not a lexicon ({err}); not kept") from None
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
