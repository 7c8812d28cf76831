"""`xdata lid` throughput vs fastText `predict` called one line at a time (issue 3 target >= 3x).

Both sides use the same model (lid.176.ftz) on the same lines, in one run. The baseline
calls ``model.predict([line])`` per line (a list: numpy 2 rejects a bare string); xdata
streams stdin in chunks and predicts each chunk at once.

    python bench/bench_lid.py [--lines 200000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from xdata.lid import LidModel

_SENTS = [
    "The children are going to school in the morning with their teachers.",
    "Die Kinder gehen am Morgen mit ihren Lehrern in die Schule.",
    "Les enfants vont à l'école le matin avec leurs enseignants.",
    "Los niños van a la escuela por la mañana con sus maestros.",
    "Serikali ya Tanzania imetangaza mpango mpya wa elimu kwa watoto wote nchini.",
    "Дети идут в школу утром вместе со своими учителями.",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=200_000)
    args = ap.parse_args()
    lines = [f"{_SENTS[i % len(_SENTS)]} {i}" for i in range(args.lines)]
    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "in.txt"
        inp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        model = LidModel.load()._model
        t0 = time.perf_counter()
        base = [model.predict([ln], k=1)[0][0][0] for ln in lines]
        tb = time.perf_counter() - t0
        xdata = Path(sys.executable).with_name("xdata")
        t0 = time.perf_counter()
        with open(inp, "rb") as fin:
            out = subprocess.run([str(xdata), "lid"], stdin=fin, capture_output=True, check=True).stdout
        tx = time.perf_counter() - t0
        got = out.decode().splitlines()
        assert len(got) == len(lines)
        same = sum(g.split("\t")[0] == b.removeprefix("__label__") for g, b in zip(got, base))
        print(f"lines: {len(lines):,}")
        print(f"baseline fastText predict per line: {tb:.2f} s ({len(lines) / tb:,.0f} lines/s)")
        print(f"xdata lid (whole CLI process, incl. start-up and model load): {tx:.2f} s ({len(lines) / tx:,.0f} lines/s)")
        print(f"ratio: {tb / tx:.2f}x (target >= 3x); same top label on {same / len(lines):.1%} of lines")


if __name__ == "__main__":
    main()
