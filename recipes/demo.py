"""Demo recipe: a small English-Swahili corpus shipped in recipes/data, end to end, offline.

    xdata run recipes/demo.py --out out/demo

1. read the pairs (bad lines go to the rejects with their reason instead of stopping the run)
   and normalize both sides (Unicode NFC, punctuation variants, each language's rules);
2. tag both sides with fastText language ID (lid.176; scores kept as columns);
3. drop pairs whose lengths differ too much, then normalized duplicates;
4. code-switch the English side with the team's seed en-sw lexicon (30% of covered words),
   logging every switch in the row's provenance.

Inspect the result with ``xdata info``, ``xdata verify`` and ``xdata trace``.
"""

from xdata.codeswitch.step import CodeSwitch
from xdata.filters import Dedup, LengthRatio
from xdata.io import TsvSource
from xdata.lid import LidTag
from xdata.normalize.step import Normalize
from xdata.pipeline import Pipeline
from xdata.recipe import RecipeContext


def build(ctx: RecipeContext) -> Pipeline:
    source = TsvSource(ctx.here("data", "demo.en-sw.tsv"), "en", "sw", name="demo-en-sw", on_error="reject")
    lexicon = ctx.here("..", "lexicons", "seed", "en-sw.tsv")
    return Pipeline(
        name="demo",
        source=source,
        steps=[
            Normalize(),
            LidTag(),
            LengthRatio(max_ratio=3.0),
            Dedup(normalized=True),
            CodeSwitch(lexicons=(str(lexicon),), ratio=float(ctx.option("ratio", "0.3")), side="src"),
        ],
        description="English-Swahili sentence pairs written by the xdata team, with the English side "
                    "code-switched into Swahili through the team's seed lexicon.",
        license="cc0-1.0",
        synthetic=True,
    )
