"""Unicode and per-language normalization, with offsets.

``normalize(text, lang)`` applies, in order:

1. the Unicode normalization form (NFC by default, NFKC on request);
2. removal of control and invisible format characters (zero-width space, BOM, soft hyphen,
   bidi controls), keeping ZWJ/ZWNJ for scripts that need them (Arabic script, Brahmic);
3. punctuation variants to their plain forms (curly quotes, dashes, ellipsis, full-width
   ASCII) without touching script-specific punctuation (Arabic comma and question mark,
   danda, Ethiopic full stop are not in the table);
4. the language's rules, loaded from the data files in ``rules/`` (letter variants,
   tatweel, digits);
5. whitespace unified (every space separator and tab to one space, trimmed).

``normalize_with_offsets`` returns the text and, for each output character, the index of
the input character it came from, so spans survive normalization.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from ..errors import ConfigError, InputError
from ..langs import base_lang, lang_script

RULES_DIR = Path(__file__).resolve().parent / "rules"

# Punctuation variants -> plain forms (script-specific punctuation is deliberately absent).
PUNCT = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...", "\u00a0": " ", "\u3000": " ",
}
PUNCT.update({chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)})  # full-width ASCII forms
JOINERS = {"\u200c", "\u200d"}
_INVISIBLE = {"\u200b", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u200f", "\u061c",
              *(chr(c) for c in range(0x202A, 0x202F)), *(chr(c) for c in range(0x2066, 0x206A))}
_JOINER_SCRIPTS = {"Arab", "Deva", "Beng", "Guru", "Gujr", "Orya", "Taml", "Telu", "Knda", "Mlym", "Sinh", "Mymr", "Khmr"}
DIGITS = {
    "ascii": "0123456789",
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "extended-arabic-indic": "۰۱۲۳۴۵۶۷۸۹",
    "devanagari": "०१२३४५६७८९",
    "bengali": "০১২৩৪৫৬৭৮৯",
}
HARAKAT = {chr(c) for c in range(0x064B, 0x0653)} | {"\u0670"}


@dataclass(frozen=True)
class LangRules:
    lang: str
    mapping: tuple[tuple[str, str], ...]
    lossy: tuple[tuple[str, str], ...]
    digits: str | None
    keeps_joiners: bool
    source: str


@lru_cache(maxsize=1)
def _rule_files() -> dict[str, LangRules]:
    """Every language's rules from rules/*.json, validated once."""
    out: dict[str, LangRules] = {}
    for path in sorted(RULES_DIR.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise InputError(f"rule file is not valid JSON: {e.msg}", path=path, line=e.lineno) from e
        for key in ("name", "description", "languages"):
            if key not in data:
                raise InputError(f"rule file lacks {key!r}", path=path)
        for lang, spec in data["languages"].items():
            unknown = set(spec) - {"map", "lossy_map", "digits"}
            if unknown:
                raise InputError(f"language {lang!r}: unknown rule keys {sorted(unknown)}", path=path)
            mapping = spec.get("map", {})
            lossy = spec.get("lossy_map", {})
            for m in (mapping, lossy):
                if not isinstance(m, dict) or not all(isinstance(k, str) and k and isinstance(v, str) for k, v in m.items()):
                    raise InputError(f"language {lang!r}: maps must be non-empty strings to strings", path=path)
            digits = spec.get("digits")
            if digits is not None and digits not in DIGITS:
                raise InputError(f"language {lang!r}: digits must be one of {sorted(DIGITS)}", path=path)
            if lang in out:
                raise InputError(f"language {lang!r} has rules in two files ({out[lang].source})", path=path)
            out[lang] = LangRules(lang, tuple(sorted(mapping.items(), key=lambda kv: -len(kv[0]))),
                                  tuple(sorted(lossy.items(), key=lambda kv: -len(kv[0]))), digits,
                                  bool(data.get("keeps_joiners", False)), path.name)
    return out


def rules_for(lang: str | None) -> LangRules | None:
    if not lang:
        return None
    return _rule_files().get(base_lang(lang))


NormalForm = Literal["NFC", "NFD", "NFKC", "NFKD"]


@dataclass(frozen=True)
class Options:
    form: NormalForm = "NFC"
    controls: bool = True
    punct: bool = True
    rules: bool = True
    harakat: bool = False  # remove Arabic vowel marks (lossy)
    digits: str | None = None  # override the language's digit set (e.g. "ascii")
    whitespace: bool = True
    lossy: bool = False  # also apply the language's lossy rules (e.g. chandrabindu -> anusvara)
    mojibake: bool = False  # repair mojibake first with ftfy (opt-in: it guesses)


@lru_cache(maxsize=256)
def _ops(lang: str | None, opts: Options) -> tuple[dict[str, str], tuple[tuple[str, str], ...], bool]:
    """The single-character table, multi-character rules, and whether joiners stay."""
    if opts.form not in ("NFC", "NFKC", "NFD", "NFKD"):
        raise ConfigError(f"normalization form must be NFC, NFKC, NFD or NFKD, got {opts.form!r}")
    rules = rules_for(lang) if opts.rules else None
    script = None
    if lang:
        try:
            script = lang_script(lang)
        except ConfigError:
            script = None
    keep_joiners = (rules is not None and rules.keeps_joiners) or script in _JOINER_SCRIPTS
    table: dict[str, str] = {}
    if opts.controls:
        for ch in _INVISIBLE:
            table[ch] = ""
        if not keep_joiners:
            for ch in JOINERS:
                table[ch] = ""
    if opts.punct:
        table.update(PUNCT)
    multi: list[tuple[str, str]] = []
    if rules is not None:
        for src, tgt in rules.mapping + (rules.lossy if opts.lossy else ()):
            if len(src) == 1:
                table[src] = tgt
            else:
                multi.append((src, tgt))
    digits = opts.digits or (rules.digits if rules else None)
    if digits:
        if digits not in DIGITS:
            raise ConfigError(f"digits must be one of {sorted(DIGITS)}, got {digits!r}")
        for name, ds in DIGITS.items():
            if name != digits and (name != "ascii" or opts.digits == digits):
                table.update({a: b for a, b in zip(ds, DIGITS[digits])})
    if opts.harakat:
        table.update({ch: "" for ch in HARAKAT})
    return table, tuple(multi), keep_joiners


def normalize_with_offsets(text: str, lang: str | None = None, **options: Any) -> tuple[str, list[int]]:
    """Normalize ``text``; also return, for each output character, its input index."""
    opts = Options(**options)
    table, multi, _ = _ops(lang, opts)
    if opts.mojibake:
        text = _fix_mojibake(text)
    # 1. Unicode form, cluster by cluster (a starter and its combining marks), so every
    #    output character maps back to the cluster's first input character.
    chars: list[str] = []
    idx: list[int] = []
    i = 0
    n = len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        cluster = unicodedata.normalize(opts.form, text[i:j])
        chars.extend(cluster)
        idx.extend([i] * len(cluster))
        i = j
    s = "".join(chars)
    whole = unicodedata.normalize(opts.form, text)
    if s != whole:
        # Composition across starters (e.g. Hangul jamo): take the true normal form and
        # align it to the input.
        s, idx = whole, _align(text, whole)
    # 2-4. Multi-character rules, then the character table.
    out: list[str] = []
    out_idx: list[int] = []
    k = 0
    while k < len(s):
        for src, tgt in multi:
            if s.startswith(src, k):
                out.extend(tgt)
                out_idx.extend([idx[k]] * len(tgt))
                k += len(src)
                break
        else:
            ch = s[k]
            rep = table.get(ch, ch)
            if opts.controls and rep == ch and unicodedata.category(ch) == "Cc" and not ch.isspace():
                rep = ""
            out.extend(rep)
            out_idx.extend([idx[k]] * len(rep))
            k += 1
    # 5. Whitespace: runs of space separators (and tabs/newlines) -> one space, trimmed.
    if opts.whitespace:
        res: list[str] = []
        res_idx: list[int] = []
        for ch, at in zip(out, out_idx):
            if ch.isspace():
                if res and res[-1] != " ":
                    res.append(" ")
                    res_idx.append(at)
            else:
                res.append(ch)
                res_idx.append(at)
        if res and res[-1] == " ":
            res.pop()
            res_idx.pop()
        out, out_idx = res, res_idx
    return "".join(out), out_idx


def _align(src: str, out: str) -> list[int]:
    """For each character of ``out``, an index into ``src`` (monotone, via matching blocks)."""
    import difflib

    res = [0] * len(out)
    sm = difflib.SequenceMatcher(a=src, b=out, autojunk=False)
    prev_b = 0
    for a, b, size in sm.get_matching_blocks():
        for k in range(prev_b, b):  # unmatched output chars map to the next matched input char
            res[k] = min(a, len(src) - 1) if src else 0
        for k in range(size):
            res[b + k] = a + k
        prev_b = b + size
    return res


@lru_cache(maxsize=256)
def _translation(lang: str | None, opts: Options) -> tuple[dict[int, str], tuple[tuple[str, str], ...]]:
    table, multi, _ = _ops(lang, opts)
    trans: dict[int, str] = {ord(k): v for k, v in table.items()}
    if opts.controls:  # C0/C1 controls other than tab and newline (whitespace handles those)
        for c in (*range(0, 32), *range(127, 160)):
            if chr(c) not in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85":
                trans.setdefault(c, "")
    return trans, multi


def normalize(text: str, lang: str | None = None, **options: Any) -> str:
    """Normalize ``text`` for language ``lang`` (see the module docstring for the steps).

    The same result as :func:`normalize_with_offsets`, without the offset bookkeeping: one
    normalization call, string replaces for multi-character rules, one ``str.translate``.
    """
    opts = Options(**options)
    trans, multi = _translation(lang, opts)
    if opts.mojibake:
        text = _fix_mojibake(text)
    s = unicodedata.normalize(opts.form, text)
    for src, tgt in multi:
        if src in s:
            s = s.replace(src, tgt)
    s = s.translate(trans)
    return " ".join(s.split()) if opts.whitespace else s


def _fix_mojibake(text: str) -> str:
    """ftfy's encoding repair only (no other fixes): offsets then index the repaired text."""
    import ftfy

    return ftfy.fix_encoding(text)


def tr_lower(text: str, lang: str) -> str:
    """Lower-casing with the Turkish/Azerbaijani dotted and dotless i (I->ı, İ->i)."""
    if base_lang(lang) in ("tr", "az"):
        text = text.replace("I", "ı").replace("İ", "i")
    return text.lower()


def tr_upper(text: str, lang: str) -> str:
    """Upper-casing with the Turkish/Azerbaijani dotted and dotless i (i->İ, ı->I)."""
    if base_lang(lang) in ("tr", "az"):
        text = text.replace("i", "İ").replace("ı", "I")
    return text.upper()


__all__ = ["normalize", "normalize_with_offsets", "Options", "rules_for", "tr_lower", "tr_upper", "PUNCT"]
