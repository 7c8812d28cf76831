"""Dictionary-based code-switching (CoSDA-ML style), seeded, label-preserving and logged.

Words of high-resource text are replaced by their translations from one or more bilingual
lexicons. Each token the lexicons cover is switched with probability ``ratio`` (inside
sentences selected with probability ``sentence_prob``); multiword entries are matched
longest-first; the translation is chosen uniformly or by the entries' probabilities. A
token replaced by n tokens carries its tag (``B-X`` -> ``B-X I-X ...``, ``I-X`` -> ``I-X
...``, anything else copied), so tokens and tags stay the same length and BIO stays
well-formed. Every switch is logged (position, original, replacement, lexicon digest and
entry line), so the original is recoverable from the row.

Randomness comes from per-row uniform draws (see :func:`xdata.pipeline.rng.row_uniforms`):
draw 0 decides the sentence, draw 1 the sentence's lexicon, and draws ``2 + 3i``,
``3 + 3i``, ``4 + 3i`` the switch, the translation and the lexicon at token ``i``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import regex

from ..lexicon import Entry, Lexicon

_NUMBER = regex.compile(r"^[\p{N}.,:/%+\-]*\p{N}[\p{N}.,:/%+\-]*$")
_URL = regex.compile(r"^(?:https?://|www\.)\S+$|^\S+@\S+\.\w+$", regex.IGNORECASE)
_WORD = regex.compile(r"[\p{L}\p{M}]")


@dataclass(frozen=True)
class Policy:
    """How to switch: the knobs of :func:`switch_tokens` (also a step's parameters)."""

    ratio: float = 0.3
    sentence_prob: float = 1.0
    choose: str = "uniform"  # or "prob": by the entries' probability column
    multi: str = "token"  # several lexicons: pick one per "token" or per "sentence"
    protect_numbers: bool = True
    protect_urls: bool = True
    protect_tags: str = ""  # comma-separated tags or tag prefixes never switched, e.g. "B-,I-" or "PROPN"
    protect_capitalized: bool = False  # untagged text: keep capitalized words after the first (likely names)

    def validate(self) -> None:
        from ..errors import ConfigError

        if not 0.0 <= self.ratio <= 1.0:
            raise ConfigError(f"ratio must be in [0, 1], got {self.ratio}")
        if not 0.0 <= self.sentence_prob <= 1.0:
            raise ConfigError(f"sentence_prob must be in [0, 1], got {self.sentence_prob}")
        if self.choose not in ("uniform", "prob"):
            raise ConfigError(f"choose must be 'uniform' or 'prob', got {self.choose!r}")
        if self.multi not in ("token", "sentence"):
            raise ConfigError(f"multi must be 'token' or 'sentence', got {self.multi!r}")


@dataclass
class Switch:
    """One replacement: tokens ``[start, end)`` of the input became ``tgt``."""

    start: int
    end: int
    src: list[str]
    tgt: list[str]
    lexicon: str
    line: int

    def as_list(self) -> list[Any]:
        return [self.start, self.end, " ".join(self.src), " ".join(self.tgt), self.lexicon, self.line]


@dataclass
class SwitchResult:
    tokens: list[str]
    tags: list[str] | None
    switches: list[Switch] = field(default_factory=list)
    covered: int = 0  # tokens some lexicon covers (eligible for switching)


def draws_needed(n_tokens: int) -> int:
    return 2 + 3 * n_tokens


def _protected(tok: str, tag: str | None, policy: Policy, tag_rules: tuple[str, ...], first: bool = False) -> bool:
    if policy.protect_capitalized and not first and tok[:1].isupper():
        return True
    if policy.protect_numbers and _NUMBER.match(tok):
        return True
    if policy.protect_urls and _URL.match(tok):
        return True
    if tag is not None and tag_rules and any(tag == r or (r.endswith("-") and tag.startswith(r)) for r in tag_rules):
        return True
    return not _WORD.search(tok)  # punctuation and symbols are never switched


def _restore_case(src: str, tgt: str) -> str:
    if len(src) > 1 and src.isupper():
        return tgt.upper()
    if src[:1].isupper() and not tgt[:1].isupper():
        return tgt[:1].upper() + tgt[1:]
    return tgt


def _span_tags(tags: Sequence[str], n_out: int) -> list[str] | None:
    """Tags for a replacement of ``n_out`` tokens, or None if the span's tags cannot merge."""
    first = tags[0]
    if first.startswith(("B-", "I-")):
        label = first[2:]
        if any(t != f"I-{label}" for t in tags[1:]):
            return None  # the span crosses an entity boundary: leave it alone
        return [first] + [f"I-{label}"] * (n_out - 1)
    if any(t != first for t in tags[1:]):
        return None
    return [first] * n_out


def _choose(entries: list[Entry], u: float, policy: Policy) -> Entry:
    if policy.choose == "prob" and any(e.prob for e in entries):
        w = np.array([e.prob or 0.0 for e in entries], dtype=np.float64)
        cdf = np.cumsum(w / w.sum())
        return entries[min(int(np.searchsorted(cdf, u, side="right")), len(entries) - 1)]
    return entries[min(int(u * len(entries)), len(entries) - 1)]


def switch_tokens(tokens: Sequence[str], tags: Sequence[str] | None, lexicons: Sequence[Lexicon],
                  draws: np.ndarray, policy: Policy) -> SwitchResult:
    """Code-switch one sentence. ``draws`` holds at least ``draws_needed(len(tokens))`` uniforms."""
    n = len(tokens)
    tag_rules = tuple(r.strip() for r in policy.protect_tags.split(",") if r.strip())
    out_tokens: list[str] = []
    out_tags: list[str] | None = [] if tags is not None else None
    res = SwitchResult(out_tokens, out_tags)
    active = draws[0] < policy.sentence_prob
    sentence_lex = min(int(draws[1] * len(lexicons)), len(lexicons) - 1) if lexicons else 0
    max_words = max((lx.max_src_words for lx in lexicons), default=1)
    i = 0
    while i < n:
        match: tuple[int, list[tuple[int, list[Entry]]]] | None = None
        if not _protected(tokens[i], tags[i] if tags is not None else None, policy, tag_rules, i == 0):
            for width in range(min(max_words, n - i), 0, -1):
                span = tokens[i:i + width]
                if width > 1 and any(_protected(t, tags[i + k] if tags is not None else None, policy, tag_rules,
                                                i + k == 0) for k, t in enumerate(span)):
                    continue
                key = " ".join(span)
                hits = [(li, lx.lookup(key)) for li, lx in enumerate(lexicons)]
                hits = [(li, e) for li, e in hits if e]
                if hits and (tags is None or _span_tags(tags[i:i + width], 1) is not None):
                    match = (width, hits)
                    break
        if match is None:
            out_tokens.append(tokens[i])
            if out_tags is not None and tags is not None:
                out_tags.append(tags[i])
            i += 1
            continue
        width, hits = match
        res.covered += width
        u_switch, u_choice, u_lex = draws[2 + 3 * i], draws[3 + 3 * i], draws[4 + 3 * i]
        if not active or u_switch >= policy.ratio:
            out_tokens.extend(tokens[i:i + width])
            if out_tags is not None and tags is not None:
                out_tags.extend(tags[i:i + width])
            i += width
            continue
        if policy.multi == "sentence":
            pick = next(((li, e) for li, e in hits if li == sentence_lex), hits[0])
        else:
            pick = hits[min(int(u_lex * len(hits)), len(hits) - 1)]
        li, entries = pick
        entry = _choose(entries, u_choice, policy)
        new = entry.tgt.split()
        new[0] = _restore_case(tokens[i], new[0])
        if width == 1 and len(new) == 1:
            new = [_restore_case(tokens[i], entry.tgt)]
        out_tokens.extend(new)
        if out_tags is not None and tags is not None:
            out_tags.extend(_span_tags(tags[i:i + width], len(new)) or [tags[i]] * len(new))
        res.switches.append(Switch(i, i + width, list(tokens[i:i + width]), new, lexicons[li].digest[:12], entry.line))
        i += width
    return res


def restore(tokens: Sequence[str], switches: Sequence[Sequence[Any]]) -> list[str]:
    """Undo a sentence's switches (as logged by :meth:`Switch.as_list`): the original tokens."""
    out: list[str] = []
    pos = 0  # position in the switched tokens
    orig = 0  # position in the original tokens
    for start, end, src, tgt, _lex, _line in switches:
        gap = start - orig
        out.extend(tokens[pos:pos + gap])
        pos += gap
        out.extend(src.split(" "))
        pos += len(tgt.split(" "))
        orig = end
    out.extend(tokens[pos:])
    return out


__all__ = ["Policy", "Switch", "SwitchResult", "switch_tokens", "restore", "draws_needed"]


from .._callable import make_callable  # noqa: E402

make_callable(__name__)  # xdata.codeswitch(...) runs the verb (xdata.api)
