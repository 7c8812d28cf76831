"""Build harder word-alignment gold sets from a gold set: reordered and long variants.

The shared gold sets are two European pairs with short sentences and mostly monotone order.
Issue 16 asks how the aligners fare on long, unspaced and reordering-heavy pairs, for which no
gold set is available here. Each variant below changes the text in one known way and carries
the gold links through the same change exactly, so AER stays meaningful:

* ``reversed``: the target words of every pair in reverse order (every link crosses: the most
  reordering-heavy pair possible; a jump model must learn jumps of -1);
* ``long``: every 4 consecutive pairs joined into one (sentences 4 times as long: far jumps,
  long NULL stretches);

No unspaced variant is built: splitting a European word into letters gives tokens without meaning,
unlike the characters of Chinese or Japanese (measured: every aligner falls to AER 0.8-0.95 on
such a split, which says nothing about those languages).

Usage: python bench/gold_variants.py OUT [--gold DIR ...]   (default: the shared en-de, en-fr)
then: python bench/bench_align.py --gold OUT/en-de-reversed --gold OUT/en-de-long ...
"""

from __future__ import annotations

import argparse
from pathlib import Path

from xdata.align import read_pharaoh

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "alignment"

Pair = tuple[list[str], list[str], set[tuple[int, int]], set[tuple[int, int]]]


def read_gold(d: Path) -> list[Pair]:
    src = [ln.split() for ln in (d / "src.txt").read_text(encoding="utf-8").splitlines()]
    tgt = [ln.split() for ln in (d / "tgt.txt").read_text(encoding="utf-8").splitlines()]
    gold = read_pharaoh(d / "gold.txt", allow_possible=True, lengths=[(len(s), len(t)) for s, t in zip(src, tgt)])
    return [(s, t, set(sure), set(poss)) for s, t, (sure, poss) in zip(src, tgt, gold)]


def reversed_pairs(pairs: list[Pair]) -> list[Pair]:
    out = []
    for s, t, sure, poss in pairs:
        n = len(t)
        out.append((s, t[::-1], {(i, n - 1 - j) for i, j in sure}, {(i, n - 1 - j) for i, j in poss}))
    return out


def long_pairs(pairs: list[Pair], k: int = 4) -> list[Pair]:
    out = []
    for g in range(0, len(pairs), k):
        s_all: list[str] = []
        t_all: list[str] = []
        sure_all: set[tuple[int, int]] = set()
        poss_all: set[tuple[int, int]] = set()
        for s, t, sure, poss in pairs[g:g + k]:
            a, b = len(s_all), len(t_all)
            sure_all |= {(i + a, j + b) for i, j in sure}
            poss_all |= {(i + a, j + b) for i, j in poss}
            s_all += s
            t_all += t
        out.append((s_all, t_all, sure_all, poss_all))
    return out


def gold_lines(pairs: list[Pair]) -> tuple[list[str], list[str], list[str]]:
    """The lines of ``src.txt``, ``tgt.txt`` and ``gold.txt`` (sure links, then possible ones)."""
    links = [" ".join([f"{i}-{j}" for i, j in sorted(sure)] + [f"{i}?{j}" for i, j in sorted(poss - sure)]) + "\n"
             for _, _, sure, poss in pairs]
    return [" ".join(s) + "\n" for s, _, _, _ in pairs], [" ".join(t) + "\n" for _, t, _, _ in pairs], links


def write_gold(d: Path, pairs: list[Pair]) -> None:
    d.mkdir(parents=True, exist_ok=True)
    for name, lines in zip(("src.txt", "tgt.txt", "gold.txt"), gold_lines(pairs)):
        (d / name).write_text("".join(lines), encoding="utf-8")


VARIANTS = {"reversed": reversed_pairs, "long": long_pairs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--gold", type=Path, action="append", default=[])
    args = ap.parse_args()
    for d in args.gold or [DATA / "en-de", DATA / "en-fr"]:
        pairs = read_gold(d)
        for name, fn in VARIANTS.items():
            out = args.out / f"{d.name}-{name}"
            write_gold(out, fn(pairs))
            print(out)


if __name__ == "__main__":
    main()
