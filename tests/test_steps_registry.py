"""xdata.steps: one import path for every step, and steps rebuilt from a manifest."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import xdata.steps as steps
from xdata.errors import ConfigError
from xdata.io import TextSource
from xdata.pipeline import Pipeline, Step, run

LEX = Path(__file__).resolve().parents[1] / "lexicons" / "seed" / "en-sw.tsv"


def test_every_step_class_is_reachable_from_xdata_steps():
    import inspect

    import xdata

    pkg = Path(xdata.__file__).parent
    defined = set()
    for p in pkg.rglob("*.py"):
        for line in p.read_text(encoding="utf-8").splitlines():
            m = re.match(r"class (\w+)\((.*)\):", line)
            if m and {b.strip() for b in m.group(2).split(",")} & {"Step", "MapStep", "FilterStep"}:
                defined.add(m.group(1))
    exported = {n for n in steps.__all__ if inspect.isclass(getattr(steps, n)) and issubclass(getattr(steps, n), Step)}
    assert defined - {"MapStep", "FilterStep"} == exported


def test_a_version_is_rebuilt_from_its_manifest_with_the_same_bytes(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the child drinks water\nthe big house\nthe child drinks water\n", encoding="utf-8")
    pipe_steps = [steps.Normalize(form="NFKC"), steps.Identity(),
                  steps.CodeSwitch(lexicons=(str(LEX),), ratio=0.5, protect_capitalized=True),
                  steps.Dedup(normalized=True)]
    m = run(Pipeline("r", TextSource(corpus, "en"), pipe_steps), tmp_path / "a", workers=1, seed=3)
    rebuilt = steps.steps_from_manifest(json.loads((tmp_path / "a" / "manifest.json").read_text()))
    assert [s.signature() for s in rebuilt] == [s.signature() for s in pipe_steps]
    assert rebuilt[2].params.policy.ratio == 0.5 and rebuilt[2].params.lexicons == (str(LEX),)
    again = run(Pipeline("r", TextSource(corpus, "en"), rebuilt), tmp_path / "b", workers=1, seed=3)
    assert again["content_digest"] == m["content_digest"] and again["version"] == m["version"]


def test_rebuilding_refuses_unknown_steps_and_changed_resources(tmp_path):
    with pytest.raises(ConfigError, match=r"no step teleport.v1 in this xdata"):
        steps.step_from_description({"name": "teleport", "version": 1, "params": {}})
    lex = tmp_path / "l.tsv"
    lex.write_text("water\tmaji\n", encoding="utf-8")
    step = steps.CodeSwitch(lexicons=(str(lex),))
    desc = step.describe()
    lex.write_text("water\tmajii\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"codeswitch@1 rebuilt with signature .* one of its resources changed"):
        steps.step_from_description(desc)
