"""The neural (SimAlign-style) aligner end to end, with a tiny BERT encoder built and saved here."""

import numpy as np
import pytest
from typer.testing import CliRunner

from xdata.align import align_corpus
from xdata.align.neural import NeuralAligner, match
from xdata.cli import app
from xdata.errors import ConfigError

WORDS = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran", "to", "house", "le", "chat", "sur", "tapis", "chien"]


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    """A random 2-layer BERT with a WordPiece vocabulary written here, saved and loaded by path."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    d = tmp_path_factory.mktemp("tiny-bert")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + WORDS + ["##s", "##ed", "."]
    (d / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(d / "vocab.txt"), do_lower_case=True).save_pretrained(d)
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=24)
    BertModel(cfg).save_pretrained(d)
    return str(d)


def test_mutual_argmax_and_itermax_on_a_hand_made_matrix():
    sim = np.array([[0.9, 0.1, 0.0],
                    [0.8, 0.2, 0.1],   # row 1 prefers column 0, taken by row 0: argmax leaves it out
                    [0.0, 0.1, 0.7]])
    assert match(sim, "argmax") == {(0, 0), (2, 2)}
    assert match(sim, "itermax", iterations=2) == {(0, 0), (2, 2), (1, 1)}  # second round, masked


def test_identical_sentences_align_on_the_diagonal(encoder):
    sents = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog", "ran", "to", "the", "house", "."]]
    res = align_corpus(sents, sents, method="neural", model=encoder)
    assert res.method == "neural:itermax@layer2"  # layer 8 clipped to the model's 2 layers
    for s, links in zip(sents, res.links):
        assert links == [(i, i) for i in range(len(s))]
    assert all(sc > 0.99 for sc in res.scores)


def test_long_sentences_are_chunked_not_fatal(encoder):
    long = (["the", "cat", "sat", "on", "the", "mat"] * 12)  # 72 words, 24 positions in the model
    al = NeuralAligner(encoder)
    emb = al.embed([long, ["chat"]])
    assert emb[0].shape[0] == 72 and emb[1].shape[0] == 1
    links = al.align([long], [long[:10]]).links
    assert links[0] and all(0 <= i < 72 and 0 <= j < 10 for i, j in links[0])


def test_subwords_are_averaged_into_words(encoder):
    al = NeuralAligner(encoder)
    e = al.embed([["cats", "sat"]])[0]
    assert e.shape == (2, 32) and np.allclose(np.linalg.norm(e, axis=1), 1.0)


def test_cli_and_errors(encoder, tmp_path):
    (tmp_path / "s").write_text("the cat sat\nthe dog ran\n")
    (tmp_path / "t").write_text("the cat sat\nthe dog ran\n")
    r = CliRunner().invoke(app, ["align", "--src", str(tmp_path / "s"), "--tgt", str(tmp_path / "t"), "--method", "neural",
                                 "--model", encoder, "--matching", "argmax"])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[:2] == ["0-0 1-1 2-2", "0-0 1-1 2-2"]
    with pytest.raises(ConfigError, match="needs model="):
        align_corpus([["a"]], [["a"]], method="neural")
    with pytest.raises(ConfigError, match="cannot load an encoder"):
        NeuralAligner(str(tmp_path))
