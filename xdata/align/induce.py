"""Lexicon induction from word alignments: aligned word pairs counted into a bilingual lexicon.

The output is a TSV lexicon that ``xdata.lexicon.load_lexicon`` reads (source word first):
``source<TAB>target<TAB><TAB>p(target|source)<TAB>count=N``, with a ``# key: value`` header
naming the languages, the method and the inputs' digests, so the aligner and the
code-switcher share lexicons.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from pathlib import Path
from typing import Sequence

from ..hashing import digest_files
from ..io.files import atomic_write


def induce(src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]], links: Sequence[Sequence[tuple[int, int]]], *,
           min_count: int = 2, min_prob: float = 0.1, lowercase: bool = True) -> list[tuple[str, str, float, int]]:
    """(source, target, p(target|source), count), sorted by source then descending probability."""
    pair: Counter[tuple[str, str]] = Counter()
    src_count: Counter[str] = Counter()
    for s, t, ls in zip(src, tgt, links):
        for i, j in ls:
            a, b = s[i], t[j]
            if lowercase:
                a, b = a.lower(), b.lower()
            if not any(ch.isalpha() for ch in a) or not any(ch.isalpha() for ch in b):
                continue  # punctuation and numbers are not lexicon material
            pair[(a, b)] += 1
            src_count[a] += 1
    out = []
    for (a, b), n in pair.items():
        p = n / src_count[a]
        if n >= min_count and p >= min_prob:
            out.append((a, b, round(p, 4), n))
    out.sort(key=lambda r: (r[0], -r[2], r[1]))
    return out


def write_lexicon(entries: list[tuple[str, str, float, int]], path: str | Path, *, src_lang: str | None,
                  tgt_lang: str | None, method: str, inputs: Sequence[str | Path]) -> Path:
    header = [
        "# name: induced",
        f"# src_lang: {src_lang or ''}",
        f"# tgt_lang: {tgt_lang or ''}",
        f"# source: induced by xdata from word alignments ({method})",
        f"# inputs: {', '.join(Path(p).name for p in inputs)} (sha256 {digest_files(inputs)[:16]})",
        f"# created: {_dt.date.today().isoformat()}",
        "# license: same terms as the parallel text it was induced from",
        "# columns: source, target, (pos), p(target|source), count",
    ]
    body = [f"{a}\t{b}\t\t{p}\tcount={n}" for a, b, p, n in entries]
    with atomic_write(path) as fh:
        fh.write(("\n".join(header + body) + "\n").encode("utf-8"))
    return Path(path)
