"""Normalization: table-driven cases in several scripts, rules as data, offsets, properties."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xdata.normalize import normalize, normalize_with_offsets, rules_for, tr_lower, tr_upper


@pytest.mark.parametrize("lang, text, expected", [
    ("en", "  “Hello” — world…  ", '"Hello" - world...'),
    ("en", "zero\u200bwidth\ufeff and soft\u00adhyphen", "zerowidth and softhyphen"),
    ("en", "ＡＢＣ１２３！", "ABC123!"),
    ("en", "tab\tand\u00a0nbsp", "tab and nbsp"),
    ("fa", "كتاب يک ٣٤ خوبـــه", "کتاب یک ۳۴ خوبه"),           # Arabic kaf/yeh -> Persian, tatweel, digits
    ("fa", "می\u200cخواهم", "می\u200cخواهم"),                 # ZWNJ kept in Persian
    ("fa", "سلام، خوبی؟", "سلام، خوبی؟"),                    # Arabic comma and question mark untouched
    ("ur", "كتاب", "کتاب"),
    ("ro", "Bucureşti ţară Ştefan Ţepeş", "București țară Ștefan Țepeș"),
    ("hi", "क्\u200dष नमस्ते। धन्यवाद॥", "क्\u200dष नमस्ते। धन्यवाद॥"),  # danda and ZWJ kept
    ("am", "ሰላም። እንዴት ነህ፧", "ሰላም። እንዴት ነህ፧"),             # Ethiopic punctuation untouched
    ("yo", "Ọjo\u0301 ọ̀la", "Ọjó ọ̀la"),                       # tone marks composed (NFC)
    ("ee", "Eʋegbε", "Eʋegbɛ"),                                # Greek epsilon look-alike -> open e
    ("ha", "'yan makaranta", "ƴan makaranta"),
    ("en", "a\u200cb", "ab"),                                   # ZWNJ dropped where the script does not need it
])
def test_table(lang, text, expected):
    assert normalize(text, lang) == expected


def test_nfkc_and_harakat_and_ascii_digits():
    assert normalize("ﬁne ²", "en", form="NFKC") == "fine 2"
    assert normalize("كَتَبَ", "ar", harakat=True) == "كتب"
    assert normalize("۱۲۳ ٤", "fa", digits="ascii") == "123 4"


def test_turkish_case():
    assert tr_lower("İSTANBUL ILIK", "tr") == "istanbul ılık"
    assert tr_upper("istanbul ılık", "az") == "İSTANBUL ILIK"


def test_rules_are_loaded_and_validated():
    assert rules_for("fa-Arab").digits == "extended-arabic-indic"
    assert rules_for("qaa") is None  # a private-use language: no rules


def test_offsets_point_at_sources():
    text = "  e\u0301te\u0301 “x”…"
    out, offs = normalize_with_offsets(text, "fr")
    assert out == 'été "x"...'
    assert len(offs) == len(out)
    assert [text[i] for i in offs][:3] == ["e", "t", "e"]
    assert offs == sorted(offs)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.sampled_from(["en", "fa", "ro", "hi", "ha", "yo", None]))
def test_properties(text, lang):
    out = normalize(text, lang)
    assert normalize(out, lang) == out                      # idempotent
    out2, offs = normalize_with_offsets(text, lang)
    assert out2 == out
    assert len(offs) == len(out) and all(0 <= i < len(text) for i in offs)
    assert offs == sorted(offs)                            # spans keep their order


def test_cli_line_in_line_out():
    from typer.testing import CliRunner

    from xdata.cli import app

    r = CliRunner().invoke(app, ["normalize", "--lang", "fa"], input="كتاب  ٣٤\n\n  \nيک\n")
    assert r.exit_code == 0, r.output
    assert r.output.split("\n")[:4] == ["کتاب ۳۴", "", "", "یک"]
    r = CliRunner().invoke(app, ["normalize", "--lang", "fa", "--form", "XYZ"], input="x\n")
    assert r.exit_code == 2 and "normalization form must be" in r.output


def test_cli_workers_keep_order_and_every_line():
    """Several processes, tiny chunks, bad bytes and blank lines: the same bytes as one process."""
    import subprocess
    import sys

    lines = ["«Ţară» – şi “alta”…", "", "\u00a0 spaţiu\u200b", "ok", "   "] * 9
    data = ("\n".join(lines) + "\n").encode() + b"\xff\xfe\n"
    cmd = [sys.executable, "-m", "xdata", "normalize", "--lang", "ro", "--chunk", "4"]
    one = subprocess.run(cmd + ["--workers", "1"], input=data, capture_output=True, check=True)
    two = subprocess.run(cmd + ["--workers", "2"], input=data, capture_output=True, check=True)
    assert one.stdout == two.stdout
    out = one.stdout.decode().split("\n")
    assert len(out) == len(lines) + 2 and out[-1] == ""
    assert out[0] == '"Țară" - și "alta"...' and out[1] == "" and out[3] == "ok"
    assert b"invalid UTF-8" in one.stderr and b"invalid UTF-8" in two.stderr


def test_normalize_step_in_a_pipeline(tmp_path):
    import polars as pl

    from xdata.io import FrameSource
    from xdata.normalize.step import Normalize
    from xdata.pipeline import Pipeline, run

    rows = [{"src_lang": "ro", "src": "Bucureşti  “mare”", "tgt_lang": "fa", "tgt": "كتاب ٣"}]
    run(Pipeline("n", FrameSource(rows), [Normalize()]), tmp_path / "o", workers=1)
    out = pl.read_parquet(tmp_path / "o" / "data")
    assert out["src"].to_list() == ['București "mare"'] and out["tgt"].to_list() == ["کتاب ۳"]


@pytest.mark.parametrize("lang, text, expected, opts", [
    ("hi", "\u0958", "\u0915\u093c", {}),                        # nukta letter -> canonical decomposed form
    ("bn", "\u09c7\u09be", "\u09cb", {}),                        # Bengali two-part vowel sign composed
    ("ta", "\u0bc6\u0bbe", "\u0bca", {}),                        # Tamil two-part vowel sign composed
    ("hi", "हँसना", "हँसना", {}),                                  # chandrabindu kept by default ...
    ("hi", "हँसना", "हंसना", {"lossy": True}),                     # ... merged into anusvara on request
    ("hi", "१२३ abc", "123 abc", {"digits": "ascii"}),
    ("kk", "Қазақстан əлемі", "Қазақстан әлемі", {}),
    ("en", "cafÃ© dÃ©jÃ  vu", "café déjà vu", {"mojibake": True}),
    # Ethiopic (words from lexicons/seed/en-am.tsv): defaults keep spelling, punctuation, digits ...
    ("am", "ፀሐይ ወጣች። መጽሐፍ፣ ፩", "ፀሐይ ወጣች። መጽሐፍ፣ ፩", {}),
    # ... the lossy spelling reform merges homophone letters order by order, wordspace -> space
    ("am", "ፀሐይ፡ሠላም ዓለም ኀይል", "ጸሀይ ሰላም ኣለም ሀይል", {"lossy": True}),
    ("ti", "ፀሐይ፡ሠላም ዓለም", "ጸሐይ ሰላም ዓለም", {"lossy": True}),  # Tigrinya keeps ሐ and ዐ (distinct sounds)
])
def test_more_rules(lang, text, expected, opts):
    assert normalize(text, lang, **opts) == expected
    assert normalize_with_offsets(text, lang, **opts)[0] == expected
