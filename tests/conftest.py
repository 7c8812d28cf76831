"""Shared fixtures: a private xdata cache, and the toy Marian model built once per test run."""

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Translation caches and CTranslate2 conversions go to a temporary directory, never to the
    user's ~/.cache (worker processes inherit the variable)."""
    old = os.environ.get("XDATA_CACHE_DIR")
    os.environ["XDATA_CACHE_DIR"] = str(tmp_path_factory.mktemp("xdata-cache"))
    yield
    if old is None:
        os.environ.pop("XDATA_CACHE_DIR", None)
    else:
        os.environ["XDATA_CACHE_DIR"] = old


def _shared_build(tmp_path_factory, name: str, build) -> Path:
    """Build once for all pytest-xdist workers (a file lock in the run's shared temp root)."""
    from filelock import FileLock

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # workers' temp dirs sit inside the run's own
        root = root.parent
    out = root / name
    with FileLock(str(root / f"{name}.lock")):
        if not (out / "config.json").exists():
            build(out)
    return out


@pytest.fixture(scope="session")
def toy_marian(tmp_path_factory) -> Path:
    """A real MarianMTModel (2+2 layers, d_model 64) trained briefly on the toy language pair."""
    from xdata.backtranslate.toy import build_toy_marian

    return _shared_build(tmp_path_factory, "toy-marian", lambda p: build_toy_marian(p, train_steps=300))


#: The toy token classifier's vocabulary: whole words and '##' continuation pieces, so the
#: subword splits of a few words can be checked by hand ("playing" = play ##ing).
TOY_TC_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "a", "cat", "dog", "play", "run", "see", "big",
                ".", "##ing", "##s", "##er", "##ed"]
TOY_TC_LABELS = ["DET", "NOUN", "VERB", "ADJ", "PUNCT"]


def build_toy_token_classifier(out: Path, *, head: str = "token", labels: list[str] | None = None) -> Path:
    """A real BertForTokenClassification (2 layers, hidden 32) with a WordPiece fast tokenizer over
    :data:`TOY_TC_VOCAB`, random weights drawn with a wide initializer (so its distributions are
    far from uniform), saved with save_pretrained."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertForSequenceClassification, BertForTokenClassification, PreTrainedTokenizerFast

    out.mkdir(parents=True, exist_ok=True)
    ids = {w: i for i, w in enumerate(TOY_TC_VOCAB)}
    wp = Tokenizer(models.WordPiece(vocab=ids, unk_token="[UNK]", continuing_subword_prefix="##"))
    wp.normalizer = normalizers.BertNormalizer(lowercase=True)
    wp.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wp.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
                                                      special_tokens=[("[CLS]", ids["[CLS]"]), ("[SEP]", ids["[SEP]"])])
    tok = PreTrainedTokenizerFast(tokenizer_object=wp, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                  sep_token="[SEP]", mask_token="[MASK]")
    cfg = BertConfig(vocab_size=len(TOY_TC_VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=64, initializer_range=0.5,
                     num_labels=len(labels or TOY_TC_LABELS), id2label=dict(enumerate(labels or TOY_TC_LABELS)),
                     label2id={lab: i for i, lab in enumerate(labels or TOY_TC_LABELS)})
    torch.manual_seed(0)
    model = (BertForSequenceClassification if head == "sequence" else BertForTokenClassification)(cfg).eval()
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def toy_token_classifier(tmp_path_factory) -> Path:
    return _shared_build(tmp_path_factory, "toy-token-classifier", build_toy_token_classifier)


#: The toy sequence classifier's labels (a sentence-level task, e.g. topic).
TOY_SC_LABELS = ["animals", "sport", "other"]


@pytest.fixture(scope="session")
def toy_sequence_classifier(tmp_path_factory) -> Path:
    """The same tiny BERT and tokenizer with a sequence-classification head."""
    return _shared_build(tmp_path_factory, "toy-sequence-classifier",
                         lambda p: build_toy_token_classifier(p, head="sequence", labels=TOY_SC_LABELS))
