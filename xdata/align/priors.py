"""Alignment priors: what a statistical aligner may know before it sees the corpus.

Priors come from two places and are stored in one format:

* a bilingual **lexicon** (MUSE or TSV, source word first, see :mod:`xdata.lexicon`): each entry
  becomes a lexical pseudo-count ``(src word, tgt word) -> weight`` (the entry's probability when
  it has one, else 1), scaled by ``weight``;
* a **trained alignment** of a large corpus (:func:`priors_from_links`): link counts per word
  pair, jump counts per direction and fertility counts, so that a small batch aligned later
  behaves like the large corpus did.

The file format is eflomal's (tab-separated ``LEX src tgt alpha``, ``HMMF jump alpha``,
``HMMR jump alpha``, ``FERF src fert alpha``, ``FERR tgt fert alpha``), so one priors file
drives both the eflomal backend and the built-in aligner. Words are kept lower-cased, as both
aligners compare them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from ..errors import InputError
from ..hashing import digest_value

if TYPE_CHECKING:
    from ..lexicon import Lexicon

#: Line kinds of a priors file and their field counts (kind included).
FIELDS = {"LEX": 4, "HMMF": 3, "HMMR": 3, "FERF": 4, "FERR": 4}


@dataclass
class AlignPriors:
    """Pseudo-counts for a statistical aligner (all keys lower-cased)."""

    lex: dict[tuple[str, str], float] = field(default_factory=dict)
    jump_fwd: dict[int, float] = field(default_factory=dict)  # target-side HMM (each tgt word picks a src word)
    jump_rev: dict[int, float] = field(default_factory=dict)
    fert_fwd: dict[tuple[str, int], float] = field(default_factory=dict)
    fert_rev: dict[tuple[str, int], float] = field(default_factory=dict)
    origin: str = ""  # "lexicon", "priors file" or "alignment"
    path: str = ""

    @property
    def digest(self) -> str:
        return digest_value([sorted(self.lex.items()), sorted(self.jump_fwd.items()), sorted(self.jump_rev.items()),
                             sorted(self.fert_fwd.items()), sorted(self.fert_rev.items())], 64)

    def __len__(self) -> int:
        return len(self.lex) + len(self.jump_fwd) + len(self.jump_rev) + len(self.fert_fwd) + len(self.fert_rev)

    def describe(self) -> dict[str, object]:
        return {"origin": self.origin, "path": self.path, "digest": self.digest, "lex": len(self.lex),
                "jump_fwd": len(self.jump_fwd), "jump_rev": len(self.jump_rev)}


def _is_priors_file(path: Path) -> bool:
    from ..io.files import open_binary

    with open_binary(path) as fh:
        for raw in fh:
            line = raw.decode("utf-8", errors="replace").strip()
            if line and not line.startswith("#"):
                return line.split("\t", 1)[0] in FIELDS
    return False


def read_priors_file(path: str | Path) -> AlignPriors:
    """Read an eflomal-format priors file, with file and line in every error."""
    from ..io.files import open_binary

    pri = AlignPriors(origin="priors file", path=str(path))
    with open_binary(path) as fh:
        for n, raw in enumerate(fh, 1):
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as e:
                raise InputError(f"invalid UTF-8 at byte {e.start}; expected UTF-8 text", path=path, line=n) from e
            if not line.strip() or line.startswith("#"):
                continue
            f = line.split("\t")
            want = FIELDS.get(f[0])
            if want is None or len(f) != want:
                raise InputError(f"expected 'LEX<TAB>src<TAB>tgt<TAB>alpha', 'HMMF|HMMR<TAB>jump<TAB>alpha' or "
                                 f"'FERF|FERR<TAB>word<TAB>fertility<TAB>alpha', got {line[:60]!r}", path=path, line=n)
            try:
                alpha = float(f[-1])
                if f[0] == "LEX":
                    key = (f[1].lower(), f[2].lower())
                    pri.lex[key] = pri.lex.get(key, 0.0) + alpha
                elif f[0] in ("HMMF", "HMMR"):
                    (pri.jump_fwd if f[0] == "HMMF" else pri.jump_rev)[int(f[1])] = alpha
                else:
                    (pri.fert_fwd if f[0] == "FERF" else pri.fert_rev)[(f[1].lower(), int(f[2]))] = alpha
            except ValueError as e:
                raise InputError(f"expected numbers in {line[:60]!r}: {e}", path=path, line=n) from e
            if alpha < 0:
                raise InputError(f"a prior must not be negative, got {alpha}", path=path, line=n)
    return pri


def priors_from_lexicon(path: "str | Path | Lexicon", weight: float = 1.0) -> AlignPriors:
    """Lexical priors from a bilingual lexicon, given by path or loaded (multiword entries add
    every word pair)."""
    from ..lexicon import Lexicon, load_lexicon

    lex = path if isinstance(path, Lexicon) else load_lexicon(path)
    pri = AlignPriors(origin="lexicon", path=str(lex.path or "") if isinstance(path, Lexicon) else str(path))
    for e in lex.entries:
        a, b = e.src.lower().split(), e.tgt.lower().split()
        alpha = weight * (e.prob if e.prob is not None else 1.0)
        for s in a:
            for t in b:
                pri.lex[(s, t)] = pri.lex.get((s, t), 0.0) + alpha / (len(a) * len(b))
    return pri


def load_priors(path: str | Path, weight: float = 1.0) -> AlignPriors:
    """A priors file (eflomal format) or a bilingual lexicon, told apart by the first line."""
    p = Path(path)
    if not p.exists():
        raise InputError("no such priors file or lexicon", path=p)
    return read_priors_file(p) if _is_priors_file(p) else priors_from_lexicon(p, weight)


def write_priors(path: str | Path, pri: AlignPriors) -> None:
    """Write priors in eflomal's format (sorted, so equal priors give equal bytes)."""
    lines = [f"LEX\t{s}\t{t}\t{a:.10g}" for (s, t), a in sorted(pri.lex.items())]
    lines += [f"FERF\t{w}\t{k}\t{a:.10g}" for (w, k), a in sorted(pri.fert_fwd.items())]
    lines += [f"FERR\t{w}\t{k}\t{a:.10g}" for (w, k), a in sorted(pri.fert_rev.items())]
    lines += [f"HMMF\t{j}\t{a:.10g}" for j, a in sorted(pri.jump_fwd.items())]
    lines += [f"HMMR\t{j}\t{a:.10g}" for j, a in sorted(pri.jump_rev.items())]
    tmp = Path(str(path) + ".tmp")
    tmp.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    tmp.replace(path)


