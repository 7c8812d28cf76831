"""Projection between CoNLL-U files and evaluation of projected tags.

:func:`project_conllu` is what ``xdata project`` runs: it pairs the sentences of a source and a
target CoNLL-U file by order (checking ``sent_id`` when both have one), word-aligns their
syntactic words over the whole corpus, projects one field and writes the target file back
with only that field changed. :func:`evaluate_tags` is ``xdata eval tags``.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from ..errors import ConfigError, InputError
from . import is_bio_labels, project_spans, project_tokens

if TYPE_CHECKING:
    from ..lexicon import Lexicon

#: Word-level CoNLL-U columns that can be projected (besides ``misc:KEY``).
TOKEN_FIELDS = ("upos", "xpos", "deprel")
GOLD_POLICIES = ("clear", "misc")
MODES = ("auto", "token", "span")
EMPTY = ("_", "")
#: The MISC key holding a predicted tag's probability (written by ``xdata teacher label``).
PROB_KEY = "TagProb"


@dataclass
class ConlluDoc:
    """A parsed CoNLL-U file: its sentences (conllu TokenLists) and their first lines."""

    path: str
    sentences: list[Any]
    lines: list[int]

    @classmethod
    def read(cls, path: str | Path) -> "ConlluDoc":
        from ..io.readers.conllu import read_conllu_sentences

        lines, sents = [], []
        for first, s in read_conllu_sentences(path):
            lines.append(first)
            sents.append(s)
        return cls(str(path), sents, lines)

    def words(self, k: int) -> list[dict[str, Any]]:
        from ..io.readers.conllu import conllu_words

        return conllu_words(self.sentences[k])


def resolve_field(name: str) -> str:
    """Canonical field name: ``upos``, ``xpos``, ``deprel``, ``misc:KEY`` or ``meta:KEY``.

    ``ner`` is short for ``misc:NER`` (CoNLL-U has no NER column; treebanks that carry names put
    them in MISC).
    """
    if name == "ner":
        return "misc:NER"
    if name in TOKEN_FIELDS or (name.startswith(("misc:", "meta:")) and len(name) > 5):
        return name
    raise ConfigError(f"cannot project field {name!r}; expected one of {', '.join(TOKEN_FIELDS)}, ner, misc:KEY "
                      "or meta:KEY (a sentence label from a '# KEY = value' comment)")


def _get(word: dict[str, Any], fld: str) -> str:
    from ..io.readers.conllu import conllu_field_value

    return conllu_field_value(word, fld)


def _set(word: dict[str, Any], fld: str, value: str | None) -> None:
    from ..io.readers.conllu import set_conllu_field

    set_conllu_field(word, fld, value)


def _add_misc(word: dict[str, Any], **items: str) -> None:
    misc = dict(word.get("misc") or {})
    misc.update(items)
    word["misc"] = misc


def _gold_key(fld: str) -> str:
    base = fld[5:] if fld.startswith("misc:") else fld
    return "Gold" + base[:1].upper() + base[1:]


def pair_sentences(src: ConlluDoc, tgt: ConlluDoc) -> None:
    """Raise :class:`InputError` unless the two documents pair up sentence by sentence."""
    if len(src.sentences) != len(tgt.sentences):
        raise InputError(f"{src.path} has {len(src.sentences)} sentences but {tgt.path} has {len(tgt.sentences)}; "
                         "sentences are paired by order", path=tgt.path)
    for k, (a, b) in enumerate(zip(src.sentences, tgt.sentences)):
        ia, ib = a.metadata.get("sent_id"), b.metadata.get("sent_id")
        if ia is not None and ib is not None and ia != ib:
            raise InputError(f"sentence {k + 1}: sent_id {ib!r} does not match {ia!r} in {src.path} "
                             "(sentences are paired by order)", path=tgt.path, line=tgt.lines[k])


@dataclass
class ProjectionReport:
    """What :func:`project_conllu` did, for the CLI and provenance."""

    field: str
    mode: str
    method: str
    sentences: int
    tokens: int
    labelled: int
    by: dict[str, int] = dataclasses.field(default_factory=dict)
    spans_projected: int = 0
    spans_dropped: int = 0
    view: str = ""  # the alignment tokens the aligner saw (xdata.align.view spec); "" when not aligned

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def lexicon_pairs(lexicon: "str | Path | Lexicon", src: Sequence[Sequence[str]],
                  tgt: Sequence[Sequence[str]]) -> tuple[list[list[str]], list[list[str]]]:
    """Entries of a bilingual lexicon (MUSE/TSV, source word first) as extra one-entry training
    pairs for the aligner, restricted to entries whose words all occur in the corpus.

    Appending dictionary entries to the parallel text is the classic way to give a statistical
    aligner lexical priors: each pair adds a count to the translation table exactly where the
    corpus is too small to learn it (PUD en->de, 1000 sentences, MUSE: UPOS accuracy over all
    tokens 0.768 -> 0.789). Identical source and target words are skipped (the aligner learns
    those on its own). Words are compared lower-cased.
    """
    from ..lexicon import Lexicon, load_lexicon

    sv = {w.lower() for s in src for w in s}
    tv = {w.lower() for s in tgt for w in s}
    xs: list[list[str]] = []
    xt: list[list[str]] = []
    for e in (lexicon if isinstance(lexicon, Lexicon) else load_lexicon(lexicon)).entries:
        a, b = e.src.lower().split(), e.tgt.lower().split()
        if a and b and a != b and all(w in sv for w in a) and all(w in tv for w in b):
            xs.append(a)
            xt.append(b)
    return xs, xt


def project_conllu(src_path: str | Path, tgt_path: str | Path, out_path: str | Path, field: str, *,
                   method: str = "auto", sym: str | None = None, extra_src: list[list[str]] | None = None,
                   extra_tgt: list[list[str]] | None = None, lexicon: str | Path | None = None,
                   lowercase: bool = True, links: Sequence[Sequence[tuple[int, int]]] | None = None,
                   mode: str = "auto", retag: bool = True,
                   unaligned: str = "none", fallback: str | None = None, min_confidence: float = 0.0,
                   gold: str = "clear", seed: int = 0, priors: Any = None,
                   progress: Any = None, view: str | None = None) -> ProjectionReport:
    """Project ``field`` from the source CoNLL-U file onto the target's tokens; write ``out_path``.

    Only ``field`` changes in the target: its gold value is cleared (``gold="clear"``) or moved
    to MISC as ``Gold<Field>=...`` (``gold="misc"``) and replaced by the projection; tokens that
    get no label keep ``_`` (or lose the MISC key). Every labelled token records in MISC the
    source word IDs linked to it (``ProjFrom=3,4``) and how its label was chosen
    (``ProjBy=align|tagger|fallback``); span labels also carry the source span
    (``ProjSpan=5-7``) and its confidence (``ProjConf=0.75``, link coverage).

    Modes: ``token`` (majority vote over links, then -- with ``retag`` -- a tagger trained on the
    projections relabels every token: see :func:`xdata.project.tagger.retag`), ``span`` (BIO
    spans, see :func:`xdata.project.project_spans`), ``auto`` (span when the source labels are
    BIO, else token). ``meta:KEY`` fields copy the sentence comment ``# KEY = value``.

    Alignment runs over the whole corpus (plus ``extra_src``/``extra_tgt``, training only, and
    the entries of ``lexicon`` that occur in it, see :func:`lexicon_pairs`, which also serve as
    lexical ``priors`` with weight 0.1 unless priors are given), on lower-cased
    forms by default (``lowercase``: sentence-initial capitals otherwise split a word's counts).
    ``sym=None`` picks the symmetrization: ``intersection`` in token mode with ``retag`` (the
    tagger fills what the precise links leave out, and cleaner votes make cleaner type
    evidence: PUD en->de with MUSE priors 0.793 with grow-diag, 0.817 with intersection),
    ``grow-diag-final-and`` otherwise (spans and plain votes need the coverage).
    ``links`` (one list of 0-based (source, target) word links per sentence pair, e.g. read
    from ``xdata align`` output) skips alignment and uses them as given. ``view`` is the
    aligner's token view (:mod:`xdata.align.view`; default ``stem``, ``"none"`` for the forms as
    given); the report records it.
    """
    fld = resolve_field(field)
    if mode not in MODES:
        raise ConfigError(f"unknown projection mode {mode!r}; expected one of {', '.join(MODES)}")
    if gold not in GOLD_POLICIES:
        raise ConfigError(f"unknown gold policy {gold!r}; expected one of {', '.join(GOLD_POLICIES)}")
    src, tgt = ConlluDoc.read(src_path), ConlluDoc.read(tgt_path)
    pair_sentences(src, tgt)
    n = len(tgt.sentences)
    if fld.startswith("meta:"):
        report = _copy_sentence_label(src, tgt, fld[5:], fld)
        _write(tgt, out_path)
        return report

    src_words = [src.words(k) for k in range(n)]
    tgt_words = [tgt.words(k) for k in range(n)]
    src_labels = [[_get(w, fld) for w in ws] for ws in src_words]
    if mode == "auto":
        mode = "span" if is_bio_labels([lab for labs in src_labels for lab in labs]) else "token"
    if sym is None:
        sym = "intersection" if mode == "token" and retag else "grow-diag-final-and"
    all_links, how_aligned, used_view = _links(src_words, tgt_words, links=links, method=method, sym=sym,
                                               extra_src=extra_src, extra_tgt=extra_tgt, lexicon=lexicon,
                                               lowercase=lowercase, seed=seed, priors=priors, progress=progress,
                                               view=view)
    _set_gold_aside(tgt_words, fld, gold)
    report = ProjectionReport(fld, mode, how_aligned + ("+lexicon" if lexicon is not None else ""), n,
                              sum(map(len, tgt_words)), 0, view=used_view)
    if mode == "span":
        by = _project_span_labels(src_words, tgt_words, src_labels, all_links, fld, min_confidence, report)
        report.labelled = report.tokens
    else:
        by = _project_token_labels(src_words, tgt_words, src_labels, all_links, fld, unaligned=unaligned,
                                   fallback=fallback, retag=retag)
        report.labelled = sum(by.values())
    report.by = dict(by)
    _write(tgt, out_path)
    return report


def _copy_sentence_label(src: ConlluDoc, tgt: ConlluDoc, key: str, fld: str) -> ProjectionReport:
    """``meta:KEY``: copy the sentence comment ``# KEY = value`` from each source sentence."""
    copied = 0
    for a, b in zip(src.sentences, tgt.sentences):
        if key in a.metadata:
            b.metadata[key] = a.metadata[key]
            copied += 1
        else:
            b.metadata.pop(key, None)
    n = len(tgt.sentences)
    return ProjectionReport(fld, "sentence", "copy", n, n, copied, {"copy": copied})


