"""Back-translation throughput: ``xdata backtranslate`` (transformers and CTranslate2 engines)
against a plain loop calling ``generate()`` once per sentence, on a Marian model of realistic
size (6+6 layers, d_model 512, 8 heads, FFN 2048, an 8k sentencepiece vocabulary trained on the
Bible text; random weights: speed does not depend on what the weights learnt).

Greedy decoding, new tokens capped at 1.5x the input length, real Swahili Bible verses as input.
Each contender runs in a process of its own (torch and CTranslate2 each bring an OpenMP
runtime); times are wall-clock for the whole command, model loading included. The CTranslate2
conversion is done once before timing (it is cached by model digest).

    .venv/bin/python bench/bench_backtranslate.py --sentences 300

Prints sentences/s, the ratios (hf vs loop: target >= 3x; ct2 vs hf: target >= 2x) and the
share of identical greedy outputs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "bible"


def verses(lang: str, n: int, offset: int = 0) -> list[str]:
    lines = (DATA / f"{lang}.tsv").read_text(encoding="utf-8").splitlines()
    out = [ln.split("\t", 1)[1] for ln in lines if "\t" in ln]
    return [v for v in out if 5 <= len(v.split()) <= 40][offset:offset + n]


def loop_generate(model_dir: str, inp: str, out: str) -> None:
    """The baseline: one generate() call per sentence (as most back-translation scripts do)."""
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir).eval()
    res = []
    with torch.inference_mode():
        for line in Path(inp).read_text(encoding="utf-8").splitlines():
            enc = tok(line, return_tensors="pt")
            cap = math.ceil(1.5 * enc["input_ids"].shape[1])
            # +1: the model's config forces EOS as the last token; cap content tokens as xdata does
            ids = model.generate(**enc, max_new_tokens=cap + 1, num_beams=1, do_sample=False)[0]
            res.append(tok.decode(ids, skip_special_tokens=True).strip())
    Path(out).write_text("\n".join(res) + "\n", encoding="utf-8")


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - t


def xdata_outputs(out_dir: Path) -> list[str]:
    import polars as pl

    rows = pl.read_parquet(out_dir / "data").sort("src_row")
    return rows["src"].to_list()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sentences", type=int, default=300)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--loop", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.loop:
        loop_generate(*a.loop)
        return
    from xdata.backtranslate.toy import build_toy_marian

    work = Path(a.workdir or tempfile.mkdtemp(prefix="xdata-bench-bt-"))
    env = dict(os.environ, XDATA_CACHE_DIR=str(work / "cache"))
    os.environ["XDATA_CACHE_DIR"] = env["XDATA_CACHE_DIR"]
    model = work / "marian-6-6-512"
    if not (model / "config.json").exists():
        spm_lines = verses("swh", 6000) + verses("eng", 6000)
        build_toy_marian(model, train_steps=0, d_model=512, layers=6, heads=8, ffn=2048, vocab_size=8000,
                         spm_lines=spm_lines)
    inp = work / "mono.sw"
    inp.write_text("\n".join(verses("swh", a.sentences, offset=1000)) + "\n", encoding="utf-8")
    n = a.sentences
    from xdata.backtranslate.ct2 import convert

    convert(str(model))  # once, before timing (cached by the model's digest)
    py = sys.executable
    xd = [py, "-m", "xdata", "backtranslate", "--src-lang", "en", "--tgt-lang", "sw", "--in", str(inp), "--decode",
          "greedy", "--max-len-a", "1.5", "--max-len-b", "0", "--workers", "1", "--no-cache", "--no-dedup",
          "--max-ratio", "1000", "--max-repeat", "100000", "--max-copy", "2", "--overwrite", "--no-progress"]
    t_loop = timed([py, __file__, "--loop", str(model), str(inp), str(work / "loop.txt")], env)
    t_hf = timed(xd + ["--engine", "hf", "--model", str(model), "--out", str(work / "hf")], env)
    t_ct2 = timed(xd + ["--engine", "ct2", "--model", str(model), "--out", str(work / "ct2")], env)
    loop_out = (work / "loop.txt").read_text(encoding="utf-8").splitlines()
    hf_out, ct2_out = xdata_outputs(work / "hf"), xdata_outputs(work / "ct2")
    same_hf = sum(x == y for x, y in zip(loop_out, hf_out)) / n
    same_ct2 = sum(x == y for x, y in zip(hf_out, ct2_out)) / n
    res = {
        "sentences": n, "model": "Marian 6+6, d_model 512, vocab 8k (random weights)", "cpu_cores": os.cpu_count(),
        "loop_generate_sent_per_s": round(n / t_loop, 2), "xdata_hf_sent_per_s": round(n / t_hf, 2),
        "xdata_ct2_sent_per_s": round(n / t_ct2, 2),
        "hf_vs_loop": round(t_loop / t_hf, 2), "ct2_vs_hf": round(t_hf / t_ct2, 2),
        "identical_greedy_hf_vs_loop": round(same_hf, 4), "identical_greedy_ct2_vs_hf": round(same_ct2, 4),
        "rows": [len(loop_out), len(hf_out), len(ct2_out)],
    }
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