def priors_from_links(src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]],
                      fwd: Sequence[set[tuple[int, int]]], rev: Sequence[set[tuple[int, int]]]) -> AlignPriors:
    """Count word pairs, jumps and fertilities of a trained alignment (links as (src, tgt)).

    ``fwd``: each target word's link (target-side HMM); ``rev``: each source word's link. Jumps
    are measured between consecutive aligned positions, with a final jump to the sentence end.
    """
    lex: Counter = Counter()
    jf: Counter = Counter()
    jr: Counter = Counter()
    ff: Counter = Counter()
    fr: Counter = Counter()
    for s, t, f, r in zip(src, tgt, fwd, rev):
        ls, lt = [w.lower() for w in s], [w.lower() for w in t]
        for i, j in f:
            if i >= len(ls) or j >= len(lt):
                raise InputError(f"link {i}-{j} is outside a pair of {len(ls)} x {len(lt)} tokens")
            lex[(ls[i], lt[j])] += 1
        last = -1
        for i, _ in sorted(f, key=lambda x: (x[1], x[0])):
            jf[i - last] += 1
            last = i
        jf[len(ls) - last] += 1
        last = -1
        for _, j in sorted(r):
            jr[j - last] += 1
            last = j
        jr[len(lt) - last] += 1
        for i, k in Counter(i for i, _ in f).items():
            ff[(ls[i], k)] += 1
        for j, k in Counter(j for _, j in r).items():
            fr[(lt[j], k)] += 1
    def fl(c: Counter) -> dict:
        return {k: float(v) for k, v in c.items()}

    return AlignPriors(fl(lex), fl(jf), fl(jr), fl(ff), fl(fr), origin="alignment")


__all__ = ["AlignPriors", "load_priors", "read_priors_file", "priors_from_lexicon", "priors_from_links",
           "write_priors"]
