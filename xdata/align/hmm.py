"""xdata's built-in statistical word aligner: IBM Model 1 -> HMM, trained by agreement.

Licence-clean and vectorized with numpy. Training (Vogel et al. 1996; Och & Ney 2003; Liang et
al. 2006, "Alignment by agreement"):

1. **IBM Model 1** with a diagonal prior (as fast_align's), a few EM iterations in each direction;
2. **HMM**: states are source positions plus a NULL state per position (Och & Ney), transitions
   depend on the jump ``i - i'`` (bucketed to ``[-max_jump, max_jump]``); forward-backward on
   length-grouped, padded batches of sentences;
3. **agreement**: in every E-step both directions are computed, and the lexical counts of each
   come from the product of the two directions' link posteriors, so each model is trained
   towards links the other one also believes in;
4. **fertility**: in every E-step (and when decoding), a source word whose expected number of
   target words is above one has its emissions scaled down by that number and the posteriors are
   computed again: one step towards the bijectivity constraint of Graca, Ganchev & Taskar (2010,
   "Learning tractable word alignment models with complex constraints"), which keeps rare words
   from collecting the links of a long sentence (with the HMM's posteriors, the log-likelihood
   in the training log is that of the constrained pass).

Lexical priors (a bilingual lexicon or a priors file, see :mod:`xdata.align.priors`) are added
as pseudo-counts to the expected counts in every M-step; jump priors likewise. A trained
:class:`HMMAligner` can be saved and loaded, and aligns new sentences with fixed parameters
(each pair on its own, so the result does not depend on how sentences are batched).

Words are compared lower-cased. A model trained on a token view (``view="stem"``, see
:mod:`xdata.align.view`) records it, and maps the words it decodes through the same view.
Links are ``(source index, target index)`` of the words as given.
"""

from __future__ import annotations

import copy
import hashlib
import json
import zipfile
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from ..errors import ConfigError, InputError
from ..hashing import digest_value
from .priors import AlignPriors

Links = set[tuple[int, int]]
FORMAT = "xdata-hmm-aligner/1"
_FLOOR = 1e-7  # translation probability of a word pair never seen together


@dataclass(frozen=True)
class HMMConfig:
    # Model 1 drifts towards its garbage-collecting optimum the longer it runs (a rare word takes
    # the words its common neighbours should), and the HMM starts from its table: 4 iterations
    ibm1_iterations: int = 4
    hmm_iterations: int = 5
    agreement: bool = True
    diagonal: float = 0.0  # strength of an IBM 1 diagonal prior (fast_align-like); 0: plain Model 1
    null_prob: float = 0.2  # initial probability of a jump to NULL (then learned)
    max_jump: int = 10
    # the two outermost jump buckets (|jump| >= max_jump) are classes of jumps: each position in
    # one gets an equal share of its probability; False (models saved before): each gets all of it
    share_far_jumps: bool = True
    # EM starts the jump table favouring +1 (monotone order); 2: it also starts favouring -1 (the
    # mirror) and keeps the model of higher likelihood (1: the first start only; models saved before)
    jump_starts: int = 2
    # rounds of the fertility constraint on HMM posteriors (training and decoding): a source word
    # whose expected number of target words is above 1 has its emissions divided by that number,
    # and the pair's posteriors are computed again (0: none; models saved before)
    fertility_steps: int = 1
    prior_weight: float = 1.0  # multiplies the pseudo-counts of lexical priors
    smoothing: float = 1e-4  # added to every seen pair's count
    # kept so that saved models load with their digest; training refuses > 0: a variational-Bayes
    # M-step on EM's fractional counts sent rare words' links to NULL (AER 0.69 on en-de at 0.01)
    vb_alpha: float = 0.0
    threshold: float = 0.0  # a link needs posterior > max(threshold, NULL posterior)
    chunk_cells: int = 1 << 21  # cells per forward-backward batch (memory bound)


#: Settings added after models were first saved, with the value that reproduces a model saved
#: without them (a saved model keeps its behaviour; its digest leaves these out at that value).
_LEGACY: dict[str, object] = {"share_far_jumps": False, "jump_starts": 1, "fertility_steps": 0}


class _Vocab:
    def __init__(self, words: list[str] | None = None) -> None:
        self.words: list[str] = list(words or [])
        self.index: dict[str, int] = {w: k for k, w in enumerate(self.words)}

    def ids(self, sents: Sequence[Sequence[str]], grow: bool) -> list[np.ndarray]:
        out = []
        for s in sents:
            row = []
            for w in s:
                w = w.lower()
                k = self.index.get(w)
                if k is None:
                    if grow:
                        k = self.index[w] = len(self.words)
                        self.words.append(w)
                    else:
                        k = -1
                row.append(k)
            out.append(np.asarray(row, dtype=np.int64))
        return out


