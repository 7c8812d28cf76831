"""Convert a published word-alignment gold set into the layout bench_align.py reads.

Many gold sets (the ja-en KFTT, zh-en Tsinghua and ro-en sets among them) are distributed as a
text file with one ``left ||| right`` pair per line and a links file with one line per pair,
``i-j`` for a sure link and ``ipj`` (or ``i?j``, ``i/j``) for a possible one, indexed from 0 or 1,
left side first. This writes ``OUT/src.txt``, ``OUT/tgt.txt`` and ``OUT/gold.txt`` (0-based
Pharaoh, source first, ``i-j`` sure and ``i?j`` possible), the format of the shared gold sets.

* ``--base`` is the index of the first word in the links file (0 or 1). With ``--base auto`` it is
  decided from the data: 0 when a link names word 0, 1 when a link names a sentence's last word
  as 1-based (its length), an error when both happen; when neither does, 1 with a warning.
* A token holding whitespace inside it (a tab, a no-break space) is an error naming file and
  line: the gold counts it as one word, but readers that split on whitespace would not. A file
  that is not UTF-8 is an error naming it; a byte-order mark is dropped.
* ``--swap`` makes the right side the source (e.g. to put English first).
* Tokens are the fields between runs of ASCII spaces. A token made only of whitespace (some files keep an
  ideographic space U+3000 as a token) is removed, its links dropped and the later words
  renumbered; the count of each is printed.
* Every link is checked against the sentence lengths: a link outside its sentence is an error
  naming the file and line.

Usage: python bench/gold_convert.py TEXT LINKS OUT [--base auto|0|1] [--swap]
then:  python bench/bench_align.py --gold OUT
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from gold_variants import Pair, gold_lines, write_gold  # bench/ is the script's directory

_SPACES = re.compile(" +")
_LINK = re.compile(r"^(\d+)([-p?/])(\d+)$")

Links = list[tuple[int, int, bool]]


class GoldError(ValueError):
    pass


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()  # a byte-order mark is not text
    except UnicodeDecodeError as e:
        raise GoldError(f"{path}: not UTF-8 ({e.reason} at byte {e.start})") from None


def parse_links(path: Path) -> list[Links]:
    out: list[Links] = []
    for n, line in enumerate(_lines(path), 1):
        row: Links = []
        for field in line.split():
            m = _LINK.match(field)
            if m is None:
                raise GoldError(f"{path}:{n}: not a link: {field!r}")
            row.append((int(m.group(1)), int(m.group(3)), m.group(2) == "-"))
        out.append(row)
    return out


def parse_text(path: Path) -> list[tuple[list[str], list[str]]]:
    out = []
    for n, line in enumerate(_lines(path), 1):
        if " ||| " not in line:
            raise GoldError(f"{path}:{n}: no ' ||| ' between the two sides")
        left, right = line.split(" ||| ", 1)
        sides = (_SPACES.split(left.strip(" ")), _SPACES.split(right.strip(" ")))
        for w in sides[0] + sides[1]:
            if w.strip() and any(ch.isspace() for ch in w):
                # the gold counts it as one word, a reader splitting on whitespace as several
                raise GoldError(f"{path}:{n}: token {w!r} holds whitespace; the links could not be kept")
        out.append(sides)
    return out


def convert(text: Path, links: Path, base: str = "auto", swap: bool = False
            ) -> tuple[list[str], list[str], list[str], dict[str, int]]:
    """The lines of ``src.txt``, ``tgt.txt``, ``gold.txt``, and counts."""
    pairs, stats = convert_pairs(text, links, base, swap)
    return (*gold_lines(pairs), stats)


def convert_pairs(text: Path, links: Path, base: str = "auto", swap: bool = False) -> tuple[list[Pair], dict[str, int]]:
    """The gold set as (source words, target words, sure links, possible links) per pair, and counts."""
    pairs = parse_text(text)
    gold = parse_links(links)
    while gold and len(gold) > len(pairs) and not gold[-1]:
        gold.pop()
    if len(gold) != len(pairs):
        raise GoldError(f"{links}: {len(gold)} link lines for {len(pairs)} sentence pairs in {text}")
    guessed = 0
    if base == "auto":
        zero = any(i == 0 or j == 0 for row in gold for i, j, _ in row)
        past_end = [n for n, ((left, right), row) in enumerate(zip(pairs, gold), 1)
                    if any(i == len(left) or j == len(right) for i, j, _ in row)]
        if zero and past_end:
            raise GoldError(f"{links}: links name word 0 and, on line {past_end[0]}, the word after the last "
                            "(0-based); neither index base fits")
        first = 0 if zero else 1
        guessed = int(not zero and not past_end)  # no link names word 0 or the last word in 1-based terms
    else:
        first = int(base)
    stats = {"pairs": len(pairs), "sure": 0, "possible": 0, "blank_tokens": 0, "links_dropped": 0,
             "base": first, "base_guessed": guessed}
    out: list[Pair] = []
    for n, ((left, right), row) in enumerate(zip(pairs, gold), 1):
        keep_l = [k for k, w in enumerate(left) if w and not w.isspace()]
        keep_r = [k for k, w in enumerate(right) if w and not w.isspace()]
        stats["blank_tokens"] += len(left) - len(keep_l) + len(right) - len(keep_r)
        new_l = {old: new for new, old in enumerate(keep_l)}
        new_r = {old: new for new, old in enumerate(keep_r)}
        sure: set[tuple[int, int]] = set()
        poss: set[tuple[int, int]] = set()
        for i, j, is_sure in row:
            i, j = i - first, j - first
            if not (0 <= i < len(left) and 0 <= j < len(right)):
                raise GoldError(f"{links}:{n}: link {i + first}-{j + first} outside a pair of "
                                f"{len(left)} and {len(right)} words (index base {first})")
            if i not in new_l or j not in new_r:
                stats["links_dropped"] += 1
                continue
            link = (new_r[j], new_l[i]) if swap else (new_l[i], new_r[j])
            (sure if is_sure else poss).add(link)
        poss -= sure
        stats["sure"] += len(sure)
        stats["possible"] += len(poss)
        words_l = [left[k] for k in keep_l]
        words_r = [right[k] for k in keep_r]
        src, tgt = (words_r, words_l) if swap else (words_l, words_r)
        if not src or not tgt:
            raise GoldError(f"{text}:{n}: a side has no words")
        out.append((src, tgt, sure, poss))
    return out, stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("text", type=Path, help="one 'left ||| right' pair per line")
    ap.add_argument("links", type=Path, help="one line of links per pair, left index first")
    ap.add_argument("out", type=Path)
    ap.add_argument("--base", choices=("auto", "0", "1"), default="auto")
    ap.add_argument("--swap", action="store_true", help="make the right side the source")
    args = ap.parse_args()
    try:
        pairs, stats = convert_pairs(args.text, args.links, args.base, args.swap)
    except (GoldError, OSError) as e:
        sys.exit(f"error: {e}")
    write_gold(args.out, pairs)
    if stats["base_guessed"]:
        print(f"warning: {args.links}: no link names word 0 or a sentence's last word as 1-based; read as 1-based "
              "(pass --base 0 if it is not)", file=sys.stderr)
    print(f"{args.out}: " + ", ".join(f"{k} {v}" for k, v in stats.items()))


if __name__ == "__main__":
    main()
