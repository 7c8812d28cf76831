"""Transliteration: built-in tables where a standard mapping exists, ICU and uroman when installed.

Schemes:

* ``sr-Cyrl-Latn`` / ``sr-Latn-Cyrl``: Serbian Cyrillic <-> Gaj's Latin alphabet (one letter
  each way except the digraphs lj, nj, dž). Cyrillic -> Latin -> Cyrillic round-trips
  exactly for every Serbian word except the rare compounds where a Latin digraph spells two
  Cyrillic letters (e.g. ``наджњети``: ``nadž-`` is н+а+д+ж); those are documented as lossy.
* ``iso15919`` / ``iso15919-<Script>``: the Brahmic scripts of India (Deva, Beng, Guru, Gujr,
  Orya, Taml, Telu, Knda, Mlym) to ISO 15919 Latin and back (:mod:`xdata.normalize.iso15919`;
  reversible for text in the table's coverage; digits become ASCII; no schwa deletion).
* ``icu:<transform id>`` (e.g. ``icu:Any-Latin``) through PyICU (extra ``icu``).
* ``uroman``: universal romanization through the ``uroman`` package (extra ``uroman``; lossy).
"""

from __future__ import annotations

from ..errors import ConfigError, MissingDependency

_SR_C2L = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "đ", "е": "e", "ж": "ž", "з": "z", "и": "i",
    "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "ћ": "ć", "у": "u", "ф": "f", "х": "h", "ц": "c", "ч": "č", "џ": "dž", "ш": "š",
}
_SR_C2L.update({k.upper(): v[0].upper() + v[1:] for k, v in list(_SR_C2L.items())})
_SR_L2C_DIGRAPHS = {"lj": "љ", "Lj": "Љ", "LJ": "Љ", "nj": "њ", "Nj": "Њ", "NJ": "Њ", "dž": "џ", "Dž": "Џ", "DŽ": "Џ"}
_SR_L2C = {v: k for k, v in _SR_C2L.items() if len(v) == 1}

SCHEMES = ("sr-Cyrl-Latn", "sr-Latn-Cyrl", "iso15919", "iso15919-<Deva|Beng|Guru|Gujr|Orya|Taml|Telu|Knda|Mlym>",
           "uroman", "icu:<transform id>")


def _sr_c2l(text: str) -> str:
    out = []
    for i, ch in enumerate(text):
        rep = _SR_C2L.get(ch)
        if rep is None:
            out.append(ch)
        elif len(rep) == 2 and rep[0].isupper():
            # Title case (Љубав -> Ljubav) unless the next letter is upper too (ЉУБАВ -> LJUBAV).
            nxt = text[i + 1] if i + 1 < len(text) else ""
            out.append(rep.upper() if nxt.isupper() else rep)
        else:
            out.append(rep)
    return "".join(out)


def _sr_l2c(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        pair = text[i:i + 2]
        if pair in _SR_L2C_DIGRAPHS:
            out.append(_SR_L2C_DIGRAPHS[pair])
            i += 2
            continue
        out.append(_SR_L2C.get(text[i], text[i]))
        i += 1
    return "".join(out)


def transliterate(text: str, scheme: str) -> str:
    """Transliterate ``text`` with ``scheme`` (see :data:`SCHEMES`)."""
    if scheme == "sr-Cyrl-Latn":
        return _sr_c2l(text)
    if scheme == "sr-Latn-Cyrl":
        return _sr_l2c(text)
    if scheme == "iso15919":
        from .iso15919 import to_iso

        return to_iso(text)
    if scheme.startswith("iso15919-"):
        from .iso15919 import from_iso

        return from_iso(text, scheme[len("iso15919-"):])
    if scheme == "uroman":
        try:
            import uroman
        except ImportError as e:
            raise MissingDependency("uroman", "uroman", "romanization with uroman") from e
        return str(_uroman(uroman).romanize_string(text))
    if scheme.startswith("icu:"):
        try:
            import icu
        except ImportError as e:
            raise MissingDependency("PyICU", "icu", f"the ICU transform {scheme[4:]!r}") from e
        return str(icu.Transliterator.createInstance(scheme[4:]).transliterate(text))
    raise ConfigError(f"unknown transliteration scheme {scheme!r}; expected one of {', '.join(SCHEMES)}")


_UROMAN = None


def _uroman(module):
    global _UROMAN
    if _UROMAN is None:
        _UROMAN = module.Uroman()
    return _UROMAN


__all__ = ["transliterate", "SCHEMES"]
