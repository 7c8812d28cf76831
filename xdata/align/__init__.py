"""Word alignment: aligners behind one interface, symmetrization, Pharaoh I/O and AER.

``align_corpus(src, tgt)`` aligns tokenized sentence pairs in both directions and
symmetrizes the two directions. Methods:

* ``eflomal`` (optional extra ``eflomal``, GPL-3.0, never imported unless used): the Bayesian
  HMM + fertility aligner, through its Python API;
* ``builtin``: xdata's own, licence-clean IBM Model 1 -> HMM aligner trained by agreement of
  the two directions (:mod:`xdata.align.hmm`), on the given sentences plus any extra parallel
  text; it can be saved and reused to align new pairs with fixed parameters;
* ``auto`` (default): eflomal when installed, else builtin; ``AlignResult.method`` says which.

Links are 0-based ``(source index, target index)`` pairs.
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from ..errors import ConfigError, InputError, MissingDependency
from .priors import AlignPriors

Links = set[tuple[int, int]]
HEURISTICS = ("intersection", "union", "grow-diag", "grow-diag-final", "grow-diag-final-and")
METHODS = ("auto", "eflomal", "builtin", "neural")


@dataclass
class AlignResult:
    links: list[list[tuple[int, int]]]
    scores: list[float]  # per-sentence confidence in [0, 1]: agreement of the two directions
    method: str
    fwd: list[Links] | None = None  # directional links before symmetrization (each target word's link)
    bwd: list[Links] | None = None  # (each source word's link); both as (src, tgt); None for neural


def symmetrize(fwd: Links, bwd: Links, len_src: int, len_tgt: int, heuristic: str = "grow-diag-final-and") -> Links:
    """Combine source->target and target->source links (both given as (src, tgt) pairs)."""
    if heuristic not in HEURISTICS:
        raise ConfigError(f"unknown symmetrization {heuristic!r}; expected one of {', '.join(HEURISTICS)}")
    inter, union = fwd & bwd, fwd | bwd
    if heuristic == "intersection":
        return set(inter)
    if heuristic == "union":
        return set(union)
    out = set(inter)
    neighbours = [(-1, 0), (0, -1), (1, 0), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)]
    aligned_s = {i for i, _ in out}
    aligned_t = {j for _, j in out}
    changed = True
    while changed:  # grow-diag
        changed = False
        for i, j in sorted(out):
            for di, dj in neighbours:
                ni, nj = i + di, j + dj
                if (ni, nj) in union and (ni, nj) not in out and (ni not in aligned_s or nj not in aligned_t):
                    out.add((ni, nj))
                    aligned_s.add(ni)
                    aligned_t.add(nj)
                    changed = True
    if heuristic == "grow-diag":
        return out
    for direction in (fwd, bwd):  # final / final-and
        for i, j in sorted(direction):
            if heuristic == "grow-diag-final-and":
                ok = i not in aligned_s and j not in aligned_t
            else:
                ok = i not in aligned_s or j not in aligned_t
            if ok:
                out.add((i, j))
                aligned_s.add(i)
                aligned_t.add(j)
    return out


def parse_links(line: str, path: str | Path | None = None, lineno: int | None = None,
                allow_possible: bool = False) -> tuple[Links, Links]:
    """Parse ``i-j`` (sure) and, if allowed, ``i?j`` (possible) links."""
    sure: Links = set()
    possible: Links = set()
    for item in line.split():
        sep = "-" if "-" in item else ("?" if allow_possible and "?" in item else None)
        parts = item.split(sep) if sep else []
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            expected = "'i-j' or 'i?j'" if allow_possible else "'i-j'"
            raise InputError(f"malformed link {item!r}; expected {expected} with 0-based integers", path=path, line=lineno)
        link = (int(parts[0]), int(parts[1]))
        (sure if sep == "-" else possible).add(link)
    return sure, possible


def read_pharaoh(path: str | Path, allow_possible: bool = False,
                 lengths: Sequence[tuple[int, int]] | None = None) -> list[tuple[Links, Links]]:
    """Links per line of a Pharaoh file; bad lines raise :class:`InputError` naming file and line.

    With ``lengths`` (source and target words per sentence), every link must index a word of
    its sentence and the file must have one line per sentence.
    """
    from ..io.files import open_binary

    out: list[tuple[Links, Links]] = []
    with open_binary(path) as f:
        for n, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise InputError(f"invalid UTF-8 at byte {e.start}; expected 'i-j' links", path=path, line=n) from None
            sure, possible = parse_links(line, path, n, allow_possible)
            if lengths is not None:
                if n > len(lengths):
                    raise InputError(f"more lines than the {len(lengths)} sentence pairs", path=path, line=n)
                ls, lt = lengths[n - 1]
                bad = sorted(lk for lk in sure | possible if lk[0] >= ls or lk[1] >= lt)
                if bad:
                    i, j = bad[0]
                    raise InputError(f"link {i}-{j} is out of range: the pair has {ls} source and {lt} target words",
                                     path=path, line=n)
            out.append((sure, possible))
    if lengths is not None and len(out) != len(lengths):
        raise InputError(f"{len(out)} lines for {len(lengths)} sentence pairs", path=path)
    return out


def format_links(links: Iterable[tuple[int, int]]) -> str:
    return " ".join(f"{i}-{j}" for i, j in sorted(links))


def aer(gold: Sequence[tuple[Links, Links]], pred: Sequence[Links]) -> dict[str, float]:
    """Precision, recall and alignment error rate (Och & Ney): possible links include the sure ones."""
    if len(gold) != len(pred):
        raise InputError(f"gold has {len(gold)} sentences but the prediction has {len(pred)}")
    a = s = p_and_a = s_and_a = 0
    for (sure, possible), links in zip(gold, pred):
        poss = possible | sure
        a += len(links)
        s += len(sure)
        p_and_a += len(links & poss)
        s_and_a += len(links & sure)
    precision = p_and_a / a if a else 0.0
    recall = s_and_a / s if s else 0.0
    error = 1.0 - (p_and_a + s_and_a) / (a + s) if (a + s) else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "aer": round(error, 4)}


# -- the built-in aligner -------------------------------------------------------------------
def _builtin(src: list[list[str]], tgt: list[list[str]], priors: AlignPriors | None = None,
             n_decode: int | None = None, save_model: str | Path | None = None,
             progress: Callable[[str], None] | None = None) -> tuple[list[Links], list[Links]]:
    """Train xdata's HMM aligner (see :mod:`xdata.align.hmm`) on all pairs; directional links."""
    from .hmm import train_and_align

    model, fwd, bwd = train_and_align(src, tgt, priors=priors, n_decode=n_decode, progress=progress)
    if save_model is not None:
        model.save(save_model)
    return fwd, bwd


