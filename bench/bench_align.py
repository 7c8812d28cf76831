"""Word alignment AER on the shared gold sets: xdata's aligners vs plain eflomal, same run.

For en-de (RWTH Europarl, 508 pairs) and en-fr (Hansards WPT03, 447 pairs), trained on the gold
sentences (plus, for en-fr with ``--extra``, the 100k unannotated Hansards pairs, or their first
``--extra-n N``):

* baseline: eflomal through its own API with its defaults (``eflomal.Aligner().align``), then
  grow-diag-final-and (needs the ``eflomal`` extra);
* ``xdata builtin`` (IBM 1 -> HMM by agreement) and ``xdata eflomal`` (through xdata), each with
  every symmetrization, from one training run each (the time is that run's);
* ``+MUSE priors``: the MUSE en-xx dictionary as lexical priors (``--no-lexicon`` skips these);
* ``--priors-from-extra`` (en-fr, with extra text): the "saved priors align small batches
  consistently" use: align the extra text alone, save priors from its links to a file
  (``xdata align --save-priors``), then align only the gold pairs with those priors
  (``--priors``); also the saved builtin model (``--save-model`` / ``--from-model``). The time
  of these rows is the gold alignment alone; training is printed apart.

Prints a table (precision, recall, AER, wall time, seconds per 10k training pairs) and the
ratios builtin / eflomal per symmetrization (AER difference, time ratio) and builtin / baseline.

    python bench/bench_align.py [--pairs en-de en-fr] [--extra | --extra-n N] [--priors-from-extra]
                                [--no-lexicon] [--json OUT]
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
GDFA = "grow-diag-final-and"


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
    """The baseline: eflomal's own Python API with its default settings; directional links."""
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
    return fwd[:len(src)], rev[:len(src)]


