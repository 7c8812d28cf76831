"""LID benchmarks: accuracy per backend and language, and `xdata lid` throughput.

``--accuracy``: per language, the share of lines each installed backend (and ``auto``) labels with
the right language, on the shared data beside the repository: Bible verses (sw, zu, ee, en),
MasakhaNER 2.0 test sentences rebuilt from their tokens (sw, zu) and PUD sentences (en, de, fr,
es); "long" lines have 5+ words, "short" ones are the first 1-4 words of a line (1, 2, 3, 4 in
turn). Writes the data file ``auto`` reads (``xdata/lid/accuracy.json``, or ``--out``) and prints
a Markdown table for the README.

``--throughput``: ``xdata lid`` (the whole CLI process, default workers, start-up and model load
included) on ``--lines`` lines against the backend's own fastest batch call in the same run,
in one process: fastText ``predict`` on a list per chunk of 10,000 lines; heliport
``par_identify_with_score`` per chunk (its threads use every core); CLD3 has no batch call (a
loop of ``FindLanguage``); lingua ``compute_language_confidence_values_in_parallel`` per chunk.
Also printed: the same command on one line, the fixed start-up cost inside the whole-process time.

    python bench/bench_lid.py --accuracy [--data ../shared/data]
    python bench/bench_lid.py --throughput --lines 1000000 [--backend fasttext,heliport]
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from xdata.lid import _Lid, backends, shared_backend
from xdata.lid.backends import BROADEST, default_digest, installed_backends

REPO = Path(__file__).resolve().parents[1]
LANGS = ("sw", "zu", "ee", "en", "de", "fr", "es")
_BIBLE = {"sw": "swh", "zu": "zul", "ee": "ewe", "en": "eng"}
_NER = {"sw": "swa", "zu": "zul"}


def _bible(data: Path, lang: str) -> list[str]:
    path = data / "bible" / f"{_BIBLE[lang]}.tsv"
    return [ln.split("\t", 1)[1] for ln in path.read_text(encoding="utf-8").splitlines() if "\t" in ln]


def _ner(data: Path, lang: str) -> list[str]:
    """Sentences rebuilt from MasakhaNER's token-per-line format (blank line between sentences)."""
    out, cur = [], []
    for ln in (data / "ner" / f"masakhaner2_{_NER[lang]}_test.txt").read_text(encoding="utf-8").splitlines():
        if ln.strip():
            cur.append(ln.split()[0])
        elif cur:
            out.append(" ".join(cur))
            cur = []
    if cur:
        out.append(" ".join(cur))
    return out


def _pud(data: Path, lang: str) -> list[str]:
    path = data / "pud" / f"{lang}_pud-ud-test.conllu"
    return [ln[9:].strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.startswith("# text = ")]


def test_sets(data: Path) -> dict[tuple[str, str, str], list[str]]:
    """(source, language, long|short) -> lines."""
    sets: dict[tuple[str, str, str], list[str]] = {}
    sources = [("bible", lg, _bible) for lg in _BIBLE] + [("masakhaner", lg, _ner) for lg in _NER] + \
        [("pud", lg, _pud) for lg in ("en", "de", "fr", "es")]
    for src, lang, read in sources:
        lines = [" ".join(s.split()) for s in read(data, lang)]
        sets[(src, lang, "long")] = [s for s in lines if len(s.split()) >= 5]
        sets[(src, lang, "short")] = [" ".join(s.split()[: 1 + i % 4]) for i, s in enumerate(lines) if s.split()]
    return sets


def _acc(got: list[str], lang: str) -> float:
    return sum(backends.base_of(g) == lang for g in got) / max(1, len(got))


def _pooled(per_source: dict[str, dict[str, dict[str, float | int]]], lang: str, length: str) -> tuple[float, int]:
    hits = n = 0.0
    for rec in per_source.values():
        if lang in rec:
            hits += float(rec[lang][length]) * int(rec[lang][f"n_{length}"])
            n += int(rec[lang][f"n_{length}"])
    return (round(hits / n, 4) if n else 0.0), int(n)


def accuracy(data: Path, out: Path) -> None:
    sets = test_sets(data)
    names = installed_backends()
    table: dict = {
        "generated_by": "python bench/bench_lid.py --accuracy",
        "date": datetime.date.today().isoformat(),
        "data": "Bible verses (sw, zu, ee, en), MasakhaNER 2.0 test sentences rebuilt from tokens (sw, zu), PUD "
                "sentences (en, de, fr, es); long: 5+ words; short: the first 1-4 words of each line",
        "rule": "auto: per expected language, the most accurate installed backend on long lines; of those within "
                "0.005 of it, the most accurate on short lines, then the fastest (lines_per_s); see "
                "xdata.lid.backends.choose_backend",
        "backends": {},
    }
    long_all = [s for (_, _, ln), v in sets.items() if ln == "long" for s in v]
    for name in names:
        b = shared_backend(name)
        b.predict(long_all[:100])  # warm up (lazy model loads)
        t0 = time.perf_counter()
        b.predict(long_all)
        speed = len(long_all) / (time.perf_counter() - t0)
        per_source: dict[str, dict[str, dict[str, float | int]]] = {}
        for (src, lang, length), lines in sets.items():
            got = [p[0][0] for p in b.predict(lines, 1)]
            rec = per_source.setdefault(src, {}).setdefault(lang, {})
            rec[length], rec[f"n_{length}"] = round(_acc(got, lang), 4), len(lines)
        langs = {}
        for lang in LANGS:
            lo, n_lo = _pooled(per_source, lang, "long")
            sh, n_sh = _pooled(per_source, lang, "short")
            langs[lang] = {"long": lo, "short": sh, "n_long": n_lo, "n_short": n_sh}
        table["backends"][name] = {"digest": default_digest(name), "licence": b.licence,
                                   "lines_per_s": round(speed), "labels": sorted(b.known()),
                                   "languages": langs, "sources": per_source}
        print(f"{name}: measured ({speed:,.0f} lines/s on {len(long_all):,} long lines)", file=sys.stderr)
    out.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    # auto, as it reads the file just written
    backends._accuracy_table.cache_clear()
    backends._choose.cache_clear()
    backends._static_labels.cache_clear()
    lid = _Lid("auto", None)
    auto: dict[str, dict[str, float | int | str]] = {}
    for lang in LANGS:
        rec: dict[str, float | int | str] = {"backend": backends.choose_backend(lang)}
        for length in ("long", "short"):
            lines = [s for (_, lg, ln), v in sets.items() if lg == lang and ln == length for s in v]
            got, _, _ = lid.label(lines, [lang] * len(lines))
            rec[length], rec[f"n_{length}"] = round(_acc(got, lang), 4), len(lines)
        auto[lang] = rec
    table["auto"] = {"installed": names, "languages": auto}
    out.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    print(markdown(table))


