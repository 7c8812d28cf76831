"""Aligners behind one interface: each is a class with ``align()`` returning :class:`AlignResult`
and declared :class:`Capabilities`, found by name in :data:`ALIGNERS`.

A new aligner is one module with an :class:`Aligner` subclass plus one line in
:data:`ALIGNERS`; ``align_corpus``, the ``Align`` step and the CLI check its capabilities
(trainable, saveable, takes priors, deterministic) instead of its name.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Sequence

import numpy as np

from ..errors import ConfigError, MissingDependency
from .links import AlignResult, Links, parse_links, symmetrize
from .priors import AlignPriors

if TYPE_CHECKING:
    from .view import TokenView


@dataclass(frozen=True)
class Capabilities:
    """What an aligner can do; callers check these, never the aligner's name."""

    trainable: bool  # learns from the pairs it aligns (extra training text helps)
    saveable: bool  # can be saved after training and loaded to align new pairs
    takes_priors: bool  # uses lexical priors (a lexicon or saved priors)
    deterministic: bool  # the same input and seed give the same links
    directional: bool  # gives links in both directions, combined by a symmetrization heuristic
    token_view: bool = False  # aligns a view of the words (xdata.align.view), e.g. stems; links index the words


class Aligner(ABC):
    """Aligns tokenized sentence pairs; ``extra_src``/``extra_tgt`` are training text only."""

    name: ClassVar[str] = ""
    capabilities: ClassVar[Capabilities]

    @abstractmethod
    def align(self, src: list[list[str]], tgt: list[list[str]], *, sym: str = "grow-diag-final-and",
              extra_src: list[list[str]] | None = None, extra_tgt: list[list[str]] | None = None,
              priors: AlignPriors | None = None, progress: Callable[[str], None] | None = None,
              view: str | None = None) -> AlignResult:
        """Links for each pair (and, for directional aligners, both directions before symmetrization).

        ``view`` (aligners with ``capabilities.token_view``): the alignment tokens
        (:mod:`xdata.align.view`) the aligner sees instead of the words, ``None`` for the words
        as given (a saved aligner: the view it was trained with); links index the words."""

    def check(self, *, priors: Any = None, extra: bool = False, save: bool = False) -> None:
        """Refuse options this aligner would silently ignore (before any work)."""
        c = self.capabilities
        for given, ok, what in ((priors is not None, c.takes_priors, "takes no priors"),
                                (extra, c.trainable, "trains on nothing, so extra training text does not apply"),
                                (save, c.saveable, "cannot be saved")):
            if given and not ok:
                raise ConfigError(f"the {self.name} aligner {what}")


def symmetrized(name: str, src: list[list[str]], tgt: list[list[str]], fwd: list[Links], bwd: list[Links],
                sym: str, view: "TokenView | None" = None) -> AlignResult:
    """Combine directional links per pair; the score is the agreement of the two directions."""
    links, scores = [], []
    for k in range(len(src)):
        f, b = fwd[k], bwd[k]
        links.append(sorted(symmetrize(f, b, len(src[k]), len(tgt[k]), sym)))
        scores.append(2 * len(f & b) / (len(f) + len(b)) if (f or b) else 0.0)
    return AlignResult(links, scores, f"{name}+{sym}", fwd[:len(src)], bwd[:len(src)],
                       view=view.spec if view else "none", view_name=view.name if view else "none")


