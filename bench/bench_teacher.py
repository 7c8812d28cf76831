"""Calibration of the built-in tagger teacher on PUD English UPOS.

The teacher (:class:`xdata.teacher.tagger.TaggerTeacher`) trains on the first half of PUD
English (sentences 0-499), the temperature is fitted on sentences 500-749 (the dev quarter) and
the figures are measured on sentences 750-999 (the test quarter, never seen by training or the
fit): accuracy, expected calibration error (15 equal-width bins) and negative log-likelihood
at T = 1 and at the fitted T. With ``--png`` the test quarter's reliability diagrams are written
there (``before.png``, ``after.png``).

    python bench/bench_teacher.py [--data ../shared/data/pud] [--png DIR]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from xdata.teacher.calibration import calibration_report, fit_temperature, plot_reliability
from xdata.teacher.conllu import dev_arrays, read_conllu_tags, train_tagger_conllu

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "pud"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--png", type=Path, default=None)
    a = ap.parse_args()
    path = a.data / "en_pud-ud-test.conllu"
    forms, tags, _ = read_conllu_tags(path, "upos")
    with tempfile.TemporaryDirectory() as tmp:
        teacher = train_tagger_conllu(path, Path(tmp) / "tagger", sentences=slice(0, 500))
        dev_lp, dev_gold = dev_arrays(teacher, forms[500:750], tags[500:750])
        t = fit_temperature(dev_lp, dev_gold)
        test_lp, test_gold = dev_arrays(teacher, forms[750:1000], tags[750:1000])
        rep = calibration_report(test_lp, test_gold, teacher.labels, t)
    row = {"train": "0:500", "dev": "500:750", "test": "750:1000", "temperature": t, "test_tokens": rep["tokens"],
           "accuracy": round(rep["before"]["accuracy"], 4),
           "ece_before": round(rep["before"]["ece"], 4), "ece_after": round(rep["after"]["ece"], 4),
           "nll_before": round(rep["before"]["nll"], 4), "nll_after": round(rep["after"]["nll"], 4),
           "confidence_before": round(rep["before"]["confidence"], 4),
           "confidence_after": round(rep["after"]["confidence"], 4)}
    print(json.dumps(row, indent=2))
    if a.png is not None:
        import numpy as np

        from xdata.teacher import log_softmax

        a.png.mkdir(parents=True, exist_ok=True)
        for name, temp in (("before", 1.0), ("after", t)):
            p = np.exp(log_softmax(test_lp, temp))
            plot_reliability(p.max(axis=1), p.argmax(axis=1) == test_gold, a.png / f"{name}.png",
                             title=f"PUD en UPOS, built-in tagger, T={temp:g}")


if __name__ == "__main__":
    main()
