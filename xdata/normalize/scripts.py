"""Script detection from the Unicode Script property (fontTools' unicodedata), per string and
per token, mixed-script reports, and Latin/Cyrillic/Greek homoglyph repair.

Common (``Zyyy``: digits, punctuation) and inherited (``Zinh``: combining marks) characters
take the script of their neighbours and never make a token mixed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from fontTools import unicodedata as fu

_NEUTRAL = {"Zyyy", "Zinh", "Zzzz"}

# Look-alike letters between Latin, Cyrillic and Greek (same glyph in common fonts).
_HOMOGLYPHS: dict[tuple[str, str], dict[str, str]] = {}
_PAIRS = {
    ("Cyrl", "Latn"): "аa еe оo рp сc уy хx АA ВB ЕE КK МM НH ОO РP СC ТT ХX іi јj ѕs ԁd ӏl ІI ЈJ ЅS",
    ("Grek", "Latn"): "οo ΑA ΒB ΕE ΗH ΙI ΚK ΜM ΝN ΟO ΡP ΤT ΥY ΧX ΖZ νv",
}
for (a, b), pairs in _PAIRS.items():
    fwd = {p[0]: p[1] for p in pairs.split()}
    _HOMOGLYPHS[(a, b)] = fwd
    _HOMOGLYPHS[(b, a)] = {v: k for k, v in fwd.items()}
_HOMOGLYPHS[("Cyrl", "Grek")] = {k: _HOMOGLYPHS[("Latn", "Grek")][v] for k, v in _HOMOGLYPHS[("Cyrl", "Latn")].items()
                                 if v in _HOMOGLYPHS[("Latn", "Grek")]}
_HOMOGLYPHS[("Grek", "Cyrl")] = {v: k for k, v in _HOMOGLYPHS[("Cyrl", "Grek")].items()}


def char_script(ch: str) -> str:
    """ISO 15924 code of a character's Script property (``Zyyy`` common, ``Zinh`` inherited)."""
    return fu.script(ch)


def scripts(text: str) -> Counter[str]:
    """Letters per script (neutral characters not counted)."""
    return Counter(s for s in map(fu.script, text) if s not in _NEUTRAL)


def dominant_script(text: str) -> str | None:
    """The script with the most letters, or None for text without letters."""
    c = scripts(text)
    return c.most_common(1)[0][0] if c else None


@dataclass(frozen=True)
class MixedToken:
    index: int
    token: str
    scripts: tuple[str, ...]


def mixed_tokens(tokens: list[str]) -> list[MixedToken]:
    """Tokens whose letters come from more than one script."""
    out = []
    for i, tok in enumerate(tokens):
        c = scripts(tok)
        if len(c) > 1:
            out.append(MixedToken(i, tok, tuple(sorted(c))))
    return out


def repair_homoglyphs(token: str) -> str:
    """Replace Latin/Cyrillic/Greek look-alikes inside a token written mostly in another of them.

    ``"Москвa"`` (final Latin a) becomes all-Cyrillic; a token is changed only when every
    minority-script letter has a look-alike in the majority script.
    """
    c = scripts(token)
    if len(c) < 2:
        return token
    major = c.most_common(1)[0][0]
    out = []
    for ch in token:
        s = fu.script(ch)
        if s in _NEUTRAL or s == major:
            out.append(ch)
            continue
        rep = _HOMOGLYPHS.get((s, major), {}).get(ch)
        if rep is None:
            return token  # a real mixed-script token: leave it, report it
        out.append(rep)
    return "".join(out)


__all__ = ["char_script", "scripts", "dominant_script", "mixed_tokens", "MixedToken", "repair_homoglyphs"]
