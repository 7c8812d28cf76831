"""Synthetic corpora for benchmarks (deterministic, written to a temp dir, never committed)."""

from __future__ import annotations

import random
from pathlib import Path

_EN = ("the child reads a book in the village school every morning while her mother sells fruit at "
       "the market near the river and the farmers plant maize after the long rains").split()
_SW = ("mtoto anasoma kitabu katika shule ya kijiji kila asubuhi wakati mama yake anauza matunda sokoni "
       "karibu na mto na wakulima wanapanda mahindi baada ya mvua ndefu").split()


def write_pairs_tsv(path: Path, n: int, seed: int = 0) -> Path:
    """``n`` lines of ``en<TAB>sw`` with 8-30 words a side."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            a = " ".join(rng.choices(_EN, k=rng.randint(8, 30)))
            b = " ".join(rng.choices(_SW, k=rng.randint(8, 30)))
            f.write(f"{a} {i}\t{b} {i}\n")
    return path
