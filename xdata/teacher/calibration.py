"""Calibration: expected calibration error, reliability bins, temperature scaling.

* :func:`ece` -- expected calibration error of top-label confidences: tokens go into
  ``n_bins`` equal-width confidence bins on [0, 1] (a confidence of exactly 1 in the last),
  and ECE is the token-weighted mean over bins of |accuracy - mean confidence|;
* :func:`fit_temperature` -- temperature scaling (Guo et al., 2017): the one scalar ``T`` that
  minimises the negative log-likelihood of the gold labels under ``softmax(logp / T)``. The
  NLL is convex in ``1/T``, so a golden-section search over ``1/T`` in [1/20, 20] finds it;
  ``T`` is rounded to 4 decimals (it becomes a step parameter, and so part of a version's
  fingerprint). Temperature never changes the argmax: accuracy is the same before and after;
* :func:`calibration_report` -- accuracy, ECE and NLL before and after, overall and per label;
* :func:`plot_reliability` -- the reliability diagram as a PNG (matplotlib, ``plots`` extra).

Plain numpy; nothing here knows about teachers or files.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import ConfigError, MissingDependency

T_MIN, T_MAX = 0.05, 20.0


def _log_softmax(x: np.ndarray, t: float) -> np.ndarray:
    z = np.asarray(x, dtype=np.float64) / t
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def reliability_bins(conf: Sequence[float] | np.ndarray, correct: Sequence[bool] | np.ndarray,
                     n_bins: int = 15) -> list[dict[str, float]]:
    """Per equal-width confidence bin: its bounds, token count, mean confidence and accuracy."""
    c = np.asarray(conf, dtype=np.float64)
    ok = np.asarray(correct, dtype=np.float64)
    idx = np.minimum((c * n_bins).astype(np.int64), n_bins - 1)
    out = []
    for b in range(n_bins):
        m = idx == b
        n = int(m.sum())
        out.append({"lo": b / n_bins, "hi": (b + 1) / n_bins, "count": n,
                    "confidence": float(c[m].mean()) if n else 0.0, "accuracy": float(ok[m].mean()) if n else 0.0})
    return out


def ece(conf: Sequence[float] | np.ndarray, correct: Sequence[bool] | np.ndarray, n_bins: int = 15) -> float:
    """Expected calibration error (see the module doc); 0 for no tokens."""
    n = len(conf)
    if n == 0:
        return 0.0
    return float(sum(b["count"] / n * abs(b["accuracy"] - b["confidence"]) for b in reliability_bins(conf, correct, n_bins)))


def nll(logp: np.ndarray, gold: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of ``gold`` (label indices; negative = unknown, skipped)."""
    m = gold >= 0
    if not m.any():
        return 0.0
    lp = _log_softmax(logp[m], temperature)
    return float(-lp[np.arange(int(m.sum())), gold[m]].mean())


