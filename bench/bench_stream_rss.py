"""Peak memory while a large parallel text file streams through a pipeline (issue 2, benchmark b).

Writes a TSV of sentence pairs of ``--gb`` gigabytes (default 2) to a temp dir, runs an
identity pipeline over it with the local executor, and samples the resident memory of the
whole process tree (driver + workers) every 50 ms. Target: peak RSS under 1 GB for 2 GB.
The named baseline is the input size itself: a tool that loads the corpus needs more than it.

    python bench/bench_stream_rss.py [--gb 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import write_pairs_tsv  # noqa: E402

from xdata.io import TsvSource  # noqa: E402
from xdata.pipeline import Identity, Pipeline, run  # noqa: E402


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (Linux /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            continue
        todo += _children(p)
    return total


class PeakSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, tree_rss(os.getpid()))
            time.sleep(0.05)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=2.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=10_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        pairs = int(args.gb * 1e9 / 232.4)  # ~232 bytes per synthetic pair line
        tsv = write_pairs_tsv(t / "big.tsv", pairs)
        size = tsv.stat().st_size
        base_rss = tree_rss(os.getpid())
        sampler = PeakSampler()
        sampler.start()
        t0 = time.perf_counter()
        m = run(Pipeline("stream-bench", TsvSource(tsv, "en", "sw"), [Identity()]), t / "out",
                workers=args.workers, batch_size=args.batch_size, progress=False)
        secs = time.perf_counter() - t0
        sampler.stop.set()
        sampler.join()
        print(f"input: {size / 1e9:.2f} GB, {m['rows']:,} pairs; workers={args.workers} batch={args.batch_size}")
        print(f"time: {secs:.1f} s ({m['rows'] / secs:,.0f} rows/s)")
        print(f"RSS before run (driver): {base_rss / 1e6:.0f} MB")
        print(f"peak RSS of driver + workers: {sampler.peak / 1e6:.0f} MB (target < 1000 MB)")
        print(f"ratio peak RSS / input size: {sampler.peak / size:.2f}")


if __name__ == "__main__":
    main()
