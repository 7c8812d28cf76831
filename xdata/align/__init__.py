"""Word alignment: aligners behind one interface, symmetrization, Pharaoh I/O and AER.

``align_corpus(src, tgt)`` aligns tokenized sentence pairs in both directions and
symmetrizes the two directions. Methods:

* ``eflomal`` (optional extra ``eflomal``, GPL-3.0, never imported unless used): the Bayesian
  HMM + fertility aligner, through its Python API;
* ``builtin``: xdata's own, licence-clean IBM Model 1 -> HMM aligner trained by agreement of
  the two directions (:mod:`xdata.align.hmm`), on the given sentences plus any extra parallel
  text; it can be saved and reused to align new pairs with fixed parameters;
* ``auto`` (default): eflomal when installed, else builtin; ``AlignResult.method`` says which.

The statistical aligners (builtin, eflomal) see **alignment tokens**, a view of each word
(:mod:`xdata.align.view`; default ``stem``: NFKC, case folding and a script-aware prefix), one
token per word, so the links index the original words; ``view="none"`` aligns the words as
given. ``AlignResult.view`` records the view used.

Links are 0-based ``(source index, target index)`` pairs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..errors import ConfigError, InputError
from .aligners import ALIGNERS, METHODS, Aligner, Capabilities, aligner_class, available_method, make_aligner
from .links import HEURISTICS, AlignResult, Links, aer, format_links, parse_links, read_pharaoh, symmetrize
from .priors import AlignPriors
from .view import DEFAULT_VIEW, VIEWS, TokenView, get_view



def align_corpus(src: list[list[str]], tgt: list[list[str]], *, method: str = "auto",
                 sym: str = "grow-diag-final-and", extra_src: list[list[str]] | None = None,
                 extra_tgt: list[list[str]] | None = None, seed: int = 0, model: str | None = None,
                 layer: int = 8, matching: str = "itermax", priors: AlignPriors | None = None,
                 save_model: str | Path | None = None, load_model: str | Path | None = None,
                 progress: Callable[[str], None] | None = None, view: str | None = None) -> AlignResult:
    """Align sentence pairs (extra pairs are used for training only).

    The aligner comes from :data:`~xdata.align.aligners.ALIGNERS` by ``method``; options it
    cannot use are refused by its capabilities, not ignored: ``method="neural"`` embeds words
    with the transformers encoder ``model`` (``layer``, ``matching``) and needs no training
    text; ``priors`` (see :mod:`xdata.align.priors`) guide the statistical aligners;
    ``save_model`` (builtin) writes the trained aligner to a directory; ``load_model`` aligns
    with such a saved aligner and trains nothing (each pair on its own, so the links do not
    depend on which pairs are aligned together). ``view`` (:data:`~xdata.align.view.VIEWS`) is the
    token view of aligners that take one (``None``: ``stem``; with ``load_model``, the saved
    aligner's own view; the neural aligner embeds the words as given)."""
    if len(src) != len(tgt):
        raise InputError(f"{len(src)} source sentences but {len(tgt)} target sentences")
    if (extra_src is None) != (extra_tgt is None) or (extra_src is not None and len(extra_src) != len(extra_tgt or [])):
        raise InputError("extra training text needs as many source as target sentences")
    if sym not in HEURISTICS:
        raise ConfigError(f"unknown symmetrization {sym!r}; expected one of {', '.join(HEURISTICS)}")
    if load_model is not None:
        if method not in ("auto", "builtin"):
            raise ConfigError(f"a saved aligner is xdata's builtin one; it cannot be used with method={method!r}")
        method = "builtin"
    cls = aligner_class(method)
    if save_model is not None and not cls.capabilities.saveable:
        raise ConfigError(f"only the builtin aligner can be saved (method resolved to {cls.name!r}); "
                          "use method='builtin', or save priors (xdata.align.priors) for eflomal")
    if view is not None:
        get_view(view)  # an unknown name fails before any work
        if view != "none" and not cls.capabilities.token_view:
            raise ConfigError(f"the {cls.name} aligner aligns the words as given; token view {view!r} does not apply")
    elif load_model is None:
        view = DEFAULT_VIEW if cls.capabilities.token_view else None
    aligner = make_aligner(cls.name, save_model=save_model, load_model=load_model, model=model, layer=layer,
                           matching=matching)
    if cls.capabilities.trainable or extra_src is None:
        aligner.check(priors=priors if cls.capabilities.takes_priors else None, save=save_model is not None)
    return aligner.align(src, tgt, sym=sym, extra_src=extra_src if cls.capabilities.trainable else None,
                         extra_tgt=extra_tgt if cls.capabilities.trainable else None,
                         priors=priors if cls.capabilities.takes_priors else None, progress=progress,
                         view=view if cls.capabilities.token_view else None)


__all__ = ["align_corpus", "AlignResult", "symmetrize", "aer", "read_pharaoh", "parse_links", "format_links",
           "HEURISTICS", "METHODS", "ALIGNERS", "Aligner", "Capabilities", "aligner_class", "make_aligner",
           "available_method", "Links", "VIEWS", "TokenView", "get_view"]