def _one_word(token: str) -> str:
    """A token as one whitespace-free word (CoNLL-U forms may hold spaces: '100 000')."""
    return "\u2581".join(token.split()) or "\u2581"


def _eflomal(src: list[list[str]], tgt: list[list[str]], seed: int,
             priors: "AlignPriors | None" = None) -> tuple[list[Links], list[Links]]:
    try:
        import eflomal
    except ImportError as e:
        raise MissingDependency("eflomal", "eflomal", "the eflomal aligner") from e
    from .priors import write_priors

    with tempfile.TemporaryDirectory() as d:
        ps, pt = Path(d) / "s", Path(d) / "t"
        ps.write_text("".join(" ".join(map(_one_word, s)) + "\n" for s in src), encoding="utf-8")
        pt.write_text("".join(" ".join(map(_one_word, t)) + "\n" for t in tgt), encoding="utf-8")
        pp = None
        if priors is not None and len(priors):
            pp = Path(d) / "priors"
            write_priors(pp, priors)
        with open(ps, encoding="utf-8") as fs, open(pt, encoding="utf-8") as ft, \
                (open(pp, encoding="utf-8") if pp else contextlib.nullcontext()) as fp:
            eflomal.Aligner().align(fs, ft, links_filename_fwd=str(Path(d) / "fwd"),
                                    links_filename_rev=str(Path(d) / "rev"), quiet=True, priors_input=fp)
        fwd = [parse_links(line)[0] for line in (Path(d) / "fwd").read_text().splitlines()]
        rev = [parse_links(line)[0] for line in (Path(d) / "rev").read_text().splitlines()]
    return fwd, rev


