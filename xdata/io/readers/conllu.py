"""CoNLL-U: the reader and the helpers projection shares (fields, sentence blocks, words)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any, Iterator

import polars as pl

from ...hashing import canonical_json
from ...errors import ConfigError, InputError
from ...langs import parse_lang
from ..files import open_binary
from .base import OnError, SourceBatch, _FileSource, _decode, _rejects_frame, _stem


CONLLU_FIELDS = ("id", "form", "lemma", "upos", "xpos", "feats", "head", "deprel", "deps", "misc")


def conllu_field_value(token: dict[str, Any], field_name: str) -> str:
    """The text of one CoNLL-U field of a token (``misc:KEY`` reads one MISC attribute)."""
    if field_name.startswith("misc:"):
        misc = token.get("misc") or {}
        v = misc.get(field_name[5:])
        return "_" if v is None else str(v)
    v = token.get(field_name)
    if v is None:
        return "_"
    if isinstance(v, dict):
        return "|".join(f"{k}={val}" for k, val in v.items())
    return str(v)


def set_conllu_field(token: dict[str, Any], field_name: str, value: str | None) -> None:
    """Set one CoNLL-U field of a token (``misc:KEY`` sets one MISC attribute; None clears it)."""
    if field_name.startswith("misc:"):
        misc = dict(token.get("misc") or {})
        if value is None:
            misc.pop(field_name[5:], None)
        else:
            misc[field_name[5:]] = value
        token["misc"] = misc or None
    else:
        token[field_name] = "_" if value is None else value


def _conllu_block_error(lines: list[str], first: int) -> tuple[str, int] | None:
    """What is wrong with one sentence block (message, line), checked before parsing.

    A sentence has at least one token line; every token line has ten tab-separated fields,
    a non-empty FORM, and an ID that is an integer (numbered 1, 2, ... without gaps or
    repeats), a range ``n-m`` or an empty node ``n.k``.
    """
    expect = 1
    tokens = 0
    for off, ln in enumerate(lines):
        if ln.startswith("#"):
            continue
        at = first + off
        cols = ln.split("\t")
        if len(cols) != 10:
            return f"expected 10 tab-separated CoNLL-U columns, found {len(cols)}", at
        tid = cols[0]
        if tid.isdigit():
            if int(tid) != expect:
                what = "repeats" if int(tid) < expect else "skips"
                return f"token ID {tid} {what} the sequence (expected {expect})", at
            expect += 1
            tokens += 1
        elif not (re.fullmatch(r"\d+-\d+", tid) or re.fullmatch(r"\d+\.\d+", tid)):
            return f"token ID {tid!r} is not an integer, range or decimal", at
        if cols[1] == "":
            return "empty FORM (an unknown form is written '_')", at
    if tokens == 0:
        return "sentence block has comment lines but no token lines", first
    return None


def iter_conllu_blocks(path: str | Path) -> Iterator[tuple[int, list[str], Any, tuple[str, int] | None]]:
    """(first line, raw lines, parsed TokenList or None, (error, line) or None) per sentence block."""
    import conllu
    from conllu.exceptions import ParseException

    with open_binary(path) as fh:
        block: list[str] = []
        start = 1
        lineno = 0
        bad: tuple[str, int] | None = None

        def finish() -> tuple[int, list[str], Any, tuple[str, int] | None]:
            err = bad or _conllu_block_error(block, start)
            sent = None
            if err is None:
                try:
                    sents = conllu.parse("\n".join(block) + "\n\n")
                    sent = sents[0] if sents else None
                except ParseException as e:
                    err = (f"malformed CoNLL-U sentence: {e}", start)
                if sent is None and err is None:
                    err = ("sentence block has no tokens", start)
            return start, block, sent, err

        for rawb in fh:
            lineno += 1
            text, derr = _decode(rawb)
            if derr is not None:
                bad = bad or (derr, lineno)
                text = rawb.decode("utf-8", "backslashreplace").rstrip("\r\n")
            if text.strip() == "":
                if block:
                    yield finish()
                block, bad = [], None
                start = lineno + 1
                continue
            block.append(text)
        if block:
            yield finish()


def read_conllu_sentences(path: str | Path) -> Iterator[tuple[int, Any]]:
    """Parse a CoNLL-U file with the ``conllu`` package, yielding (first line, TokenList).

    Malformed input raises :class:`InputError` with the line of the offending token.
    """
    for start, _lines, sent, err in iter_conllu_blocks(path):
        if err is not None:
            raise InputError(err[0], path=path, line=err[1])
        yield start, sent


def conllu_words(sentence: Any) -> list[dict[str, Any]]:
    """The syntactic words of a sentence (no multiword-token ranges, no empty nodes)."""
    return [t for t in sentence if isinstance(t["id"], int)]


class ConlluSource(_FileSource):
    """CoNLL-U via the ``conllu`` parser -> ``tagged`` (tokens = FORM, tags = ``field``)."""

    kind = "tagged"

    def __init__(self, path: str | Path, lang: str, *, field: str = "upos", name: str | None = None,
                 on_error: OnError = "raise") -> None:
        self.path = str(path)
        self.lang = parse_lang(lang)
        if field not in CONLLU_FIELDS and not field.startswith("misc:"):
            raise ConfigError(f"unknown CoNLL-U field {field!r}; expected one of {', '.join(CONLLU_FIELDS)} or misc:KEY")
        self.field = field
        self.name = name or _stem(path)
        self.on_error = on_error
        self._check_policy()
        open_binary(self.path).close()

    def chunks(self, batch_size: int) -> Iterator[SourceBatch]:
        it = enumerate(iter_conllu_blocks(self.path))
        while True:
            chunk = list(itertools.islice(it, batch_size))
            if not chunk:
                return
            toks, tags, rows, sids = [], [], [], []
            rejects: list[dict[str, Any]] = []
            for i, (_line, raw, sent, err) in chunk:
                if err is not None:
                    self.bad_row(rejects, i, err[0], {"lines": "\n".join(raw)}, line=err[1],
                                 reject_reason=f"line {err[1]}: {err[0]}")
                    continue
                words = conllu_words(sent)
                toks.append([w["form"] for w in words])
                tags.append([conllu_field_value(w, self.field) for w in words])
                rows.append(i)
                sids.append(canonical_json({"sent_id": sent.metadata.get("sent_id")}))
            df = pl.DataFrame(
                {"lang": [self.lang] * len(rows), "tokens": toks, "tags": tags, "src_row": rows, "_meta": sids},
                schema={"lang": pl.String, "tokens": pl.List(pl.String), "tags": pl.List(pl.String),
                        "src_row": pl.Int64, "_meta": pl.String},
            )
            yield SourceBatch(df, _rejects_frame(rejects))