class BuiltinAligner(Aligner):
    """xdata's HMM aligner (:mod:`xdata.align.hmm`), trained on the pairs plus any extra text;
    ``save_model`` writes it after training, ``load_model`` aligns with a saved one (no training,
    each pair on its own)."""

    name = "builtin"
    capabilities = Capabilities(trainable=True, saveable=True, takes_priors=True, deterministic=True, directional=True,
                                token_view=True)

    def __init__(self, *, save_model: str | Path | None = None, load_model: str | Path | None = None,
                 **_: Any) -> None:
        self.save_model, self.load_model = save_model, load_model

    def align(self, src: list[list[str]], tgt: list[list[str]], *, sym: str = "grow-diag-final-and",
              extra_src: list[list[str]] | None = None, extra_tgt: list[list[str]] | None = None,
              priors: AlignPriors | None = None, progress: Callable[[str], None] | None = None,
              view: str | None = None) -> AlignResult:
        from .hmm import HMMAligner, train_and_align
        from .view import get_view

        if self.load_model is not None:
            if priors is not None or extra_src:
                raise ConfigError("a saved aligner aligns with fixed parameters: priors and extra training text "
                                  "apply when training it")
            model = HMMAligner.load(self.load_model)
            if view is not None and get_view(view).spec != get_view(model.view).spec:
                raise ConfigError(f"the saved aligner was trained on the {model.view!r} token view, not {view!r}; "
                                  "align with its own view (leave the view unset)")
            return model.align(src, tgt, sym)
        model, fwd, bwd = train_and_align(src + (extra_src or []), tgt + (extra_tgt or []), priors=priors,
                                          n_decode=len(src), progress=progress, view=view or "none")
        if self.save_model is not None:
            model.save(self.save_model)
        return symmetrized(self.name, src, tgt, fwd, bwd, sym, get_view(model.view))


def _one_word(token: str) -> str:
    """A token as one whitespace-free word (CoNLL-U forms may hold spaces: '100 000')."""
    return "\u2581".join(token.split()) or "\u2581"


class EflomalAligner(Aligner):
    """eflomal (optional extra ``eflomal``, GPL-3.0, imported only here): Bayesian HMM + fertility.
    It samples and takes no seed, so reruns can differ slightly. ``samplers``: its independent
    samplers, whose link counts it adds up before taking each word's best link (its default, 3)."""

    name = "eflomal"
    capabilities = Capabilities(trainable=True, saveable=False, takes_priors=True, deterministic=False,
                                directional=True, token_view=True)

    def __init__(self, *, samplers: int = 3, **_: Any) -> None:
        try:
            import eflomal  # noqa: F401
        except ImportError as e:
            raise MissingDependency("eflomal", "eflomal", "the eflomal aligner") from e
        if samplers < 1:
            raise ConfigError(f"eflomal needs at least one sampler, not {samplers}")
        self.samplers = samplers

    def align(self, src: list[list[str]], tgt: list[list[str]], *, sym: str = "grow-diag-final-and",
              extra_src: list[list[str]] | None = None, extra_tgt: list[list[str]] | None = None,
              priors: AlignPriors | None = None, progress: Callable[[str], None] | None = None,
              view: str | None = None) -> AlignResult:
        import eflomal

        from .priors import write_priors
        from .view import get_view

        tv = get_view(view or "none")
        all_s, all_t = tv.sentences(src + (extra_src or [])), tv.sentences(tgt + (extra_tgt or []), "tgt")
        priors = tv.priors(priors)
        with tempfile.TemporaryDirectory() as d:
            ps, pt = Path(d) / "s", Path(d) / "t"
            ps.write_text("".join(" ".join(map(_one_word, s)) + "\n" for s in all_s), encoding="utf-8")
            pt.write_text("".join(" ".join(map(_one_word, t)) + "\n" for t in all_t), encoding="utf-8")
            pp = None
            if priors is not None and len(priors):
                pp = Path(d) / "priors"
                write_priors(pp, priors)
            with open(ps, encoding="utf-8") as fs, open(pt, encoding="utf-8") as ft, \
                    (open(pp, encoding="utf-8") if pp else contextlib.nullcontext()) as fp:
                eflomal.Aligner(n_samplers=self.samplers).align(fs, ft, links_filename_fwd=str(Path(d) / "fwd"),
                                        links_filename_rev=str(Path(d) / "rev"), quiet=True, priors_input=fp)
            fwd = [parse_links(line)[0] for line in (Path(d) / "fwd").read_text().splitlines()]
            rev = [parse_links(line)[0] for line in (Path(d) / "rev").read_text().splitlines()]
        return symmetrized(self.name, src, tgt, fwd, rev, sym, tv)


