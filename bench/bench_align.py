"""Word alignment AER on gold sets: xdata's aligners vs plain eflomal, with and without alignment tokens.

Any directory holding a gold set can be given (``--gold DIR``, repeatable; default: the shared
en-de and en-fr sets, ``../shared/data/alignment/{en-de,en-fr}``). A gold set directory holds:

* ``src.txt``, ``tgt.txt``: the annotated sentence pairs, one a line, tokens separated by
  spaces (``line.split()``); **every line is a test line**: the pairs are aligned (trained on
  without their links, as an unsupervised aligner is) and every line is scored;
* ``gold.txt``: line-parallel Pharaoh links, 0-based ``i-j`` (sure) and ``i?j`` (possible),
  source index first; an empty line is a pair without links. AER uses S = sure and P = sure +
  possible links (Och & Ney);
* optionally ``train.src.txt[.gz]``/``train.tgt.txt[.gz]``: unannotated parallel text in the
  same tokenization, added to training with ``--extra`` / ``--extra-n N`` (never scored).

The dictionary ``../shared/data/dictionaries/muse_<DIR name>.txt`` (e.g. ``muse_en-de.txt``) is
used as lexical priors when it exists (``--no-lexicon`` skips those rows).

Each system runs twice, on the words as given (view ``none``) and on xdata's default alignment
tokens (view ``stem``, :mod:`xdata.align.view`; for plain eflomal the view is applied to the text
it is given, and its links map back to the words unchanged):

* baseline: eflomal through its own API with its defaults (``eflomal.Aligner().align``), then
  grow-diag-final-and (needs the ``eflomal`` extra);
* ``xdata builtin`` (IBM 1 -> HMM by agreement) and ``xdata eflomal`` (through xdata), each with
  every symmetrization, from one training run each (the time is that run's);
* ``xdata default``: ``align_corpus`` with no option but the view (what ``xdata align`` runs), and
  the same with ``sym="intersection"`` (precision first: what projection runs);
* ``+MUSE priors``: builtin, eflomal and the default with the MUSE dictionary as priors;
* ``--priors-from-extra`` (with extra text, default view only): align the extra text alone, save
  priors from its links (``xdata align --save-priors``), then align only the gold pairs with
  those priors (``--priors``); also the saved builtin model (``--save-model`` / ``--from-model``).

Prints every row (precision, recall, AER, wall time, seconds per 10k training pairs), then a
summary table: AER at grow-diag-final-and per gold set and view.

    python bench/bench_align.py [--gold DIR ...] [--extra | --extra-n N] [--priors-from-extra]
                                [--no-lexicon] [--views none stem] [--json OUT]
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from pathlib import Path

from xdata.align import HEURISTICS, aer, align_corpus, get_view, parse_links, read_pharaoh, symmetrize

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
    ap.add_argument("--gold", type=Path, action="append", default=[],
                    help="A gold set directory (src.txt, tgt.txt, gold.txt); repeatable. Default: the shared en-de, en-fr.")
    ap.add_argument("--pairs", nargs="+", default=[], help="Shorthand: shared gold sets by name (en-de en-fr).")
    ap.add_argument("--views", nargs="+", default=["none", "stem"], help="Alignment token views to run.")
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
    for v in args.views:
        get_view(v)
    dirs = list(args.gold) + [DATA / "alignment" / p for p in args.pairs]
    if not dirs:
        dirs = [DATA / "alignment" / p for p in ("en-de", "en-fr")]
    for d in dirs:
        missing = [f for f in ("src.txt", "tgt.txt", "gold.txt") if not (d / f).is_file()]
        if missing:
            ap.error(f"{d}: missing {', '.join(missing)}")
    print(f"{'set':12} {'system':30} {'symmetrization':20} {'P':>6} {'R':>6} {'AER':>6} {'time':>8} {'s/10k':>8}")

    def emit(pair: str, system: str, sym: str, r: dict, secs: float, n: int) -> None:
        row = {"pair": pair, "system": system, "sym": sym, **r, "seconds": round(secs, 2),
               "s_per_10k": round(secs / n * 10_000, 1), "pairs": n}
        rows.append(row)
        print(f"{pair:12} {system:30} {sym:20} {r['precision']:6.3f} {r['recall']:6.3f} {r['aer']:6.3f}"
              f" {secs:7.1f}s {row['s_per_10k']:7.1f}s", flush=True)

    for d in dirs:
        pair = d.name
        src, tgt = _read(d / "src.txt"), _read(d / "tgt.txt")
        gold = read_pharaoh(d / "gold.txt", allow_possible=True)
        if not (len(src) == len(tgt) == len(gold)):
            raise SystemExit(f"{d}: src.txt, tgt.txt and gold.txt must have the same number of lines")
        es: list[list[str]] = []
        et: list[list[str]] = []
        if use_extra:
            train = [(d / f"train.src.txt{x}", d / f"train.tgt.txt{x}") for x in ("", ".gz")]
            found = [(a, b) for a, b in train if a.exists() and b.exists()]
            if found:
                n_extra = args.extra_n or None
                es, et = _read(found[0][0], n_extra), _read(found[0][1], n_extra)
            else:
                print(f"{pair}: no unannotated training text; gold pairs only")
        label = pair + (f"+{len(es) / 1000:g}k" if es else "")
        n = len(src) + len(es)
        lex = DATA / "dictionaries" / f"muse_{pair}.txt"
        for view in args.views:
            tv = get_view(view)
            vl = f"{label}/{view}"
            if have_eflomal:
                t0 = time.perf_counter()
                f, b = plain_eflomal(tv.sentences(src + es), tv.sentences(tgt + et, "tgt"))
                emit(vl, "baseline: eflomal API defaults", GDFA, score(gold, src, tgt, f, b, GDFA),
                     time.perf_counter() - t0, n)
            for method in methods:
                t0 = time.perf_counter()
                res = align_corpus(src, tgt, method=method, extra_src=es or None, extra_tgt=et or None, view=view)
                secs = time.perf_counter() - t0
                for sym in HEURISTICS:
                    emit(vl, f"xdata {method}", sym, score(gold, src, tgt, res.fwd, res.bwd, sym), secs, n)
            t0 = time.perf_counter()
            res = align_corpus(src, tgt, extra_src=es or None, extra_tgt=et or None, view=view)
            emit(vl, f"xdata default ({res.method.split('+')[0]})", GDFA,
                 score(gold, src, tgt, res.fwd, res.bwd, GDFA), time.perf_counter() - t0, n)
            # the default asked for intersection (precision first; what projection runs)
            t0 = time.perf_counter()
            res = align_corpus(src, tgt, sym="intersection", extra_src=es or None, extra_tgt=et or None, view=view)
            emit(vl, f"xdata default ({res.method.split('+')[0]})", "intersection",
                 score(gold, src, tgt, res.fwd, res.bwd, "intersection"), time.perf_counter() - t0, n)
            if not args.no_lexicon and lex.exists():
                from xdata.align.priors import load_priors

                for method in [*methods, "auto"]:
                    t0 = time.perf_counter()
                    res = align_corpus(src, tgt, method=method, extra_src=es or None, extra_tgt=et or None,
                                       priors=load_priors(lex, weight=0.1), view=view)
                    system = f"xdata {method}" if method != "auto" else f"xdata default ({res.method.split('+')[0]})"
                    emit(vl, f"{system}+MUSE priors", GDFA, score(gold, src, tgt, res.fwd, res.bwd, GDFA),
                         time.perf_counter() - t0, n)
        if args.priors_from_extra and es:
            from xdata.align.hmm import HMMAligner
            from xdata.align.priors import load_priors, priors_from_links, write_priors

            glabel = f"{pair}(gold)"
            tv = get_view()
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
                    # saved in the view the aligner saw, as `xdata align --save-priors` does
                    write_priors(path, priors_from_links(tv.sentences(es), tv.sentences(et, "tgt"), big.fwd, big.bwd))
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
    cols = [("baseline: eflomal API defaults", "plain eflomal"), ("xdata builtin", "builtin"),
            ("xdata eflomal", "xdata eflomal"), ("xdata default", "default"),
            ("xdata builtin+MUSE priors", "builtin+MUSE"), ("xdata eflomal+MUSE priors", "eflomal+MUSE"),
            ("xdata default+MUSE priors", "default+MUSE")]
    print(f"AER, {GDFA} (lower is better)")
    print("| gold set | view | " + " | ".join(c for _, c in cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    for key in dict.fromkeys(r["pair"] for r in rows if "/" in r["pair"]):
        set_name, view = key.split("/", 1)  # a view may hold a path (spm:DIR/M.model)
        got = {}
        for r in rows:
            if r["pair"] == key and r["sym"] == GDFA:
                for system, col in cols:
                    if r["system"] == system or (system.startswith("xdata default") and r["system"].startswith(
                            "xdata default") and r["system"].endswith("+MUSE priors") == system.endswith("+MUSE priors")):
                        got[col] = r["aer"]
        print(f"| {set_name} | {view} | " + " | ".join(f"{got[c]:.3f}" if c in got else "-" for _, c in cols) + " |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
