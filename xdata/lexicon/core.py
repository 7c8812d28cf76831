"""The Lexicon type and its reader."""

from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..hashing import digest_file, digest_value
from ..io.files import open_binary
from ..langs import parse_lang


def lookup_key(word: str) -> str:
    """The normalized form lookups compare: NFC, case-folded, typographic apostrophes straightened."""
    return unicodedata.normalize("NFC", word).casefold().replace("\u2019", "'").replace("\u02bc", "'")


@dataclass(frozen=True)
class Entry:
    """One lexicon entry: ``src`` translates to ``tgt`` (either may be several words)."""

    src: str
    tgt: str
    pos: str | None = None
    prob: float | None = None
    note: str | None = None
    line: int = 0


@dataclass
class Lexicon:
    """A bilingual lexicon from ``src_lang`` to ``tgt_lang``, indexed for lookup."""

    entries: list[Entry]
    src_lang: str | None = None
    tgt_lang: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    digest: str = ""
    path: str | None = None
    stem_prefix: int = 0  # > 0: also match words sharing their first N letters (prefix stemming)
    _index: dict[str, list[Entry]] = field(default_factory=dict, repr=False)
    _lower: dict[str, list[Entry]] = field(default_factory=dict, repr=False)
    _norm: dict[str, list[Entry]] = field(default_factory=dict, repr=False)
    _stem: dict[str, list[Entry]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.digest:
            self.digest = digest_value([(e.src, e.tgt, e.pos, e.prob) for e in self.entries], 64)
        idx: dict[str, list[Entry]] = defaultdict(list)
        low: dict[str, list[Entry]] = defaultdict(list)
        norm: dict[str, list[Entry]] = defaultdict(list)
        stem: dict[str, list[Entry]] = defaultdict(list)
        for e in self.entries:
            idx[e.src].append(e)
            low[e.src.lower()].append(e)
            norm[lookup_key(e.src)].append(e)
            if self.stem_prefix and " " not in e.src and len(e.src) >= self.stem_prefix:
                stem[lookup_key(e.src)[: self.stem_prefix]].append(e)
        self._max_words = max((len(e.src.split()) for e in self.entries), default=1)
        self._index = dict(idx)
        self._lower = dict(low)
        self._norm = dict(norm)
        self._stem = dict(stem)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def max_src_words(self) -> int:
        """Words in the longest source side (for longest-first multiword matching)."""
        return self._max_words

    def lookup(self, word: str, *, ignore_case: bool = True) -> list[Entry]:
        """Entries for ``word``: exact, else lower-cased, else normalized (NFC, case-folded,
        curly apostrophes straightened), else (with ``stem_prefix``) by shared prefix."""
        hit = self._index.get(word)
        if hit or not ignore_case:
            return hit or []
        hit = self._lower.get(word.lower())
        if hit:
            return hit
        key = lookup_key(word)
        hit = self._norm.get(key)
        if hit:
            return hit
        if self.stem_prefix and len(key) >= self.stem_prefix and " " not in key:
            return self._stem.get(key[: self.stem_prefix], [])
        return []

    def with_stemming(self, prefix: int) -> "Lexicon":
        """The same lexicon also matching words by their first ``prefix`` letters."""
        return Lexicon(self.entries, self.src_lang, self.tgt_lang, self.meta, self.digest, self.path, prefix)

    def __contains__(self, word: str) -> bool:
        return bool(self.lookup(word))

    def reversed(self) -> "Lexicon":
        """The same lexicon read target -> source (e.g. to translate xx -> en with an en-xx file)."""
        ents = [Entry(e.tgt, e.src, e.pos, e.prob, e.note, e.line) for e in self.entries]
        return Lexicon(ents, self.tgt_lang, self.src_lang, {**self.meta, "reversed": "true"},
                       self.digest, self.path, self.stem_prefix)

    def describe(self) -> dict[str, Any]:
        return {"path": Path(self.path).name if self.path else None, "src_lang": self.src_lang,
                "tgt_lang": self.tgt_lang, "entries": len(self.entries), "digest": self.digest, **self.meta}


def _header_item(line: str) -> dict[str, str]:
    """A ``# key: value`` header line as {key: value} (lower-case key); {} for another comment."""
    if not line.startswith("#") or ":" not in line:
        return {}
    k, v = line[1:].split(":", 1)
    return {k.strip().lower(): v.strip()}


def read_header(path: str | Path) -> dict[str, str]:
    """A lexicon's ``# key: value`` header only (its entries are not read)."""
    meta: dict[str, str] = {}
    with open_binary(path) as fh:
        for raw in fh:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line.strip():
                continue
            if not line.startswith("#"):
                break
            meta.update(_header_item(line))
    return meta


def load_lexicon(path: str | Path, *, src_lang: str | None = None, tgt_lang: str | None = None,
                 fmt: str = "auto") -> Lexicon:
    """Read a MUSE or TSV lexicon with an optional ``# key: value`` header.

    Bad lines raise :class:`InputError` with the file and line number.
    """
    p = Path(path)
    meta: dict[str, str] = {}
    entries: list[Entry] = []
    with open_binary(p) as fh:
        in_header = True
        for lineno, raw in enumerate(fh, 1):
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as e:
                raise InputError(f"invalid UTF-8 at byte {e.start}; expected UTF-8 text", path=p, line=lineno) from e
            if not line.strip():
                continue
            if line.startswith("#"):
                if in_header:
                    meta.update(_header_item(line))
                continue
            in_header = False
            use_tsv = fmt == "tsv" or (fmt == "auto" and "\t" in line)
            if use_tsv:
                cols = line.split("\t")
                if len(cols) < 2 or len(cols) > 5:
                    raise InputError(
                        f"expected 2 to 5 tab-separated columns (source, target, pos, prob, note), found {len(cols)}",
                        path=p, line=lineno)
                src, tgt = cols[0].strip(), cols[1].strip()
                pos = cols[2].strip() or None if len(cols) > 2 else None
                prob = None
                if len(cols) > 3 and cols[3].strip():
                    try:
                        prob = float(cols[3])
                    except ValueError as e:
                        raise InputError(f"probability column holds {cols[3]!r}, expected a number", path=p,
                                         line=lineno) from e
                    if not math.isfinite(prob) or prob < 0:
                        raise InputError(f"probability column holds {cols[3]!r}, expected a finite number >= 0",
                                         path=p, line=lineno)
                note = cols[4].strip() or None if len(cols) > 4 else None
            else:
                cols = line.split()
                if len(cols) != 2:
                    raise InputError(
                        f"expected 'source target' (2 space-separated words, MUSE format), found {len(cols)} fields; "
                        "use tab-separated columns for multiword entries", path=p, line=lineno)
                src, tgt, pos, prob, note = cols[0], cols[1], None, None, None
            if "\x00" in line:
                raise InputError("NUL byte: this is a binary file, not a lexicon", path=p, line=lineno)
            if not src or not tgt:
                raise InputError("empty source or target word", path=p, line=lineno)
            entries.append(Entry(src, tgt, pos, prob, note, lineno))
    if not entries:
        raise InputError("lexicon has no entries", path=p)
    sl = src_lang or meta.get("src_lang")
    tl = tgt_lang or meta.get("tgt_lang")
    return Lexicon(entries, parse_lang(sl) if sl else None, parse_lang(tl) if tl else None, meta,
                   digest_file(p), str(p))