def fit_temperature(logp: np.ndarray, gold: np.ndarray, *, iters: int = 80) -> float:
    """The temperature minimising :func:`nll` (see the module doc). ``logp``: ``(tokens, labels)``
    log-probabilities or logits; ``gold``: label index per token (negative = not a teacher label,
    left out of the fit)."""
    m = gold >= 0
    if not m.any():
        raise ConfigError("no dev token has a label the teacher knows: cannot fit a temperature")
    x, g = np.asarray(logp, dtype=np.float64)[m], gold[m]

    def f(beta: float) -> float:
        return nll(x, g, 1.0 / beta)

    lo, hi = 1.0 / T_MAX, 1.0 / T_MIN
    phi = (math.sqrt(5) - 1) / 2
    a, b = hi - phi * (hi - lo), lo + phi * (hi - lo)
    fa, fb = f(a), f(b)
    for _ in range(iters):
        if fa <= fb:
            hi, b, fb = b, a, fa
            a = hi - phi * (hi - lo)
            fa = f(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + phi * (hi - lo)
            fb = f(b)
    return round(1.0 / ((lo + hi) / 2), 4)


def _summary(p: np.ndarray, gold: np.ndarray, logp: np.ndarray, t: float, n_bins: int) -> dict[str, float]:
    pred = p.argmax(axis=1)
    conf = p.max(axis=1)
    ok = pred == gold
    return {"accuracy": float(ok.mean()) if len(ok) else 0.0, "ece": ece(conf, ok, n_bins),
            "nll": nll(logp, gold, t), "confidence": float(conf.mean()) if len(conf) else 0.0}


def calibration_report(logp: np.ndarray, gold: np.ndarray, labels: Sequence[str], temperature: float, *,
                       n_bins: int = 15) -> dict[str, Any]:
    """Accuracy, ECE, NLL and mean confidence at ``T = 1`` (``before``) and at ``temperature``
    (``after``), overall and per label. Per label: ``support`` (gold tokens), ``accuracy`` (share
    of them tagged right), and ``ece_before``/``ece_after`` over the tokens the teacher *tagged*
    with the label (``predicted`` of them): is a confidence of 0.9 in NOUN right 90% of the time?
    Tokens whose gold label the teacher does not know (``gold < 0``) count as wrong and are left
    out of the NLL."""
    logp = np.asarray(logp, dtype=np.float64)
    p0 = np.exp(_log_softmax(logp, 1.0))
    p1 = np.exp(_log_softmax(logp, temperature))
    out: dict[str, Any] = {"tokens": int(len(gold)), "unknown_gold": int((gold < 0).sum()), "temperature": temperature,
                           "bins": n_bins, "before": _summary(p0, gold, logp, 1.0, n_bins),
                           "after": _summary(p1, gold, logp, temperature, n_bins)}
    pred = p0.argmax(axis=1)
    per: dict[str, dict[str, float]] = {}
    for j, lab in enumerate(labels):
        g = gold == j
        m = pred == j
        if not g.any() and not m.any():
            continue
        per[lab] = {"support": int(g.sum()), "accuracy": float((pred[g] == j).mean()) if g.any() else 0.0,
                    "predicted": int(m.sum()),
                    "ece_before": ece(p0[m].max(axis=1), gold[m] == j, n_bins) if m.any() else 0.0,
                    "ece_after": ece(p1[m].max(axis=1), gold[m] == j, n_bins) if m.any() else 0.0}
    out["per_label"] = per
    return out


def plot_reliability(conf: Sequence[float] | np.ndarray, correct: Sequence[bool] | np.ndarray, path: str | Path, *,
                     n_bins: int = 15, title: str = "") -> Path:
    """Write the reliability diagram (accuracy per confidence bin against the diagonal) as a PNG."""
    try:
        import matplotlib
    except ModuleNotFoundError as e:
        if (e.name or "").split(".")[0] == "matplotlib":
            raise MissingDependency("matplotlib", "plots", "the reliability diagram") from None
        raise
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bins = reliability_bins(conf, correct, n_bins)
    fig, ax = plt.subplots(figsize=(4.2, 4.2), dpi=100)
    try:
        w = 1.0 / n_bins
        ax.bar([b["lo"] for b in bins], [b["accuracy"] for b in bins], width=w, align="edge",
               edgecolor="black", color="#4c72b0", label="accuracy")
        ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("confidence")
        ax.set_ylabel("accuracy")
        ax.set_title(title or f"ECE {ece(conf, correct, n_bins):.4f} ({len(conf):,} tokens)")
        ax.legend(loc="upper left")
        out = Path(path)
        tmp = out.with_name(out.name + ".tmp")
        fig.savefig(tmp, format="png", metadata={"Software": None})
        tmp.replace(out)
    finally:
        plt.close(fig)
    return out


__all__ = ["ece", "reliability_bins", "nll", "fit_temperature", "calibration_report", "plot_reliability"]