def _links(src_words: list[list[dict[str, Any]]], tgt_words: list[list[dict[str, Any]]], *,
           links: Sequence[Sequence[tuple[int, int]]] | None, method: str, sym: str,
           extra_src: list[list[str]] | None, extra_tgt: list[list[str]] | None, lexicon: str | Path | None,
           lowercase: bool, seed: int, priors: Any, progress: Any,
           view: str | None = None) -> tuple[list[list[tuple[int, int]]], str, str]:
    """Word links per sentence pair: the given ones (checked), else aligned over the whole corpus
    (forms lower-cased by default, seen through the token ``view``; a lexicon adds training pairs
    and priors). Also says how they were made and the view used."""
    from ..align import align_corpus

    def forms(doc_words: list[list[dict[str, Any]]]) -> list[list[str]]:
        return [[w["form"].lower() if lowercase else w["form"] for w in ws] for ws in doc_words]

    a_src, a_tgt = forms(src_words), forms(tgt_words)
    n = len(a_src)
    if links is not None:
        if len(links) != n:
            raise InputError(f"{len(links)} alignment lines for {n} sentence pairs")
        for k, given in enumerate(links):
            bad = [(i, j) for i, j in given if not (0 <= i < len(a_src[k]) and 0 <= j < len(a_tgt[k]))]
            if bad:
                raise InputError(f"link {bad[0][0]}-{bad[0][1]} out of range for {len(a_src[k])} source and "
                                 f"{len(a_tgt[k])} target words", line=k + 1, field="alignment")
        if view is not None:
            raise ConfigError("a token view chooses the aligner's tokens; with given links nothing is aligned")
        return [sorted(given) for given in links], "given", ""
    xs: list[list[str]] | None = [[w.lower() for w in s] for s in extra_src] \
        if extra_src is not None and lowercase else extra_src
    xt: list[list[str]] | None = [[w.lower() for w in s] for s in extra_tgt] \
        if extra_tgt is not None and lowercase else extra_tgt
    if lexicon is not None:
        from ..align.priors import priors_from_lexicon
        from ..lexicon import load_lexicon

        lex = load_lexicon(lexicon)  # read once: training pairs and priors
        ls, lt = lexicon_pairs(lex, a_src, a_tgt)
        xs, xt = (xs or []) + ls, (xt or []) + lt
        if priors is None:  # the entries also count as lexical priors
            priors = priors_from_lexicon(lex, weight=0.1)
    if progress is not None:
        progress(f"aligning {n:,} sentence pairs ({method})")
    res = align_corpus(a_src, a_tgt, method=method, sym=sym, extra_src=xs, extra_tgt=xt, seed=seed, priors=priors,
                       progress=progress, view=view)
    return res.links, res.method, res.view


