"""Word alignment AER on the shared gold sets: xdata's aligners vs plain eflomal, same run.

For en-de (RWTH Europarl, 508 pairs) and en-fr (Hansards WPT03, 447 pairs), trained on the gold
sentences (plus, for en-fr, the first ``--extra-n`` of the 100k unannotated Hansards pairs):

* baseline: eflomal through its own API with its defaults, then grow-diag-final-and;
* ``builtin`` (xdata's IBM 1 -> HMM by agreement) and ``eflomal`` (through xdata), each with
  every symmetrization, from one training run each;
* ``builtin+MUSE``: the built-in aligner with the MUSE en-xx dictionary as lexical priors;
* ``--saved``: the "train once, align small batches later" use: train on the extra text only,
  save (xdata: the model directory; eflomal: a priors file), then align the gold pairs alone.

Prints a table (precision, recall, AER, wall time, seconds per 10k pairs) and the ratios
builtin / baseline.

    python bench/bench_align.py [--pairs en-de en-fr] [--extra-n 0] [--saved] [--no-lexicon]
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from pathlib import Path

from xdata.align import HEURISTICS, aer, align_corpus, parse_links, read_pharaoh, symmetrize

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _read(path: Path, n: int | None = None) -> list[list[str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    out = []
    with opener(path, "rt", encoding="utf-8") as f:
        for k, line in enumerate(f):
            if n is not None and k >= n:
                break
            out.append(line.split())
    return out


def plain_eflomal(src: list[list[str]], tgt: list[list[str]]) -> tuple[list[set], list[set]]:
    import eflomal

    with tempfile.TemporaryDirectory() as d:
        ps, pt = Path(d) / "s", Path(d) / "t"
        ps.write_text("".join(" ".join(s) + "\n" for s in src), encoding="utf-8")
        pt.write_text("".join(" ".join(t) + "\n" for t in tgt), encoding="utf-8")
        with open(ps, encoding="utf-8") as fs, open(pt, encoding="utf-8") as ft:
            eflomal.Aligner().align(fs, ft, links_filename_fwd=str(Path(d) / "f"),
                                    links_filename_rev=str(Path(d) / "r"), quiet=True)
        fwd = [parse_links(x)[0] for x in (Path(d) / "f").read_text().splitlines()]
        rev = [parse_links(x)[0] for x in (Path(d) / "r").read_text().splitlines()]
    return fwd, rev


def score(gold, src, tgt, fwd, bwd, sym):
    return aer(gold, [symmetrize(f, b, len(s), len(t), sym) for f, b, s, t in zip(fwd, bwd, src, tgt)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", nargs="+", default=["en-de", "en-fr"])
    ap.add_argument("--extra-n", type=int, default=0, help="en-fr: add the first N unannotated Hansards pairs.")
    ap.add_argument("--saved", action="store_true", help="Also train on the extra text only, save, align the gold alone.")
    ap.add_argument("--no-lexicon", action="store_true", help="Skip the runs with MUSE priors.")
    ap.add_argument("--json", type=Path, help="Also write the rows as JSON here.")
    args = ap.parse_args()
    try:
        import eflomal  # noqa: F401

        have_eflomal = True
    except ImportError:
        have_eflomal = False
        print("eflomal is not installed (pip install 'xdata[eflomal]'): baseline and eflomal rows skipped")
    rows = []

    def emit(pair, system, sym, r, secs, n):
        row = {"pair": pair, "system": system, "sym": sym, **r, "seconds": round(secs, 1),
               "s_per_10k": round(secs / n * 10_000, 1), "train_pairs": n}
        rows.append(row)
        print(f"{pair:6} {system:26} {sym:20} P {r['precision']:.3f} R {r['recall']:.3f} AER {r['aer']:.3f}"
              f"  {secs:7.1f}s  {row['s_per_10k']:7.1f}s/10k", flush=True)

    for pair in args.pairs:
        d = DATA / "alignment" / pair
        src, tgt = _read(d / "src.txt"), _read(d / "tgt.txt")
        gold = read_pharaoh(d / "gold.txt", allow_possible=True)
        es = et = []
        if args.extra_n and (d / "train.src.txt.gz").exists():
            es, et = _read(d / "train.src.txt.gz", args.extra_n), _read(d / "train.tgt.txt.gz", args.extra_n)
        label = pair + (f"+{len(es) // 1000}k" if es else "")
        n = len(src) + len(es)
        if have_eflomal:
            t0 = time.perf_counter()
            f, b = plain_eflomal(src + es, tgt + et)
            emit(label, "baseline: eflomal API", "grow-diag-final-and",
                 score(gold, src, tgt, f, b, "grow-diag-final-and"), time.perf_counter() - t0, n)
        methods = ["builtin"] + (["eflomal"] if have_eflomal else [])
        for method in methods:
            t0 = time.perf_counter()
            res = align_corpus(src, tgt, method=method, extra_src=es or None, extra_tgt=et or None)
            secs = time.perf_counter() - t0
            for sym in HEURISTICS:
                emit(label, f"xdata {method}", sym, score(gold, src, tgt, res.fwd, res.bwd, sym), secs, n)
        lex = DATA / "dictionaries" / f"muse_{pair}.txt"
        if not args.no_lexicon and lex.exists():
            from xdata.align.priors import load_priors

            for method in methods:
                t0 = time.perf_counter()
                res = align_corpus(src, tgt, method=method, extra_src=es or None, extra_tgt=et or None,
                                   priors=load_priors(lex, weight=0.1))
                emit(label, f"xdata {method}+MUSE priors", "grow-diag-final-and",
                     score(gold, src, tgt, res.fwd, res.bwd, "grow-diag-final-and"), time.perf_counter() - t0, n)
        if args.saved and es:
            from xdata.align.hmm import HMMAligner
            from xdata.align.priors import priors_from_links

            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                HMMAligner.train(es, et).save(Path(tmp) / "m")
                t1 = time.perf_counter()
                r = HMMAligner.load(Path(tmp) / "m").align(src, tgt)
                t2 = time.perf_counter()
                emit(label, "builtin saved model", "grow-diag-final-and", score(gold, src, tgt, r.fwd, r.bwd,
                     "grow-diag-final-and"), t2 - t1, len(src))
                print(f"       (training on {len(es):,} extra pairs took {t1 - t0:.1f}s)")
            if have_eflomal:
                t0 = time.perf_counter()
                big = align_corpus(es, et, method="eflomal")
                pri = priors_from_links(es, et, big.fwd, big.bwd)
                t1 = time.perf_counter()
                r = align_corpus(src, tgt, method="eflomal", priors=pri)
                emit(label, "eflomal saved priors", "grow-diag-final-and", score(gold, src, tgt, r.fwd, r.bwd,
                     "grow-diag-final-and"), time.perf_counter() - t1, len(src))
    print()
    for pair in dict.fromkeys(r["pair"] for r in rows):
        base = next((r for r in rows if r["pair"] == pair and r["system"].startswith("baseline")), None)
        ours = next(r for r in rows if r["pair"] == pair and r["system"] == "xdata builtin"
                    and r["sym"] == "grow-diag-final-and")
        if base:
            print(f"{pair}: builtin AER {ours['aer']:.3f} vs plain eflomal {base['aer']:.3f} "
                  f"(difference {ours['aer'] - base['aer']:+.3f}); time ratio builtin/eflomal "
                  f"{ours['seconds'] / max(base['seconds'], 1e-9):.2f}x")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
