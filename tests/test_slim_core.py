"""The core install (no model stacks) runs the dataset layer, the readers, code-switching and the
hooks; a verb that needs an extra says which one. The extras are installed here, so their absence
is simulated with an import blocker in a child process (the real packages cannot be removed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCKER = '''
import importlib.abc, sys
BLOCK = {"torch", "transformers", "sentencepiece", "sacrebleu", "datasets", "fasttext", "matplotlib", "heliport", "gcld3",
         "lingua"}
class _Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in BLOCK:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _Blocker())
'''


def _slim(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{ROOT}"}
    return subprocess.run([sys.executable, "-m", "xdata", *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)


def test_core_verbs_run_without_the_model_stacks(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("the child drinks water\nthe big house\n", encoding="utf-8")
    lex = str(ROOT / "lexicons" / "seed" / "en-sw.tsv")
    r = _slim(tmp_path, "codeswitch", "--lexicon", lex, "--ratio", "0.5", "--in", str(src), "--lang", "en",
              "--out", "cs", "--workers", "1")
    assert r.returncode == 0, r.stderr
    for args in (["verify", "cs", "--deep"], ["info", "cs"], ["diff", "cs", "cs"], ["diff", "cs", "cs", "--stats"]):
        r = _slim(tmp_path, *args)
        assert r.returncode == 0, (args, r.stderr)


def test_a_verb_needing_an_extra_names_it(tmp_path):
    r = _slim(tmp_path, "lid", "--workers", "1")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1] == ("error: language identification needs the optional package "
                                                 "'fasttext', which is not installed. Install it with: "
                                                 "pip install 'xdata[lid]'")
    (tmp_path / "m.txt").write_text("mtoto anakunywa maji\n")
    r = _slim(tmp_path, "backtranslate", "--engine", "hf", "--model", str(tmp_path), "--src-lang", "en",
              "--tgt-lang", "sw", "--in", "m.txt", "--out", "bt", "--workers", "1")
    assert r.returncode == 2 and "pip install 'xdata[models]'" in r.stderr.strip().splitlines()[-1], r.stderr
    assert not (tmp_path / "bt").exists()
