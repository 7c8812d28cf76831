"""ISO 15919 transliteration of the Brahmic scripts of India, both ways.

The nine scripts encoded in parallel Unicode blocks (Devanagari, Bengali, Gurmukhi, Gujarati,
Oriya, Tamil, Telugu, Kannada, Malayalam) share one table indexed by the offset of a letter in
its block; a letter a script lacks simply does not occur. Strict ISO 15919 is used so that
the mapping is reversible for every script: ``ए`` is ``ē`` and ``ऎ`` is ``e`` (the Dravidian
short/long distinction), the inherent vowel is written ``a``, a dead consonant (virama) has no
vowel, and a colon separates letters that would otherwise read as one (``क्ह`` -> ``k:h``,
``कइ`` -> ``ka:i``).

Reversible: Brahmic -> Latin -> Brahmic gives the NFC input back for text made of the
table's letters, signs, virama, anusvara, chandrabindu, visarga, nukta letters and avagraha.
Lossy, documented: the Om sign (ॐ) passes through (its ISO spelling ``ōṁ`` is also that of
``ओं``); Indic digits become ASCII digits (and stay ASCII on the way back);
characters outside the table (danda, other punctuation, script-specific signs such as the
Gurmukhi addak) pass through unchanged in both directions; schwa deletion is *not* done
(Hindi ``कमल`` is ``kamala``, not ``kamal``), as ISO 15919 prescribes.
"""

from __future__ import annotations

import unicodedata

from ..errors import ConfigError

BLOCKS = {"Deva": 0x0900, "Beng": 0x0980, "Guru": 0x0A00, "Gujr": 0x0A80, "Orya": 0x0B00, "Taml": 0x0B80,
          "Telu": 0x0C00, "Knda": 0x0C80, "Mlym": 0x0D00}

_VOWELS = {0x05: "a", 0x06: "ā", 0x07: "i", 0x08: "ī", 0x09: "u", 0x0A: "ū", 0x0B: "r̥", 0x0C: "l̥", 0x0D: "ê",
           0x0E: "e", 0x0F: "ē", 0x10: "ai", 0x11: "ô", 0x12: "o", 0x13: "ō", 0x14: "au", 0x60: "r̥̄", 0x61: "l̥̄"}
_SIGNS = {0x3E: "ā", 0x3F: "i", 0x40: "ī", 0x41: "u", 0x42: "ū", 0x43: "r̥", 0x44: "r̥̄", 0x62: "l̥", 0x63: "l̥̄",
          0x45: "ê", 0x46: "e", 0x47: "ē", 0x48: "ai", 0x49: "ô", 0x4A: "o", 0x4B: "ō", 0x4C: "au"}
_CONSONANTS = {0x15: "k", 0x16: "kh", 0x17: "g", 0x18: "gh", 0x19: "ṅ", 0x1A: "c", 0x1B: "ch", 0x1C: "j",
               0x1D: "jh", 0x1E: "ñ", 0x1F: "ṭ", 0x20: "ṭh", 0x21: "ḍ", 0x22: "ḍh", 0x23: "ṇ", 0x24: "t",
               0x25: "th", 0x26: "d", 0x27: "dh", 0x28: "n", 0x29: "ṉ", 0x2A: "p", 0x2B: "ph", 0x2C: "b",
               0x2D: "bh", 0x2E: "m", 0x2F: "y", 0x30: "r", 0x31: "ṟ", 0x32: "l", 0x33: "ḷ", 0x34: "ḻ",
               0x35: "v", 0x36: "ś", 0x37: "ṣ", 0x38: "s", 0x39: "h"}
# consonant + nukta (NFC keeps them decomposed: the precomposed forms are composition exclusions)
_NUKTA = {0x15: "q", 0x16: "k͟h", 0x17: "ġ", 0x1C: "z", 0x21: "ṛ", 0x22: "ṛh", 0x2B: "f", 0x2F: "ẏ"}
_MARKS = {0x01: "m̐", 0x02: "ṁ", 0x03: "ḥ", 0x3D: "’"}
_SCRIPT_MARKS = {"Taml": {0x03: "ḵ"}}  # the Tamil aytham
_VIRAMA, _NUKTA_SIGN = 0x4D, 0x3C

SCRIPTS = tuple(BLOCKS)


