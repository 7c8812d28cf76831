"""Time and peak memory of ``xdata report`` on a large dataset version.

Writes ``--pairs`` synthetic en-sw lines (``_corpus.write_pairs_tsv``) to a temp dir, runs a
recipe over them with ``xdata run`` (TSV reader, fastText LID tags, length-ratio filter,
duplicate filter, code-switching with the seed en-sw lexicon: the demo recipe's shape), then
runs ``xdata report`` on the version in a fresh child process and prints its wall time and
peak RSS (VmHWM of that process, read when the verb returns).

    python bench/bench_report.py [--pairs 1000000] [--tmp DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import write_pairs_tsv  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

RECIPE = """
from xdata.codeswitch.step import CodeSwitch
from xdata.filters import Dedup, LengthRatio
from xdata.io import TsvSource
from xdata.lid import LidTag
from xdata.pipeline import Pipeline


def build(ctx):
    source = TsvSource(ctx.option("input"), "en", "sw", name="bench-en-sw", on_error="reject")
    return Pipeline(name="bench-report", source=source,
                    steps=[LidTag(), LengthRatio(max_ratio=3.0), Dedup(),
                           CodeSwitch(lexicons=(ctx.option("lexicon"),), ratio=0.3, side="src")])
"""

_CHILD = """
import json, sys, time
from xdata.cli import app
t0 = time.perf_counter()
try:
    app(sys.argv[1:])
except SystemExit as e:
    code = e.code
secs = time.perf_counter() - t0
hwm = 0
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        hwm = int(line.split()[1]) * 1024
print(json.dumps({"secs": secs, "peak": hwm, "code": code}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=1_000_000)
    ap.add_argument("--tmp", default=None, help="directory for the corpus and the dataset (default: system temp)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="xdata-bench-report-", dir=args.tmp) as tmp:
        t = Path(tmp)
        write_pairs_tsv(t / "pairs.tsv", args.pairs)
        (t / "recipe.py").write_text(RECIPE, encoding="utf-8")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "xdata", "run", str(t / "recipe.py"), "--out", str(t / "ds"),
                        "--set", f"input={t / 'pairs.tsv'}", "--set", f"lexicon={ROOT / 'lexicons' / 'seed' / 'en-sw.tsv'}"],
                       check=True)
        m = json.loads((t / "ds" / "manifest.json").read_text(encoding="utf-8"))
        print(f"dataset: {m['rows']:,} rows, {m['rejected_rows']:,} rejected, {len(m['shards'])} shards, "
              f"{sum(s['bytes'] for s in m['shards']) / 1e6:,.0f} MB of Parquet; built in {time.perf_counter() - t0:.0f} s")
        p = subprocess.run([sys.executable, "-c", _CHILD, "report", str(t / "ds")], capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit(f"xdata report failed (exit {p.returncode}):\n{p.stderr[-3000:]}")
        r = json.loads(p.stdout.strip().splitlines()[-1])
        if r["code"] not in (0, None):
            raise SystemExit(f"xdata report exited {r['code']}:\n{p.stderr[-3000:]}")
        page = t / "ds.report.html"
        print(f"xdata report: {r['secs']:.1f} s, peak RSS {r['peak'] / 1e6:,.0f} MB; page {page.stat().st_size / 1e6:.2f} MB, "
              f"{len(json.loads(page.with_suffix('.json').read_text(encoding='utf-8'))['images'])} plots")


if __name__ == "__main__":
    main()
