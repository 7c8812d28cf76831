"""Alignment tokens (xdata.align.view): one token per word, script-aware prefixes, folding, and
what the view does to alignment quality on the shared gold sets."""

import importlib.util
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xdata.align import aer, align_corpus, read_pharaoh
from xdata.align.hmm import HMMAligner
from xdata.align.priors import AlignPriors
from xdata.align.view import PREFIX, fold, get_view, script_class, stem
from xdata.errors import ConfigError, InputError

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "alignment"
runner = CliRunner()


@pytest.mark.parametrize("word, expected", [
    ("Houses", "hous"),           # Latin: 4 letters
    ("Россия", "росс"),           # Cyrillic: an alphabet too
    ("Ελληνικά", "ελλη"),
    ("Straße", "stra"),           # folded before cutting
    ("l'homme", "l'hom"),         # punctuation inside a word is kept, not counted
    ("well-known", "well"),       # cut before the first unit past the 4th letter
    ("والكتاب", "والكت"),         # abjad: 5 letters (clitics w-, al- in front)
    ("हिन्दुस्तानी", "हिन्दु"),         # abugida: 3 aksaras, vowel signs and virama stay with their consonant
    ("학교에서", "학교"),          # syllabary: 2 syllables
])
def test_prefix_by_script(word, expected):
    assert stem(word) == expected


@pytest.mark.parametrize("word", ["中華人民共和國", "ひらがなです", "カタカナ語", "ภาษาไทย", "ພາສາລາວ", "ភាសាខ្មែរ",
                                  "မြန်မာစာ", "བོད་ཡིག", "東京タワー"])
def test_unspaced_scripts_are_never_cut(word):
    assert script_class(word[0]) == "unspaced"
    assert stem(word) == word and len(word) > 4


@pytest.mark.parametrize("word", ["the", "Haus", "de", "في", "ही", "집"])
def test_short_words_are_kept_whole(word):
    assert stem(word) == fold(word)
    n = PREFIX[script_class(word[0])]
    assert n is not None and len(word) <= n


def test_numbers_and_punctuation_are_kept_whole():
    assert stem("1998") == "1998" and stem("1999") == "1999"
    assert stem("1990er") == "1990er" and stem("...") == "..." and stem("--") == "--"


def test_case_and_compatibility_folding():
    assert fold("ＡＢＣ") == "abc"              # full-width Latin (NFKC)
    assert fold("ﬁnance") == "finance"        # ligature (NFKC)
    assert fold("STRASSE") == fold("Straße") == "strasse"
    assert fold("ΣΟΦΟΣ") == fold("σοφος") == fold("σοφοσ")   # final sigma folds to sigma
    assert stem("Ｈｏｕｓｅｓ") == stem("HOUSES") == "hous"
    v = get_view("none")
    assert v.word("Houses") == "Houses" and v.spec == "none" and get_view().spec == "stem.v1"


def test_view_is_idempotent_and_keeps_token_counts():
    sents = [["Die", "Häuser", "sind", "1998", "gebaut", "."], ["東京タワー", "に", "行きました"], [],
             ["والكتاب", "l'homme", "Ｈｏｕｓｅｓ"]]
    for name in ("stem", "fold", "none"):
        v = get_view(name)
        out = v.sentences(sents)
        assert [len(s) for s in out] == [len(s) for s in sents]
        assert v.sentences(out) == out


def test_unknown_view_is_an_error():
    with pytest.raises(ConfigError, match="unknown alignment token view 'stems'"):
        get_view("stems")
    with pytest.raises(ConfigError, match="unknown alignment token view"):
        align_corpus([["a"]], [["b"]], method="builtin", view="prefix")


def test_priors_are_mapped_into_the_view():
    pri = AlignPriors(lex={("houses", "häuser"): 1.0, ("house", "haus"): 0.5, ("Houses", "Häuser"): 0.25},
                      fert_fwd={("houses", 1): 2.0})
    out = get_view("stem").priors(pri)
    assert out is not None and out.lex == {("hous", "häus"): 1.25, ("hous", "haus"): 0.5}
    assert out.fert_fwd == {("hous", 1): 2.0} and get_view("none").priors(pri) is pri


