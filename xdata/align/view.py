"""Alignment tokens: the view of each word that a statistical aligner sees.

A statistical aligner learns a translation table over word *types*; on the small corpora
low-resource work lives with, most inflected forms are seen once or twice, so their counts are
too thin to learn from. The aligner is therefore given a coarser view of each word, one token
for one word (the view never splits, joins, drops or adds tokens), so the links it returns index
the original words unchanged. Views (:data:`VIEWS`):

* ``none``: the words as given;
* ``fold``: Unicode NFKC (compatibility forms such as full-width Latin, ligatures and
  presentation forms become their ordinary letters) and full case folding
  (``str.casefold``: ``Straße`` and ``STRASSE`` meet);
* ``stem`` (the default): ``fold``, then a crude stem, the word's first *N* units, where *N*
  depends on the script of the word's first letter (:data:`PREFIX`).

How ``stem`` cuts a word, and why (no constant was fitted to any gold alignment set):

* A **unit** is a character that is not a combining mark (Unicode category M*) or a format
  character (Cf: ZWJ, ZWNJ), together with the marks that follow it: a base letter and its
  accents, or an Indic consonant with its vowel signs and virama. Only units that start with a
  letter count towards *N*; punctuation inside a word (``l'homme``, ``e-mail``) is kept but not
  counted, and a word is cut before the first unit past the *N*-th letter.
* **Alphabets** (Latin, Cyrillic, Greek, Armenian, Georgian and every script not listed below):
  *N* = 4. A letter is roughly one phoneme, and the lexical root of most inflecting and
  agglutinating languages written this way is one or two syllables (CVC, CVCC, CVCV: 3-4
  phonemes), followed by the endings that make the forms sparse. Four letters keep the root and
  drop the endings; a longer prefix keeps more endings apart again.
* **Abjads** (Arabic, Hebrew, Syriac, Thaana, Samaritan, Mandaic): *N* = 5. Short vowels are
  not written, so a letter carries more of the word, but these languages attach conjunctions,
  prepositions and the article in front (Arabic w-, b-, l-, al-; Hebrew ve-, be-, ha-, she-):
  up to two letters of clitics plus a three-consonant root.
* **Abugidas** (the Brahmic scripts of South Asia: Devanagari, Bengali, Gurmukhi, Gujarati,
  Oriya, Tamil, Telugu, Kannada, Malayalam, Sinhala): *N* = 3. A unit is an aksara (consonant
  plus vowel sign, or a conjunct's member), about two phonemes; three of them are the same
  amount of word as four to six letters of an alphabet.
* **Syllabaries** (Hangul, Ethiopic, Cherokee, Canadian syllabics, Vai): *N* = 2. Each unit is
  a whole syllable; most Korean noun and verb stems are one or two syllables, with particles
  and endings after them.
* **Scripts written without spaces between words** (Han, Hiragana, Katakana, Thai, Lao, Khmer,
  Myanmar, Tibetan, Yi, the Tai scripts, Javanese, Balinese): never cut. Their tokens come from
  a segmenter, are already short (a Han character is a morpheme), and a prefix of one is
  often a different word. A word holding any such character is kept whole.
* **Short words are kept whole**: a word with at most *N* letter units is its own stem (the
  function words, whose counts are never thin, are not merged with longer words).
* **Words with a digit** are kept whole (``1998`` and ``1999`` are different facts), and so are
  words without a letter (punctuation).

Per language, a real stemmer or a subword model can stand in for the prefix (``stem``'s rules
for digits, punctuation and unspaced scripts still apply, after ``fold``):

* ``snowball:LANG``: the Snowball stemmer for LANG (an ISO 639 code such as ``de`` or the
  stemmer's name such as ``german``; the ``stem`` extra, ``pip install 'xdata[stem]'``);
* ``spm:PATH``: the first piece a sentencepiece model gives the word (its word-boundary mark
  dropped): a prefix whose length the model learnt from the language's own text, e.g. with
  ``xdata spm train``. A word whose first piece is a byte-fallback or unknown piece (a letter
  the model never saw) is kept whole. The path is kept absolute.

A view applies to both sides; ``SRC,TGT`` gives each side its own (source first), e.g.
``snowball:en,spm:sw.model``, since each language needs its own stemmer or model (the split is
at the first comma with a view on both sides of it, so a model path may hold commas).

The view is deterministic and idempotent (the view of a viewed word is itself; a stemmer or a
model is applied until the word stops changing), so priors saved in a view read back through it
unchanged. Its name and version (:attr:`TokenView.spec`; for ``snowball`` the stemmer package's
version, for ``spm`` the model file's digest) go into provenance: ``xdata align --scores``
metadata, saved aligners, the ``align`` pipeline step's resources, induced lexicons, projection
reports and the fingerprint of projected datasets.
"""

