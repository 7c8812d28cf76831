"""A tagging training set for a target language: projected labels + code-switched source sentences.

    xdata run recipes/tagging_set.py --out out/tagging-de \\
        --set src=../shared/data/pud/en_pud-ud-test.conllu --set tgt=../shared/data/pud/de_pud-ud-test.conllu \\
        --set src_lang=en --set tgt_lang=de --set lexicon=../shared/data/dictionaries/muse_en-de.txt

Options (``--set KEY=VALUE``): ``src`` / ``tgt`` sentence-parallel CoNLL-U files (the source one
labelled), ``src_lang`` / ``tgt_lang``, ``lexicon`` (a bilingual lexicon, source word first: MUSE
or TSV), ``field`` (default ``upos``; ``ner`` for names in MISC), ``ratio`` (code-switching, 0.3).

Parts:

1. ``projected`` -- the source labels projected onto the target tokens over the builtin word
   aligner (deterministic), with the lexicon as alignment priors and the tagger that labels what
   links miss; every row's root is the source sentence it came from;
2. ``cs`` -- the source sentences with their labels, code-switched into the target language
   through the lexicon (labels stay aligned: one word in, one word out);
3. ``train`` -- both mixed, split by root (10% validation, 10% test): a sentence's projection and
   its code-switched copy always land in the same split. Exported as CoNLL-U and CoNLL.
"""

from xdata.codeswitch.step import CodeSwitch
from xdata.errors import ConfigError
from xdata.io import ConlluSource
from xdata.mix import Mix, Part, Split
from xdata.pipeline import Pipeline
from xdata.project.source import ProjectionSource
from xdata.recipe import Recipe, RecipeContext


def build(ctx: RecipeContext) -> Recipe:
    need = [k for k in ("src", "tgt", "src_lang", "tgt_lang", "lexicon") if not ctx.option(k)]
    if need:
        raise ConfigError("recipes/tagging_set.py needs --set " + ", ".join(f"{k}=..." for k in need)
                          + " (see the recipe's docstring for an example on the PUD treebanks)")
    field = ctx.option("field", "upos") or "upos"
    src, tgt, lexicon = str(ctx.option("src")), str(ctx.option("tgt")), str(ctx.option("lexicon"))
    src_lang, tgt_lang = str(ctx.option("src_lang")), str(ctx.option("tgt_lang"))
    projected = Pipeline(
        name="projected",
        source=ProjectionSource(src, tgt, field, src_lang=src_lang, tgt_lang=tgt_lang, method="builtin",
                                lexicon=lexicon),
        description=f"{field} labels projected from {src_lang} onto {tgt_lang} tokens.", synthetic=True)
    cs = Pipeline(
        name="cs",
        source=ConlluSource(src, src_lang, field=field.replace("ner", "misc:NER") if field == "ner" else field),
        steps=[CodeSwitch(lexicons=(lexicon,), ratio=float(ctx.option("ratio", "0.3") or "0.3"))],
        description=f"{src_lang} sentences with their {field} labels, code-switched into {tgt_lang}.",
        synthetic=True)
    train = Pipeline(
        name="train",
        source=Mix([Part(projected, origin="projected"), Part(cs, origin="cs")], split=Split(dev=0.1, test=0.1)),
        description=f"{tgt_lang} {field} tagging set: projected labels and code-switched {src_lang} sentences, "
                    "split by root.",
        synthetic=True)
    return Recipe(parts=[projected, cs, train], exports={"train": ("conllu", "conll")}, reports=("train",))
