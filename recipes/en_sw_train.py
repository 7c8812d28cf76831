"""English-Swahili translation training set, from corpora to exports, offline.

    xdata run recipes/en_sw_train.py --out out/en-sw

Parts (each written as its own dataset version under --out, reused when unchanged):

1. ``real``  -- the team's English-Swahili pairs (recipes/data/demo.en-sw.tsv), normalized,
   length-filtered and deduplicated;
2. ``bt``    -- Swahili monolingual text (recipes/data/mono.sw.txt) back-translated into English.
   The default engine is the lexicon baseline (the seed en-sw lexicon read in reverse), which
   needs no model; ``--set model=DIR`` uses a transformers model directory instead
   (``--set engine=ct2`` for a CTranslate2 one): a Swahili -> English model;
3. ``cs``    -- the real pairs with their English side code-switched into Swahili through the
   seed lexicon (30% of covered words; ``--set ratio=0.5``);
4. ``train`` -- the three mixed (back-translation tagged with ``<bt>``, code-switched pairs at
   half weight), split by root into train/validation/test (10% / 10% of roots), so every
   synthetic variant of a held-out sentence is held out with it, and leaks of held-out text
   removed.

Exports (``OUT/exports/train/{hf,parallel,jsonl}``) and the report (``OUT/reports/train.html``)
are written at the end; ``xdata run`` prints where.
"""

from xdata.backtranslate.step import BackTranslate, BackTranslateParams
from xdata.backtranslate import Decoding, EngineSpec
from xdata.codeswitch.step import CodeSwitch
from xdata.filters import Dedup, LengthRatio
from xdata.io import TextSource, TsvSource
from xdata.mix import Mix, Part, Split
from xdata.normalize.step import Normalize
from xdata.pipeline import Pipeline
from xdata.recipe import Recipe, RecipeContext


def build(ctx: RecipeContext) -> Recipe:
    lexicon = str(ctx.here("..", "lexicons", "seed", "en-sw.tsv"))
    pairs = TsvSource(ctx.option("pairs") or ctx.here("data", "demo.en-sw.tsv"), "en", "sw", name="en-sw-pairs",
                      on_error="reject")
    mono = TextSource(ctx.option("mono") or ctx.here("data", "mono.sw.txt"), "sw", name="sw-mono", on_error="reject")
    model = ctx.option("model")
    engine = ctx.option("engine") or ("hf" if model else "lexicon")
    spec = EngineSpec(engine, model, None if model else lexicon)

    real = Pipeline(name="real", source=pairs,
                    steps=[Normalize(), LengthRatio(max_ratio=3.0), Dedup(normalized=True)],
                    description="English-Swahili pairs written by the xdata team.", license="cc0-1.0")
    bt = Pipeline(name="bt", source=mono,
                  steps=[Normalize(), BackTranslate(BackTranslateParams("en", Decoding("greedy"), spec)),
                         LengthRatio(max_ratio=3.0), Dedup(normalized=True)],
                  description="Swahili sentences written by the xdata team, back-translated into English.",
                  license="cc0-1.0", synthetic=True)
    cs = Pipeline(name="cs", source=real,
                  steps=[CodeSwitch(lexicons=(lexicon,), ratio=float(ctx.option("ratio") or "0.3"), side="src")],
                  description="The real pairs with English code-switched into Swahili.", license="cc0-1.0",
                  synthetic=True)
    train = Pipeline(
        name="train",
        source=Mix([Part(real, origin="real"), Part(bt, origin="bt", tag="<bt>"), Part(cs, origin="cs", weight=0.5)],
                   split=Split(dev=0.1, test=0.1)),
        description="English-Swahili training set: real pairs, tagged back-translation and code-switched pairs, "
                    "split by root.",
        license="cc0-1.0", synthetic=True)
    return Recipe(parts=[real, bt, cs, train], exports={"train": ("hf", "parallel", "jsonl")}, reports=("train",))
