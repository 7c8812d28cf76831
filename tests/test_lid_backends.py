"""LID backends behind one interface, and `auto` (real backends, real shared data; no mocks).

A test that needs an optional backend is skipped, with the reason, when that backend is not
installed; the default setup (.ci/setup) installs all four.
"""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from xdata.cli import app
from xdata.errors import ConfigError, InputError
from xdata.io import FrameSource, TextSource
from xdata.lid import LidFilter, LidTag, shared_backend
from xdata.lid.backends import (BACKENDS, TIE, LidBackend, _printed_probs, accuracy_table, choose_backend,
                                installed_backends, label_to_tag, measured)
from xdata.pipeline import Pipeline, run

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_data = pytest.mark.skipif(not DATA.exists(), reason="shared data not available")
_MODULE = {"fasttext": "fasttext", "heliport": "heliport", "cld3": "gcld3", "lingua": "lingua"}


def _need(name: str):
    return pytest.mark.skipif(importlib.util.find_spec(_MODULE[name]) is None,
                              reason=f"optional LID backend {name} is not installed")


def _verses(code: str, n: int, offset: int = 0) -> list[str]:
    lines = (DATA / "bible" / f"{code}.tsv").read_text(encoding="utf-8").splitlines()
    v = [ln.split("\t", 1)[1] for ln in lines if len(ln.split("\t", 1)[1].split()) >= 5]
    return v[offset:offset + n]


def _pud(code: str, n: int) -> list[str]:
    text = (DATA / "pud" / f"{code}_pud-ud-test.conllu").read_text(encoding="utf-8")
    s = [ln[9:].strip() for ln in text.splitlines() if ln.startswith("# text = ")]
    return [x for x in s if len(x.split()) >= 5][:n]


def test_labels_become_xdata_tags():
    assert [label_to_tag(x) for x in ("__label__swh_Latn", "swa", "swh", "zul", "ewe", "SW", "__label__en", "zxx")] == \
        ["sw", "sw", "sw", "zu", "ee", "sw", "en", "und"]


@pytest.mark.parametrize("name", list(BACKENDS))
def test_every_backend_predicts_lists_with_tags_and_a_digest(name):
    if importlib.util.find_spec(_MODULE[name]) is None:
        pytest.skip(f"optional LID backend {name} is not installed")
    b = shared_backend(name)
    assert b.digest and b.name == name
    assert "sw" in b.known() and "en" in b.known()
    assert not {"swa", "swh", "eng"} & set(b.labels)  # 3-letter codes mapped to 2-letter tags
    texts = ["Serikali ya Tanzania imetangaza mpango mpya wa elimu kwa watoto wote nchini.", "",
             "The children are going to school in the morning with their teachers."]
    one = b.predict(texts, 1)
    assert [p[0][0] for p in one] == ["sw", "und", "en"]
    assert one[1] == [("und", 0.0)] and all(0.0 < p[0][1] <= 1.0 for p in (one[0], one[2]))
    two = b.predict(texts, 2)
    assert all(len(p) == 2 for p in two) and [p[0][0] for p in two] == ["sw", "und", "en"]
    assert two[0][0][1] == pytest.approx(one[0][0][1], abs=1e-6)  # the same top-1 probability whatever k


def test_printed_probabilities_are_those_of_round_then_format():
    """heliport's fast path prints 4 decimals of round(p, 6) by arithmetic; where it says it is sure,
    the text is exactly that, including next to every rounding boundary."""
    mids = (np.arange(0, 10_000) + 0.5) / 1e4
    at = -np.log10(1.0 / mids - 1.0)  # x for which p lies on a 4-decimal boundary
    x = np.concatenate([np.random.default_rng(0).normal(0.0, 4.0, 100_000), at, at + 1e-9, at - 1e-9,
                        np.nextafter(at, np.inf), [0.0, 30.0, -30.0, 45.0, -45.0, math.inf, -math.inf, math.nan]])
    texts, done = _printed_probs(x)
    want = [f"{round(1.0 / (1.0 + math.pow(10.0, -max(min(v, 30.0), -30.0))), 6):.4f}\n" for v in x]
    assert [t for t, d in zip(texts, done) if d] == [w for w, d in zip(want, done) if d]
    assert done[:100_000].mean() > 0.97 and not done[-1]  # nearly every line; never nan


