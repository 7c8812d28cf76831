"""Teacher labels projected to de/fr/es vs the gold English tags projected the same way.

For each target language: the first N PUD sentence pairs (English -> target, token forms), one
builtin alignment of them (deterministic), and two label sources projected over the same links
with the same rule (:func:`xdata.teacher.pseudolabel.project_soft`):

* teacher: xdata's built-in tagger trained on PUD English sentences N+100..999 (so it never saw
  the labelled sentences), its soft labels at temperature 1 and at the temperature fitted on
  English sentences N..N+99 (a dev set it did not train on either);
* gold: the English gold UPOS as one-hot distributions (what projection of hand labels gives).

Prints UPOS accuracy over all target tokens (unlabelled tokens count as wrong) against the
target's gold, the gap (the cost of the teacher), the same with confidence filtering
(``--min-prob``): coverage and accuracy over the labelled tokens, and the expected calibration
error of the projected labels (top probability against correctness on the target's linked tokens)
before and after temperature scaling.

Usage: python bench/bench_pseudolabel.py [--sentences 500] [--min-prob 0.9]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from xdata.align import align_corpus
from xdata.io import ConlluSource
from xdata.teacher import load_teacher, soft_labels
from xdata.teacher.calibration import ece, fit_temperature
from xdata.teacher.conllu import train_tagger_conllu
from xdata.teacher.pseudolabel import project_soft

PUD = Path(__file__).resolve().parents[2] / "shared" / "data" / "pud"


def _rows(path: Path, lang: str) -> tuple[list[list[str]], list[list[str]]]:
    rows = list(ConlluSource(path, lang).batches(100_000))[0].rows.sort("src_row")
    return rows["tokens"].to_list(), rows["tags"].to_list()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=500)
    ap.add_argument("--min-prob", type=float, default=0.9)
    a = ap.parse_args()
    n = a.sentences
    en_tok, en_tag = _rows(PUD / "en_pud-ud-test.conllu", "en")
    with tempfile.TemporaryDirectory() as tmp:
        train_tagger_conllu(PUD / "en_pud-ud-test.conllu", Path(tmp) / "t", sentences=slice(n + 100, None))
        teacher = load_teacher(str(Path(tmp) / "t"))
        labels = teacher.labels
        idx = {lab: i for i, lab in enumerate(labels)}
        dev_lp = np.concatenate(teacher.logprobs(en_tok[n:n + 100]))
        dev_gold = np.array([idx.get(t, -1) for tags in en_tag[n:n + 100] for t in tags])
        temp = fit_temperature(dev_lp[dev_gold >= 0], dev_gold[dev_gold >= 0])
        lps = teacher.logprobs(en_tok[:n])
        probs = [soft_labels(lp, 1.0)[0] for lp in lps]
        probs_t = [soft_labels(lp, temp)[0] for lp in lps]
    print(f"temperature fitted on English sentences {n}-{n + 99}: {temp:.4f}")
    gold_src = [np.eye(len(labels))[[idx.get(t, 0) for t in tags]] for tags in en_tag[:n]]
    teacher_acc_en = np.mean([labels[int(k)] == g for p, tags in zip(probs, en_tag[:n]) for k, g in zip(p.argmax(1), tags)])
    print(f"teacher on the {n} English sentences it labels: UPOS accuracy {teacher_acc_en:.3f}")
    print("lang  gold-projected  teacher-projected  gap    | teacher, min_prob {:.2f}: coverage  accuracy(labelled)"
          " | ECE T=1  ECE fitted".format(a.min_prob))
    means = []
    for lang in ("de", "fr", "es"):
        tok, tag = _rows(PUD / f"{lang}_pud-ud-test.conllu", lang)
        links = align_corpus(en_tok[:n], tok[:n], method="builtin").links
        cal = {}
        for name, src in (("T=1", probs), ("fitted", probs_t)):
            conf, corr = [], []
            for s, lk, toks, g in zip(src, links, tok[:n], tag[:n]):
                comb, frm = project_soft(s, sorted(lk), len(toks))
                for j, gg in enumerate(g):
                    if frm[j]:
                        conf.append(float(comb[j].max()))
                        corr.append(labels[int(comb[j].argmax())] == gg)
            cal[name] = ece(np.array(conf), np.array(corr))
        res = {}
        for name, src in (("gold", gold_src), ("teacher", probs)):
            right = total = covered = right_cov = 0
            for s, lk, toks, g in zip(src, links, tok[:n], tag[:n]):
                comb, frm = project_soft(s, sorted(lk), len(toks))
                for j, gg in enumerate(g):
                    total += 1
                    if not frm[j]:
                        continue
                    lab = labels[int(comb[j].argmax())]
                    right += lab == gg
                    if comb[j].max() >= a.min_prob:
                        covered += 1
                        right_cov += lab == gg
            res[name] = (right / total, covered / total, right_cov / max(covered, 1))
        means.append((res["gold"][0], res["teacher"][0]))
        print(f"{lang}    {res['gold'][0]:.3f}           {res['teacher'][0]:.3f}              "
              f"{res['gold'][0] - res['teacher'][0]:+.3f} | {res['teacher'][1]:.3f}     {res['teacher'][2]:.3f}"
              f"           | {cal['T=1']:.4f}   {cal['fitted']:.4f}")
    g, t = np.mean(means, axis=0)
    print(f"mean  {g:.3f}           {t:.3f}              {g - t:+.3f}")


if __name__ == "__main__":
    main()
