"""Lexicon reading, catalog, fetch (offline, through file:// URLs) and stats."""

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xdata.cli import app
from xdata.errors import ConfigError, InputError
from xdata.lexicon import load_lexicon
from xdata.lexicon.catalog import FetchError, fetch, read_catalog, stats

ROOT = Path(__file__).resolve().parents[1]


def test_muse_and_tsv_with_header(tmp_path):
    p = tmp_path / "l.tsv"
    p.write_text("# src_lang: en\n# tgt_lang: ha\n# license: CC0-1.0\nwater\truwa\tn\t0.9\nice cream\taiskirim\tn\n"
                 "water\truwan sha\tn\t0.1\n", encoding="utf-8")
    lex = load_lexicon(p)
    assert (lex.src_lang, lex.tgt_lang, len(lex), lex.max_src_words) == ("en", "ha", 3, 2)
    assert [e.tgt for e in lex.lookup("Water")] == ["ruwa", "ruwan sha"] and lex.lookup("water")[0].prob == 0.9
    rev = lex.reversed()
    assert rev.lookup("ruwa")[0].tgt == "water" and rev.digest == lex.digest


@pytest.mark.parametrize("content, message, line", [
    ("a b c\n", "expected 'source target' (2 space-separated words", 1),
    ("ok fine\nx\ty\tn\tmaybe\n", "probability column holds 'maybe'", 2),
    ("# just a header\n", "lexicon has no entries", None),
])
def test_bad_lexicon_lines(tmp_path, content, message, line):
    p = tmp_path / "bad.txt"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_lexicon(p)
    assert message in str(e.value) and e.value.line == line


def test_seed_lexicons_are_labelled():
    for p in sorted((ROOT / "lexicons" / "seed").glob("*.tsv")):
        lex = load_lexicon(p)
        assert lex.meta["authored"] == "true" and lex.meta["license"] and lex.src_lang == "en" and len(lex) >= 100


def test_catalog_reads_and_fetch_verifies(tmp_path):
    entries = read_catalog()
    assert "muse-en-de" in entries and entries["afromt-en-sw"].tgt_lang == "sw"
    src = tmp_path / "remote.txt"
    src.write_text("water maji\n", encoding="utf-8")
    good = hashlib.sha256(src.read_bytes()).hexdigest()
    cat = tmp_path / "catalog.tsv"
    cat.write_text("name\tsrc_lang\ttgt_lang\tlicense\tformat\turl\tsha256\tnote\n"
                   f"ok\ten\tsw\tCC0-1.0\tmuse\t{src.as_uri()}\t{good}\t\n"
                   f"tampered\ten\tsw\tCC0-1.0\tmuse\t{src.as_uri()}\t{'0' * 64}\t\n"
                   f"offline\ten\tsw\tCC0-1.0\tmuse\t{(tmp_path / 'missing.txt').as_uri()}\t{good}\t\n", encoding="utf-8")
    got = fetch("ok", tmp_path / "dl", catalog=cat)
    assert load_lexicon(got).lookup("water")[0].tgt == "maji"
    with pytest.raises(FetchError, match="expected 0000.*not kept"):
        fetch("tampered", tmp_path / "dl", catalog=cat)
    assert not (tmp_path / "dl" / "tampered.txt").exists()
    with pytest.raises(FetchError, match="could not download offline"):
        fetch("offline", tmp_path / "dl", catalog=cat)
    with pytest.raises(ConfigError, match="no lexicon named 'nope'"):
        fetch("nope", tmp_path / "dl", catalog=cat)


def test_stats_and_cli(tmp_path):
    lex = load_lexicon(ROOT / "lexicons" / "seed" / "en-sw.tsv")
    s = stats(lex, [["The", "child", "drinks", "water", "."]])
    assert s["token_coverage"] == 2 / 5 and s["ambiguous_sources"] >= 1
    corpus = tmp_path / "c.txt"
    corpus.write_text("The child drinks water.\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["lexicon", "stats", str(ROOT / "lexicons" / "seed" / "en-sw.tsv"), "--corpus", str(corpus)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["corpus_tokens"] == 5


def test_normalized_and_stemmed_lookup(tmp_path):
    p = tmp_path / "l.txt"
    p.write_text("ng'ombe cow\ncafé coffee\nkitabu book\n", encoding="utf-8")
    lex = load_lexicon(p)
    assert lex.lookup("NG’OMBE")[0].tgt == "cow"            # case and typographic apostrophe
    assert lex.lookup("cafe\u0301")[0].tgt == "coffee"       # decomposed accent
    assert lex.lookup("kitabuni") == []
    assert lex.with_stemming(5).lookup("kitabuni")[0].tgt == "book"


@pytest.mark.parametrize("lang, script, letters", [("sw", "Latn", ""), ("ha", "Latn", "ɗƙ"), ("yo", "Latn", "ọẹṣ"),
                                                   ("am", "Ethi", "")])
def test_seed_lexicons_orthography(lang, script, letters):
    import unicodedata

    from xdata.normalize.scripts import dominant_script

    lex = load_lexicon(ROOT / "lexicons" / "seed" / f"en-{lang}.tsv")
    targets = " ".join(e.tgt for e in lex.entries)
    assert lex.tgt_lang == lang and dominant_script(targets) == script
    assert all(ch in targets for ch in letters)
    assert unicodedata.normalize("NFC", targets) == targets