# Inflected forms seen once each: only the view lets the aligner pool them.
SRC = [["the", "house"], ["the", "houses"], ["a", "book"], ["a", "books"], ["the", "book"], ["a", "house"]] * 3
TGT = [["das", "Haus"], ["die", "Häuser"], ["ein", "Buch"], ["einige", "Bücher"], ["das", "Buch"],
       ["ein", "Haus"]] * 3


def test_links_index_the_original_words_and_are_deterministic():
    a = align_corpus(SRC, TGT, method="builtin", seed=0)
    b = align_corpus(SRC, TGT, method="builtin", seed=0)
    assert a.view == "stem.v1" and a.links == b.links and a.scores == b.scores
    for links, s, t in zip(a.links, SRC, TGT):
        assert all(0 <= i < len(s) and 0 <= j < len(t) for i, j in links)
    assert a.links[1] == [(0, 0), (1, 1)]  # "houses" - "Häuser", positions in the given words
    none = align_corpus(SRC, TGT, method="builtin", view="none")
    assert none.view == "none"


def test_saved_aligner_keeps_its_view(tmp_path):
    res = align_corpus(SRC, TGT, method="builtin", save_model=tmp_path / "m")
    model = HMMAligner.load(tmp_path / "m")
    assert model.view == "stem" and json.loads((tmp_path / "m" / "model.json").read_text())["view"] == "stem"
    again = align_corpus(SRC, TGT, load_model=tmp_path / "m")
    assert again.view == "stem.v1" and again.links == model.align(SRC, TGT).links
    assert res.links[:2] == again.links[:2]
    with pytest.raises(ConfigError, match="trained on the 'stem' token view"):
        align_corpus(SRC, TGT, load_model=tmp_path / "m", view="none")


def test_cli_view_option_and_provenance(tmp_path):
    from xdata.cli import app

    (tmp_path / "s").write_text("\n".join(" ".join(x) for x in SRC) + "\n", encoding="utf-8")
    (tmp_path / "t").write_text("\n".join(" ".join(x) for x in TGT) + "\n", encoding="utf-8")
    base = ["align", "--src", str(tmp_path / "s"), "--tgt", str(tmp_path / "t"), "--method", "builtin"]
    for view, spec in ((None, "stem.v1"), ("none", "none"), ("fold", "fold.v1")):
        r = runner.invoke(app, base + ["--scores", str(tmp_path / "sc")] + (["--view", view] if view else []))
        assert r.exit_code == 0, r.output
        meta = json.loads((tmp_path / "sc.json").read_text())
        assert meta["view"] == spec and meta["method"] == "builtin+grow-diag-final-and" and meta["deterministic"]
        assert f"alignment tokens: {spec}" in r.stderr
    r = runner.invoke(app, base + ["--view", "stems"])
    assert r.exit_code == 2 and "unknown alignment token view 'stems'" in r.output
    if importlib.util.find_spec("snowballstemmer"):
        r = runner.invoke(app, base + ["--scores", str(tmp_path / "sc"), "--view", "snowball:en,snowball:de"])
        assert r.exit_code == 0, r.output
        spec = get_view("snowball:en,snowball:de").spec
        assert json.loads((tmp_path / "sc.json").read_text())["view"] == spec and spec.startswith("snowball-english")
    r = runner.invoke(app, base + ["--view", f"stem,spm:{tmp_path / 'no.model'}"])
    assert r.exit_code == 2 and "no such sentencepiece model" in r.output and "no.model" in r.output
    r = runner.invoke(app, ["lexicon", "induce", "--src", str(tmp_path / "s"), "--tgt", str(tmp_path / "t"),
                            "--method", "builtin", "--out", str(tmp_path / "lex.tsv")])
    assert r.exit_code == 0, r.output
    lex = (tmp_path / "lex.tsv").read_text(encoding="utf-8")
    assert "alignment tokens stem.v1" in lex and "houses\thäuser" in lex  # entries are the words, not stems