def available_method(method: str) -> str:
    if method not in METHODS:
        raise ConfigError(f"unknown alignment method {method!r}; expected one of {', '.join(METHODS)}")
    if method != "auto":
        return method
    try:
        import importlib.util

        return "eflomal" if importlib.util.find_spec("eflomal") else "builtin"
    except (ImportError, ValueError):
        return "builtin"


def align_corpus(src: list[list[str]], tgt: list[list[str]], *, method: str = "auto",
                 sym: str = "grow-diag-final-and", extra_src: list[list[str]] | None = None,
                 extra_tgt: list[list[str]] | None = None, seed: int = 0, model: str | None = None,
                 layer: int = 8, matching: str = "itermax", priors: AlignPriors | None = None,
                 save_model: str | Path | None = None, load_model: str | Path | None = None,
                 progress: Callable[[str], None] | None = None) -> AlignResult:
    """Align sentence pairs (extra pairs are used for training only).

    ``method="neural"`` embeds words with the transformers encoder ``model`` (see
    :mod:`xdata.align.neural`; ``layer``, ``matching``); it needs no training text and its
    links are symmetric already, so ``sym`` and the extra text do not apply. ``priors`` (see
    :mod:`xdata.align.priors`: from a lexicon or a saved priors file) guide the statistical
    aligners. ``save_model`` (builtin) writes the trained aligner to a directory;
    ``load_model`` aligns with such a saved aligner and trains nothing (each pair on its own,
    so the links do not depend on which pairs are aligned together)."""
    if len(src) != len(tgt):
        raise InputError(f"{len(src)} source sentences but {len(tgt)} target sentences")
    if (extra_src is None) != (extra_tgt is None) or (extra_src is not None and len(extra_src) != len(extra_tgt or [])):
        raise InputError("extra training text needs as many source as target sentences")
    if sym not in HEURISTICS:
        raise ConfigError(f"unknown symmetrization {sym!r}; expected one of {', '.join(HEURISTICS)}")
    if load_model is not None:
        if method not in ("auto", "builtin"):
            raise ConfigError(f"a saved aligner is xdata's builtin one; it cannot be used with method={method!r}")
        from .hmm import HMMAligner

        return HMMAligner.load(load_model).align(src, tgt, sym)
    used = available_method(method)
    if save_model is not None and used != "builtin":
        raise ConfigError(f"only the builtin aligner can be saved (method resolved to {used!r}); "
                          "use method='builtin', or save priors (xdata.align.priors) for eflomal")
    if used == "neural":
        if not model:
            raise ConfigError("the neural aligner needs model= (a transformers encoder: directory or hub name)")
        from .neural import NeuralAligner

        aligner = NeuralAligner(model, layer=layer, matching=matching)
        nlinks, nscores = aligner.align(src, tgt)
        return AlignResult([sorted(x) for x in nlinks], [max(0.0, min(1.0, x)) for x in nscores], aligner.describe())
    all_s = src + (extra_src or [])
    all_t = tgt + (extra_tgt or [])
    if used == "eflomal":
        fwd, bwd = _eflomal(all_s, all_t, seed, priors)
    else:
        fwd, bwd = _builtin(all_s, all_t, priors, n_decode=len(src), save_model=save_model, progress=progress)
    links, scores = [], []
    for k in range(len(src)):
        f, b = fwd[k], bwd[k]
        links.append(sorted(symmetrize(f, b, len(src[k]), len(tgt[k]), sym)))
        scores.append(2 * len(f & b) / (len(f) + len(b)) if (f or b) else 0.0)
    return AlignResult(links, scores, f"{used}+{sym}", fwd[:len(src)], bwd[:len(src)])


__all__ = ["align_corpus", "AlignResult", "symmetrize", "aer", "read_pharaoh", "parse_links", "format_links",
           "HEURISTICS", "METHODS"]
