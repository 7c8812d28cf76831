"""Executors run a pipeline: read batches, apply the steps, write a versioned dataset.

The work on one batch (:class:`BatchRunner`) is the same for every executor; an executor
only decides where batches run. Batches come back in input order, rows carry ids derived
from their content and origin, and randomness is per row, so the output bytes do not
depend on the batch size, the worker count or the executor.
"""

from __future__ import annotations

import collections
import multiprocessing as mp
import os
import sys
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import polars as pl

from ..errors import ConfigError, PipelineError
from ..hashing import row_ids
from ..records import CONTENT, ID_FIELDS, OPTIONAL, PROVENANCE, REJECT_SCHEMA, validate
from .pipeline import Pipeline
from .step import Context, Step, StepResult

DEFAULT_BATCH_SIZE = 10_000


@dataclass
class Counts:
    """Row accounting of one step over one or more batches."""

    rows_in: int = 0
    rows_out: int = 0
    rejected: int = 0
    seconds: float = 0.0

    def add(self, other: "Counts") -> None:
        self.rows_in += other.rows_in
        self.rows_out += other.rows_out
        self.rejected += other.rejected
        self.seconds += other.seconds


@dataclass
class BatchOutput:
    index: int
    rows: pl.DataFrame
    rejects: pl.DataFrame
    counts: dict[str, Counts] = field(default_factory=dict)


def _id_text(df: pl.DataFrame, col: str) -> list[str]:
    if isinstance(df.schema[col], pl.List):
        return df[col].list.join("\x1e").to_list()
    return df[col].to_list()


def _as_rejects(df: pl.DataFrame, step: str, kind: str) -> pl.DataFrame:
    """Turn rejected rows (with a ``reason`` column) into the rejects schema."""
    if df.height == 0:
        return pl.DataFrame(schema=REJECT_SCHEMA)
    rec_cols = [c for c in df.columns if c not in ("reason", "id", "src_dataset", "src_row")]
    return df.select(
        pl.col("id"),
        pl.lit(step).alias("step"),
        pl.col("reason").cast(pl.String),
        pl.col("src_dataset"),
        pl.col("src_row"),
        pl.struct(rec_cols).struct.json_encode().alias("record"),
    )


class BatchRunner:
    """Applies the row-scope part of a pipeline to one batch: provenance first, then steps."""

    def __init__(self, steps: list[Step], kind: str, src_name: str, src_version: str, seed: int) -> None:
        self.steps = steps
        self.kind = kind
        self.src_name = src_name
        self.src_version = src_version
        self.seed = seed

    def start(self, rows: pl.DataFrame) -> pl.DataFrame:
        """Add provenance columns to freshly read rows."""
        n = rows.height
        ids = row_ids(
            self.src_name,
            [str(r) for r in rows["src_row"].to_list()],
            *[_id_text(rows, c) for c in ID_FIELDS[self.kind]],
        )
        if "_parent" in rows.columns:
            parents = pl.Series("parents", [[p] for p in rows["_parent"].to_list()], pl.List(pl.String))
        else:
            parents = pl.Series("parents", [[] for _ in range(n)], pl.List(pl.String))
        meta = rows["_meta"] if "_meta" in rows.columns else pl.Series("meta", ["{}"] * n, pl.String)
        keep_opt = [c for c in OPTIONAL[self.kind] if c in rows.columns]
        return rows.select(
            *[pl.col(c) for c in CONTENT[self.kind]], *[pl.col(c) for c in keep_opt]
        ).with_columns(
            pl.Series("id", ids, pl.String),
            pl.lit(self.src_name, pl.String).alias("src_dataset"),
            pl.lit(self.src_version, pl.String).alias("src_version"),
            rows["src_row"].cast(pl.Int64),
            parents,
            pl.Series("steps", [[] for _ in range(n)], pl.List(pl.String)),
            pl.lit(self.seed, pl.Int64).alias("seed"),
            meta.alias("meta"),
        )

    def apply(self, batch: pl.DataFrame, steps: list[Step], kind: str,
              counts: dict[str, Counts]) -> tuple[pl.DataFrame, list[pl.DataFrame], str]:
        rejects: list[pl.DataFrame] = []
        for step in steps:
            step.ensure_ready()
            sig = step.signature()
            t0 = time.perf_counter()
            res = step.process(batch, Context(self.seed, step.name, sig))
            if isinstance(res, pl.DataFrame):
                res = StepResult(res)
            out = res.rows
            if out.height:
                out = out.with_columns(pl.col("steps").list.concat(pl.lit([sig], pl.List(pl.String))))
            rej = res.rejects if res.rejects is not None else None
            n_rej = 0 if rej is None else rej.height
            if rej is not None and rej.height:
                if "reason" not in rej.columns:
                    raise PipelineError(f"step {step.name!r} returned rejects without a 'reason' column")
                rejects.append(_as_rejects(rej, sig, kind))
            c = counts.setdefault(sig, Counts())
            c.add(Counts(batch.height, out.height, n_rej, time.perf_counter() - t0))
            if not step.expands and batch.height != out.height + n_rej:
                raise PipelineError(
                    f"step {step.name!r} lost rows: {batch.height} in, {out.height} out, {n_rej} rejected"
                )
            kind = step.output_kind(kind)
            batch = out
        return batch, rejects, kind

    def run(self, index: int, rows: pl.DataFrame) -> BatchOutput:
        counts: dict[str, Counts] = {}
        batch = self.start(rows)
        out, rejects, kind = self.apply(batch, self.steps, self.kind, counts)
        if out.height:
            validate(out, kind, where=f"output of batch {index}")
        rej = pl.concat(rejects) if rejects else pl.DataFrame(schema=REJECT_SCHEMA)
        return BatchOutput(index, out, rej, counts)