def markdown(table: dict) -> str:
    cols = [b for b in BROADEST if b in table["backends"]] + ["auto"]
    head = "| language (lines) | " + " | ".join(cols) + " |"
    rows = [head, "|" + "---|" * (len(cols) + 1)]
    for lang in LANGS:
        for length in ("long", "short"):
            cells = []
            n = 0
            for c in cols:
                rec = table["auto"]["languages"][lang] if c == "auto" else table["backends"][c]["languages"][lang]
                n = int(rec[f"n_{length}"])
                val = f"{100 * float(rec[length]):.1f}"
                if c == "auto":
                    val += f" ({rec['backend']})"
                cells.append(val)
            words = "5+ words" if length == "long" else "1-4 words"
            rows.append(f"| {lang} {words} ({n:,}) | " + " | ".join(cells) + " |")
    rows.append("| lines/s (one batch call, long lines) | " + " | ".join(
        f"{table['backends'][c]['lines_per_s']:,}" for c in cols if c != "auto") + " | - |")
    return "\n".join(rows)


_SENTS = [
    "The children are going to school in the morning with their teachers.",
    "Die Kinder gehen am Morgen mit ihren Lehrern in die Schule.",
    "Les enfants vont à l'école le matin avec leurs enseignants.",
    "Los niños van a la escuela por la mañana con sus maestros.",
    "Serikali ya Tanzania imetangaza mpango mpya wa elimu kwa watoto wote nchini.",
    "Abantwana baya esikoleni ekuseni nothisha babo.",
    "Ɖeviwo yi suku le ŋdi me kple woƒe nufialawo.",
    "Дети идут в школу утром вместе со своими учителями.",
]


def _own_batch_call(name: str, lines: list[str], chunk: int) -> float:
    """Seconds for the backend's own fastest batch call over ``lines`` in chunks (labels made)."""
    b = shared_backend(name)
    t0 = time.perf_counter()
    for i in range(0, len(lines), chunk):
        part = lines[i:i + chunk]
        if name == "fasttext":
            b._model.predict(part, k=1)  # type: ignore[attr-defined]
        elif name == "heliport":
            b._id.par_identify_with_score(part)  # type: ignore[attr-defined]
        elif name == "cld3":
            find = b._id.FindLanguage  # type: ignore[attr-defined]
            for t in part:
                find(text=t)
        else:
            b._det.compute_language_confidence_values_in_parallel(part)  # type: ignore[attr-defined]
    return time.perf_counter() - t0


def throughput(n: int, names: list[str], chunk: int = 10_000) -> None:
    lines = [f"{_SENTS[i % len(_SENTS)]} {i}" for i in range(n)]
    print(f"lines: {n:,}")
    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "in.txt"
        inp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        for name in names:
            tb = _own_batch_call(name, lines, chunk)
            t0 = time.perf_counter()
            with open(inp, "rb") as fin:
                out = subprocess.run([sys.executable, "-m", "xdata", "lid", "--backend", name], stdin=fin,
                                     capture_output=True, check=True, cwd=REPO).stdout
            tx = time.perf_counter() - t0
            assert out.count(b"\n") == n
            t0 = time.perf_counter()  # the fixed cost: start-up, imports and model load
            subprocess.run([sys.executable, "-m", "xdata", "lid", "--backend", name], input=lines[0].encode() + b"\n",
                           capture_output=True, check=True, cwd=REPO)
            t1 = time.perf_counter() - t0
            print(f"{name}: own batch call {tb:.2f} s ({n / tb:,.0f} lines/s); xdata lid --backend {name} (whole "
                  f"process) {tx:.2f} s ({n / tx:,.0f} lines/s); ratio {tb / tx:.2f}x (target >= 0.8x); "
                  f"start-up alone (the same command on 1 line) {t1:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accuracy", action="store_true")
    ap.add_argument("--throughput", action="store_true")
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "xdata" / "lid" / "accuracy.json")
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--backend", default=None, help="comma-separated backends for --throughput (default: installed)")
    args = ap.parse_args()
    if not (args.accuracy or args.throughput):
        ap.error("give --accuracy and/or --throughput")
    if args.accuracy:
        accuracy(args.data, args.out)
    if args.throughput:
        throughput(args.lines, args.backend.split(",") if args.backend else installed_backends())


if __name__ == "__main__":
    main()