from __future__ import annotations

import unicodedata
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..errors import ConfigError, InputError

if TYPE_CHECKING:
    from .priors import AlignPriors

VIEWS = ("stem", "fold", "none")
DEFAULT_VIEW = "stem"
VERSION = 1

#: Prefix length in letter units per script class; ``None``: never cut.
PREFIX: dict[str, int | None] = {"alphabet": 4, "abjad": 5, "abugida": 3, "syllabary": 2, "unspaced": None}

#: Script class by the first word of a character's Unicode name (anything else with letters: alphabet).
_CLASS_BY_NAME: dict[str, str] = {
    **dict.fromkeys(("CJK", "IDEOGRAPHIC", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA", "THAI", "LAO",
                     "KHMER", "MYANMAR", "TIBETAN", "YI", "TAI", "NEW", "JAVANESE", "BALINESE"), "unspaced"),
    **dict.fromkeys(("ARABIC", "HEBREW", "SYRIAC", "THAANA", "SAMARITAN", "MANDAIC"), "abjad"),
    **dict.fromkeys(("DEVANAGARI", "BENGALI", "GURMUKHI", "GUJARATI", "ORIYA", "TAMIL", "TELUGU", "KANNADA",
                     "MALAYALAM", "SINHALA"), "abugida"),
    **dict.fromkeys(("HANGUL", "ETHIOPIC", "CHEROKEE", "CANADIAN", "VAI"), "syllabary"),
}


@lru_cache(maxsize=65536)
def script_class(ch: str) -> str:
    """The script class of one character (see :data:`PREFIX`); ``alphabet`` when unlisted."""
    name = unicodedata.name(ch, "")
    first = name.split(" ", 1)[0]
    if first == "NEW" and not name.startswith("NEW TAI LUE"):
        return "alphabet"
    if first == "TAI" and not name.startswith(("TAI THAM", "TAI LE", "TAI VIET")):
        return "alphabet"
    return _CLASS_BY_NAME.get(first, "alphabet")


def fold(word: str) -> str:
    """NFKC and full case folding (NFKC again after folding, which can decompose)."""
    out = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", word).casefold())
    return out or word