def link_frequency(samples: Sequence[Links], shape: tuple[int, int], rows_are_src: bool) -> np.ndarray:
    """The share of ``samples`` (link sets of one pair, one direction, e.g. from several runs of a
    sampling aligner) that hold each link: that direction's link posterior as estimated from the
    samples, laid out as a posterior matrix (rows: the words being linked, one link each; columns:
    the positions of the other side). ``rows_are_src``: rows are source words (the target->source
    direction); else rows are target words."""
    out = np.zeros(shape)
    for links in samples:
        for i, j in links:
            out[(i, j) if rows_are_src else (j, i)] += 1
    return out / max(len(samples), 1)


def majority_links(posteriors: Sequence[np.ndarray], rows_are_src: bool) -> Links:
    """The links whose posterior, averaged over the members (one matrix each, same layout as
    :func:`link_frequency`), is above 1/2: each link kept is more likely right than wrong by the
    members' mean belief, the decision that minimizes the expected number of wrong and missed
    links. A tie (exactly 1/2) is not kept. Each row's posteriors sum to at most 1, so at most one
    link per row passes: the result is a directional alignment like each member's."""
    if not posteriors or posteriors[0].size == 0:
        return set()
    total = np.sum(posteriors, axis=0)
    r, c = np.nonzero(total > len(posteriors) / 2 + 1e-9)  # the margin keeps ties out despite rounding
    return {(int(a), int(b)) if rows_are_src else (int(b), int(a)) for a, b in zip(r, c)}


def unanimous_links(posteriors: Sequence[np.ndarray], rows_are_src: bool) -> Links:
    """The links every member believes (its own posterior above 1/2): the precision-first
    combination, for ``sym="intersection"`` (see :class:`EnsembleAligner`)."""
    if not posteriors:
        return set()
    out = majority_links(posteriors[:1], rows_are_src)
    for p in posteriors[1:]:
        out &= majority_links([p], rows_are_src)
    return out


