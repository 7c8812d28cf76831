"""Identity pipeline vs plain polars (issue 2, benchmark a).

xdata: read a TSV of sentence pairs, a no-op step, write a versioned dataset with provenance
(ids, lineage columns, shard digests, content digest, manifest, card, Croissant).
Baseline, same run, same file: ``polars.read_csv`` + ``DataFrame.write_parquet``.
Target: xdata throughput >= 0.5x the baseline.

    python bench/bench_identity.py [--pairs 1000000] [--workers 2] [--batch-size 50000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import write_pairs_tsv  # noqa: E402

from xdata.io import TsvSource  # noqa: E402
from xdata.pipeline import Identity, Pipeline, run  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=2, help="best of N for each side")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        tsv = write_pairs_tsv(t / "pairs.tsv", args.pairs)
        size = tsv.stat().st_size
        base = []
        for r in range(args.repeat):
            t0 = time.perf_counter()
            df = pl.read_csv(tsv, separator="\t", has_header=False, quote_char=None, new_columns=["src", "tgt"])
            df.write_parquet(t / f"baseline{r}.parquet")
            base.append(time.perf_counter() - t0)
        ours = []
        for r in range(args.repeat):
            pipe = Pipeline("identity-bench", TsvSource(tsv, "en", "sw"), [Identity()])
            t0 = time.perf_counter()
            m = run(pipe, t / f"out{r}", workers=args.workers, batch_size=args.batch_size, progress=False)
            ours.append(time.perf_counter() - t0)
            assert m["rows"] == args.pairs
        b, o = min(base), min(ours)
        print(f"input: {args.pairs:,} pairs, {size / 1e6:.1f} MB; workers={args.workers} batch={args.batch_size}")
        print(f"baseline polars read_csv+write_parquet: {b:.2f} s  ({args.pairs / b:,.0f} rows/s)")
        print(f"xdata identity pipeline (provenance):   {o:.2f} s  ({args.pairs / o:,.0f} rows/s)")
        print(f"ratio xdata/baseline throughput: {b / o:.2f}x (target >= 0.5x)")


if __name__ == "__main__":
    main()