def _gold_set(pair):
    d = DATA / pair
    src = [ln.split() for ln in (d / "src.txt").read_text(encoding="utf-8").splitlines()]
    tgt = [ln.split() for ln in (d / "tgt.txt").read_text(encoding="utf-8").splitlines()]
    return src, tgt, read_pharaoh(d / "gold.txt", allow_possible=True)


@pytest.mark.skipif(not DATA.exists(), reason="shared data not available")
@pytest.mark.parametrize("pair", ["en-de", "en-fr"])
def test_view_lowers_aer_of_the_builtin_aligner(pair):
    """The default view against the words as given, same aligner, same sentences (the whole
    annotated test set, grow-diag-final-and): the view must be strictly better."""
    src, tgt, gold = _gold_set(pair)
    with_view = aer(gold, [set(x) for x in align_corpus(src, tgt, method="builtin").links])["aer"]
    without = aer(gold, [set(x) for x in align_corpus(src, tgt, method="builtin", view="none").links])["aer"]
    assert with_view < without, (pair, with_view, without)


def test_align_step_records_the_saved_aligners_view(tmp_path):
    from xdata.align.step import Align

    align_corpus(SRC, TGT, method="builtin", save_model=tmp_path / "stem")
    align_corpus(SRC, TGT, method="builtin", save_model=tmp_path / "none", view="none")
    for name, spec in (("stem", "stem.v1"), ("none", "none")):
        step = Align(model_dir=str(tmp_path / name))
        res = step.resources()
        assert res["view"] == spec and res["aligner"] == HMMAligner.load(tmp_path / name).digest
        assert Align(model_dir=str(tmp_path / name), view=name).resources() == res
    assert HMMAligner.load(tmp_path / "stem").digest != HMMAligner.load(tmp_path / "none").digest
    with pytest.raises(ConfigError, match="trained on 'stem'"):
        Align(model_dir=str(tmp_path / "stem"), view="none")


# -- per-language views: a Snowball stemmer, a sentencepiece model, one view per side ----------

BIBLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "bible"


def test_snowball_view_stems_by_language_and_keeps_what_stem_keeps():
    snowballstemmer = pytest.importorskip("snowballstemmer")
    de = get_view("snowball:de")
    assert de.spec.startswith("snowball-german.v1+") and get_view("snowball:german").spec == de.spec
    german = snowballstemmer.stemmer("german")
    for word in ("Häuser", "Kindern", "gegangen"):
        assert de.word(word) == german.stemWord(fold(word))
    assert de.word("Häuser") == de.word("Haus") != "häuser"  # inflected forms meet
    assert [de.word(w) for w in ("1998", "§", "東京都")] == ["1998", "§", "東京都"]  # digits, punctuation, unspaced
    with pytest.raises(ConfigError, match="no Snowball stemmer for 'xx'; there are: arabic"):
        get_view("snowball:xx")


@pytest.fixture(scope="module")
def swahili_spm(tmp_path_factory):
    if not (BIBLE / "swh.tsv").exists():
        pytest.skip("shared data not available")
    from xdata.tokenize.subword import train

    lines = [ln.split("\t", 1)[1] for ln in (BIBLE / "swh.tsv").read_text(encoding="utf-8").splitlines()[:3000]]
    return train(lines, tmp_path_factory.mktemp("spm") / "sw", vocab_size=2000)


