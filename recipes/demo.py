"""Demo recipe: a small English-Swahili corpus shipped in recipes/data, end to end, offline.

    xdata run recipes/demo.py --out out/demo

Reads the pairs (bad lines go to the rejects with their reason instead of stopping the run)
and writes a versioned, provenance-tagged dataset. Inspect it with ``xdata info``,
``xdata verify`` and ``xdata trace``.
"""

from xdata.io import TsvSource
from xdata.pipeline import Identity, Pipeline
from xdata.recipe import RecipeContext


def build(ctx: RecipeContext) -> Pipeline:
    source = TsvSource(ctx.here("data", "demo.en-sw.tsv"), "en", "sw", name="demo-en-sw", on_error="reject")
    return Pipeline(
        name="demo",
        source=source,
        steps=[Identity()],
        description="English-Swahili sentence pairs written by the xdata team for the demo.",
        license="cc0-1.0",
    )