def _set_gold_aside(tgt_words: list[list[dict[str, Any]]], fld: str, gold: str) -> None:
    """Clear the target's own value of the field (moved to MISC ``Gold<Field>`` with ``gold="misc"``)
    before anything is written into it."""
    for ws in tgt_words:
        for w in ws:
            g = _get(w, fld)
            if gold == "misc" and g not in EMPTY:
                _add_misc(w, **{_gold_key(fld): g})
            _set(w, fld, None)


def _project_span_labels(src_words: list[list[dict[str, Any]]], tgt_words: list[list[dict[str, Any]]],
                         src_labels: list[list[str]], all_links: list[list[tuple[int, int]]], fld: str,
                         min_confidence: float, report: ProjectionReport) -> Counter[str]:
    """BIO spans projected whole (see :func:`xdata.project.project_spans`); MISC records the source span."""
    by: Counter[str] = Counter()
    for k in range(len(tgt_words)):
        tags = ["O" if t in EMPTY else t for t in src_labels[k]]
        bio, kept, dropped = project_spans(tags, all_links[k], len(tgt_words[k]), min_confidence=min_confidence)
        report.spans_projected += len(kept)
        report.spans_dropped += len(dropped)
        for i, t in enumerate(bio):
            _set(tgt_words[k][i], fld, t)
        for sp in kept:
            sid = src_words[k]
            span = f"{sid[sp.src.start]['id']}-{sid[sp.src.end]['id']}"
            for i in range(sp.tgt.start, sp.tgt.end + 1):
                # ProjFrom: the span's source words linked to this token (none for a gap
                # closed by the minimal covering span); ProjSpan: the whole source span
                frm = sorted({s for s, t in sp.links if t == i})
                extra = {"ProjSpan": span, "ProjConf": f"{sp.confidence:.2f}", "ProjBy": "align"}
                if frm:
                    extra["ProjFrom"] = ",".join(str(sid[s]["id"]) for s in frm)
                _add_misc(tgt_words[k][i], **extra)
        by["align"] += sum(t != "O" for t in bio)
        by["O"] += sum(t == "O" for t in bio)
    return by


