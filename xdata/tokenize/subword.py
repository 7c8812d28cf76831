"""Sentencepiece training/encoding and the fertility report (subword tokens per word).

Character coverage is chosen per script when not given: 0.9995 for scripts with large
inventories (Han, Hiragana/Katakana, Hangul), 1.0 for alphabetic and abugida scripts, so
rare letters of a low-resource orthography are never mapped to ``<unk>``; byte fallback is
on by default so nothing is ever unknown.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ..errors import ConfigError, InputError
from ..normalize.scripts import dominant_script
from . import word_tokenize

_LARGE_SCRIPTS = {"Hani", "Hira", "Kana", "Hang", "Jpan", "Kore", "Yiii"}


def default_coverage(sample: Iterable[str]) -> float:
    text = " ".join(s for _, s in zip(range(2000), sample))
    return 0.9995 if dominant_script(text) in _LARGE_SCRIPTS else 1.0


def train(lines: list[str], model_prefix: str | Path, *, vocab_size: int = 8000, model_type: str = "unigram",
          character_coverage: float | None = None, byte_fallback: bool = True) -> Path:
    """Train a sentencepiece model on ``lines``; returns the ``.model`` path.

    Training is single-threaded without input shuffling, so the same lines give the same model.
    """
    import sentencepiece as spm

    if model_type not in ("unigram", "bpe", "char", "word"):
        raise ConfigError(f"model_type must be unigram, bpe, char or word, got {model_type!r}")
    if not lines:
        raise InputError("no training lines for sentencepiece")
    cov = default_coverage(lines) if character_coverage is None else character_coverage
    prefix = Path(model_prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(lines), model_prefix=str(prefix), vocab_size=vocab_size, model_type=model_type,
            character_coverage=cov, byte_fallback=byte_fallback, num_threads=1,
            hard_vocab_limit=False, minloglevel=2, shuffle_input_sentence=False)
    except RuntimeError as e:
        raise ConfigError(f"sentencepiece training failed: {e}") from e
    return prefix.with_suffix(".model")


@dataclass
class Tokenizer:
    """A subword tokenizer: a sentencepiece model file or a Hugging Face tokenizer directory/name."""

    name: str
    _sp: Any = None
    _hf: Any = None

    @classmethod
    def load(cls, path: str | Path) -> "Tokenizer":
        p = Path(path)
        if p.is_file() and p.suffix == ".model":
            import sentencepiece as spm

            return cls(p.name, _sp=spm.SentencePieceProcessor(model_file=str(p)))
        try:
            from transformers import AutoTokenizer

            return cls(str(path), _hf=AutoTokenizer.from_pretrained(str(path)))
        except (OSError, ValueError) as e:
            raise InputError(f"neither a sentencepiece .model file nor a Hugging Face tokenizer: {e}", path=p) from e

    def pieces(self, word: str) -> list[str]:
        if self._sp is not None:
            return list(self._sp.encode(word, out_type=str))
        return list(self._hf.tokenize(word))


def fertility(tokenizer: Tokenizer, corpora: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Per language: words, subword tokens, tokens per word, share of words split."""
    rows = []
    for lang, lines in corpora.items():
        words = [w for line in lines for w in word_tokenize(line, lang)]
        counts = [len(tokenizer.pieces(w)) for w in words]
        n = len(words)
        rows.append({
            "lang": lang, "words": n, "tokens": sum(counts),
            "fertility": round(sum(counts) / n, 4) if n else 0.0,
            "split_share": round(sum(c > 1 for c in counts) / n, 4) if n else 0.0,
        })
    return rows


def fertility_table(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    out.write("| lang | words | tokens | tokens/word | words split |\n|---|---:|---:|---:|---:|\n")
    for r in rows:
        out.write(f"| {r['lang']} | {r['words']:,} | {r['tokens']:,} | {r['fertility']:.3f} | {r['split_share']:.1%} |\n")
    return out.getvalue()


def fertility_plot(rows: list[dict[str, Any]], path: str | Path, title: str = "") -> Path:
    """A bar chart of tokens per word per language (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(4, len(rows) * 0.8), 3))
    ax.bar([r["lang"] for r in rows], [r["fertility"] for r in rows], color="#4477aa")
    ax.set_ylabel("subword tokens per word")
    ax.set_title(title or "tokenizer fertility")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)
