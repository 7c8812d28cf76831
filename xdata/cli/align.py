"""Alignment verbs: ``xdata align`` and ``xdata eval aer``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from .common import app, echo_json, eval_app, handle_errors

if TYPE_CHECKING:
    from ..align import AlignResult
    from ..align.priors import AlignPriors


def _read_tokenized(path: Path) -> list[list[str]]:
    from ..errors import InputError
    from ..io.files import open_binary

    out = []
    with open_binary(path) as fh:
        for n, raw in enumerate(fh, 1):
            try:
                out.append(raw.decode("utf-8").split())
            except UnicodeDecodeError as e:
                raise InputError(f"invalid UTF-8 at byte {e.start}; expected UTF-8 text", path=path, line=n) from e
    return out


def _check_writable(path: Optional[Path], option: str) -> None:
    """Fail before any work when an output file cannot be created (not after a long alignment)."""
    from ..errors import InputError
    from ..io.files import check_writable

    if path is not None:
        if not path.parent.is_dir():
            raise InputError(f"{option}: the directory {str(path.parent)!r} does not exist", path=path)
        check_writable(path)


def _check_align_options(method: str, *, priors: Optional[Path], save_priors: Optional[Path],
                         save_model: Optional[Path], from_model: Optional[Path], extra: bool,
                         view: Optional[str] = None) -> None:
    """Reject option combinations that would be silently ignored, before reading any corpus
    (by the aligner's declared capabilities, not its name)."""
    from ..align import ALIGNERS, aligner_class
    from ..errors import ConfigError

    if from_model is not None and method not in ("auto", "builtin"):
        raise ConfigError(f"--from-model aligns with a saved builtin aligner; it cannot be used with --method {method}")
    caps = aligner_class("builtin" if from_model is not None else method).capabilities
    with_priors = ", ".join(n for n in ALIGNERS if aligner_class(n).capabilities.takes_priors)
    for given, ok, flag, what in ((priors, caps.takes_priors, "--priors", f"the statistical aligners ({with_priors})"),
                                  (save_priors, caps.takes_priors, "--save-priors", f"the statistical aligners ({with_priors})"),
                                  (save_model, caps.saveable, "--save-model", "aligners that can be saved"),
                                  (from_model, caps.saveable, "--from-model", "aligners that can be saved")):
        if given is not None and not ok:
            raise ConfigError(f"{flag} applies to {what}, not to --method {method}")
    if from_model is not None:
        if method not in ("auto", "builtin"):
            raise ConfigError(f"--from-model aligns with a saved builtin aligner; it cannot be used with --method {method}")
        for given, flag in ((priors, "--priors"), (save_model, "--save-model")):
            if given is not None:
                raise ConfigError(f"{flag} applies when training; --from-model aligns with fixed parameters "
                                  "(pass the priors when training the saved aligner)")
        if extra:
            raise ConfigError("--train-extra-src/--train-extra-tgt are training text; --from-model trains nothing")
    if view is not None:
        from ..align.view import get_view

        get_view(view)  # an unknown name is an error here
        if view != "none" and not caps.token_view:
            raise ConfigError(f"--view {view} applies to the statistical aligners, not to --method {method} "
                              "(it embeds the words as given)")
    _check_writable(save_priors, "--save-priors")


def write_scores(path: Path, scores: list[float]) -> None:
    """One confidence a line, line-parallel to the links (written atomically)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(f"{x:.4f}\n" for x in scores), encoding="utf-8")
    tmp.replace(path)


def write_provenance(scores_path: Path, res: "AlignResult", *, method: str, seed: int, priors: "AlignPriors | None") -> Path:
    """``SCORES.json`` next to the ``--scores`` file: how the links and scores were made."""
    import json

    from ..align import aligner_class

    path = scores_path.with_name(scores_path.name + ".json")
    cls = aligner_class(method)
    meta = {"method": res.method, "view": res.view, "seed": seed, "deterministic": cls.capabilities.deterministic,
            "pairs": len(res.links), "priors": priors.describe() if priors is not None else None}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def read_extra(src: Optional[Path], tgt: Optional[Path]) -> tuple[list[list[str]] | None, list[list[str]] | None]:
    """The ``--train-extra-src``/``--train-extra-tgt`` pair: both or neither, line-aligned."""
    from ..errors import InputError

    if (src is None) != (tgt is None):
        raise InputError("--train-extra-src and --train-extra-tgt go together")
    if src is None or tgt is None:
        return None, None
    es, et = _read_tokenized(src), _read_tokenized(tgt)
    if len(es) != len(et):
        raise InputError(f"{src} has {len(es)} lines but {tgt} has {len(et)}", path=tgt)
    return es, et


@app.command()
@handle_errors
def align(
    src: Path = typer.Option(..., "--src", help="Source sentences, whitespace-tokenized, one a line (.gz read too)."),
    tgt: Path = typer.Option(..., "--tgt", help="Target sentences, line-aligned with --src."),
    method: str = typer.Option("auto", "--method", help="auto (builtin+eflomal ensemble if eflomal is installed, else builtin) | ensemble | eflomal | builtin "
                               "| neural (with --model)."),
    sym: str = typer.Option("grow-diag-final-and", "--sym", help="Symmetrization: intersection | union | grow-diag | "
                            "grow-diag-final | grow-diag-final-and."),
    train_extra_src: Optional[Path] = typer.Option(None, "--train-extra-src", help="Extra source text, for training "
                                                   "only (no links printed for it)."),
    train_extra_tgt: Optional[Path] = typer.Option(None, "--train-extra-tgt", help="Extra target text, line-aligned "
                                                   "with --train-extra-src."),
    seed: int = typer.Option(0, "--seed", help="Passed to the aligner; the builtin and neural aligners are "
                             "deterministic, and eflomal has no seed (its reruns differ slightly)."),
    model: Optional[str] = typer.Option(None, "--model", help="neural: a transformers encoder (directory or hub name, "
                                        "e.g. bert-base-multilingual-cased)."),
    layer: int = typer.Option(8, "--layer", min=0, help="neural: hidden layer to embed words with."),
    matching: str = typer.Option("itermax", "--matching", help="neural: argmax | itermax."),
    priors: Optional[Path] = typer.Option(None, "--priors", help="Lexical priors for builtin/eflomal: a bilingual "
                                          "lexicon (MUSE or TSV, source word first) or a priors file in eflomal's "
                                          "format (from --save-priors or eflomal-makepriors); told apart by the "
                                          "first line."),
    priors_weight: float = typer.Option(0.1, "--priors-weight", min=0.0, help="Pseudo-count per lexicon entry "
                                        "(lexicons only; a priors file carries its own counts)."),
    save_priors: Optional[Path] = typer.Option(None, "--save-priors", help="After aligning, write priors (word-pair, "
                                               "jump and fertility counts, eflomal format) learned from the "
                                               "directional links of the --src/--tgt pairs only, not of the "
                                               "--train-extra text: to learn priors from a whole corpus, give it "
                                               "as --src/--tgt. Reuse them with --priors."),
    save_model: Optional[Path] = typer.Option(None, "--save-model", help="builtin: save the trained aligner to this "
                                              "directory."),
    from_model: Optional[Path] = typer.Option(None, "--from-model", help="Align with a saved builtin aligner (no "
                                              "training; each pair on its own, so any subset gets the same links)."),
    scores: Optional[Path] = typer.Option(None, "--scores", help="Write each pair's confidence in [0, 1], one float a "
                                          "line, line-parallel to the links (builtin/eflomal: agreement of the two "
                                          "directions; neural: mean similarity of linked words); its "
                                          "provenance (method, token view, seed, determinism) goes to FILE.json."),
    view: Optional[str] = typer.Option(None, "--view", help="Alignment tokens the statistical aligners see, one per "
                                       "word (links always index the words): stem (default: NFKC, case folding, a "
                                       "prefix whose length depends on the script; unspaced scripts and short words "
                                       "kept whole) | fold (NFKC + case folding) | none (the words as given) | "
                                       "snowball:LANG (a Snowball stemmer) | spm:MODEL (a sentencepiece model's first "
                                       "piece of each word); SRC,TGT gives each side its own. With "
                                       "--from-model: the saved aligner's own."),
) -> None:
    """Word-align S and T; print one line of 0-based `i-j` links (source first) per sentence pair.

    Progress and a summary go to stderr; stdout holds only the links."""
    from ..align import align_corpus, format_links
    from ..align.priors import load_priors, priors_from_links, write_priors
    from ..errors import InputError

    _check_align_options(method, priors=priors, save_priors=save_priors, save_model=save_model,
                         from_model=from_model, extra=train_extra_src is not None or train_extra_tgt is not None,
                         view=view)
    _check_writable(scores, "--scores")
    s, t = _read_tokenized(src), _read_tokenized(tgt)
    if len(s) != len(t):
        raise InputError(f"{src} has {len(s)} lines but {tgt} has {len(t)}; the files must be line-aligned", path=tgt)
    es, et = read_extra(train_extra_src, train_extra_tgt)
    pri = load_priors(priors, weight=priors_weight) if priors is not None else None
    if pri is not None and priors is not None:
        typer.echo(f"priors: {len(pri.lex):,} word pairs, {len(pri.jump_fwd) + len(pri.jump_rev)} jumps "
                   f"({pri.origin} {priors.name})", err=True)
    res = align_corpus(s, t, method=method, sym=sym, extra_src=es, extra_tgt=et, seed=seed, model=model, layer=layer,
                       matching=matching, priors=pri, save_model=save_model, load_model=from_model,
                       progress=lambda msg: typer.echo(f"  {msg}", err=True), view=view)
    typer.echo(f"aligned {len(s):,} pairs with {res.method} (alignment tokens: {res.view})", err=True)
    sys.stdout.write("".join(format_links(links) + "\n" for links in res.links))
    sys.stdout.flush()
    if scores is not None:
        write_scores(scores, res.scores)
        write_provenance(scores, res, method="builtin" if from_model is not None else method, seed=seed, priors=pri)
    if save_priors is not None:
        if res.fwd is None or res.bwd is None:  # only the neural aligner, rejected above
            raise InputError("--save-priors needs a statistical aligner (builtin or eflomal), not the neural one")
        # in the token view the aligner saw, so that --priors with the same view finds its words
        from ..align.view import get_view

        tv = get_view(res.view_name)
        write_priors(save_priors, priors_from_links(tv.sentences(s), tv.sentences(t, "tgt"), res.fwd, res.bwd))
        typer.echo(f"priors written to {save_priors} (from the {len(s):,} --src/--tgt pairs)", err=True)
    if save_model is not None:
        typer.echo(f"aligner saved to {save_model}", err=True)


@eval_app.command("aer")
@handle_errors
def eval_aer(
    gold: Path = typer.Option(..., "--gold", help="Gold links: `i-j` sure, `i?j` possible, one line per pair."),
    pred: Path = typer.Option(..., "--pred", help="Predicted links `i-j`, one line per pair."),
    src: Optional[Path] = typer.Option(None, "--src", help="Source sentences: links must index their words."),
    tgt: Optional[Path] = typer.Option(None, "--tgt", help="Target sentences (with --src)."),
) -> None:
    """Precision, recall and AER as JSON. With --src/--tgt, out-of-range links are errors."""
    from ..align import aer, read_pharaoh
    from ..errors import ConfigError, InputError

    lengths = None
    if (src is None) != (tgt is None):
        raise ConfigError("--src and --tgt go together")
    if src is not None and tgt is not None:
        s_sents, t_sents = _read_tokenized(src), _read_tokenized(tgt)
        if len(s_sents) != len(t_sents):
            raise InputError(f"{src} has {len(s_sents)} lines but {tgt} has {len(t_sents)}", path=tgt)
        lengths = [(len(a), len(b)) for a, b in zip(s_sents, t_sents)]
    g = read_pharaoh(gold, allow_possible=True, lengths=lengths)
    p = read_pharaoh(pred, lengths=lengths)
    if len(g) != len(p):
        raise InputError(f"{gold} has {len(g)} lines but {pred} has {len(p)}", path=pred)
    echo_json(aer(g, [sure for sure, _ in p]))


from .common import lexicon_app  # noqa: E402


@lexicon_app.command("induce")
@handle_errors
def lexicon_induce(
    src: Path = typer.Option(..., "--src", help="Source sentences, whitespace-tokenized."),
    tgt: Path = typer.Option(..., "--tgt", help="Target sentences, line-aligned."),
    out: Path = typer.Option(..., "--out", help="Lexicon file to write (TSV, source word first)."),
    alignment: Optional[Path] = typer.Option(None, "--alignment", help="Pharaoh links; default: align with --method."),
    method: str = typer.Option("auto", "--method", help="auto | ensemble | eflomal | builtin (when no --alignment)."),
    src_lang: Optional[str] = typer.Option(None, "--src-lang"),
    tgt_lang: Optional[str] = typer.Option(None, "--tgt-lang"),
    min_count: int = typer.Option(2, "--min-count", min=1),
    min_prob: float = typer.Option(0.1, "--min-prob", min=0.0, max=1.0),
    view: Optional[str] = typer.Option(None, "--view", help="Alignment tokens the statistical aligners see, one per "
                                       "word (links always index the words): stem (default: NFKC, case folding, a "
                                       "prefix whose length depends on the script; unspaced scripts and short words "
                                       "kept whole) | fold (NFKC + case folding) | none (the words as given) | "
                                       "snowball:LANG | spm:MODEL; SRC,TGT gives each side its own."),
) -> None:
    """Turn word alignments into a lexicon with counts and probabilities."""
    from ..align import align_corpus, read_pharaoh
    from ..align.induce import induce, write_lexicon
    from ..errors import InputError
    from ..langs import parse_lang

    _check_writable(out, "--out")
    if alignment is not None and view is not None:
        from ..errors import ConfigError

        raise ConfigError("--view chooses the tokens of the aligner; with --alignment nothing is aligned")
    s, t = _read_tokenized(src), _read_tokenized(tgt)
    if len(s) != len(t):
        raise InputError(f"{src} has {len(s)} lines but {tgt} has {len(t)}", path=tgt)
    if alignment is not None:
        links = [sorted(sure) for sure, _ in read_pharaoh(alignment, lengths=[(len(a), len(b)) for a, b in zip(s, t)])]
        if len(links) != len(s):
            raise InputError(f"{alignment} has {len(links)} lines but {src} has {len(s)}", path=alignment)
        for n, (ls, a, b) in enumerate(zip(links, s, t), 1):
            if any(i >= len(a) or j >= len(b) for i, j in ls):
                raise InputError(f"link index out of range (source has {len(a)} tokens, target {len(b)})",
                                 path=alignment, line=n)
        used = "given alignment"
    else:
        res = align_corpus(s, t, method=method, view=view)
        links, used = res.links, f"{res.method}, alignment tokens {res.view}"
    entries = induce(s, t, links, min_count=min_count, min_prob=min_prob)
    write_lexicon(entries, out, src_lang=parse_lang(src_lang) if src_lang else None,
                  tgt_lang=parse_lang(tgt_lang) if tgt_lang else None, method=used,
                  inputs=[src, tgt] + ([alignment] if alignment else []))
    typer.echo(f"wrote {len(entries):,} entries to {out} ({used})", err=True)
