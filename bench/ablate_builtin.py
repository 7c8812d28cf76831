"""The builtin aligner with settings changed: AER per gold set, to see what each part contributes.

Trains :class:`xdata.align.hmm.HMMAligner` on every gold set's own sentences (as
``bench_align.py`` does) with the default settings, then once per ``--config`` with the given
``HMMConfig`` fields changed, and prints AER at grow-diag-final-and for each, with the training
and decoding time. Deterministic: the same command prints the same AER.

    python bench/ablate_builtin.py --gold DIR [--gold DIR ...] [--view stem]
        [--config '{"fertility_steps": 0}' ...]

Default gold sets: the shared en-de and en-fr. ``bench/gold_variants.py`` and
``bench/gold_convert.py`` make more.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench_align import GDFA, score  # bench/ is the script's directory
from gold_variants import DATA, read_gold

from xdata.align.hmm import HMMAligner, HMMConfig
from xdata.errors import ConfigError


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", type=Path, action="append", default=[])
    ap.add_argument("--view", default="stem")
    ap.add_argument("--config", action="append", default=[], help="JSON object of HMMConfig fields to change")
    args = ap.parse_args()
    configs: list[dict] = [{}]
    for c in args.config:
        try:
            over = json.loads(c)
            HMMAligner.train([["a"]], [["b"]], cfg=HMMConfig(**over))  # the settings' own checks, before any work
        except (ValueError, TypeError, ConfigError) as e:
            ap.error(f"--config {c!r}: {e}")
        configs.append(over)
    dirs = args.gold or [DATA / "en-de", DATA / "en-fr"]
    sets = {}
    for d in dirs:
        pairs = read_gold(d)
        sets[d.name] = ([p[0] for p in pairs], [p[1] for p in pairs], [(p[2], p[3]) for p in pairs])
    print("| settings | " + " | ".join(sets) + " | mean | seconds |")
    print("|---|" + "---|" * (len(sets) + 2))
    for over in configs:
        scores = []
        t0 = time.perf_counter()
        for src, tgt, gold in sets.values():
            model = HMMAligner.train(src, tgt, cfg=HMMConfig(**over), view=args.view)
            scores.append(score(gold, src, tgt, *model.align_directional(src, tgt), GDFA)["aer"])
        name = json.dumps(over) if over else "defaults"
        print(f"| {name} | " + " | ".join(f"{x:.3f}" for x in scores)
              + f" | {sum(scores) / len(scores):.4f} | {time.perf_counter() - t0:.1f} |", flush=True)


if __name__ == "__main__":
    main()
