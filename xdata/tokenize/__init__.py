"""Script-aware word tokenization with character offsets (for alignment and projection).

Tokens, in order of preference at each position:

* URLs and e-mail addresses, whole;
* numbers with inner separators (``3.14``, ``1,000``, ``12:30``);
* words: letters and combining marks, with inner apostrophes or hyphens kept
  (``can't``, ``ng'ombe``, ``well-known``); ZWJ/ZWNJ inside words kept;
* scripts written without spaces: Han, Hiragana and Katakana one character per token;
  Thai, Lao, Khmer and Myanmar one grapheme cluster per token (a documented fallback: no
  dictionary segmentation);
* any other non-space character alone (punctuation, symbols).
"""

from __future__ import annotations

import regex

_NO_SPACE = r"\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
_TOK = regex.compile(
    r"(?:https?://|www\.)\S+[^\s.,;:!?)\]]"
    r"|[\w.+-]+@\w+(?:\.\w+)+"
    r"|\p{N}+(?:[.,:/]\p{N}+)*"
    r"|[\p{Han}\p{Hiragana}\p{Katakana}]"
    rf"|(?=[{_NO_SPACE}])\X"
    rf"|(?:(?![{_NO_SPACE}])[\p{{L}}\p{{M}}\u200c\u200d])+(?:['’\-](?:(?![{_NO_SPACE}])[\p{{L}}\p{{M}}])+)*"
    r"|\S"
)


def word_tokenize_with_offsets(text: str, lang: str | None = None) -> list[tuple[str, int, int]]:
    """``(token, start, end)`` with ``text[start:end] == token``."""
    return [(m.group(), m.start(), m.end()) for m in _TOK.finditer(text)]


def word_tokenize(text: str, lang: str | None = None) -> list[str]:
    """Split ``text`` into words, numbers and punctuation (see the module docstring)."""
    return _TOK.findall(text)


__all__ = ["word_tokenize", "word_tokenize_with_offsets"]