def test_spm_view_is_the_words_first_piece_and_names_the_model_by_content(swahili_spm, tmp_path):
    import sentencepiece as spm

    view = get_view(f"spm:{swahili_spm}")
    sp = spm.SentencePieceProcessor(model_file=str(swahili_spm))
    words = "Yesu akawaambia wanafunzi wake kwamba watakwenda Yerusalemu".split()
    out = [view.word(w) for w in words]
    for w, v in zip(words, out):
        first = [p.lstrip("\u2581") for p in sp.encode(fold(w), out_type=str)]
        assert v == next(p for p in first if p) and fold(w).startswith(v)
    assert any(len(v) < len(fold(w)) for w, v in zip(words, out))  # some words are cut...
    assert view.word("1998") == "1998"  # ...but not numbers
    # the spec names the model by its bytes: a copy elsewhere is the same view, another model is not
    copy = tmp_path / "copy.model"
    copy.write_bytes(swahili_spm.read_bytes())
    assert get_view(f"spm:{copy}").spec == view.spec and view.spec.startswith("spm.v1:")
    with pytest.raises(InputError, match="no such sentencepiece model"):
        get_view(f"spm:{tmp_path / 'missing.model'}")
    (tmp_path / "junk.model").write_bytes(b"not a model")
    with pytest.raises(InputError, match="not a sentencepiece model"):
        get_view(f"spm:{tmp_path / 'junk.model'}")


def test_each_side_can_have_its_own_view(swahili_spm):
    pytest.importorskip("snowballstemmer")
    view = get_view(f"snowball:en,spm:{swahili_spm}")
    src, sw = get_view("snowball:en"), get_view(f"spm:{swahili_spm}")
    assert view.spec == f"{src.spec},{sw.spec}"
    assert view.sentences([["Houses", "walking"]]) == [[src.word("Houses"), src.word("walking")]]
    assert view.sentences([["wanafunzi"]], "tgt") == [[sw.word("wanafunzi")]]
    pri = view.priors(AlignPriors(lex={("houses", "wanafunzi"): 1.0}, fert_fwd={("houses", 2): 1.0},
                                  fert_rev={("wanafunzi", 1): 1.0}))
    assert pri is not None and pri.lex == {(src.word("houses"), sw.word("wanafunzi")): 1.0}
    assert pri.fert_fwd == {(src.word("houses"), 2): 1.0} and pri.fert_rev == {(sw.word("wanafunzi"), 1): 1.0}
    assert get_view("stem,stem").spec == "stem.v1"
    for bad in ("stem,stem,none", "stem,", ",stem"):
        with pytest.raises(ConfigError, match="give one view, or two separated by a comma"):
            get_view(bad)


def test_align_with_a_view_per_language_end_to_end(swahili_spm, tmp_path):
    # English-Swahili verses: the builtin aligner trained through snowball (en) and the Swahili
    # model; links index the words as given, the provenance names both views, and a saved
    # aligner aligns through the same views.
    pytest.importorskip("snowballstemmer")
    eng = dict(ln.split("\t", 1) for ln in (BIBLE / "eng.tsv").read_text(encoding="utf-8").splitlines())
    swh = [ln.split("\t", 1) for ln in (BIBLE / "swh.tsv").read_text(encoding="utf-8").splitlines()[:400]]
    src = [eng[k].split() for k, _ in swh if k in eng]
    tgt = [t.split() for k, t in swh if k in eng]
    name = f"snowball:en,spm:{swahili_spm}"
    res = align_corpus(src, tgt, method="builtin", view=name, save_model=tmp_path / "m")
    assert res.view == get_view(name).spec and res.view_name == name
    assert all(0 <= i < len(s) and 0 <= j < len(t) for links, s, t in zip(res.links, src, tgt) for i, j in links)
    again = align_corpus(src[:50], tgt[:50], load_model=tmp_path / "m")
    assert again.view == res.view and again.links == HMMAligner.load(tmp_path / "m").align(src[:50], tgt[:50]).links
    stem_res = align_corpus(src, tgt, method="builtin")
    assert res.links != stem_res.links  # the view is live