def _script_of(ch: str) -> str | None:
    cp = ord(ch)
    for name, base in BLOCKS.items():
        if base <= cp < base + 0x80:
            return name
    return None


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def to_iso(text: str) -> str:
    """Brahmic text (any of :data:`SCRIPTS`, mixed with anything) -> ISO 15919 Latin (NFC)."""
    text = _nfc(text)
    out: list[str] = []
    # state of the previous output: "dead" (consonant without vowel yet), "a" (ends in a vowel
    # that a following independent vowel could merge with), or ""
    pending: str | None = None  # a consonant waiting for its vowel sign, virama or inherent a
    last = ""
    i = 0

    def flush_inherent() -> None:
        nonlocal pending, last
        if pending is not None:
            out.append("a")
            pending, last = None, "a"

    while i < len(text):
        ch = text[i]
        script = _script_of(ch)
        if script is None:
            flush_inherent()
            out.append(ch)
            last = ""
            i += 1
            continue
        off = ord(ch) - BLOCKS[script]
        nxt = text[i + 1] if i + 1 < len(text) else ""
        nxt_off = ord(nxt) - BLOCKS[script] if nxt and _script_of(nxt) == script else -1
        if off in _CONSONANTS:
            flush_inherent()
            if nxt_off == _NUKTA_SIGN and off in _NUKTA:
                lat = _NUKTA[off]
                i += 1
            else:
                lat = _CONSONANTS[off]
            if last == "dead" and lat.startswith("h"):
                out.append(":")  # k:h is क्ह, not ख
            out.append(lat)
            pending, last = lat, "cons"
        elif off in _SIGNS and pending is not None:
            out.append(_SIGNS[off])
            pending, last = None, "vowel"
        elif off == _VIRAMA and pending is not None:
            pending, last = None, "dead"
        elif off in _VOWELS:
            flush_inherent()
            lat = _VOWELS[off]
            if (last == "a" and lat[0] in "iu") or (last == "dead" and lat[0] in "aāiīuūeēoōr̥l̥êô"):
                out.append(":")
            elif last == "dead":
                out.append(":")
            out.append(lat)
            last = "a" if lat == "a" else "vowel"
        elif off in _SCRIPT_MARKS.get(script, {}) or off in _MARKS:
            flush_inherent()
            out.append(_SCRIPT_MARKS.get(script, {}).get(off) or _MARKS[off])
            last = "vowel"
        elif 0x66 <= off <= 0x6F:
            flush_inherent()
            out.append(str(off - 0x66))
            last = ""
        else:
            flush_inherent()
            out.append(ch)
            last = ""
        i += 1
    flush_inherent()
    return _nfc("".join(out))


def _reverse_tables(script: str) -> tuple[dict[str, str], dict[str, str], dict[str, str], dict[str, str]]:
    base = BLOCKS[script]

    def ok(off: int) -> bool:
        return unicodedata.name(chr(base + off), "") != ""

    cons = {_nfc(v): chr(base + k) for k, v in _CONSONANTS.items() if ok(k)}
    cons.update({_nfc(v): chr(base + k) + chr(base + _NUKTA_SIGN) for k, v in _NUKTA.items()
                 if ok(k) and ok(_NUKTA_SIGN)})
    vowels = {_nfc(v): chr(base + k) for k, v in _VOWELS.items() if ok(k)}
    signs = {_nfc(v): chr(base + k) for k, v in _SIGNS.items() if ok(k)}
    marks = {_nfc(v): chr(base + k) for k, v in {**_MARKS, **_SCRIPT_MARKS.get(script, {})}.items() if ok(k)}
    return cons, vowels, signs, marks


def from_iso(text: str, script: str) -> str:
    """ISO 15919 Latin -> ``script`` (one of :data:`SCRIPTS`). Latin letters outside the scheme
    pass through unchanged."""
    if script not in BLOCKS:
        raise ConfigError(f"unknown Brahmic script {script!r}; expected one of {', '.join(SCRIPTS)}")
    cons, vowels, signs, marks = _reverse_tables(script)
    virama = chr(BLOCKS[script] + _VIRAMA)
    text = _nfc(text)
    keys = sorted(set(cons) | set(vowels) | set(marks), key=len, reverse=True)
    out: list[str] = []
    i = 0
    after_cons = False  # a consonant was written and still needs its vowel (or virama)

    def match(pos: int, table: dict[str, str] | list[str]) -> str | None:
        for k in sorted(table, key=len, reverse=True):
            if text.startswith(k, pos):
                return k
        return None

    while i < len(text):
        if text[i] == ":":  # separator between letters that would otherwise merge
            if after_cons:  # k:h, k:a -- the consonant before the colon is dead
                out.append(virama)
                after_cons = False
            i += 1
            continue
        if after_cons:
            if text.startswith("a", i) and not any(text.startswith(s, i) for s in ("ai", "au") if s in signs) \
                    and not text.startswith("ā", i):
                after_cons = False  # the inherent vowel: nothing to write
                i += 1
                continue
            s = match(i, signs)
            if s is not None:
                out.append(signs[s])
                after_cons = False
                i += len(s)
                continue
        k = match(i, keys)
        if k is None:
            if after_cons:
                out.append(virama)
                after_cons = False
            out.append(text[i])
            i += 1
            continue
        if k in cons:
            if after_cons:
                out.append(virama)
            out.append(cons[k])
            after_cons = True
        elif k in vowels:
            if after_cons:
                out.append(virama)
                after_cons = False
            out.append(vowels[k])
        else:
            if after_cons:
                out.append(virama)
                after_cons = False
            out.append(marks[k])
        i += len(k)
    if after_cons:
        out.append(virama)
    return _nfc("".join(out))


__all__ = ["to_iso", "from_iso", "SCRIPTS", "BLOCKS"]
