"""Word tokenization (placeholder until the normalization issue lands: words, numbers and
single punctuation marks; the signature is the stable one)."""

from __future__ import annotations

import regex

_TOK = regex.compile(r"\p{N}+(?:[.,]\p{N}+)*|[\p{L}\p{M}]+(?:['’][\p{L}\p{M}]+)*|\S")


def word_tokenize(text: str, lang: str | None = None) -> list[str]:
    """Split ``text`` into words and punctuation."""
    return _TOK.findall(text)


__all__ = ["word_tokenize"]
