"""Back-translation: target-language monolingual text -> synthetic parallel data.

A :class:`BackTranslate` step turns ``text`` records in the target language into ``pair``
records: ``tgt`` is the real input line, ``src`` the synthetic source-language translation.
With ``n > 1`` each input makes n rows (one per hypothesis). Every row records in ``meta``
how it was made: engine, model or lexicon digest, decoding method and parameters, seed, tag.

Engines (one interface, :class:`Engine`):

* ``lexicon``: word by word through a bilingual lexicon read in reverse (an ``en xx`` file
  translates xx -> en), after normalization; unknown words are copied. It runs anywhere and
  is the embedded default, but it is a *baseline*: no reordering, no morphology, and its
  provenance says so (``"quality": "baseline"``).

The transformers and CTranslate2 engines of the back-translation issue are not built yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..errors import ConfigError
from ..lexicon import Lexicon, load_lexicon
from ..normalize import normalize
from ..tokenize import word_tokenize_with_offsets

DECODES = ("greedy", "sample")


class Engine(Protocol):
    name: str

    def describe(self) -> dict[str, Any]: ...

    def translate(self, texts: list[str], draws: np.ndarray, n: int, decode: str) -> list[list[str]]:
        """``n`` hypotheses per text; ``draws[i]`` are row i's uniform draws (for sampling)."""
        ...


@dataclass
class LexiconEngine:
    """Word-by-word translation through a lexicon (read target -> source)."""

    lexicon: Lexicon
    src_lang: str
    tgt_lang: str
    name: str = "lexicon"

    @classmethod
    def load(cls, path: str, src_lang: str, tgt_lang: str) -> "LexiconEngine":
        """``path`` has the source-language word first (MUSE order); it is read in reverse."""
        return cls(load_lexicon(path).reversed(), src_lang, tgt_lang)

    def describe(self) -> dict[str, Any]:
        return {"engine": "lexicon", "quality": "baseline", "lexicon": self.lexicon.describe()["path"],
                "lexicon_digest": self.lexicon.digest}

    def translate(self, texts: list[str], draws: np.ndarray, n: int, decode: str) -> list[list[str]]:
        if decode not in DECODES:
            raise ConfigError(f"the lexicon engine decodes with {', '.join(DECODES)}, not {decode!r}")
        out = []
        for i, text in enumerate(texts):
            norm = normalize(text, self.tgt_lang)
            toks = word_tokenize_with_offsets(norm, self.tgt_lang)
            hyps = []
            for h in range(n):
                words = []
                for t, (tok, _a, _b) in enumerate(toks):
                    entries = self.lexicon.lookup(tok)
                    if not entries:
                        words.append(tok)
                        continue
                    if decode == "greedy" or len(entries) == 1:
                        k = 0
                    else:
                        u = draws[i, (h * len(toks) + t) % draws.shape[1]]
                        k = min(int(u * len(entries)), len(entries) - 1)
                    tgt = entries[k].tgt
                    words.append(tgt[:1].upper() + tgt[1:] if tok[:1].isupper() else tgt)
                hyps.append(_detokenize(words))
            out.append(hyps)
        return out


def _detokenize(words: list[str]) -> str:
    """Join tokens with spaces, attaching closing punctuation to the previous word."""
    text = ""
    for w in words:
        if text and not (len(w) == 1 and w in ".,;:!?)]}%»”’") and not text.endswith(("(", "[", "{", "«", "“")):
            text += " "
        text += w
    return text


__all__ = ["Engine", "LexiconEngine", "DECODES"]