def _heliport_lines() -> list[str]:
    lines = [v for c in ("swh", "zul", "ewe", "eng") for v in _verses(c, 400)] + \
        [v for c in ("en", "de", "fr", "es") for v in _pud(c, 200)]
    words = [" ".join(v.split()[: 1 + i % 3]) for i, v in enumerate(lines)]  # short lines: many below the threshold
    return lines + words + ["", "   ", "\t", "123 456", "!!! ...", "a", "ŋ", "🙂", "\u00a0Habari\u00a0", "x\ny"]


@_need("heliport")
@needs_data
def test_heliport_fast_path_prints_what_predict_gives():
    """`xdata lid`'s heliport path gives the bytes of the general predict path, for confident lines,
    lines below heliport's threshold, lines without letters and empty lines."""
    b = shared_backend("heliport")
    lines = _heliport_lines()
    codes = [c for c, _ in b._id.par_identify_with_score([t.replace("\n", " ").strip() for t in lines])]
    assert {"und", "zxx"} <= set(codes)  # every branch is exercised
    assert b.format_lines(lines) == LidBackend.format_lines(b, lines)
    assert b.format_lines([]) == ""


@_need("heliport")
@needs_data
def test_heliport_cli_prints_what_predict_gives():
    b = shared_backend("heliport")
    lines = [t for t in _heliport_lines() if "\n" not in t]
    data = ("\r\n".join(lines[:50]) + "\n" + "\n".join(lines[50:])).encode()  # CRLF ends, no last line end
    xd = [sys.executable, "-m", "xdata", "lid", "--backend", "heliport"]
    for opts in ([], ["--chunk", "7"], ["--chunk", "7", "--workers", "2"]):
        out = subprocess.run(xd + opts, input=data, capture_output=True, check=True).stdout
        assert out == LidBackend.format_lines(b, lines).encode(), opts


@_need("heliport")
@needs_data
def test_heliport_maps_macrolanguages_and_knows_zulu_and_ewe():
    b = shared_backend("heliport")
    assert {"sw", "zu", "ee"} <= b.known()
    for code, tag in (("swh", "sw"), ("zul", "zu"), ("ewe", "ee")):
        got = [p[0][0] for p in b.predict(_verses(code, 100, offset=1000), 1)]  # past Matthew's genealogy
        assert got.count(tag) >= 97, (code, got)


def test_auto_chooses_per_language_from_the_data_file():
    table = accuracy_table()
    assert table["generated_by"].startswith("python bench/bench_lid.py --accuracy") and table["date"]
    inst = installed_backends()
    for lang in ("sw", "zu", "ee", "en", "de", "fr", "es"):
        chosen = choose_backend(lang)
        scores = {b: measured(b, lang) for b in inst}
        assert chosen in inst
        assert scores[chosen] is not None and scores[chosen] >= max(s for s in scores.values() if s is not None) - TIE
    # the same rule on a smaller installed set: without heliport, Zulu goes to the Apache backend measured best
    apache = [b for b in ("fasttext", "cld3", "lingua") if b in table["backends"]]
    zu = {b: measured(b, "zu") or 0.0 for b in apache}
    assert choose_backend("zu", apache) == max(zu, key=lambda b: zu[b])
    assert choose_backend(None, ["fasttext", "cld3"]) == "fasttext"  # unknown language: the broadest installed
    assert choose_backend(None, inst) == inst[0]


@needs_data
def test_backend_recorded_per_row_and_chosen_by_its_language(tmp_path):
    rows = [{"lang": "sw", "text": t} for t in _verses("swh", 5, offset=1000)] + \
           [{"lang": "de", "text": t} for t in _pud("de", 5)] + [{"lang": "en", "text": t} for t in _pud("en", 5)]
    m = run(Pipeline("tag", FrameSource(rows), [LidTag()]), tmp_path / "o", workers=1)
    out = pl.read_parquet(tmp_path / "o" / "data")
    for lang in ("sw", "de", "en"):
        part = out.filter(pl.col("lang") == lang)
        assert set(part["lid_backend"]) == {choose_backend(lang)}
        assert set(part["lid_lang"]) == {lang}
    assert any(k.startswith("lid-tag:lid_") for k in m["resources"])
    assert m["resources"]["lid-tag:lid_accuracy"]


