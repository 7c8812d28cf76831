"""Links: the result type every aligner returns, symmetrization, Pharaoh files and AER."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import ConfigError, InputError

Links = set[tuple[int, int]]
HEURISTICS = ("intersection", "union", "grow-diag", "grow-diag-final", "grow-diag-final-and")


@dataclass
class AlignResult:
    links: list[list[tuple[int, int]]]
    scores: list[float]  # per-sentence confidence in [0, 1]: agreement of the two directions
    method: str
    fwd: list[Links] | None = None  # directional links before symmetrization (each target word's link)
    bwd: list[Links] | None = None  # (each source word's link); both as (src, tgt); None for neural
    view: str = "none"  # the alignment tokens the aligner saw (xdata.align.view spec, e.g. "stem.v1")
    view_name: str = "none"  # the same view by name (xdata.align.get_view(view_name) maps words again)


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