def test_saved_aligner_refuses_a_sentencepiece_model_that_changed(swahili_spm, tmp_path):
    model_file = tmp_path / "sw.model"
    model_file.write_bytes(swahili_spm.read_bytes())
    align_corpus(SRC, TGT, method="builtin", view=f"stem,spm:{model_file}", save_model=tmp_path / "m")
    assert HMMAligner.load(tmp_path / "m").view == f"stem,spm:{model_file}"  # loads while the model is the same
    from xdata.tokenize.subword import train

    lines = [ln.split("\t", 1)[1] for ln in (BIBLE / "swh.tsv").read_text(encoding="utf-8").splitlines()[:1000]]
    model_file.write_bytes(train(lines, tmp_path / "other", vocab_size=500).read_bytes())  # retrained in place
    with pytest.raises(InputError, match="trained on the token view stem.v1,spm.v1:[0-9a-f]{12}, but .* is now"):
        HMMAligner.load(tmp_path / "m")


def test_spm_view_keeps_words_whole_that_the_model_cannot_cut(swahili_spm):
    # a byte-fallback model turns an unseen first letter into a byte piece such as <0xC3>, which
    # is no prefix: such words stay whole, and every output is a prefix of the folded word
    view = get_view(f"spm:{swahili_spm}")
    for w in ("ønske", "Æble", "ñandu", "żaba", "qxz"):
        assert view.word(w) == fold(w)
    words = [w for ln in (BIBLE / "swh.tsv").read_text(encoding="utf-8").splitlines()[3000:3300]
             for w in ln.split("\t", 1)[1].split()]
    assert all(fold(w).startswith(view.word(w)) for w in words)


def test_stemmer_and_model_views_are_idempotent(swahili_spm):
    # priors saved in the view (--save-priors) are read back through the same view: a viewed word
    # must map to itself, though a Snowball stemmer alone does not always (commission -> commiss
    # -> commiss, but some words move twice)
    pytest.importorskip("snowballstemmer")
    de, sw = get_view("snowball:de"), get_view(f"spm:{swahili_spm}")
    german = [w for ln in (DATA / "en-de" / "tgt.txt").read_text(encoding="utf-8").splitlines() for w in ln.split()]
    swahili = [w for ln in (BIBLE / "swh.tsv").read_text(encoding="utf-8").splitlines()[:500]
               for w in ln.split("\t", 1)[1].split()]
    for view, words in ((de, german), (sw, swahili)):
        once = [view.word(w) for w in words]
        assert [view.word(x) for x in once] == once
    pri = AlignPriors(lex={(de.word(w), de.word(w)): 1.0 for w in german})
    both = get_view("snowball:de,snowball:de")
    assert both.priors(pri) == pri  # nothing moves


def test_model_path_is_kept_absolute_and_equal_views_are_accepted(swahili_spm, tmp_path, monkeypatch):
    pytest.importorskip("snowballstemmer")
    d = tmp_path / "a,b"  # a comma in the path: the view still splits at the comma between sides
    d.mkdir()
    (d / "sw.model").write_bytes(swahili_spm.read_bytes())
    monkeypatch.chdir(d)
    view = get_view("snowball:de,spm:sw.model")
    assert view.name == f"snowball:de,spm:{d / 'sw.model'}"
    align_corpus(SRC, TGT, method="builtin", view="snowball:de,spm:sw.model", save_model=tmp_path / "m")
    monkeypatch.chdir(tmp_path)  # elsewhere, the saved aligner still finds its model
    model = HMMAligner.load(tmp_path / "m")
    assert model.view == view.name
    # the same stemmer by another name is the same view
    again = align_corpus(SRC, TGT, load_model=tmp_path / "m", view=f"snowball:german,spm:{d / 'sw.model'}")
    assert again.links == model.align(SRC, TGT).links
    with pytest.raises(ConfigError, match="trained on the"):
        align_corpus(SRC, TGT, load_model=tmp_path / "m", view="stem")
    assert get_view(f"spm:{d / 'sw.model'}").name == f"spm:{d / 'sw.model'}"  # one side, comma in the path
