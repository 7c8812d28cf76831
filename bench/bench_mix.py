"""Mixing and splitting N rows from three parts vs polars concatenating and writing the same rows.

Builds three pair datasets (50% / 30% / 20% of N rows) with xdata (not timed), then times, in one
run on the same machine:

* baseline: polars scans the three parts' Parquet shards, concatenates them and writes one
  Parquet file (``sink_parquet``): the least any mixer must do;
* xdata: ``Mix`` of the three parts (weights 1, so the same rows) with a root split (1% dev,
  1% test, leak removal on), written as a dataset version (ids, provenance, digests, manifest).

Prints both times, the ratio (target: at most 2x) and the peak RSS of this process
(``ru_maxrss``: the driver, where the mix runs; workers only write shards).

Usage: python bench/bench_mix.py --rows 5000000 [--workers 2]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import write_pairs_tsv  # noqa: E402

from xdata.io import TsvSource  # noqa: E402
from xdata.mix import Mix, Part, Split  # noqa: E402
from xdata.pipeline import Pipeline, run  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="xdata-bench-mix-"))
    try:
        parts = []
        for i, share in enumerate((0.5, 0.3, 0.2)):
            n = int(a.rows * share)
            tsv = write_pairs_tsv(work / f"p{i}.tsv", n, seed=i)
            run(Pipeline(f"p{i}", TsvSource(tsv, "en", "sw", name=f"p{i}"), []), work / f"p{i}", workers=a.workers,
                progress=False)
            parts.append(work / f"p{i}")
        print(f"parts: {', '.join(str(int(a.rows * s)) for s in (0.5, 0.3, 0.2))} rows", flush=True)

        t0 = time.perf_counter()
        pl.concat([pl.scan_parquet(p / "data" / "*.parquet") for p in parts]).sink_parquet(work / "concat.parquet")
        base = time.perf_counter() - t0
        rows = pl.scan_parquet(work / "concat.parquet").select(pl.len()).collect().item()

        t0 = time.perf_counter()
        m = run(Pipeline("mix", Mix([Part(parts[0]), Part(parts[1], origin="bt"), Part(parts[2], origin="cs")],
                                    split=Split(dev=0.01, test=0.01)), []),
                work / "mix", workers=a.workers, progress=False)
        mixed = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"polars concat + write: {rows:,} rows in {base:.2f} s")
        print(f"xdata mix + split:     {m['rows']:,} rows (+{m['rejected_rows']:,} leaks removed) in {mixed:.2f} s")
        print(f"ratio: {mixed / base:.2f}x (target <= 2x); peak RSS of the driver {rss:,.0f} MiB")
        for s, st in m["mix"]["splits"].items():
            print(f"  {s}: {st['rows']:,} rows, {st['roots']:,} roots, {st['leaks_removed']:,} leaks removed")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
