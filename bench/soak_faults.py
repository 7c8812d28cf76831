"""Fault soak: interrupt real runs at random moments, rerun, and tally what happened.

For each trial, a verb (``run`` of a slow recipe, ``codeswitch``, ``backtranslate``) is started
in its own process group with several workers, then hit after a random delay with SIGINT (what
Ctrl-C does) or SIGKILL (kill -9 of the whole group). The trial passes when:

* the command ended within 60 s of the signal (no hang);
* after SIGINT: exit status 130, no ``--out`` directory and no partial sibling left;
* after SIGKILL: no manifest at ``--out`` (never a half version);
* no process of the group is left alive;
* a rerun on the same ``--out`` succeeds and its content digest equals an uninterrupted run's.

Usage: ``python bench/soak_faults.py --trials 40 [--seed 1]``; prints one line per trial and a
tally per verb and signal. The test suite runs a handful of these moments
(tests/adversarial/test_faults.py); this script runs many more.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
XDATA = [sys.executable, "-m", "xdata"]
LEX = str(ROOT / "lexicons" / "seed" / "en-sw.tsv")

RECIPE = '''
import time
import polars as pl
from xdata.io import TextSource
from xdata.pipeline import MapStep, Pipeline


class SlowUpper(MapStep):
    name = "slow_upper"
    kinds = ("text",)

    def map(self, batch, ctx):
        time.sleep(0.01)
        return batch.with_columns(pl.col("text").str.to_uppercase())


def build(ctx):
    return Pipeline("slow", TextSource(ctx.here("en.txt"), "en"), [SlowUpper()])
'''


def _signal_group(pgid: int, sig: int) -> None:
    """Signal a process group that may have ended already (the run finished first)."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def args_for(verb: str, work: Path, out: Path, workers: int, batch: int) -> list[str]:
    common = ["--out", str(out), "--workers", str(workers), "--batch-size", str(batch)]
    if verb == "run":
        return ["run", str(work / "slow.py"), *common]
    if verb == "codeswitch":
        return ["codeswitch", "--lexicon", LEX, "--ratio", "0.5", "--in", str(work / "en.txt"), "--lang", "en", *common]
    return ["backtranslate", "--lexicon", LEX, "--src-lang", "en", "--tgt-lang", "sw", "--in", str(work / "sw.txt"),
            "--cache", str(work / f"cache-{out.name}.sqlite"), *common]


def group_alive(pgid: int) -> bool:
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                f = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(f[2]) == pgid and f[0] != "Z":
                return True
    return False


def digest(out: Path) -> str:
    return json.loads((out / "manifest.json").read_text())["content_digest"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-delay", type=float, default=4.0, help="latest moment of the signal, seconds after start")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    work = Path(tempfile.mkdtemp(prefix="xdata-soak-"))
    try:
        en = ["the child drinks water", "the big house is near the river", "a dog eats food in the house"]
        sw = ["mtoto anakunywa maji", "nyumba kubwa iko karibu na mto", "mbwa anakula chakula nyumbani"]
        (work / "en.txt").write_text("".join(f"{en[i % 3]} {i}\n" for i in range(200_000)), encoding="utf-8")
        (work / "sw.txt").write_text("".join(f"{sw[i % 3]} {i}\n" for i in range(40_000)), encoding="utf-8")
        (work / "slow.py").write_text(RECIPE, encoding="utf-8")
        refs = {}
        for verb in ("run", "codeswitch", "backtranslate"):
            ref = work / f"ref-{verb}"
            subprocess.run(XDATA + args_for(verb, work, ref, 2, 10_000), check=True, capture_output=True)
            refs[verb] = digest(ref)
        tally: collections.Counter = collections.Counter()
        for t in range(a.trials):
            verb = rnd.choice(["run", "codeswitch", "backtranslate"])
            sig = rnd.choice([signal.SIGINT, signal.SIGKILL])
            delay = rnd.uniform(0.0, a.max_delay)
            out = work / f"out-{t}"
            p = subprocess.Popen(XDATA + args_for(verb, work, out, 2, rnd.choice([7, 500, 5000])), cwd=work,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
            time.sleep(delay)
            running = p.poll() is None
            _signal_group(p.pid, sig)
            problems = []
            try:
                p.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                problems.append("hang")
                _signal_group(p.pid, signal.SIGKILL)
                p.communicate()
            if running:
                if sig == signal.SIGINT and p.returncode != 130:
                    problems.append(f"exit {p.returncode}")
                if (out / "manifest.json").exists():  # only if it finished its atomic swap before the signal
                    v = subprocess.run(XDATA + ["verify", str(out), "--deep"], capture_output=True, text=True)
                    if v.returncode != 0:
                        problems.append("half version after interrupt: " + v.stdout.strip()[-200:])
                if sig == signal.SIGINT and any(x.name.startswith(f".{out.name}.xdata-partial") for x in work.iterdir()):
                    problems.append("partial sibling left")
            time.sleep(0.5)
            if group_alive(p.pid):
                problems.append("orphan process")
            again = subprocess.run(XDATA + args_for(verb, work, out, 1, 3000) + (["--overwrite"] if out.exists() else []),
                                   capture_output=True, text=True)
            if again.returncode != 0:
                problems.append("rerun failed: " + again.stderr.strip().splitlines()[-1])
            elif digest(out) != refs[verb]:
                problems.append("rerun digest differs")
            ok = not problems
            tally[(verb, sig.name, "interrupted" if running else "finished first", ok)] += 1
            print(f"trial {t:3d} {verb:13s} {sig.name:7s} at {delay:4.2f}s "
                  f"{'interrupted' if running else 'finished first':14s} {'ok' if ok else 'FAIL: ' + '; '.join(problems)}",
                  flush=True)
            shutil.rmtree(out, ignore_errors=True)
        print("\ntally (verb, signal, moment, ok): count")
        for k, n in sorted(tally.items()):
            print(f"  {k}: {n}")
        fails = sum(n for k, n in tally.items() if not k[3])
        print(f"{a.trials - fails}/{a.trials} trials passed")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