class _Side:
    """One direction's corpus layout: for each pair, a block of n x m cells (target-major)."""

    def __init__(self, e: list[np.ndarray], f: list[np.ndarray]) -> None:
        self.m = np.array([len(x) for x in e], dtype=np.int64)
        self.n = np.array([len(x) for x in f], dtype=np.int64)
        self.m[self.n == 0] = 0  # a pair with an empty side has no cells
        self.n[self.m == 0] = 0
        sizes = self.m * self.n
        self.off = np.concatenate([[0], np.cumsum(sizes)])
        total = int(self.off[-1])
        e_flat = np.concatenate(e) if e else np.zeros(0, np.int64)
        f_flat = np.concatenate(f) if f else np.zeros(0, np.int64)
        e_off = np.concatenate([[0], np.cumsum([len(x) for x in e])])[:-1]
        f_off = np.concatenate([[0], np.cumsum([len(x) for x in f])])[:-1]
        if total >= 2 ** 31 - 1:
            raise InputError(f"{total:,} word pairs in one training call; split the corpus (at most 2^31)")
        sent = np.repeat(np.arange(len(e), dtype=np.int32), sizes)
        c = np.arange(total, dtype=np.int64) - self.off[sent]
        mm = np.maximum(self.m[sent], 1)
        j, i = (c // mm).astype(np.int32), (c % mm).astype(np.int32)
        del c, mm
        self.cell_e = e_flat[e_off[sent] + i].astype(np.int32)
        self.cell_f = f_flat[f_off[sent] + j].astype(np.int32)
        self.cell_i = i
        self.cell_j = j
        self.cell_sent = sent
        # rows: one per target token of a pair with cells
        self.row_off = np.concatenate([[0], np.cumsum(self.n)])
        self.row_of_cell = self.row_off[sent] + j
        row_sent = np.repeat(np.arange(len(f)), self.n)
        row_j = np.arange(len(row_sent)) - self.row_off[row_sent]
        self.row_f = f_flat[f_off[row_sent] + row_j] if len(row_sent) else np.zeros(0, np.int64)
        self.total = total

    def slim(self, keep_positions: bool = False) -> None:
        """Drop what EM does not need once pair ids exist (word ids per cell; positions unless
        a diagonal prior needs them), and narrow the rest."""
        self.cell_e = self.cell_f = None
        if not keep_positions:
            self.cell_i = self.cell_j = self.cell_sent = None  # type: ignore[assignment]  # numpy stubs: arrays freed/retyped in place
        self.row_of_cell = self.row_of_cell.astype(np.int32)
        self.row_f = self.row_f.astype(np.int32)


def _unique(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a sort and a diff: faster here than ``np.unique``'s hash path)."""
    k = np.sort(keys)
    if len(k) < 2:
        return k
    return k[np.concatenate([[True], k[1:] != k[:-1]])]


def _transposition(side: _Side) -> np.ndarray:
    """For each cell of a pair's (j, i) block, its index in the transposed (i, j) block."""
    s = side.cell_sent
    return (side.off[s] + side.cell_i.astype(np.int64) * side.n[s] + side.cell_j).astype(np.int64)


class _Direction:
    """Parameters of one direction: t(f | e), t(f | NULL), jumps, P(NULL)."""

    def __init__(self, pair_keys: np.ndarray, n_e: int, n_f: int, cfg: HMMConfig) -> None:
        self.cfg = cfg
        self.n_e, self.n_f = n_e, n_f
        self.pair_keys = pair_keys  # sorted unique e * n_f + f of every co-occurring word pair
        self.pair_e = self.pair_keys // n_f
        self.t = np.ones(len(self.pair_keys))  # uniform start: Model 1's first E-step is position-only
        self.t_null = np.ones(n_f) / max(n_f, 1)
        K = cfg.max_jump
        d = np.arange(-K, K + 1)
        self.jump = np.exp(-0.5 * np.abs(d - 1))
        self.jump /= self.jump.sum()
        self.p_null = cfg.null_prob
        self.prior_pair = np.zeros(len(self.pair_keys))
        self.prior_jump = np.zeros(2 * K + 1)

    def _find(self, e: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index of each (e, f) pair in the table, and whether it is there (-1 ids never are)."""
        keys = np.asarray(e, dtype=np.int64) * self.n_f + f
        if not len(self.pair_keys):
            return np.zeros(len(keys), np.int64), np.zeros(len(keys), bool)
        pos = np.minimum(np.searchsorted(self.pair_keys, keys), len(self.pair_keys) - 1)
        return pos, (np.asarray(e) >= 0) & (np.asarray(f) >= 0) & (self.pair_keys[pos] == keys)

    def set_priors(self, lex: dict[tuple[int, int], float], jumps: dict[int, float], weight: float) -> None:
        if lex:
            pairs = np.array(list(lex), dtype=np.int64).reshape(-1, 2)
            vals = np.array(list(lex.values()), dtype=np.float64) * weight
            pos, hit = self._find(pairs[:, 0], pairs[:, 1])
            np.add.at(self.prior_pair, pos[hit], vals[hit])
        K = self.cfg.max_jump
        for dj, a in jumps.items():
            self.prior_jump[int(np.clip(dj, -K, K)) + K] += a

    # -- M-step --------------------------------------------------------------------------------
    def update_lexical(self, counts: np.ndarray, null_counts: np.ndarray) -> None:
        """M-step for t(f | e) from expected pair counts, t(f | NULL) from NULL counts."""
        cfg = self.cfg
        counts = counts + self.prior_pair + cfg.smoothing
        denom = np.bincount(self.pair_e, weights=counts, minlength=self.n_e)
        self.t = counts / np.maximum(denom[self.pair_e], 1e-300)
        nc = null_counts + cfg.smoothing
        self.t_null = nc / nc.sum()

    def lookup(self, e: np.ndarray, f: np.ndarray) -> np.ndarray:
        """t(f | e) for arrays of word ids (-1: unknown word) outside the training layout."""
        pos, hit = self._find(e, f)
        return np.where(hit, self.t[pos] if len(self.pair_keys) else 0.0, _FLOOR)

    def null_lookup(self, f: np.ndarray) -> np.ndarray:
        return np.where(f >= 0, self.t_null[np.maximum(f, 0)], 1.0 / max(self.n_f, 1))

    # -- transitions ----------------------------------------------------------------------------
    def transitions(self, m: int) -> tuple[np.ndarray, np.ndarray]:
        """Jump matrix ``a`` (m x m, rows: previous position, times 1 - P(NULL)) and the start
        distribution over real positions (times 1 - P(NULL)).

        A NULL state remembers the position before it (Och & Ney), so from a NULL state the
        jumps are those of that position; every position goes to its own NULL state with
        probability P(NULL), and all NULL states of a pair emit with t(f | NULL).
        """
        K = self.cfg.max_jump
        pos = np.arange(m)
        d = np.clip(pos[None, :] - pos[:, None], -K, K) + K
        a = self.jump[d]
        ds = np.clip(pos + 1, -K, K) + K  # the start is a jump from before the first position
        start = self.jump[ds]
        if self.cfg.share_far_jumps:
            # A far bucket is one event, "a jump of max_jump or more": the positions it covers
            # share its probability. Giving each of them all of it would make every long jump as
            # likely as a jump of exactly max_jump, so the longer the sentence, the more of the
            # mass goes to far jumps (and the result would depend on max_jump).
            for b in (0, 2 * K):
                far = d == b
                a = np.where(far, a / np.maximum(far.sum(1, keepdims=True), 1), a)
            far_start = ds == 2 * K
            start = np.where(far_start, start / max(int(far_start.sum()), 1), start)
        a = a / a.sum(axis=1, keepdims=True) * (1 - self.p_null)
        return a, start / start.sum() * (1 - self.p_null)

    def update_jumps(self, stats: dict[int, tuple[np.ndarray, float]]) -> None:
        """M-step for the jumps from expected transition counts per source length."""
        K = self.cfg.max_jump
        counts = self.prior_jump.copy() + 1e-3
        to_null = real = 0.0
        for m, (xi, xn) in stats.items():
            pos = np.arange(m)
            d = np.clip(pos[None, :] - pos[:, None], -K, K) + K
            np.add.at(counts, d.ravel(), xi.ravel())
            to_null += xn
            real += xi.sum()
        self.jump = counts / counts.sum()
        if to_null + real > 0:
            self.p_null = float(np.clip(to_null / (to_null + real), 0.02, 0.5))


def _chunks(side: _Side, cells: int) -> list[tuple[int, np.ndarray]]:
    """Sentences grouped by source length, then by target length, in batches of bounded size."""
    order = np.lexsort((side.n, side.m))
    order = order[side.m[order] > 0]
    out: list[tuple[int, np.ndarray]] = []
    k = 0
    while k < len(order):
        m = int(side.m[order[k]])
        end = k
        while end < len(order) and side.m[order[end]] == m:
            end += 1
        group = order[k:end]
        start = 0
        while start < len(group):
            stop = start + 1
            while stop < len(group) and (stop - start + 1) * int(side.n[group[stop]]) * m <= cells:
                stop += 1
            out.append((m, group[start:stop]))
            start = stop
        k = end
    return out


def _rowwise_matmul(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``x @ a`` summed in a fixed order per row, so a row's result never depends on the others
    in its batch (BLAS may block differently for different batch shapes)."""
    out = x[:, :1] * a[0][None, :]
    for k in range(1, a.shape[0]):
        out += x[:, k:k + 1] * a[k][None, :]
    return out


def _forward_backward(Er: np.ndarray, En: np.ndarray, nlen: np.ndarray, a: np.ndarray, start: np.ndarray,
                      p_null: float, want_xi: bool, exact: bool
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, float, float]:
    """Scaled forward-backward over a batch of pairs with the same source length m.

    ``Er`` (B, n, m): emission of each target word from each source position; ``En`` (B, n):
    its NULL emission; ``nlen`` (B,): target lengths, ascending (rows past a pair's end are
    padding). Returns link posteriors (B, n, m), NULL posteriors (B, n), expected jump counts
    (m x m), expected jumps to NULL, and the log-likelihood.
    """
    mm = _rowwise_matmul if exact else np.matmul
    B, n, m = Er.shape
    ar = np.zeros((B, n, m))
    an = np.zeros((B, n, m))
    c = np.ones((B, n))
    x_r = start[None, :] * Er[:, 0]
    x_n = np.repeat((p_null / m) * En[:, :1], m, axis=1)
    z = x_r.sum(1) + x_n.sum(1)
    ar[:, 0], an[:, 0], c[:, 0] = x_r / z[:, None], x_n / z[:, None], z
    first_live = np.searchsorted(nlen, np.arange(n + 1), side="right")  # rows with nlen > j start here
    for j in range(1, n):
        lo = first_live[j]
        s = ar[lo:, j - 1] + an[lo:, j - 1]
        x_r = mm(s, a) * Er[lo:, j]
        x_n = p_null * s * En[lo:, j, None]
        z = x_r.sum(1) + x_n.sum(1)
        ar[lo:, j], an[lo:, j], c[lo:, j] = x_r / z[:, None], x_n / z[:, None], z
    beta = np.ones((B, n, m))  # a NULL state and its real position share the same future
    xi = np.zeros((m, m)) if want_xi else None
    xn = 0.0
    for j in range(n - 2, -1, -1):
        lo = first_live[j + 1]
        bc = beta[lo:, j + 1] / c[lo:, j + 1, None]
        ebr = Er[lo:, j + 1] * bc
        ebn = En[lo:, j + 1, None] * bc
        beta[lo:, j] = mm(ebr, a.T) + p_null * ebn
        if want_xi:
            s = ar[lo:, j] + an[lo:, j]
            xi += s.T @ ebr  # type: ignore[operator]  # numpy stubs: arrays freed/retyped in place
            xn += p_null * float((s * ebn).sum())
    if want_xi:
        xi *= a
    live = np.arange(n)[None, :] < nlen[:, None]
    ll = float(np.log(c[live]).sum())
    return ar * beta, (an * beta).sum(2), xi, xn, ll


def _ibm1_posteriors(d: _Direction, side: _Side, cell_t: np.ndarray, row_t_null: np.ndarray,
                     diag: float) -> tuple[np.ndarray, np.ndarray]:
    """Model 1 (with optional diagonal prior) link posteriors per cell and NULL posteriors per row."""
    w = cell_t * (1 - d.p_null)
    if diag > 0:
        s = side.cell_sent
        m, n = side.m[s], side.n[s]
        w *= np.exp(-diag * np.abs((side.cell_i + 0.5) / m - (side.cell_j + 0.5) / n))
    wn = row_t_null * d.p_null
    z = np.bincount(side.row_of_cell, weights=w, minlength=len(side.row_f)) + wn
    return w / z[side.row_of_cell], wn / z


def _hmm_posteriors(d: _Direction, side: _Side, cell_t: np.ndarray, row_t_null: np.ndarray,
                    chunks: list[tuple[int, np.ndarray]], want_xi: bool = True, exact: bool = False,
                    ) -> tuple[np.ndarray, np.ndarray, dict[int, tuple[np.ndarray, float]], float]:
    """Forward-backward over all pairs of ``side`` with emissions ``cell_t`` (per cell) and
    ``row_t_null`` (per target token) and ``d``'s transitions."""
    post = np.zeros(side.total)
    row_null = np.zeros(len(side.row_f))
    stats: dict[int, tuple[np.ndarray, float]] = {}
    ll = 0.0
    for m, sents in chunks:
        nlen = side.n[sents]
        nmax = int(nlen.max())
        jj = np.arange(nmax)
        live = jj[None, :] < nlen[:, None]
        jc = np.minimum(jj[None, :], nlen[:, None] - 1)
        cell = side.off[sents][:, None, None] + jc[:, :, None] * m + np.arange(m)[None, None, :]
        rows = side.row_off[sents][:, None] + jc
        a, start = d.transitions(m)
        Er = cell_t[cell]
        En = row_t_null[rows]
        for _ in range(d.cfg.fertility_steps):
            # the fertility constraint: each source word is expected to take at most one target
            # word, as a translated word mostly is (Graca, Ganchev & Taskar 2010 enforce it exactly
            # by projection; one scaling step gets most of it): a rare word cannot gather the
            # words of a whole clause, however long the sentence
            gr, _, _, _, _ = _forward_backward(Er, En, nlen, a, start, d.p_null, False, exact)
            Er = Er / np.maximum(gr.sum(1), 1.0)[:, None, :]
        gr, gn, xi, xn, lli = _forward_backward(Er, En, nlen, a, start, d.p_null, want_xi, exact)
        ll += lli
        if want_xi:
            old = stats.get(m)
            stats[m] = (xi, xn) if old is None else (old[0] + xi, old[1] + xn)  # type: ignore[assignment]  # numpy stubs: arrays freed/retyped in place
        post[cell[live]] = gr[live]
        row_null[rows[live]] = gn[live]
    return post, row_null, stats, ll


def _blocks(m: list[int], n: list[int], cells: int) -> list[tuple[int, int]]:
    """Consecutive ranges of pairs with at most ``cells`` word pairs each (at least one pair)."""
    out, lo, acc = [], 0, 0
    for k, (a, b) in enumerate(zip(m, n)):
        if acc and acc + a * b > cells:
            out.append((lo, k))
            lo, acc = k, 0
        acc += a * b
    if lo < len(m):
        out.append((lo, len(m)))
    return out


class HMMAligner:
    """A trained pair of directional HMM aligners (source->target and target->source)."""

    def __init__(self, cfg: HMMConfig | None = None) -> None:
        self.cfg = cfg or HMMConfig()
        self.src_vocab = _Vocab()
        self.tgt_vocab = _Vocab()
        self.fwd: _Direction | None = None  # each target word picks a source position
        self.bwd: _Direction | None = None
        self.priors_digest = ""
        self.view = "none"  # the token view (xdata.align.view) the vocabularies are in
        self.log: list[dict[str, Any]] = []
        self.jump_start = "forward"  # where EM started the jump table of the model kept (see train)

    # -- training -------------------------------------------------------------------------------
    @classmethod
    def train(cls, src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]], *, priors: AlignPriors | None = None,
              cfg: HMMConfig | None = None, progress: Callable[[str], None] | None = None,
              view: str = "none") -> "HMMAligner":
        """Train on the pairs; with a token ``view`` (:mod:`xdata.align.view`) the words and the
        priors are mapped through it, and the model keeps the view for decoding."""
        from .view import get_view

        if len(src) != len(tgt):
            raise InputError(f"{len(src)} source sentences but {len(tgt)} target sentences")
        self = cls(cfg)
        tv = get_view(view)
        self.view = tv.name
        src, tgt, priors = tv.sentences(src), tv.sentences(tgt, "tgt"), tv.priors(priors)
        e = self.src_vocab.ids(src, grow=True)
        f = self.tgt_vocab.ids(tgt, grow=True)
        if self.cfg.jump_starts not in (1, 2):
            raise ConfigError(f"jump_starts must be 1 or 2, not {self.cfg.jump_starts!r}")
        if self.cfg.vb_alpha:
            raise ConfigError("vb_alpha is no longer supported (its variational-Bayes M-step sent rare words' "
                              "links to NULL); the fertility constraint (fertility_steps) keeps rare words in check")
        if self.cfg.fertility_steps < 0:
            raise ConfigError(f"fertility_steps must be 0 or more, not {self.cfg.fertility_steps!r}")
        self._fit(e, f, priors, progress)
        return self

    def _fit(self, e: list[np.ndarray], f: list[np.ndarray], priors: AlignPriors | None,
             progress: Callable[[str], None] | None) -> None:
        """EM over blocks of pairs: per cell only the two directions' pair ids stay in memory.

        With ``jump_starts=2`` the HMM stage runs twice from Model 1's result, once from the jump
        table favouring +1 and once from its mirror, and the likelier model is kept (ties: the
        forward start). EM finds a local optimum near where it starts, and a pair whose order runs
        mostly backwards (measured on reversed gold sets) is learnt better from the mirror."""
        cfg = self.cfg
        ne, nf = len(self.src_vocab.words), len(self.tgt_vocab.words)
        blocks = _blocks([len(x) for x in e], [len(x) for x in f], cfg.chunk_cells * 4)
        keys_f, keys_b = [], []
        for lo, hi in blocks:  # the word pairs that co-occur, per block then merged
            fs = _Side(e[lo:hi], f[lo:hi])
            keys_f.append(_unique(fs.cell_e.astype(np.int64) * nf + fs.cell_f))
            keys_b.append(_unique(fs.cell_f.astype(np.int64) * ne + fs.cell_e))
        self.fwd = _Direction(_unique(np.concatenate(keys_f or [np.zeros(0, np.int64)])), ne, nf, cfg)
        self.bwd = _Direction(_unique(np.concatenate(keys_b or [np.zeros(0, np.int64)])), nf, ne, cfg)
        del keys_f, keys_b
        # Per block, kept across iterations (about 20 bytes a word pair): both directions' layouts
        # (slimmed to what EM needs), pair ids, and the fwd -> bwd cell permutation.
        cache = []
        for lo, hi in blocks:
            fs, bs = _Side(e[lo:hi], f[lo:hi]), _Side(f[lo:hi], e[lo:hi])
            pf_ids = np.searchsorted(self.fwd.pair_keys, fs.cell_e.astype(np.int64) * nf + fs.cell_f).astype(np.int32)
            pb_ids = np.searchsorted(self.bwd.pair_keys, bs.cell_e.astype(np.int64) * ne + bs.cell_f).astype(np.int32)
            perm = _transposition(fs).astype(np.int32)
            for side in (fs, bs):
                side.slim(keep_positions=cfg.diagonal > 0)
            cache.append((fs, bs, pf_ids, pb_ids, perm))
        if priors is not None:
            self.priors_digest = priors.digest
            si, ti = self.src_vocab.index, self.tgt_vocab.index
            lex_f = {(si[a], ti[b]): v for (a, b), v in priors.lex.items() if a in si and b in ti}
            self.fwd.set_priors(lex_f, priors.jump_fwd, cfg.prior_weight)
            self.bwd.set_priors({(b, a): v for (a, b), v in lex_f.items()}, priors.jump_rev, cfg.prior_weight)
        for k in range(cfg.ibm1_iterations):
            self._iteration(cache, "ibm1", k, progress)
        if cfg.jump_starts == 2 and cfg.hmm_iterations:
            # update_* replace the directions' arrays, never write into them: a shallow copy keeps
            # Model 1's result for the second start
            start = (copy.copy(self.fwd), copy.copy(self.bwd))
            log = self.log
            self.log = [{**x, "start": "shared"} for x in log]
            for k in range(cfg.hmm_iterations):
                self._iteration(cache, "hmm", k, progress, "forward")
            forward = (self.fwd, self.bwd, self.log)
            self.fwd, self.bwd = (copy.copy(d) for d in start)
            for d in (self.fwd, self.bwd):
                d.jump = d.jump[::-1].copy()  # favouring -1 instead of +1
            self.log = []
            for k in range(cfg.hmm_iterations):
                self._iteration(cache, "hmm", k, progress, "mirrored")
            if self.log[-1]["loglik"] > forward[2][-1]["loglik"]:
                self.jump_start, self.log = "mirrored", forward[2] + self.log  # the kept run's entries last
            else:
                mirrored = self.log
                self.fwd, self.bwd, self.log = forward
                self.log = self.log[:len(log)] + mirrored + self.log[len(log):]
        else:
            for k in range(cfg.hmm_iterations):
                self._iteration(cache, "hmm", k, progress)

    def _iteration(self, cache: list, stage: str, k: int, progress: Callable[[str], None] | None,
                   start: str | None = None) -> None:
        """One EM iteration of ``stage`` (``ibm1`` or ``hmm``) over the cached blocks."""
        cfg = self.cfg
        assert self.fwd is not None and self.bwd is not None
        ne, nf = self.bwd.n_f, self.fwd.n_f
        d1, d2 = self.fwd, self.bwd
        acc = [np.zeros(len(d1.pair_keys)), np.zeros(nf), np.zeros(len(d2.pair_keys)), np.zeros(ne)]
        stats: list[dict[int, tuple[np.ndarray, float]]] = [{}, {}]
        ll = 0.0 if stage == "hmm" else float("nan")
        for fs, bs, pf_ids, pb_ids, perm in cache:
            if stage == "ibm1":
                pf, nf_ = _ibm1_posteriors(d1, fs, d1.t[pf_ids], d1.t_null[fs.row_f], cfg.diagonal)
                pb, nb_ = _ibm1_posteriors(d2, bs, d2.t[pb_ids], d2.t_null[bs.row_f], cfg.diagonal)
            else:
                pf, nf_, xf, llf = _hmm_posteriors(d1, fs, d1.t[pf_ids], d1.t_null[fs.row_f],
                                                   _chunks(fs, cfg.chunk_cells))
                pb, nb_, xb, llb = _hmm_posteriors(d2, bs, d2.t[pb_ids], d2.t_null[bs.row_f],
                                                   _chunks(bs, cfg.chunk_cells))
                ll += llf + llb
                for st, x in ((stats[0], xf), (stats[1], xb)):
                    for m, (xi, xn) in x.items():
                        old = st.get(m)
                        st[m] = (xi, xn) if old is None else (old[0] + xi, old[1] + xn)
            if cfg.agreement:
                q = pf * pb[perm]
                cf, cb = q, np.empty_like(q)
                cb[perm] = q
            else:
                cf, cb = pf, pb
            acc[0] += np.bincount(pf_ids, weights=cf, minlength=len(d1.pair_keys))
            acc[1] += np.bincount(fs.row_f, weights=nf_, minlength=nf)
            acc[2] += np.bincount(pb_ids, weights=cb, minlength=len(d2.pair_keys))
            acc[3] += np.bincount(bs.row_f, weights=nb_, minlength=ne)
        d1.update_lexical(acc[0], acc[1])
        d2.update_lexical(acc[2], acc[3])
        if stage == "hmm":
            d1.update_jumps(stats[0])
            d2.update_jumps(stats[1])
        self.log.append({"stage": stage, "iteration": k + 1, "loglik": ll,
                         "p_null_fwd": d1.p_null, "p_null_bwd": d2.p_null,
                         **({"start": start} if start else {})})
        if progress:
            progress(f"{stage} iteration {k + 1}" + (f" ({start} start)" if start else "")
                     + ("" if math.isnan(ll) else f": log-likelihood {ll:,.0f}"))

    # -- decoding -------------------------------------------------------------------------------
    def posteriors(self, src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]]
                   ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """Per pair: fwd link posteriors (n x m) and NULL posteriors (n), bwd (m x n) and (m)."""
        if self.fwd is None or self.bwd is None:
            raise ConfigError("the aligner is not trained")
        from .view import get_view

        tv = get_view(self.view)
        src, tgt = tv.sentences(src), tv.sentences(tgt, "tgt")
        e = self.src_vocab.ids(src, grow=False)
        f = self.tgt_vocab.ids(tgt, grow=False)
        outs = []
        for d, a, b in ((self.fwd, e, f), (self.bwd, f, e)):
            side = _Side(a, b)
            # fixed parameters: t looked up per cell (pairs never seen in training get a floor)
            post, rn, _, _ = _hmm_posteriors(d, side, d.lookup(side.cell_e, side.cell_f), d.null_lookup(side.row_f),
                                             _chunks(side, self.cfg.chunk_cells), want_xi=False, exact=True)
            outs.append(self._split(side, post, rn))
        (pf, nf), (pb, nb) = outs
        return pf, nf, pb, nb

    @staticmethod
    def _split(side: _Side, post: np.ndarray, rn: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        rows = side.row_off
        P, N = [], []
        for k in range(len(side.m)):
            m, n = int(side.m[k]), int(side.n[k])
            P.append(post[side.off[k]:side.off[k + 1]].reshape(n, m))
            N.append(rn[rows[k]:rows[k + 1]])
        return P, N

    def _links(self, P: np.ndarray, N: np.ndarray, transpose: bool) -> Links:
        if P.size == 0:
            return set()
        best = P.argmax(1)
        val = P[np.arange(len(best)), best]
        keep = (val > N) & (val > self.cfg.threshold)
        j = np.nonzero(keep)[0]
        return {(int(j_), int(best[j_])) if transpose else (int(best[j_]), int(j_)) for j_ in j}

    def iter_posteriors(self, src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]]
                        ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """:meth:`posteriors` pair by pair, computed in blocks of bounded memory."""
        for lo, hi in _blocks([len(x) for x in src], [len(x) for x in tgt], self.cfg.chunk_cells * 4):
            yield from zip(*self.posteriors(src[lo:hi], tgt[lo:hi]))

    def align_directional(self, src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]]
                          ) -> tuple[list[Links], list[Links]]:
        fwd: list[Links] = []
        bwd: list[Links] = []
        for pf, nf, pb, nb in self.iter_posteriors(src, tgt):
            fwd.append(self._links(pf, nf, False))
            bwd.append(self._links(pb, nb, True))
        return fwd, bwd

    def align(self, src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]], sym: str = "grow-diag-final-and"):
        """Align pairs with the fixed model: an :class:`~xdata.align.AlignResult`."""
        from .links import AlignResult, symmetrize

        if len(src) != len(tgt):
            raise InputError(f"{len(src)} source sentences but {len(tgt)} target sentences")
        fwd, bwd = self.align_directional(src, tgt)
        links = [sorted(symmetrize(a, b, len(s), len(t), sym)) for a, b, s, t in zip(fwd, bwd, src, tgt)]
        scores = [2 * len(a & b) / (len(a) + len(b)) if (a or b) else 0.0 for a, b in zip(fwd, bwd)]
        from .view import get_view

        tv = get_view(self.view)
        return AlignResult(links, scores, f"builtin+{sym}", fwd, bwd, view=tv.spec, view_name=tv.name)

    # -- persistence ----------------------------------------------------------------------------
    @property
    def digest(self) -> str:
        assert self.fwd is not None and self.bwd is not None
        # the view joins the digest only when there is one (models saved before views keep their digest)
        cfg = {k: v for k, v in self.cfg.__dict__.items() if not (k in _LEGACY and v == _LEGACY[k])}
        h = hashlib.sha256(digest_value([cfg, self.priors_digest, self.fwd.p_null, self.bwd.p_null]
                                        + ([self.view] if self.view != "none" else [])).encode())
        for words in (self.src_vocab.words, self.tgt_vocab.words):
            h.update("\x1f".join(words).encode("utf-8") + b"\x1e")
        for d in (self.fwd, self.bwd):  # the exact parameter bytes (saved and loaded losslessly)
            for arr in (d.pair_keys, d.t, d.t_null, d.jump):
                a = np.ascontiguousarray(arr)
                h.update(f"{a.dtype.str}{a.shape}".encode() + a.tobytes())
        return h.hexdigest()

    def save(self, path: str | Path) -> Path:
        from .view import get_view

        if self.fwd is None or self.bwd is None:
            raise ConfigError("the aligner is not trained")
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        arrays = {}
        for name, d in (("fwd", self.fwd), ("bwd", self.bwd)):
            arrays.update({f"{name}_pair_keys": d.pair_keys, f"{name}_t": d.t, f"{name}_t_null": d.t_null,
                           f"{name}_jump": d.jump})
        tmp = p / "params.tmp.npz"
        np.savez_compressed(tmp, **arrays)  # type: ignore[arg-type]  # numpy stubs: arrays freed/retyped in place
        tmp.replace(p / "params.npz")
        meta = {"format": FORMAT, "config": self.cfg.__dict__, "priors_digest": self.priors_digest,
                "p_null": [self.fwd.p_null, self.bwd.p_null], "src_vocab": self.src_vocab.words,
                "tgt_vocab": self.tgt_vocab.words, "log": self.log, "view": self.view,
                "view_spec": get_view(self.view).spec, "digest": self.digest}
        (p / "model.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        return p

    @classmethod
    def load(cls, path: str | Path) -> "HMMAligner":
        p = Path(path)
        try:
            meta = json.loads((p / "model.json").read_text(encoding="utf-8"))
            arrays = np.load(p / "params.npz")
        except FileNotFoundError as e:
            raise InputError(f"not a saved xdata aligner (missing {Path(e.filename).name}); "
                             "expected a directory written by HMMAligner.save or `xdata align --save-model`", path=p) from e
        except (ValueError, OSError, zipfile.BadZipFile, UnicodeDecodeError) as e:  # JSONDecodeError is a ValueError
            raise InputError(f"saved aligner is damaged ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
                             "save it again", path=p) from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            got = meta.get("format") if isinstance(meta, dict) else None
            raise InputError(f"unknown aligner format {got!r}; expected {FORMAT!r}", path=p / "model.json")
        try:
            self = cls(HMMConfig(**{**_LEGACY, **meta["config"]}))
            self.src_vocab = _Vocab(meta["src_vocab"])
            self.tgt_vocab = _Vocab(meta["tgt_vocab"])
            self.priors_digest = meta["priors_digest"]
            self.view = meta.get("view", "none")  # saved before token views: the words as given
            self.log = meta["log"]
            ne, nf = len(self.src_vocab.words), len(self.tgt_vocab.words)
            for name, (a, b), pn in (("fwd", (ne, nf), meta["p_null"][0]), ("bwd", (nf, ne), meta["p_null"][1])):
                d = _Direction.__new__(_Direction)
                d.cfg, d.n_e, d.n_f = self.cfg, a, b
                d.pair_keys = arrays[f"{name}_pair_keys"]
                d.pair_e = d.pair_keys // max(b, 1)
                d.t, d.t_null, d.jump = arrays[f"{name}_t"], arrays[f"{name}_t_null"], arrays[f"{name}_jump"]
                d.p_null = pn
                setattr(self, name, d)
        except (KeyError, TypeError, ValueError, OSError, zipfile.BadZipFile) as e:
            raise InputError(f"saved aligner is damaged ({type(e).__name__}: {e}); save it again", path=p) from None
        if self.digest != meta["digest"]:
            raise InputError("the saved aligner's parameters do not match its recorded digest (damaged?)", path=p)
        if "view_spec" in meta:  # a stemmer or sentencepiece model that changed since would map words otherwise
            from .view import get_view

            now = get_view(self.view).spec
            if now != meta["view_spec"]:
                raise InputError(f"the aligner was trained on the token view {meta['view_spec']}, but {self.view!r} "
                                 f"is now {now} (the stemmer or model changed); align with the one it was trained on "
                                 "or train again", path=p / "model.json")
        return self


def train_and_align(src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]], *, n_decode: int | None = None,
                    priors: AlignPriors | None = None, cfg: HMMConfig | None = None,
                    progress: Callable[[str], None] | None = None,
                    view: str = "none") -> tuple[HMMAligner, list[Links], list[Links]]:
    """Train on all pairs; return the model and the directional links of the first ``n_decode``."""
    model = HMMAligner.train(src, tgt, priors=priors, cfg=cfg, progress=progress, view=view)
    k = len(src) if n_decode is None else n_decode
    fwd, bwd = model.align_directional(src[:k], tgt[:k])
    return model, fwd, bwd


__all__ = ["HMMAligner", "HMMConfig", "train_and_align"]
