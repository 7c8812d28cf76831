"""Peak memory and time of ``xdata diff`` on two large dataset versions.

Writes two synthetic text datasets of ``--rows`` rows each as real xdata dataset version
directories (50,000-row Parquet shards in ``data/``, the dataset schema, a manifest that
``read_manifest`` accepts with a real content digest): B is A with ~1% of the rows removed,
~1% added and ~1% changed (same id, other text, one more step). Then, each in a fresh child
process, it measures the time and the peak RSS (VmHWM) of

* the streaming diff, ``xdata.dataset.diffing.diff`` (target: under 1 GB at 5M rows a side);
* the named baseline, the in-memory ``xdata.dataset.ops.diff_in_memory`` (what ``xdata diff`` ran before), which loads both datasets
  whole; only for ``--rows`` <= 2,000,000 (at 7M rows a side it peaks at ~15 GB), and then
  the two results are checked to be equal.

    python bench/bench_diff.py [--rows 5000000] [--bucket-rows 250000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from xdata.dataset.writer import ROW_GROUP_ROWS, conform, content_digest, row_digests
from xdata.hashing import hex_prefix, xxh3_128_rows
from xdata.records import schema

SHARD_ROWS = 50_000
BASELINE_MAX_ROWS = 2_000_000
_WORDS = pl.Series(("mtoto anasoma kitabu katika shule ya kijiji kila asubuhi wakati mama yake anauza matunda "
                    "sokoni karibu na mto na wakulima wanapanda mahindi baada mvua ndefu").split())
_LANGS = pl.Series(["sw", "ha", "yo", "zu", "ee"])
_STEPS = [f"normalize@1:{'a' * 10}", f"lid-filter@2:{'b' * 10}"]
_EDIT = f"test-edit@1:{'c' * 10}"


def _rows(start: int, n: int, salt: str) -> pl.DataFrame:
    """``n`` synthetic text rows numbered ``start``... (deterministic, 8-20 words each)."""
    r = pl.int_range(start, start + n, dtype=pl.Int64, eager=True).alias("r")
    df = r.to_frame()
    words = pl.DataFrame({f"w{j}": _WORDS.gather((r * (7 + j) + j * j) % 9973 % len(_WORDS)) for j in range(20)})
    text = words.select(pl.concat_list(pl.all()).list.head(pl.lit(r % 13 + 8)).list.join(" ")).to_series()
    text = text + " " + r.cast(pl.String)
    ids = hex_prefix(xxh3_128_rows(r.cast(pl.String), salt=salt))
    return df.with_columns(
        id=ids, text=text, lang=_LANGS.gather(r % len(_LANGS)), src_dataset=pl.lit("synthetic"),
        src_version=pl.lit("0" * 16), src_row=pl.col("r"), parents=pl.lit([], dtype=pl.List(pl.String)),
        steps=pl.when(pl.col("r") % 2 == 0).then(pl.lit(_STEPS[:1], dtype=pl.List(pl.String)))
        .otherwise(pl.lit(_STEPS, dtype=pl.List(pl.String))),
        seed=pl.lit(0, dtype=pl.Int64), meta=pl.lit("{}"),
    ).drop("r")


def _write_dataset(out: Path, name: str, shards: Iterable[pl.DataFrame], steps: list[str]) -> int:
    (out / "data").mkdir(parents=True)
    want = schema("text")
    h = hashlib.sha256()
    entries, total = [], 0
    for i, df in enumerate(shards):
        df = conform(df, want)
        p = out / "data" / f"part-{i:05d}.parquet"
        df.write_parquet(p, compression="snappy", row_group_size=ROW_GROUP_ROWS, statistics=True)
        h.update(row_digests(df))
        entries.append({"path": f"data/{p.name}", "sha256": "", "rows": df.height, "bytes": p.stat().st_size})
        total += df.height
    manifest = {
        "name": name, "version": hashlib.sha256(name.encode()).hexdigest()[:12], "kind": "text",
        "steps": [{"name": s.split("@")[0], "version": s.split("@")[1].split(":")[0], "params": {}, "signature": s}
                  for s in steps],
        "schema": {c: str(t) for c, t in want.items()}, "shards": entries, "rejects": [], "rows": total,
        "content_digest": content_digest(h.hexdigest(), list(want)),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return total


def write_pair(root: Path, rows: int) -> tuple[Path, Path, dict[str, int]]:
    """Datasets A and B: B drops rows r % 100 == 17, changes rows r % 100 == 42 and adds 1% new rows."""
    a, b = root / "a", root / "b"
    starts = range(0, rows, SHARD_ROWS)

    def shards_a():
        for s in starts:
            yield _rows(s, min(SHARD_ROWS, rows - s), "a")

    truth = {"removed": 0, "changed": 0, "added": 0}

    def shards_b():
        for s in starts:
            n = min(SHARD_ROWS, rows - s)
            df = _rows(s, n, "a").with_columns(pl.int_range(s, s + n, dtype=pl.Int64).alias("_r"))
            keep = df.filter(pl.col("_r") % 100 != 17)
            ch = pl.col("_r") % 100 == 42
            keep = keep.with_columns(
                pl.when(ch).then(pl.col("text") + " (edited)").otherwise(pl.col("text")).alias("text"),
                pl.when(ch).then(pl.col("steps").list.concat(pl.lit([_EDIT], dtype=pl.List(pl.String))))
                .otherwise(pl.col("steps")).alias("steps")).drop("_r")
            new = _rows(s, n // 100, "b-added")
            truth["removed"] += df.height - keep.height
            truth["changed"] += df.filter(ch).height
            truth["added"] += new.height
            yield pl.concat([keep, new])

    _write_dataset(a, "bench-a", shards_a(), _STEPS)
    _write_dataset(b, "bench-b", shards_b(), [*_STEPS, _EDIT])
    return a, b, truth


_CHILD = """
import json, sys, time
from pathlib import Path
mod = sys.argv[1]
if mod == "streaming":
    from xdata.dataset.diffing import diff
    kw = {"bucket_rows": int(sys.argv[4])}