@needs_data
def test_same_bytes_whatever_the_batch_size_and_workers(tmp_path):
    rows = [{"lang": "sw", "text": t} for t in _verses("swh", 60)] + \
           [{"lang": "zu", "text": " ".join(t.split()[:2])} for t in _verses("zul", 60)] + \
           [{"lang": "fr", "text": t} for t in _pud("fr", 60)] + [{"lang": "en", "text": "1 2 3"}]
    outs = []
    for i, (bs, w) in enumerate(((7, 1), (1000, 1), (13, 2))):
        run(Pipeline("b", FrameSource(rows), [LidTag(), LidFilter(min_prob=0.6)]), tmp_path / f"o{i}",
            workers=w, batch_size=bs)
        outs.append(pl.read_parquet(tmp_path / f"o{i}" / "data").sort("id"))
    assert outs[0].equals(outs[1]) and outs[0].equals(outs[2])
    # the CLI: chunks of 3 lines in 2 processes give the same bytes as one chunk in one process
    data = ("\n".join(r["text"] for r in rows) + "\n").encode()
    xd = [sys.executable, "-m", "xdata", "lid", "--k", "2"]
    a = subprocess.run(xd + ["--chunk", "3", "--workers", "2"], input=data, capture_output=True, check=True).stdout
    b = subprocess.run(xd + ["--chunk", "100000", "--workers", "1"], input=data, capture_output=True, check=True).stdout
    assert a == b and a.count(b"\n") == len(rows)


def test_missing_model_and_wrong_backend_fail_at_once(tmp_path):
    r = CliRunner().invoke(app, ["lid", "--backend", "fasttext", "--model", str(tmp_path / "nope.bin")], input="hello\n")
    assert r.exit_code != 0 and "fastText model not found" in r.output
    r = CliRunner().invoke(app, ["lid", "--backend", "nope"], input="hello\n")
    assert r.exit_code != 0 and "unknown LID backend 'nope'" in r.output
    r = CliRunner().invoke(app, ["lid", "--backend", "cld3", "--model", str(tmp_path / "m.bin")], input="hello\n")
    assert r.exit_code != 0 and "ships its own models" in r.output
    src = tmp_path / "in.txt"
    src.write_text("Habari za asubuhi rafiki yangu mpendwa sana leo\n", encoding="utf-8")
    with pytest.raises(InputError, match="fastText model not found"):
        run(Pipeline("m", TextSource(src, "sw"), [LidFilter(model=str(tmp_path / "nope.bin"))]), tmp_path / "o", workers=1)
    with pytest.raises(ConfigError, match="unknown LID backend"):
        run(Pipeline("m", TextSource(src, "sw"), [LidTag(backend="cld4")]), tmp_path / "o2", workers=1)


def test_a_language_no_installed_backend_knows_is_kept_and_said(tmp_path):
    # Kimbundu (kmb): in none of the four label sets
    assert all("kmb" not in shared_backend(b).known() for b in installed_backends())
    src = tmp_path / "kmb.txt"
    src.write_text("Mu kizuua kia kamba kiami\nNgala ni kudia\n", encoding="utf-8")
    m = run(Pipeline("k", TextSource(src, "kmb"), [LidFilter()]), tmp_path / "o", workers=1)
    assert m["rows"] == 2 and m["rejected_rows"] == 0
    assert any("no installed LID backend" in w and "knows kmb: those rows were kept unfiltered" in w
               for w in m["warnings"]), m["warnings"]


@_need("cld3")
@needs_data
def test_an_explicit_backend_that_lacks_the_language_warns(tmp_path):
    src = tmp_path / "ee.txt"
    src.write_text("\n".join(_verses("ewe", 20)) + "\n", encoding="utf-8")
    m = run(Pipeline("e", TextSource(src, "ee"), [LidFilter(backend="cld3")]), tmp_path / "o", workers=1)
    assert m["rows"] == 20
    assert any("the LID backend cld3 does not know ee" in w for w in m["warnings"]), m["warnings"]


@_need("heliport")
@needs_data
@pytest.mark.parametrize("code, lang", [("swh", "sw"), ("zul", "zu"), ("ewe", "ee")])
def test_default_filter_keeps_97_percent_of_african_bible_verses(tmp_path, code, lang):
    """Acceptance: the default LidFilter (auto, the extras .ci/setup installs) on 300 verses of 5+ words."""
    src = tmp_path / "v.txt"
    src.write_text("\n".join(_verses(code, 300, offset=1000)) + "\n", encoding="utf-8")
    m = run(Pipeline("v", TextSource(src, lang), [LidFilter()]), tmp_path / "o", workers=1)
    assert m["rows"] / 300 >= 0.97, (lang, m["rows"])
    assert set(pl.read_parquet(tmp_path / "o" / "data")["lid_backend"]) == {choose_backend(lang)}
