"""LID for the project's languages: `xdata lid train`, verification with the trained model, and
no silent failure with a model that does not know a language (real fastText, real Bible text)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from xdata.cli import app
from xdata.io import TextSource
from xdata.lid import LidFilter, LidModel
from xdata.pipeline import Pipeline, run

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "bible"
pytestmark = pytest.mark.skipif(not DATA.exists(), reason="shared data not available")
FILES = {"ee": "ewe.tsv", "en": "eng.tsv", "sw": "swh.tsv", "zu": "zul.tsv"}


def _verses(lang: str) -> list[str]:
    lines = (DATA / FILES[lang]).read_text(encoding="utf-8").splitlines()
    return [ln.split("\t", 1)[1].strip() for ln in lines if len(ln.split()) >= 6]


def test_trained_model_verifies_ewe_against_the_other_project_languages(tmp_path):
    train_args, held = [], {}
    for lang in FILES:
        v = _verses(lang)
        (tmp_path / f"{lang}.txt").write_text("\n".join(v[:3000]) + "\n", encoding="utf-8")
        held[lang] = v[3000:3600]
        train_args += ["--lang", f"{lang}={tmp_path / f'{lang}.txt'}"]
    model = tmp_path / "proj.bin"
    r = CliRunner().invoke(app, ["lid", "train", *train_args, "--out", str(model)])
    assert r.exit_code == 0, r.output
    assert "ee: trained on 2,700 lines, held-out accuracy" in r.output and model.exists()
    # verification: every held-out line is claimed to be Ewe; only the Ewe ones may stay
    kept = {}
    for lang, lines in held.items():
        f = tmp_path / f"held-{lang}.txt"
        f.write_text("\n".join(lines) + "\n", encoding="utf-8")
        m = run(Pipeline(f"v-{lang}", TextSource(f, "ee"), [LidFilter(model=str(model), min_prob=0.5)]),
                tmp_path / f"out-{lang}", workers=1)
        kept[lang] = m["rows"] / len(lines)
    assert kept["ee"] >= 0.97, kept
    assert all(kept[lang] <= 0.05 for lang in ("en", "sw", "zu")), kept


def test_a_language_the_model_does_not_know_is_kept_and_said(tmp_path):
    zu = tmp_path / "zu.txt"
    zu.write_text("\n".join(_verses("zu")[:200]) + "\n", encoding="utf-8")
    assert "zu" not in {lbl.split("-")[0] for lbl in LidModel.load().labels}  # lid.176 has no Zulu
    m = run(Pipeline("zu", TextSource(zu, "zu"), [LidFilter(backend="fasttext")]), tmp_path / "o", workers=1)
    assert m["rows"] == 200 and m["rejected_rows"] == 0
    assert any("does not know zu: those rows were kept unfiltered" in w for w in m["warnings"])


def test_a_filter_dropping_most_rows_warns(tmp_path):
    sw = tmp_path / "sw.txt"
    sw.write_text("\n".join(_verses("sw")[:300]) + "\n", encoding="utf-8")
    m = run(Pipeline("sw", TextSource(sw, "sw"), [LidFilter(min_prob=0.9, max_drop=0.3, backend="fasttext")]), tmp_path / "o", workers=1)
    share = m["rejected_rows"] / 300
    assert share > 0.3
    assert any(w.startswith("lid-filter (step 0): dropped ") and "more than max_drop=30%" in w for w in m["warnings"])
    r = CliRunner().invoke(app, ["info", str(tmp_path / "o")])
    assert r.exit_code == 0
