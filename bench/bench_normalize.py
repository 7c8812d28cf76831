"""`xdata normalize` for a Latin-script language vs sacremoses (issue 3 target >= 5x).

Baseline, same run and lines: sacremoses ``MosesPunctNormalizer().normalize(line)`` followed
by ``unicodedata.normalize('NFC', ...)`` per line. xdata: the whole CLI process
``xdata normalize --lang en`` reading the file on stdin (start-up included).

    python bench/bench_normalize.py [--lines 1000000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

_LINES = [
    "The children are going to school — in the “morning”, with their teachers…",
    "Die Kinder gehen am Morgen in die Schule, sagte der Lehrer.",
    "Les enfants vont à l’école le matin avec leurs enseignants.",
    "Watoto wanakwenda shuleni asubuhi pamoja na walimu wao.",
    "Plain ASCII line with numbers 3.14 and  double  spaces.",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    args = ap.parse_args()
    from sacremoses import MosesPunctNormalizer

    lines = [f"{_LINES[i % len(_LINES)]} {i}" for i in range(args.lines)]
    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "in.txt"
        inp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        mpn = MosesPunctNormalizer()
        t0 = time.perf_counter()
        base = [unicodedata.normalize("NFC", mpn.normalize(ln)) for ln in lines]
        tb = time.perf_counter() - t0
        xdata = Path(sys.executable).with_name("xdata")
        t0 = time.perf_counter()
        with open(inp, "rb") as fin:
            out = subprocess.run([str(xdata), "normalize", "--lang", "en"], stdin=fin, capture_output=True,
                                 check=True).stdout.decode("utf-8").splitlines()
        tx = time.perf_counter() - t0
        assert len(out) == len(lines)
        print(f"lines: {len(lines):,}")
        print(f"baseline sacremoses MosesPunctNormalizer + NFC: {tb:.2f} s ({len(lines) / tb:,.0f} lines/s)")
        print(f"xdata normalize --lang en (CLI process):        {tx:.2f} s ({len(lines) / tx:,.0f} lines/s)")
        print(f"ratio: {tb / tx:.2f}x (target >= 5x); identical output on {sum(a == b for a, b in zip(base, out)) / len(lines):.1%} of lines")


if __name__ == "__main__":
    main()
