"""Small steps used by the foundation tests (importable by spawned worker processes)."""

from dataclasses import dataclass

import polars as pl

from xdata.pipeline import Context, FilterStep, MapStep, Step, StepResult


@dataclass(frozen=True)
class UpperParams:
    column: str = "text"


class Upper(MapStep):
    name = "test-upper"
    Params = UpperParams

    def map(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        return batch.with_columns(pl.col(self.params.column).str.to_uppercase())


@dataclass(frozen=True)
class CoinParams:
    p: float = 0.5


class Coin(FilterStep):
    """Keeps a row with probability p, drawn from the row's own generator; scores kept as a column."""

    name = "test-coin"
    writes = ("coin",)
    Params = CoinParams

    def score(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        return batch.with_columns(pl.Series("coin", ctx.uniforms(batch["id"])[:, 0]))

    def accept(self, scored: pl.DataFrame):
        keep = scored["coin"] < self.params.p
        return keep, pl.Series(["coin above p"] * scored.height)


@dataclass(frozen=True)
class DupParams:
    n: int = 2


class Duplicate(Step):
    """Makes n children per row (an expanding step)."""

    name = "test-dup"
    expands = True
    Params = DupParams

    def process(self, batch: pl.DataFrame, ctx: Context) -> StepResult:
        n = self.params.n
        rep = batch.select(pl.all().repeat_by(n).explode())
        k = [i % n for i in range(rep.height)]
        ids = ctx.child_ids(rep["id"].to_list(), k, rep["text"].to_list())
        rep = rep.with_columns(pl.Series("parents", [[p] for p in rep["id"]], pl.List(pl.String)),
                               pl.Series("id", ids))
        return StepResult(rep)


class SeenOnce(FilterStep):
    """A global (stateful) step: rejects texts seen before, in input order."""

    name = "test-seen"
    scope = "global"

    def setup(self) -> None:
        self._r_seen = set()

    def accept(self, scored: pl.DataFrame):
        keep = []
        for t in scored["text"].to_list():
            keep.append(t not in self._r_seen)
            self._r_seen.add(t)
        return pl.Series(keep), pl.Series(["duplicate text"] * scored.height)


class NeedsTokens(MapStep):
    name = "test-needs-tokens"
    reads = ("tokens",)
    kinds = ("tagged",)

    def map(self, batch, ctx):
        return batch


@dataclass(frozen=True)
class CrashParams:
    marker: str = ""  # the step raises while this file exists
    at_row: int = 0  # ... on the batch holding this source row


class CrashWhileMarked(MapStep):
    """Simulates a crash mid-run (a killed worker, a full disk) for resume tests."""

    name = "test-crash"
    Params = CrashParams

    def map(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        import os

        if os.path.exists(self.params.marker) and self.params.at_row in batch["src_row"].to_list():
            raise RuntimeError("simulated crash")
        return batch