# -- worker process plumbing (spawned processes get the runner once, then batches) --------
_WORKER: BatchRunner | None = None


def _init_worker(payload: bytes) -> None:
    global _WORKER
    import cloudpickle

    _WORKER = cloudpickle.loads(payload)


def _work(index: int, rows: pl.DataFrame) -> BatchOutput:
    assert _WORKER is not None
    return _WORKER.run(index, rows)


class Executor(ABC):
    """Runs a pipeline and writes a dataset version to ``out``; returns the manifest."""

    @abstractmethod
    def map_batches(self, runner: BatchRunner, batches: Iterator[tuple[int, pl.DataFrame]],
                    workers: int) -> Iterator[BatchOutput]:
        """Run ``runner`` over the batches, yielding outputs in input order."""

    def run(self, pipeline: Pipeline, out: str | Path, *, seed: int = 0, batch_size: int = DEFAULT_BATCH_SIZE,
            workers: int | None = None, recipe: dict[str, Any] | None = None, progress: bool | None = None,
            overwrite: bool = False) -> dict[str, Any]:
        from ..dataset.writer import DatasetWriter

        if batch_size < 1:
            raise ConfigError(f"batch size must be at least 1, got {batch_size}")
        workers = default_workers() if workers is None else workers
        if workers < 1:
            raise ConfigError(f"workers must be at least 1, got {workers}")
        out_kind = pipeline.validate()
        src = pipeline.source
        split = next((i for i, s in enumerate(pipeline.steps) if s.scope != "row"), len(pipeline.steps))
        row_steps, driver_steps = pipeline.steps[:split], pipeline.steps[split:]
        kind_after_rows = src.kind
        for s in row_steps:
            kind_after_rows = s.output_kind(kind_after_rows)
        version = src.version()
        runner = BatchRunner(row_steps, src.kind, src.name, version, seed)
        driver = BatchRunner(driver_steps, kind_after_rows, src.name, version, seed)
        writer = DatasetWriter(out, pipeline, kind=out_kind, seed=seed, recipe=recipe, overwrite=overwrite)
        read_counts = Counts()
        step_counts: dict[str, Counts] = {}
        reading_rejects: list[pl.DataFrame] = []

        def source_batches() -> Iterator[tuple[int, pl.DataFrame]]:
            for i, sb in enumerate(src.batches(batch_size)):
                read_counts.add(Counts(sb.rows.height + sb.rejects.height, sb.rows.height, sb.rejects.height))
                if sb.rejects.height:
                    reading_rejects.append(sb.rejects)
                yield i, sb.rows

        with _Progress(enabled=progress, label=pipeline.name) as bar:
            for res in self.map_batches(runner, source_batches(), workers):
                rows = res.rows
                rejects = [res.rejects]
                for k, v in res.counts.items():
                    step_counts.setdefault(k, Counts()).add(v)
                if driver_steps and rows.height:
                    rows, more, _ = driver.apply(rows, driver_steps, kind_after_rows, step_counts)
                    rejects.extend(more)
                    if rows.height:
                        validate(rows, out_kind, where=f"output of batch {res.index}")
                while reading_rejects:
                    writer.write_rejects(reading_rejects.pop(0))
                for r in rejects:
                    if r.height:
                        writer.write_rejects(r)
                writer.write(rows)
                bar.advance(res.rows.height + res.rejects.height)
        accounting = [{"step": "read", "in": read_counts.rows_in, "out": read_counts.rows_out,
                       "rejected": read_counts.rejected}]
        for s in pipeline.steps:
            c = step_counts.get(s.signature(), Counts())
            entry = {"step": s.signature(), "in": c.rows_in, "out": c.rows_out, "rejected": c.rejected,
                     "seconds": round(c.seconds, 3)}
            if s.expands:
                entry["expands"] = True
            accounting.append(entry)
        return writer.finish(accounting, executor=type(self).__name__.removesuffix("Executor").lower(),
                             workers=workers, batch_size=batch_size)


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