def score(gold, src, tgt, fwd, bwd, sym):
    return aer(gold, [symmetrize(f, b, len(s), len(t), sym) for f, b, s, t in zip(fwd, bwd, src, tgt)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", nargs="+", default=["en-de", "en-fr"])
    ap.add_argument("--extra", action="store_true", help="Add the unannotated training pairs (en-fr: 100k Hansards).")
    ap.add_argument("--extra-n", type=int, default=0, help="Add only the first N of them (implies --extra).")
    ap.add_argument("--priors-from-extra", action="store_true",
                    help="Also align the extra text alone, save priors (and the builtin model), then align the "
                         "gold pairs alone with them.")
    ap.add_argument("--no-lexicon", action="store_true", help="Skip the runs with MUSE priors.")
    ap.add_argument("--json", type=Path, help="Also write the rows as JSON here.")
    args = ap.parse_args()
    use_extra = args.extra or args.extra_n > 0
    if args.priors_from_extra and not use_extra:
        ap.error("--priors-from-extra needs --extra or --extra-n N (the text to learn the priors from)")
    try:
        import eflomal  # noqa: F401

        have_eflomal = True
    except ImportError:
        have_eflomal = False
        print("eflomal is not installed (pip install 'xdata[eflomal]'): baseline and eflomal rows skipped")
    methods = ["builtin"] + (["eflomal"] if have_eflomal else [])
    rows: list[dict] = []
    print(f"{'set':12} {'system':30} {'symmetrization':20} {'P':>6} {'R':>6} {'AER':>6} {'time':>8} {'s/10k':>8}")

    def emit(pair: str, system: str, sym: str, r: dict, secs: float, n: int) -> None:
        row = {"pair": pair, "system": system, "sym": sym, **r, "seconds": round(secs, 2),
               "s_per_10k": round(secs / n * 10_000, 1), "pairs": n}
        rows.append(row)
        print(f"{pair:12} {system:30} {sym:20} {r['precision']:6.3f} {r['recall']:6.3f} {r['aer']:6.3f}"
              f" {secs:7.1f}s {row['s_per_10k']:7.1f}s", flush=True)

    for pair in args.pairs:
        d = DATA / "alignment" / pair
        src, tgt = _read(d / "src.txt"), _read(d / "tgt.txt")
        gold = read_pharaoh(d / "gold.txt", allow_possible=True)
        es: list[list[str]] = []
        et: list[list[str]] = []
        if use_extra and (d / "train.src.txt.gz").exists():
            n_extra = args.extra_n or None
            es, et = _read(d / "train.src.txt.gz", n_extra), _read(d / "train.tgt.txt.gz", n_extra)
        elif use_extra:
            print(f"{pair}: no unannotated training text; gold pairs only")
        label = pair + (f"+{len(es) / 1000:g}k" if es else "")
        n = len(src) + len(es)
        if have_eflomal:
            t0 = time.perf_counter()
            f, b = plain_eflomal(src + es, tgt + et)
            emit(label, "baseline: eflomal API defaults", GDFA, score(gold, src, tgt, f, b, GDFA),
                 time.perf_counter() - t0, n)
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
                emit(label, f"xdata {method}+MUSE priors", GDFA, score(gold, src, tgt, res.fwd, res.bwd, GDFA),
                     time.perf_counter() - t0, n)
        if args.priors_from_extra and es:
            from xdata.align.hmm import HMMAligner
            from xdata.align.priors import load_priors, priors_from_links, write_priors

            glabel = f"{pair}(gold)"
            with tempfile.TemporaryDirectory() as tmp:
                for method in methods:
                    t0 = time.perf_counter()
                    alone = align_corpus(src, tgt, method=method)
                    emit(glabel, f"{method}: gold alone", GDFA, score(gold, src, tgt, alone.fwd, alone.bwd, GDFA),
                         time.perf_counter() - t0, len(src))
                    t0 = time.perf_counter()
                    save = Path(tmp) / f"{method}.model" if method == "builtin" else None
                    big = align_corpus(es, et, method=method, save_model=save)
                    path = Path(tmp) / f"{method}.priors"
                    write_priors(path, priors_from_links(es, et, big.fwd, big.bwd))
                    t1 = time.perf_counter()
                    print(f"{'':12} ({method}: aligning {len(es):,} extra pairs and saving priors"
                          f"{' and the model' if save else ''} took {t1 - t0:.1f}s)", flush=True)
                    r = align_corpus(src, tgt, method=method, priors=load_priors(path))
                    emit(glabel, f"{method}: gold + saved priors", GDFA, score(gold, src, tgt, r.fwd, r.bwd, GDFA),
                         time.perf_counter() - t1, len(src))
                    if save is not None:
                        t2 = time.perf_counter()
                        r = HMMAligner.load(save).align(src, tgt, GDFA)
                        emit(glabel, f"{method}: gold, saved model", GDFA,
                             score(gold, src, tgt, r.fwd, r.bwd, GDFA), time.perf_counter() - t2, len(src))
    print()
    for pair in dict.fromkeys(r["pair"] for r in rows):
        pick = {(r["system"], r["sym"]): r for r in rows if r["pair"] == pair}
        base = pick.get(("baseline: eflomal API defaults", GDFA))
        if ("xdata builtin", GDFA) not in pick:
            continue
        if ("xdata eflomal", GDFA) in pick:
            for sym in HEURISTICS:
                b, e = pick[("xdata builtin", sym)], pick[("xdata eflomal", sym)]
                print(f"{pair:12} {sym:20} builtin/eflomal: AER {b['aer']:.3f} vs {e['aer']:.3f} "
                      f"(difference {b['aer'] - e['aer']:+.3f}), time ratio {b['seconds'] / max(e['seconds'], 1e-9):.2f}x")
        if base:
            ours = pick[("xdata builtin", GDFA)]
            print(f"{pair:12} builtin vs baseline (plain eflomal, {GDFA}): AER {ours['aer']:.3f} vs {base['aer']:.3f} "
                  f"(difference {ours['aer'] - base['aer']:+.3f}), time ratio "
                  f"{ours['seconds'] / max(base['seconds'], 1e-9):.2f}x")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
