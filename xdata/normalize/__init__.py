"""Unicode and per-language normalization (placeholder until the normalization issue lands:
NFC plus whitespace unification; the signature is the stable one)."""

from __future__ import annotations

import re
import unicodedata

_WS = re.compile(r"\s+")


def normalize(text: str, lang: str | None = None) -> str:
    """Normalize ``text`` for language ``lang``."""
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


__all__ = ["normalize"]