else:
    from xdata.dataset.ops import diff_in_memory as diff
    kw = {}
t0 = time.perf_counter()
res = diff(Path(sys.argv[2]), Path(sys.argv[3]), **kw)
secs = time.perf_counter() - t0
hwm = 0
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        hwm = int(line.split()[1]) * 1024
print(json.dumps({"secs": secs, "peak": hwm, "result": res}))
"""


def measure(which: str, a: Path, b: Path, bucket_rows: int) -> dict:
    """Run one diff in a fresh child process: its time, peak RSS (bytes) and result."""
    p = subprocess.run([sys.executable, "-c", _CHILD, which, str(a), str(b), str(bucket_rows)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{which} diff failed (exit {p.returncode}):\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5_000_000, help="rows of dataset A (B has about as many)")
    ap.add_argument("--bucket-rows", type=int, default=250_000)
    ap.add_argument("--tmp", default=None, help="directory for the synthetic datasets (default: system temp)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="xdata-bench-diff-", dir=args.tmp) as tmp:
        t0 = time.perf_counter()
        a, b, truth = write_pair(Path(tmp), args.rows)
        size = sum(f.stat().st_size for d in (a, b) for f in (d / "data").iterdir())
        print(f"datasets: A {args.rows:,} rows, B = A - {truth['removed']:,} removed + {truth['added']:,} added, "
              f"{truth['changed']:,} changed; {size / 1e6:,.0f} MB of Parquet; written in {time.perf_counter() - t0:.0f} s")
        s = measure("streaming", a, b, args.bucket_rows)
        r = s["result"]
        ok = all(r[k] == truth[k] for k in truth)
        print(f"streaming result: added {r['added']:,}, removed {r['removed']:,}, changed {r['changed']:,} "
              f"({'as constructed' if ok else 'DIFFERS from the construction: ' + json.dumps(truth)})")
        line = f"streaming diff: {s['secs']:.1f} s, peak RSS {s['peak'] / 1e6:,.0f} MB (target < 1000 MB)"
        if args.rows <= BASELINE_MAX_ROWS:
            base = measure("baseline", a, b, args.bucket_rows)
            same = base["result"] == r
            line += (f"; baseline in-memory diff: {base['secs']:.1f} s, peak RSS {base['peak'] / 1e6:,.0f} MB; "
                     f"ratio peak RSS streaming/baseline {s['peak'] / base['peak']:.2f}, "
                     f"time {s['secs'] / base['secs']:.2f}; same result: {'yes' if same else 'NO'}")
        else:
            line += (f"; baseline in-memory diff: skipped (rows > {BASELINE_MAX_ROWS:,}: it loads both datasets whole, "
                     "~15 GB peak at 7M rows a side); ratio: n/a")
        print(line)


if __name__ == "__main__":
    main()