class LocalExecutor(Executor):
    """Streams batches through a process pool on this machine, with bounded memory.

    At most ``2 * workers`` batches are in flight; results are consumed in input order.
    With ``workers=1`` everything runs in this process.
    """

    def map_batches(self, runner: BatchRunner, batches: Iterator[tuple[int, pl.DataFrame]],
                    workers: int) -> Iterator[BatchOutput]:
        if workers == 1:
            for i, rows in batches:
                yield runner.run(i, rows)
            return
        import cloudpickle

        payload = cloudpickle.dumps(runner)
        ctx = mp.get_context("spawn")
        old = os.environ.get("POLARS_MAX_THREADS")
        os.environ["POLARS_MAX_THREADS"] = "1"  # each worker is one core's worth of work
        try:
            pool = ctx.Pool(workers, initializer=_init_worker, initargs=(payload,))
        finally:
            if old is None:
                os.environ.pop("POLARS_MAX_THREADS", None)
            else:
                os.environ["POLARS_MAX_THREADS"] = old
        try:
            pending: collections.deque = collections.deque()
            for i, rows in batches:
                pending.append(pool.apply_async(_work, (i, rows)))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()
            pool.close()
        finally:
            pool.terminate()
            pool.join()


def get_executor(name: str) -> Executor:
    if name == "local":
        return LocalExecutor()
    if name == "ray":
        from .ray_executor import RayExecutor

        return RayExecutor()
    raise ConfigError(f"unknown executor {name!r}; expected 'local' or 'ray'")


def run(pipeline: Pipeline, out: str | Path, *, executor: str = "local", **kw: Any) -> dict[str, Any]:
    """Run ``pipeline`` and write the dataset to ``out``; returns the manifest."""
    return get_executor(executor).run(pipeline, out, **kw)


class _Progress:
    """A rich progress line (rows, rows/s) on stderr; silent when stderr is not a terminal."""

    def __init__(self, enabled: bool | None, label: str) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.label = label
        self._p: Any = None

    def __enter__(self) -> "_Progress":
        if self.enabled:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._p = Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"),
                               TextColumn("{task.completed:,} rows"),
                               TextColumn("{task.fields[rate]:,.0f} rows/s"), TimeElapsedColumn(),
                               console=Console(stderr=True), transient=False)
            self._p.start()
            self._task = self._p.add_task(self.label, total=None, rate=0.0)
            self._t0 = time.perf_counter()
        return self

    def advance(self, n: int) -> None:
        if self._p is not None:
            done = self._p.tasks[0].completed + n
            rate = done / max(time.perf_counter() - self._t0, 1e-9)
            self._p.update(self._task, completed=done, rate=rate)

    def __exit__(self, *exc: Any) -> None:
        if self._p is not None:
            self._p.stop()