class EnsembleAligner(Aligner):
    """The builtin aligner and eflomal together, by their mean link posterior in each direction,
    then the two directions symmetrized as usual (``sym``).

    * builtin: its HMM link posteriors (forward-backward, the same model that aligns alone);
    * eflomal gives links, not posteriors, and samples: it runs ``samples`` times with one
      sampler each, and the share of runs that give a link is its posterior (the same sampling
      work, per run, as its default of three samplers added up into one answer);
    * a link is kept when the mean of the two members' posteriors is above 1/2
      (:func:`majority_links`): eflomal's most frequent links pass when the builtin gives them some
      belief, its less frequent ones only when the builtin is sure enough to carry them.

    Two aligners that err differently rarely both believe a wrong link, so the mean is more precise
    than either member, and it keeps the links one member is sure of where the other hesitates
    (which a plain intersection of their links drops). Both members see the same view, priors and
    extra text. eflomal samples, so the ensemble is not deterministic (``capabilities`` and the
    method name in the provenance say so).

    ``sym="intersection"`` asks for precision first (a link both directions give); there a link
    must also be believed by each member, not only by their mean (:func:`unanimous_links`; the
    method name says ``unanimous``). Annotation projection uses it: its retagger learns from the
    projected labels, so a wrong link costs more there than a missing one.
    """

    name = "ensemble"
    capabilities = Capabilities(trainable=True, saveable=False, takes_priors=True, deterministic=False,
                                directional=True, token_view=True)
    members = ("builtin", "eflomal")

    def __init__(self, *, samples: int = 6, **_: Any) -> None:
        EflomalAligner()  # a clear error when eflomal is not installed
        if samples < 1:
            raise ConfigError(f"the ensemble needs at least one eflomal run, not {samples}")
        self.samples = samples  # eflomal runs: its posterior estimate settles by about 6 (12 gave nothing more)

    def align(self, src: list[list[str]], tgt: list[list[str]], *, sym: str = "grow-diag-final-and",
              extra_src: list[list[str]] | None = None, extra_tgt: list[list[str]] | None = None,
              priors: AlignPriors | None = None, progress: Callable[[str], None] | None = None,
              view: str | None = None) -> AlignResult:
        from .hmm import HMMAligner
        from .view import get_view

        tv = get_view(view or "none")
        model = HMMAligner.train(src + (extra_src or []), tgt + (extra_tgt or []), priors=priors, progress=progress,
                                 view=tv.name)
        runs = []
        for k in range(self.samples):
            if progress:
                progress(f"eflomal run {k + 1} of {self.samples}")
            r = EflomalAligner(samplers=1).align(src, tgt, sym=sym, extra_src=extra_src, extra_tgt=extra_tgt,
                                                 priors=priors, view=tv.name)
            assert r.fwd is not None and r.bwd is not None
            runs.append((r.fwd, r.bwd))
        combine = unanimous_links if sym == "intersection" else majority_links
        fwd: list[Links] = []
        bwd: list[Links] = []
        for k, (pf, _, pb, _) in enumerate(model.iter_posteriors(src, tgt)):
            fwd.append(combine([pf, link_frequency([f[k] for f, _ in runs], pf.shape, False)], False))
            bwd.append(combine([pb, link_frequency([b[k] for _, b in runs], pb.shape, True)], True))
        name = f"ensemble(builtin,eflomal x{self.samples}{', unanimous' if combine is unanimous_links else ''})"
        return symmetrized(name, src, tgt, fwd, bwd, sym, tv)


#: Bumped whenever an aligner trained here gives other links for the same input, seed and options,
#: so that datasets made by corpus-level alignment (projection, pseudo-labels) get new version ids.
#: 2: the builtin HMM's far jump buckets are shared by their positions, and EM also starts from the
#: mirrored jump table (the likelier model kept); the ensemble keeps links by mean posterior
#: (unanimous under intersection). 3: the builtin's fertility constraint and 4 Model 1 iterations.
REVISION = 3

#: Method name -> aligner class ("module:class", imported when used).
ALIGNERS: dict[str, str] = {
    "builtin": f"{__name__}:BuiltinAligner",
    "eflomal": f"{__name__}:EflomalAligner",
    "ensemble": f"{__name__}:EnsembleAligner",
    "neural": "xdata.align.neural:NeuralAligner",
}
METHODS = ("auto", *ALIGNERS)


def aligner_class(method: str) -> type[Aligner]:
    """The class a method names (``auto`` resolved, see :func:`available_method`)."""
    module, cls = ALIGNERS[available_method(method)].split(":")
    return getattr(importlib.import_module(module), cls)


def make_aligner(method: str = "auto", **options: Any) -> Aligner:
    """An aligner by method name; the ``options`` its constructor takes are passed (None ones dropped)."""
    import inspect

    cls = aligner_class(method)
    params = inspect.signature(cls).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        options = {k: v for k, v in options.items() if k in params}
    return cls(**{k: v for k, v in options.items() if v is not None})


def available_method(method: str) -> str:
    """``auto`` is the ensemble of the builtin aligner and eflomal when eflomal is installed (more
    precise than either: see :class:`EnsembleAligner`), else the builtin; other names as given."""
    if method not in METHODS:
        raise ConfigError(f"unknown alignment method {method!r}; expected one of {', '.join(METHODS)}")
    if method != "auto":
        return method
    try:
        return "ensemble" if importlib.util.find_spec("eflomal") else "builtin"
    except (ImportError, ValueError):
        return "builtin"
