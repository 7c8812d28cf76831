"""Sentencepiece training, encode/decode round trip, fertility report: real models, trained here."""

import json

import pytest
from typer.testing import CliRunner

from xdata.cli import app
from xdata.tokenize.subword import Tokenizer, default_coverage, fertility, train

SW = ["Watoto wanakwenda shuleni asubuhi na walimu wao.", "Mama yangu anapika chakula jikoni.",
      "Wakulima wanahitaji mvua kwa mazao yao.", "Ng'ombe anatupa maziwa kila siku."]
EN = ["The children go to school in the morning with their teachers.", "My mother is cooking food in the kitchen.",
      "Farmers need rain for their crops.", "The cow gives us milk every day."]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    lines = [f"{s} {i}" for i in range(60) for s in SW + EN]
    return train(lines, tmp_path_factory.mktemp("spm") / "m", vocab_size=400, model_type="unigram")


def test_coverage_by_script():
    assert default_coverage(["我爱你中国"]) == 0.9995 and default_coverage(["Habari"]) == 1.0


def test_round_trip_and_byte_fallback(model):
    tok = Tokenizer.load(model)
    for text in SW + ["Ọjọ́ ẹ̀kọ́ ✓"]:  # unseen letters go through byte fallback, not <unk>
        ids = tok._sp.encode(text)
        assert tok._sp.decode(ids) == text
        assert tok._sp.unk_id() not in ids


def test_fertility_report(model, tmp_path):
    rows = fertility(Tokenizer.load(model), {"sw": SW, "en": EN})
    assert [r["lang"] for r in rows] == ["sw", "en"] and all(r["fertility"] >= 1.0 for r in rows)
    (tmp_path / "sw.txt").write_text("\n".join(SW) + "\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["fertility", "--tokenizer", str(model), "--corpus", f"sw={tmp_path / 'sw.txt'}",
                                 "--json", "--plot", str(tmp_path / "f.png")])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)[0]["words"] == rows[0]["words"]
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_encode_decode(model):
    runner = CliRunner()
    enc = runner.invoke(app, ["spm", "encode", "--model", str(model)], input=SW[0] + "\n")
    assert enc.exit_code == 0
    dec = runner.invoke(app, ["spm", "decode", "--model", str(model)], input=enc.output)
    assert dec.output.strip() == SW[0]


def test_bad_tokenizer_path(tmp_path):
    r = CliRunner().invoke(app, ["fertility", "--tokenizer", str(tmp_path / "nope"), "--corpus", "sw=x"])
    assert r.exit_code == 2


def test_tokenize_and_spm_steps_in_a_pipeline(model, tmp_path):
    import polars as pl
    import sentencepiece as spm

    from xdata.hashing import digest_file
    from xdata.io import FrameSource
    from xdata.pipeline import Pipeline, run
    from xdata.tokenize.step import SpmEncode, Tokenize

    rows = [{"src_lang": "en", "src": "The children read books, don't they?", "tgt_lang": "sw",
             "tgt": "Watoto wanasoma vitabu."}]
    m = run(Pipeline("t", FrameSource(rows), [Tokenize(), SpmEncode(model=str(model))]), tmp_path / "o", workers=1)
    out = pl.read_parquet(tmp_path / "o" / "data").row(0, named=True)
    assert out["src_tokens"] == ["The", "children", "read", "books", ",", "don't", "they", "?"]
    assert out["tgt_tokens"] == ["Watoto", "wanasoma", "vitabu", "."]
    sp = spm.SentencePieceProcessor(model_file=str(model))
    assert out["src_pieces"] == sp.encode(rows[0]["src"], out_type=str)
    assert sp.decode(out["tgt_pieces"]) == rows[0]["tgt"]
    assert m["resources"][next(k for k in m["resources"] if k.startswith("spm-encode"))] == digest_file(model)
    m2 = run(Pipeline("t", FrameSource([{"lang": "sw", "text": "Maji ni uhai."}]), [SpmEncode(model=str(model), ids=True)]),
             tmp_path / "o2", workers=1)
    ids = pl.read_parquet(tmp_path / "o2" / "data")["piece_ids"][0].to_list()
    assert sp.decode(ids) == "Maji ni uhai." and m2["rows"] == 1
