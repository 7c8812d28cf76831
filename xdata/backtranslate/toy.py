"""A toy Marian translation model, built and trained offline in seconds.

Real MT weights cannot always be downloaded (CI machines, air-gapped clusters), yet the
transformers and CTranslate2 engines deserve end-to-end checks through their normal loading
code. :func:`build_toy_marian` writes a genuine ``MarianMTModel`` directory (config, weights,
sentencepiece models, ``vocab.json``) that has learnt a small artificial language pair: every
word of a 'source' vocabulary maps to one word of a 'target' vocabulary, order kept. Its
output is input-dependent and mostly right, which is what tests of batching, decoding and
conversion need. It is not a translation model of any natural language.

``train_steps=0`` gives random weights of any size (for speed benchmarks).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

SYLLABLES = ["ka", "lo", "mi", "ne", "pu", "ra", "si", "to", "vu", "we", "za", "be", "do", "fi", "gu"]


def toy_lexicon(n_words: int = 40, seed: int = 0) -> dict[str, str]:
    """The toy language pair's word mapping (input word -> output word)."""
    rnd = random.Random(seed)
    words: list[str] = []
    while len(words) < 2 * n_words:
        w = "".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(2, 3)))
        if w not in words:
            words.append(w)
    return dict(zip(words[:n_words], words[n_words:]))


def toy_sentences(n: int, seed: int = 0, n_words: int = 40, min_len: int = 2, max_len: int = 8) -> list[tuple[str, str]]:
    """``n`` (input, reference output) sentence pairs of the toy language pair."""
    lex = toy_lexicon(n_words)
    keys = list(lex)
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        ws = [rnd.choice(keys) for _ in range(rnd.randint(min_len, max_len))]
        out.append((" ".join(ws), " ".join(lex[w] for w in ws)))
    return out


def build_toy_marian(out_dir: str | Path, *, train_steps: int = 300, d_model: int = 64, layers: int = 2,
                     heads: int = 4, ffn: int = 128, vocab_size: int = 100, seed: int = 0,
                     zero_pad_embedding: bool = True, spm_lines: list[str] | None = None) -> Path:
    """Write a Marian model directory trained ``train_steps`` steps on the toy pair.

    ``spm_lines``: train the sentencepiece vocabulary on these lines instead of the toy pair
    (with ``train_steps=0``: a random model of realistic vocabulary, for speed benchmarks).
    ``zero_pad_embedding`` keeps the ``<pad>`` embedding row at zero during training, as Marian
    (and CTranslate2's converter) assume the decoder starts from a zero embedding.
    """
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pairs = toy_sentences(3000, seed=seed + 1)
    text = out / "_spm_train.txt"
    lines = spm_lines if spm_lines is not None else [s for p in pairs for s in p]
    text.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(text), model_prefix=str(out / "spm"), vocab_size=vocab_size,
                                   model_type="unigram", character_coverage=1.0, unk_id=0, bos_id=-1, eos_id=1,
                                   pad_id=-1, num_threads=1, minloglevel=2, hard_vocab_limit=False)
    text.unlink()
    sp = spm.SentencePieceProcessor(model_file=str(out / "spm.model"))
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    vocab = {p: i for i, p in enumerate(pieces)}
    vocab["<pad>"] = len(vocab)  # last, as in OPUS-MT vocabularies (CTranslate2 drops it)
    for name in ("source.spm", "target.spm"):
        (out / name).write_bytes((out / "spm.model").read_bytes())
    (out / "spm.model").unlink()
    (out / "spm.vocab").unlink()
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tok = MarianTokenizer(source_spm=str(out / "source.spm"), target_spm=str(out / "target.spm"),
                          vocab=str(out / "vocab.json"), source_lang="toy", target_lang="toy2",
                          unk_token="<unk>", eos_token="</s>", pad_token="<pad>")
    pad = vocab["<pad>"]
    cfg = MarianConfig(vocab_size=len(vocab), d_model=d_model, encoder_layers=layers, decoder_layers=layers,
                       encoder_attention_heads=heads, decoder_attention_heads=heads, encoder_ffn_dim=ffn,
                       decoder_ffn_dim=ffn, max_position_embeddings=512, pad_token_id=pad,
                       decoder_start_token_id=pad, eos_token_id=vocab["</s>"], forced_eos_token_id=vocab["</s>"],
                       share_encoder_decoder_embeddings=True, scale_embedding=True, dropout=0.0,
                       attention_dropout=0.0, activation_dropout=0.0)
    torch.manual_seed(seed)
    model = MarianMTModel(cfg)
    emb = model.get_input_embeddings().weight
    # Training on one thread gives the same weights whatever thread count the process was left
    # with (floating-point sums are split per thread), so the same arguments build the same model.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _train(model, tok, pairs, pad, emb, train_steps, seed, zero_pad_embedding)
    finally:
        torch.set_num_threads(threads)
    model.eval()
    model.generation_config.bad_words_ids = [[pad]]
    model.generation_config.num_beams = 1
    model.generation_config.max_length = 512
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def _train(model, tok, pairs, pad, emb, train_steps, seed, zero_pad_embedding) -> None:  # noqa: ANN001
    import torch

    if train_steps:
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        rnd = random.Random(seed)
        model.train()
        for _ in range(train_steps):
            batch = rnd.sample(pairs, 32)
            enc = tok([s for s, _ in batch], text_target=[t for _, t in batch], padding=True, return_tensors="pt")
            enc["labels"][enc["labels"] == pad] = -100
            loss = model(**enc).loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            if zero_pad_embedding:
                with torch.no_grad():
                    emb[pad].zero_()
    elif zero_pad_embedding:
        with torch.no_grad():
            emb[pad].zero_()


__all__ = ["build_toy_marian", "toy_lexicon", "toy_sentences"]
