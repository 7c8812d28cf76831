"""Continual updates: ``--update-from`` after adding 1% new lines vs a full rebuild.

Builds a line corpus of N lines, writes version 1 (Normalize, then code-switching with the seed
English-Swahili lexicon), appends 1% new
lines, then times (a) a full rebuild of the grown corpus and (b) ``--update-from`` version 1,
checks both give the same content digest and version, and prints the time ratio (target: the
update costs at most 10% of the full rebuild).

Usage: python bench/bench_update.py --lines 1000000 [--workers 2]
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

from xdata.codeswitch.step import CodeSwitch
from xdata.io import TextSource
from xdata.normalize.step import Normalize
from xdata.pipeline import Pipeline, run


LEX = Path(__file__).resolve().parents[1] / "lexicons" / "seed" / "en-sw.tsv"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    rnd = random.Random(0)
    words = "the child drinks water near a big house while the river runs past old trees".split()
    work = Path(tempfile.mkdtemp(prefix="xdata-bench-update-"))
    try:
        corpus = work / "corpus.txt"
        with open(corpus, "w", encoding="utf-8") as fh:
            for i in range(a.lines):
                fh.write(" ".join(rnd.choice(words) for _ in range(12)) + f" {i}\n")

        def go(out: str, prev: Path | None = None) -> tuple[dict, float]:
            t0 = time.perf_counter()
            steps = [Normalize(form="NFKC"), CodeSwitch(lexicons=(str(LEX),), ratio=0.3)]
            m = run(Pipeline("grow", TextSource(corpus, "en", name="corpus"), steps), work / out,
                    workers=a.workers, update_from=prev)
            return m, time.perf_counter() - t0

        v1, t1 = go("v1")
        with open(corpus, "a", encoding="utf-8") as fh:
            for i in range(a.lines // 100):
                fh.write(" ".join(rnd.choice(words) for _ in range(12)) + f" new {i}\n")
        full, t_full = go("full")
        up, t_up = go("update", prev=work / "v1")
        same = up["content_digest"] == full["content_digest"] and up["version"] == full["version"]
        print(f"{a.lines:,} lines + {a.lines // 100:,} new; workers {a.workers}")
        print(f"version 1: {t1:.1f} s; full rebuild: {t_full:.1f} s; --update-from: {t_up:.1f} s "
              f"({up['run']['reused_blocks']} of {len(up['blocks'])} blocks taken over)")
        print(f"ratio update/full: {t_up / t_full:.3f} (target <= 0.10); same bytes: {'yes' if same else 'NO'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