def _project_token_labels(src_words: list[list[dict[str, Any]]], tgt_words: list[list[dict[str, Any]]],
                          src_labels: list[list[str]], all_links: list[list[tuple[int, int]]], fld: str, *,
                          unaligned: str, fallback: str | None, retag: bool) -> Counter[str]:
    """Token labels by majority vote over links, then (``retag``) relabelled by a tagger trained on them."""
    n = len(tgt_words)
    projs = [project_tokens(src_labels[k], all_links[k], len(tgt_words[k]), unaligned=unaligned,
                            fallback=fallback, ignore=EMPTY) for k in range(n)]
    final: list[list[str | None]] = [list(p.labels) for p in projs]
    how: list[list[str]] = [["align" if p.sources[i] else "fallback" for i in range(len(p.labels))] for p in projs]
    if retag:
        from .tagger import retag as run_retag

        tgt_forms = [[w["form"] for w in ws] for ws in tgt_words]  # original case: a tagger cue
        votes: list[list[str | None]] = [[lab if p.sources[i] else None for i, lab in enumerate(p.labels)]
                                         for p in projs]
        tagged, _ = run_retag(tgt_forms, votes, agreement=[p.agreement for p in projs])
        for k in range(n):
            for i, lab in enumerate(tagged[k]):
                if lab and lab != votes[k][i]:
                    final[k][i] = lab
                    how[k][i] = "tagger"
    by: Counter[str] = Counter()
    for k in range(n):
        for i, label in enumerate(final[k]):
            if label is None:
                continue
            w = tgt_words[k][i]
            _set(w, fld, label)
            extra = {"ProjBy": how[k][i]}
            if projs[k].sources[i]:
                extra["ProjFrom"] = ",".join(str(src_words[k][s]["id"]) for s in projs[k].sources[i])
            _add_misc(w, **extra)
            by[how[k][i]] += 1
    return by


def _write(doc: ConlluDoc, out_path: str | Path) -> None:
    out = Path(out_path)
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        for s in doc.sentences:
            fh.write(s.serialize())
    tmp.replace(out)


def _bio_spans_seqeval(tags: Sequence[str]) -> set[tuple[str, int, int]]:
    from . import bio_spans

    return {(sp.label, sp.start, sp.end) for sp in bio_spans(tags)}


