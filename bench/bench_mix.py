"""Mixing and splitting N rows from three parts vs polars concatenating and writing the same rows.

Builds three pair datasets (50% / 30% / 20% of N rows) with xdata (not timed), then times, in one
run on the same machine:

* baseline: polars scans the three parts' Parquet shards, concatenates them and writes one
  Parquet file (``sink_parquet``): the least any mixer must do;
* xdata: ``Mix`` of the three parts (weights 1, so the same rows) with a root split (1% dev,
  1% test, leak removal on), written as a dataset version (ids, provenance, digests, manifest);
* for reference, xdata's floor: the same ``Mix`` without a split (a plain concatenation written as
  a dataset version: what ids, provenance and digests cost before any mixing decision).

Prints the times, the ratios (target for the mix + split: at most 2x), the CPU seconds and the peak
RSS of each side, each measured in its own fresh process (timed around the work, imports
excluded).

Usage: python bench/bench_mix.py --rows 5000000 [--workers 2] [--costs]

Each side runs in its own process, one after the other: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import write_pairs_tsv  # noqa: E402

from xdata.io import TsvSource  # noqa: E402
from xdata.pipeline import Pipeline, run  # noqa: E402


#: Each side runs in a fresh process (timed around the work, imports excluded), so its peak RSS is
#: its own and not that of building the parts.
BASELINE = """
import polars as pl
parts = [pl.scan_parquet(p + "/data/*.parquet") for p in PARTS]
t0 = time.perf_counter()
pl.concat(parts).sink_parquet(WORK + "/concat.parquet")
RESULT = {}
"""
MIX = """
from xdata.mix import Mix, Part, Split
from xdata.pipeline import Pipeline, run
t0 = time.perf_counter()
m = run(Pipeline("mix", Mix([Part(PARTS[0]), Part(PARTS[1], origin="bt"), Part(PARTS[2], origin="cs")],
                            split=Split(dev=0.01, test=0.01) if SPLIT else None), []), WORK + "/mix" + str(SPLIT),
        workers=WORKERS, progress=False)
RESULT = {"rows": m["rows"], "rejected_rows": m["rejected_rows"], "mix": m["mix"]}
"""


#: ``--costs``: where the CPU goes, one polars thread (``POLARS_MAX_THREADS=1``), in its own process:
#: the writer's parts on one 50,000-row shard of the mix's output, and the mix's own work per part row
COSTS = """
import json, os, time
from pathlib import Path
import polars as pl
from xdata.dataset.writer import conform, row_digests, schema
from xdata.hashing import digest_file, hex_prefix, xxh3_128_rows
from xdata.mix import Mix, Part, _frames

def ms(f, n=5):
    t = time.process_time()
    for _ in range(n):
        f()
    return (time.process_time() - t) / n * 1000

shard = sorted(Path(WORK + "/mixTrue/data").glob("*.parquet"))[0]
df = pl.read_parquet(shard)
ids = pl.concat_str([pl.col("src_row").cast(pl.String), pl.col("src_lang"), pl.col("src"), pl.col("tgt_lang"),
                     pl.col("tgt")], separator="\x1f")
tmp = WORK + "/costs.parquet"
block = {"rows": df.height, "read": ms(lambda: pl.read_parquet(shard)), "ids": ms(lambda: hex_prefix(xxh3_128_rows(ids, df, salt="x"))),
         "row digests": ms(lambda: row_digests(conform(df, schema("pair")))),
         "parquet write": ms(lambda: df.write_parquet(tmp, compression="snappy", row_group_size=50_000, statistics=True)),
         "sha256": ms(lambda: digest_file(Path(tmp)))}
m = Mix([Part(p) for p in PARTS])
frames = [f for s in m.sources for f in _frames(s, 50_000)]
n = sum(f.height for f in frames)
t = time.process_time()
for s in m.sources:
    for _ in _frames(s, 50_000, light=True):
        pass
read = time.process_time() - t
t = time.process_time()
for f in frames:
    m._text_keys(f, "pair")
keys = time.process_time() - t
print(json.dumps({"block": block, "per_million": {"first-pass read": read / n * 1e6, "leak keys (both sides)": keys / n * 1e6}}))
"""


def costs(parts: list[Path], work: Path) -> None:
    import json
    import os
    import subprocess

    prog = f"PARTS = {[str(p) for p in parts]!r}\nWORK = {str(work)!r}\n" + COSTS
    out = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, check=True,
                         env={**os.environ, "POLARS_MAX_THREADS": "1"})
    r = json.loads(out.stdout.strip().splitlines()[-1])
    b = r["block"]
    print(f"CPU ms per {b.pop('rows'):,}-row shard of the output (one polars thread): "
          + ", ".join(f"{k} {v:.1f}" for k, v in b.items()))
    print("CPU s per 1M part rows: " + ", ".join(f"{k} {v:.2f}" for k, v in r["per_million"].items()))


def _child(code: str, parts: list[Path], work: Path, workers: int = 1, split: bool = True) -> tuple[float, float, float, dict]:
    import json
    import subprocess

    prog = ("import json, resource, time\n" + f"PARTS = {[str(p) for p in parts]!r}\nWORK = {str(work)!r}\n"
            f"WORKERS = {workers}\nSPLIT = {split}\n"
            "def cpu():\n    r = resource.getrusage(resource.RUSAGE_SELF)\n    return r.ru_utime + r.ru_stime\n"
            "c0 = cpu()\n" + code +
            "\nsecs = time.perf_counter() - t0\n"
            "print(json.dumps({'secs': secs, 'cpu': cpu() - c0, "
            "'rss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'result': RESULT}))\n")
    out = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return r["secs"], r["cpu"], r["rss"], r["result"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--costs", action="store_true", help="Also print where the CPU goes (one polars thread).")
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

        base, base_cpu, base_rss, _ = _child(BASELINE, parts, work)
        rows = pl.scan_parquet(work / "concat.parquet").select(pl.len()).collect().item()
        flat, flat_cpu, flat_rss, f = _child(MIX, parts, work, a.workers, split=False)
        mixed, mix_cpu, mix_rss, m = _child(MIX, parts, work, a.workers)
        print(f"polars concat + write:        {rows:,} rows in {base:.2f} s ({base_cpu:.2f} CPU s, "
              f"peak RSS {base_rss:,.0f} MiB)")
        print(f"xdata mix, no split (floor):  {f['rows']:,} rows in {flat:.2f} s ({flat_cpu:.2f} CPU s, "
              f"peak RSS {flat_rss:,.0f} MiB): {flat / base:.2f}x")
        print(f"xdata mix + split:            {m['rows']:,} rows (+{m['rejected_rows']:,} leaks removed) in {mixed:.2f} s "
              f"({mix_cpu:.2f} CPU s, peak RSS {mix_rss:,.0f} MiB): {mixed / base:.2f}x (target <= 2x)")
        for s, st in m["mix"]["splits"].items():
            print(f"  {s}: {st['rows']:,} rows, {st['roots']:,} roots, {st['leaks_removed']:,} leaks removed")
        if a.costs:
            costs(parts, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