def _starts_unit(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return not (cat[0] == "M" or cat == "Cf")


def _kept_whole(w: str) -> list[str] | None:
    """The letters of a folded word, or None when every view keeps it whole (no letter, a digit,
    or a character of a script written without spaces)."""
    letters = [ch for ch in w if unicodedata.category(ch)[0] == "L"]
    if not letters or any(unicodedata.category(ch) == "Nd" for ch in w):
        return None
    if any(script_class(ch) == "unspaced" for ch in letters):
        return None
    return letters


def stem(word: str) -> str:
    """``fold``, then the first *N* letter units for the script of the first letter (module docstring)."""
    w = fold(word)
    letters = _kept_whole(w)
    if letters is None:
        return w
    n = PREFIX[script_class(letters[0])]
    assert n is not None
    if len(letters) <= n:  # at most n letters, so at most n letter units: kept whole
        return w
    units = 0
    for k, ch in enumerate(w):
        if _starts_unit(ch):
            if units == n:
                return w[:k]
            if unicodedata.category(ch)[0] == "L":
                units += 1
    return w


#: ISO 639-1 code -> Snowball stemmer name (the stemmers of snowballstemmer 2.2-3.x).
_SNOWBALL_BY_CODE = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech", "da": "danish",
    "nl": "dutch", "en": "english", "eo": "esperanto", "et": "estonian", "fi": "finnish", "fr": "french",
    "de": "german", "el": "greek", "hi": "hindi", "hu": "hungarian", "id": "indonesian", "ga": "irish",
    "it": "italian", "lt": "lithuanian", "ne": "nepali", "no": "norwegian", "nb": "norwegian", "fa": "persian",
    "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian", "st": "sesotho",
    "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}


def _snowball(lang: str) -> tuple[Callable[[str], str], str]:
    try:
        import snowballstemmer
    except ImportError:
        raise ConfigError("the snowball view needs the snowballstemmer package: pip install 'xdata[stem]'") from None
    from importlib.metadata import version

    from ..langs import parse_lang

    names = set(snowballstemmer.algorithms())
    name = lang.lower()
    if name not in names:
        try:  # an ISO 639 code, two or three letters (deu -> de)
            name = _SNOWBALL_BY_CODE.get(parse_lang(lang).split("-")[0], name)
        except ConfigError:
            pass
    if name not in names:
        raise ConfigError(f"no Snowball stemmer for {lang!r}; there are: {', '.join(sorted(names))}")
    stemmer = snowballstemmer.stemmer(name)
    return _folded_fixed_point(lambda x: stemmer.stemWord(x) or x), \
        f"snowball-{name}.v{VERSION}+{version('snowballstemmer')}"


def _spm(path: str) -> tuple[Callable[[str], str], str]:
    p = Path(path)
    if not p.is_file():
        raise InputError("no such sentencepiece model (view spm:PATH)", path=p)
    try:
        import sentencepiece as spm
    except ImportError:
        raise ConfigError("the spm view needs the sentencepiece package: pip install 'xdata[models]'") from None
    data = p.read_bytes()
    try:
        sp = spm.SentencePieceProcessor(model_proto=data)
    except (RuntimeError, OSError) as e:
        raise InputError(f"not a sentencepiece model ({str(e).splitlines()[0] if str(e) else type(e).__name__})",
                         path=p) from None

    def first_piece(x: str) -> str:
        for i in sp.encode(x):
            if sp.is_byte(i) or sp.is_unknown(i) or sp.is_control(i):
                return x  # a byte-fallback or unknown piece is not a prefix: the word stays whole
            piece = sp.id_to_piece(i).lstrip("\u2581")
            if piece:
                return piece if x.startswith(piece) else x
        return x

    return _folded_fixed_point(first_piece), f"spm.v{VERSION}:{hashlib.sha256(data).hexdigest()[:12]}"


def _folded_fixed_point(core: Callable[[str], str]) -> Callable[[str], str]:
    """A per-word view from ``core`` (a stemmer, a model's first piece): ``fold`` first, words
    ``stem`` keeps whole kept whole, then ``core`` until the word stops changing, so that the view
    of a viewed word is itself (priors saved in the view, ``--save-priors``, map onto themselves
    when read with it). A stemmer is not always idempotent: Snowball moves some words twice."""
    def word(w: str) -> str:
        x = fold(w)
        if _kept_whole(x) is None:
            return x
        for _ in range(8):
            y = core(x)
            if y == x:
                break
            x = y
        return x
    return word


_SIDE = re.compile(r"(stem|fold|none)|(snowball|spm):.+")


@lru_cache(maxsize=256)
def _split_sides(name: str) -> tuple[str, ...]:
    """``SRC,TGT`` at the first comma with a view on both sides of it (a model path may hold
    commas), else one view for both sides."""
    for k, ch in enumerate(name):
        if ch == "," and _SIDE.fullmatch(name[:k]) and _SIDE.fullmatch(name[k + 1:]):
            return name[:k], name[k + 1:]
    return (name,)


def _side(name: str) -> tuple[Callable[[str], str], str]:
    """One side's view: its word function (cached per word) and its provenance spec; a model
    file is read again when its size or modification time changed."""
    kind, sep, arg = name.partition(":")
    stamp = None
    if kind == "spm" and sep:
        try:
            st = Path(arg).stat()
            stamp = (st.st_size, st.st_mtime_ns)
        except OSError:
            pass  # _spm names the missing file
    return _side_cached(name, stamp)


@lru_cache(maxsize=64)
def _side_cached(name: str, stamp: tuple[int, int] | None) -> tuple[Callable[[str], str], str]:
    if name in VIEWS:
        return (lambda w: _word(name, w)), (name if name == "none" else f"{name}.v{VERSION}")
    kind, sep, arg = name.partition(":")
    if sep and arg and kind == "snowball":
        fn, spec = _snowball(arg)
    elif sep and arg and kind == "spm":
        fn, spec = _spm(arg)
    else:
        raise ConfigError(f"unknown alignment token view {name!r}; expected one of {', '.join(VIEWS)}, "
                          "snowball:LANG or spm:MODEL (or SRC,TGT: one for each side)")
    return lru_cache(maxsize=1 << 18)(fn), spec


@dataclass(frozen=True)
class TokenView:
    """A view (one of :data:`VIEWS`, ``snowball:LANG``, ``spm:PATH``, or ``SRC,TGT``); maps
    words, sentences and priors into the aligner's token space, each side by its own view."""

    name: str = DEFAULT_VIEW

    def __post_init__(self) -> None:
        parts = _split_sides(self.name)
        if len(parts) == 1 and "," in self.name and not self.name.startswith("spm:"):
            raise ConfigError(f"alignment token view {self.name!r}: give one view, or two separated by a comma "
                              "(source, target)")
        # a model path is kept absolute, so a saved aligner or a worker elsewhere finds the same file
        absolute = [f"spm:{Path(p[4:]).expanduser().resolve()}" if p.startswith("spm:") and p[4:] else p for p in parts]
        object.__setattr__(self, "name", ",".join(absolute))
        self._sides()  # an unknown view, a missing model or stemmer fails here

    def _sides(self) -> tuple[tuple[Callable[[str], str], str], tuple[Callable[[str], str], str]]:
        parts = _split_sides(self.name)
        src = _side(parts[0])
        return src, (_side(parts[1]) if len(parts) == 2 else src)

    @property
    def spec(self) -> str:
        """Name and version, for provenance (``none`` has no version: the words as given); two
        sides with different views: ``SRC_SPEC,TGT_SPEC``."""
        (_, a), (_, b) = self._sides()
        return a if a == b else f"{a},{b}"

    def word(self, word: str, side: str = "src") -> str:
        return self._sides()[side == "tgt"][0](word)

    def sentences(self, sents: Sequence[Sequence[str]], side: str = "src") -> list[list[str]]:
        """The view of each sentence of one side (``src`` or ``tgt``): exactly one token per
        word, in order."""
        if self.name == "none":
            return [list(s) for s in sents]
        f = self._sides()[side == "tgt"][0]
        return [[f(w) for w in s] for s in sents]

    def priors(self, pri: "AlignPriors | None") -> "AlignPriors | None":
        """Priors with their words mapped into the view (counts of words that meet are added up)."""
        if pri is None or self.name == "none":
            return pri
        from dataclasses import replace

        def merge(d: dict[Any, float], key: Callable[[Any], Any]) -> dict[Any, float]:
            out: dict[Any, float] = {}
            for k, v in d.items():
                nk = key(k)
                out[nk] = out.get(nk, 0.0) + v
            return out

        (fs, _), (ft, _) = self._sides()
        return replace(pri, lex=merge(pri.lex, lambda k: (fs(k[0]), ft(k[1]))),
                       fert_fwd=merge(pri.fert_fwd, lambda k: (fs(k[0]), k[1])),  # source words' fertilities
                       fert_rev=merge(pri.fert_rev, lambda k: (ft(k[0]), k[1])))


@lru_cache(maxsize=1 << 20)
def _word(name: str, word: str) -> str:
    if name == "stem":
        return stem(word)
    if name == "fold":
        return fold(word)
    return word


def get_view(name: "str | TokenView | None" = None) -> TokenView:
    """A view by name (``None``: the default, ``stem``)."""
    if isinstance(name, TokenView):
        return name
    return TokenView(DEFAULT_VIEW if name is None else name)


__all__ = ["TokenView", "VIEWS", "DEFAULT_VIEW", "PREFIX", "get_view", "fold", "stem", "script_class"]
