"""Bilingual lexicons: reading, lookup, digests (shared by code-switching, alignment priors
and the lexicon back-translation engine).

File formats (the source-language word first, MUSE order: ``en xx``):

* MUSE: ``source target`` per line, separated by one space or tab;
* TSV: ``source<TAB>target[<TAB>pos[<TAB>prob[<TAB>note]]]``; either side may hold several
  words (a multiword entry), e.g. ``ice cream<TAB>aiskrimu``.

An optional metadata header of ``# key: value`` lines comes first (``src_lang``,
``tgt_lang``, ``source``, ``license``, ``version``, ``authored``...). A lexicon's digest is
the sha256 of its file's bytes and goes into provenance.
"""

from __future__ import annotations

from .core import Entry, Lexicon, load_lexicon

__all__ = ["Entry", "Lexicon", "load_lexicon"]