def evaluate_tags(gold_path: str | Path, pred_path: str | Path, field: str = "upos", *,
                  reliability: str | Path | None = None, n_bins: int = 15) -> dict[str, Any]:
    """Compare a predicted CoNLL-U file with the gold one on ``field``.

    Returns ``accuracy`` (over tokens that received a label), ``coverage`` (share of tokens
    that did), ``accuracy_all`` (over all tokens; unlabelled counts as wrong), token counts,
    ``per_label`` (per gold label: ``support`` and ``accuracy`` over all its tokens) and,
    when the gold field is BIO, span ``precision`` / ``recall`` / ``f1`` with seqeval's default
    (lenient IOB2) semantics, unlabelled predictions read as ``O``. Gold tokens without a value
    (``_``) are not counted.

    When predicted tokens carry their tag's probability in MISC (``TagProb=0.93``, as
    ``xdata teacher label`` writes), ``calibration`` gives the expected calibration error of
    those tokens (``n_bins`` equal-width bins), their accuracy and mean confidence, and the
    reliability bins; ``reliability`` writes the reliability diagram there as a PNG.
    """
    fld = resolve_field(field)
    if fld.startswith("meta:"):
        raise ConfigError("evaluate sentence labels with a classifier metric; eval tags scores token fields")
    gold, pred = ConlluDoc.read(gold_path), ConlluDoc.read(pred_path)
    pair_sentences(gold, pred)
    total = labelled = correct = 0
    g_seqs: list[list[str]] = []
    p_seqs: list[list[str]] = []
    confs: list[float] = []
    hits: list[bool] = []
    per_label: dict[str, Counter[str]] = {}
    for k in range(len(gold.sentences)):
        gw, pw = gold.words(k), pred.words(k)
        if len(gw) != len(pw):
            raise InputError(f"sentence {k + 1} has {len(gw)} words in {gold.path} but {len(pw)} in {pred.path}",
                             path=pred.path, line=pred.lines[k])
        gs, ps = [], []
        for a, b in zip(gw, pw):
            g, p = _get(a, fld), _get(b, fld)
            gs.append("O" if g in EMPTY else g)
            ps.append("O" if p in EMPTY else p)
            if g in EMPTY:
                continue
            total += 1
            c = per_label.setdefault(g, Counter())
            c["support"] += 1
            if p not in EMPTY:
                labelled += 1
                correct += p == g
                c["correct"] += p == g
                prob = (b.get("misc") or {}).get(PROB_KEY)
                if prob is not None:
                    try:
                        confs.append(float(prob))
                    except ValueError:
                        raise InputError(f"sentence {k + 1}: {PROB_KEY}={prob!r} is not a number",
                                         path=pred.path, line=pred.lines[k]) from None
                    hits.append(p == g)
        g_seqs.append(gs)
        p_seqs.append(ps)
    out: dict[str, Any] = {
        "field": fld,
        "tokens": total,
        "labelled": labelled,
        "correct": correct,
        "accuracy": correct / labelled if labelled else 0.0,
        "coverage": labelled / total if total else 0.0,
        "accuracy_all": correct / total if total else 0.0,
        "per_label": {lab: {"support": c["support"], "accuracy": c["correct"] / c["support"]}
                      for lab, c in sorted(per_label.items())},
    }
    if confs:
        from ..teacher.calibration import ece, plot_reliability, reliability_bins

        out["calibration"] = {"key": PROB_KEY, "tokens": len(confs), "ece": ece(confs, hits, n_bins),
                              "accuracy": sum(hits) / len(hits), "confidence": sum(confs) / len(confs),
                              "bins": reliability_bins(confs, hits, n_bins)}
        if reliability is not None:
            plot_reliability(confs, hits, reliability, n_bins=n_bins)
    elif reliability is not None:
        raise ConfigError(f"no predicted token carries a probability (MISC {PROB_KEY}=...): nothing to plot; "
                          "label the file with `xdata teacher label`")
    if is_bio_labels([t for s in g_seqs for t in s]):
        tp = n_pred = n_gold = 0
        per: dict[str, Counter[str]] = {}
        for gs, ps in zip(g_seqs, p_seqs):
            G, P = _bio_spans_seqeval(gs), _bio_spans_seqeval(ps)
            tp += len(G & P)
            n_pred += len(P)
            n_gold += len(G)
            for sp in G:
                per.setdefault(sp[0], Counter())["gold"] += 1
            for sp in P:
                per.setdefault(sp[0], Counter())["pred"] += 1
            for sp in G & P:
                per[sp[0]]["tp"] += 1
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / n_gold if n_gold else 0.0
        out.update({"precision": prec, "recall": rec, "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0,
                    "spans_gold": n_gold, "spans_pred": n_pred,
                    "per_type": {t: _prf(c) for t, c in sorted(per.items())}})
    return out


def _prf(c: Counter[str]) -> dict[str, float]:
    p = c["tp"] / c["pred"] if c["pred"] else 0.0
    r = c["tp"] / c["gold"] if c["gold"] else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "support": c["gold"]}
