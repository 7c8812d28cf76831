"""The executor contract: what every executor shares (the work on one block, accounting, writing).

The work on one batch (:class:`BatchRunner`) is the same for every executor; an executor
only decides where batches run. Batches come back in input order, rows carry ids derived
from their content and origin, and randomness is per row, so the output bytes do not
depend on the batch size, the worker count or the executor.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generator, Iterator

import polars as pl

from ...dataset.writer import BEHAVIOUR
from ...errors import ConfigError, PipelineError
from ...hashing import hex_prefix, xxh3_128_rows
from ...records import CONTENT, ID_FIELDS, OPTIONAL, REJECT_SCHEMA, validate
from ..pipeline import Pipeline
from ..step import Context, Step, StepResult

#: Rows per batch a step sees, unless told otherwise (``--batch-size``); the output never depends on it.
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
class BlockOutput:
    """The result of one input block: written shard info, or rows for the driver's steps."""

    index: int
    read: Counts
    counts: dict[int, Counts]  # by the step's position in the pipeline
    written: Any = None  # BlockWritten when the worker wrote the shards
    rows: pl.DataFrame | None = None
    rejects: pl.DataFrame | None = None


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
    """Turns one input block into output: parse, provenance, row steps, and (optionally) write.

    The same object runs in the driver, in local worker processes and in Ray actors.
    """

    def __init__(self, steps: list[Step], kind: str, src_name: str, src_version: str, seed: int, *,
                 parser: Any = None, batch_size: int = DEFAULT_BATCH_SIZE, out_dir: str | None = None,
                 out_kind: str | None = None, step_offset: int = 0) -> None:
        self.steps = steps
        self.step_offset = step_offset  # position of steps[0] in the pipeline (accounting is by position)
        self.kind = kind
        self.src_name = src_name
        self.src_version = src_version
        self.seed = seed
        self.parser = parser
        self.batch_size = batch_size
        self.out_dir = out_dir
        self.out_kind = out_kind or kind

    @property
    def native(self) -> bool:
        """Parsing and every step run in native code outside the GIL (see ``Step.native``)."""
        return all(s.native for s in self.steps) and (self.parser is None or bool(getattr(self.parser, "native_parse", False)))

    def start(self, rows: pl.DataFrame) -> pl.DataFrame:
        """Add provenance columns to freshly read rows."""
        n = rows.height
        fields = [pl.col("src_row").cast(pl.String)]
        if "_id_salt" in rows.columns:  # rows of several inputs, or copies of one row (a mix)
            fields.insert(0, pl.col("_id_salt"))
        for c in ID_FIELDS[self.kind]:
            fields.append(pl.col(c).list.join("\x1e") if isinstance(rows.schema[c], pl.List) else pl.col(c))
        ids = hex_prefix(xxh3_128_rows(pl.concat_str(fields, separator="\x1f"), rows, salt=self.src_name))
        empty = pl.lit([], dtype=pl.List(pl.String))
        parents = (pl.when(pl.col("_parent").is_null()).then(empty).otherwise(pl.concat_list(pl.col("_parent")))
                   if "_parent" in rows.columns else empty)
        meta = pl.col("_meta") if "_meta" in rows.columns else pl.lit("{}", pl.String)
        keep_opt = [pl.col(c) for c in OPTIONAL[self.kind] if c in rows.columns]
        # columns a source adds beyond its kind's content (a mix: origin, split, root), kept as they are
        keep_opt += [pl.col(c) for c in rows.columns if c not in CONTENT[self.kind] and c not in OPTIONAL[self.kind]
                     and c != "src_row" and not c.startswith("_")]
        src_dataset = pl.col("_src_dataset") if "_src_dataset" in rows.columns else pl.lit(self.src_name, pl.String)
        src_version = pl.col("_src_version") if "_src_version" in rows.columns else pl.lit(self.src_version, pl.String)
        return rows.select(
            *[pl.col(c) for c in CONTENT[self.kind]],
            *keep_opt,
            ids.alias("id"),
            src_dataset.alias("src_dataset"),
            src_version.alias("src_version"),
            pl.col("src_row").cast(pl.Int64),
            parents.alias("parents"),
            empty.alias("steps"),
            pl.lit(self.seed, pl.Int64).alias("seed"),
            meta.alias("meta"),
        ) if n else rows.select(*[pl.col(c) for c in CONTENT[self.kind]], *keep_opt).with_columns(
            pl.lit(None, pl.String).alias("id"), pl.lit(None, pl.String).alias("src_dataset"),
            pl.lit(None, pl.String).alias("src_version"), pl.lit(None, pl.Int64).alias("src_row"),
            pl.lit(None, pl.List(pl.String)).alias("parents"), pl.lit(None, pl.List(pl.String)).alias("steps"),
            pl.lit(None, pl.Int64).alias("seed"), pl.lit(None, pl.String).alias("meta"))

    def apply(self, batch: pl.DataFrame, steps: list[Step], kind: str,
              counts: dict[int, Counts]) -> tuple[pl.DataFrame, list[pl.DataFrame], str]:
        rejects: list[pl.DataFrame] = []
        for pos, step in enumerate(steps, self.step_offset):
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
            c = counts.setdefault(pos, Counts())
            c.add(Counts(batch.height, out.height, n_rej, time.perf_counter() - t0))
            if not step.expands and batch.height != out.height + n_rej:
                raise PipelineError(
                    f"step {step.name!r} lost rows: {batch.height} in, {out.height} out, {n_rej} rejected"
                )
            kind = step.output_kind(kind)
            batch = out
        return batch, rejects, kind

    def run_block(self, index: int, chunk: Any) -> BlockOutput:
        """Parse a raw chunk, run the row steps batch by batch, write the shards if asked."""
        from ...dataset.writer import write_block

        sb = self.parser.parse(chunk) if self.parser is not None else chunk
        read = Counts(sb.rows.height + sb.rejects.height, sb.rows.height, sb.rejects.height)
        counts: dict[int, Counts] = {}
        outs: list[pl.DataFrame] = []
        rejects: list[pl.DataFrame] = [sb.rejects] if sb.rejects.height else []
        kind = self.kind
        if sb.rows.height:
            rows = self.start(sb.rows)
            size = rows.height if any(s.block_batches for s in self.steps) else self.batch_size
            for batch in rows.iter_slices(size):
                out, rej, kind = self.apply(batch, self.steps, self.kind, counts)
                outs.append(out)
                rejects.extend(rej)
        else:
            for pos in range(len(self.steps)):
                counts.setdefault(self.step_offset + pos, Counts())
        block_out = pl.concat(outs, how="diagonal_relaxed") if len(outs) > 1 else (outs[0] if outs else pl.DataFrame())
        if block_out.height:
            validate(block_out, kind, where=f"output of block {index}")
        else:
            block_out = pl.DataFrame()
        block_rej = pl.concat(rejects) if rejects else pl.DataFrame(schema=REJECT_SCHEMA)
        if self.out_dir is not None:
            return BlockOutput(index, read, counts,
                               written=write_block(self.out_dir, index, block_out, block_rej, self.out_kind))
        return BlockOutput(index, read, counts, rows=block_out, rejects=block_rej)


#: Input rows per block. A block is the unit of parallel work and its output is one shard,
#: so shard boundaries depend only on the input, never on --batch-size or --workers.
BLOCK_ROWS = 50_000


class Executor(ABC):
    """Runs a pipeline and writes a dataset version to ``out``; returns the manifest."""

    @abstractmethod
    def map_blocks(self, runner: BatchRunner, chunks: Iterator[tuple[int, Any]],
                   workers: int) -> Generator[BlockOutput, None, None]:
        """Run ``runner.run_block`` over the chunks, yielding outputs in input order."""

    def run(self, pipeline: Pipeline, out: str | Path, *, seed: int = 0, batch_size: int = DEFAULT_BATCH_SIZE,
            workers: int | None = None, recipe: dict[str, Any] | None = None, progress: bool | None = None,
            overwrite: bool = False, block_rows: int | None = None, history: bool = False,
            update_from: str | Path | None = None) -> dict[str, Any]:
        from ...dataset.writer import DatasetWriter

        if batch_size < 1:
            raise ConfigError(f"batch size must be at least 1, got {batch_size}")
        workers = default_workers() if workers is None else workers
        if workers < 1:
            raise ConfigError(f"workers must be at least 1, got {workers}")
        block_rows = block_rows or BLOCK_ROWS
        out_kind = pipeline.validate()
        src = pipeline.source
        split = next((i for i, s in enumerate(pipeline.steps) if s.scope != "row"), len(pipeline.steps))
        row_steps, driver_steps = pipeline.steps[:split], pipeline.steps[split:]
        kind_after_rows = src.kind
        for s in row_steps:
            kind_after_rows = s.output_kind(kind_after_rows)
        if hasattr(src, "set_seed"):  # sources whose rows depend on the seed (a mix samples and splits)
            src.set_seed(seed)
        version = src.version()
        prev = _previous_version(update_from, pipeline, out_kind, seed, block_rows, driver_steps) if update_from else None
        writer = DatasetWriter(out, pipeline, kind=out_kind, seed=seed, recipe=recipe, overwrite=overwrite,
                               history=history)
        if update_from:
            from ...dataset import read_manifest

            writer.parent = str(read_manifest(update_from)["version"])
        try:
            return self._run(pipeline, writer, src, version, row_steps, driver_steps, kind_after_rows, out_kind,
                             seed=seed, batch_size=batch_size, workers=workers, block_rows=block_rows,
                             progress=progress, prev=prev)
        except BaseException:
            writer.abort()  # an error, Ctrl-C or a dead worker: --out is left as it was
            raise

    def _run(self, pipeline: Pipeline, writer: Any, src: Any, version: str, row_steps: list[Step],
             driver_steps: list[Step], kind_after_rows: str, out_kind: str, *, seed: int, batch_size: int,
             workers: int, block_rows: int, progress: bool | None,
             prev: tuple[Path, dict[str, Any]] | None = None) -> dict[str, Any]:
        from ...dataset.writer import reuse_block, write_block

        # Workers write shards themselves unless steps remain for the driver (global steps).
        runner = BatchRunner(row_steps, src.kind, src.name, version, seed, parser=src.parser(),
                             batch_size=batch_size, out_dir=None if driver_steps else str(writer.dir),
                             out_kind=out_kind)
        driver = BatchRunner(driver_steps, kind_after_rows, src.name, version, seed, step_offset=len(row_steps))
        read_counts = Counts()
        step_counts: dict[int, Counts] = {}

        # --update-from: a block whose input bytes (and everything else) are those of the previous
        # version's block of the same index is taken over as it is; the others are computed.
        prev_blocks = {b["index"]: b for b in (prev[1].get("blocks") or [])} if prev else {}
        prev_shards = {s_["path"]: s_ for s_ in (prev[1]["shards"] + prev[1].get("rejects", []))} if prev else {}
        block_records: list[dict[str, Any]] = []
        reused: dict[int, BlockOutput] = {}

        def to_compute() -> Iterator[tuple[int, Any]]:
            for i, chunk in enumerate(src.chunks(block_rows)):
                digest = _chunk_digest(chunk)
                block_records.append({"index": i, "input": digest})
                old = prev_blocks.get(i)
                if prev is not None and digest is not None and old is not None and old.get("input") == digest:
                    name = f"part-{i:05d}.parquet"
                    written = reuse_block(prev[0], writer.dir, i, prev_shards.get(f"data/{name}"),
                                          prev_shards.get(f"rejects/{name}"), version, prev[1]["inputs"][0]["version"])
                    r = old["read"]
                    reused[i] = BlockOutput(i, Counts(*r), {int(k): Counts(*v) for k, v in old["counts"].items()},
                                            written=written)
                    continue
                yield i, chunk

        blocks: Generator[BlockOutput, None, None] = self.map_blocks(runner, to_compute(), workers)
        per_block: dict[int, BlockOutput] = {}

        def account(res: BlockOutput) -> None:
            read_counts.add(res.read)
            for k, v in res.counts.items():
                step_counts.setdefault(k, Counts()).add(v)
            per_block[res.index] = res
            writer.add(res.written)
            bar.advance(res.read.rows_in, src.progress_position())

        with _Progress(enabled=progress, label=pipeline.name, total=src.size_hint(), unit=src.size_unit) as bar, \
                contextlib.closing(blocks):
            # closing(): on an error or Ctrl-C here (not inside the executor's wait), the executor's
            # workers are stopped now, not when the suspended generator is collected at exit
            for res in blocks:
                for j in sorted(k for k in reused if k < res.index):  # taken-over blocks, in order
                    account(reused.pop(j))
                if res.written is None:
                    rows = res.rows if res.rows is not None else pl.DataFrame()
                    rejects = [res.rejects] if res.rejects is not None and res.rejects.height else []
                    if rows.height:
                        rows, more, _ = driver.apply(rows, driver_steps, kind_after_rows, res.counts)
                        rejects.extend(more)
                        if rows.height:
                            validate(rows, out_kind, where=f"output of block {res.index}")
                    rej = pl.concat(rejects) if rejects else pl.DataFrame(schema=REJECT_SCHEMA)
                    res.written = write_block(writer.dir, res.index, rows, rej, out_kind)
                account(res)
            for j in sorted(reused):
                account(reused.pop(j))
        for rec in block_records:
            b = per_block.get(rec["index"])
            if b is not None:
                rec["read"] = [b.read.rows_in, b.read.rows_out, b.read.rejected, 0.0]
                rec["counts"] = {str(k): [c.rows_in, c.rows_out, c.rejected, 0.0] for k, c in sorted(b.counts.items())}
        accounting = [{"step": "read", "in": read_counts.rows_in, "out": read_counts.rows_out,
                       "rejected": read_counts.rejected}]
        for pos, s in enumerate(pipeline.steps):
            c = step_counts.get(pos, Counts())
            entry: dict[str, Any] = {"step": s.signature(), "in": c.rows_in, "out": c.rows_out,
                                     "rejected": c.rejected, "seconds": round(c.seconds, 3)}
            if s.expands:
                entry["expands"] = True
            accounting.append(entry)
        return writer.finish(accounting, blocks=block_records,
                             executor=type(self).__name__.removesuffix("Executor").lower(),
                             workers=workers, batch_size=batch_size, block_rows=block_rows,
                             reused_blocks=sum(1 for r in block_records if r["index"] in prev_blocks
                                               and prev_blocks[r["index"]].get("input") == r["input"]
                                               and r["input"] is not None) if prev else 0)


def _chunk_digest(chunk: Any) -> str | None:
    """XXH3-128 of a raw chunk's bytes (line sources), None for chunks that are parsed already."""
    import xxhash

    from ...io.readers.lines import LineBlock

    parts = chunk[1:] if isinstance(chunk, tuple) and chunk and isinstance(chunk[0], int) else ()
    if not parts or not all(isinstance(p, LineBlock) for p in parts):
        return None
    h = xxhash.xxh3_128()
    h.update(str(chunk[0]).encode())
    for p in parts:
        h.update(b"\x1f" + p.blob)
    return h.hexdigest()


def _previous_version(path: str | Path, pipeline: Pipeline, out_kind: str, seed: int, block_rows: int,
                      driver_steps: list[Step]) -> tuple[Path, dict[str, Any]] | None:
    """The version ``--update-from`` names, checked: the same dataset, unchanged files. Returns None
    (everything is recomputed) when nothing of it can be reused: other steps, seed or shard size,
    or a step that sees the whole dataset (its output depends on every block)."""
    from ...dataset import read_manifest, verify

    d = Path(path)
    m = read_manifest(d)
    if m.get("name") != pipeline.name or m.get("kind") != out_kind:
        raise ConfigError(f"--update-from {d} is not a version of this dataset: it is {m.get('name')!r} "
                          f"({m.get('kind')}), this pipeline writes {pipeline.name!r} ({out_kind})")
    rep = verify(d)
    if not rep.ok:
        raise ConfigError(f"--update-from {d}: its files were changed since it was written: " + "; ".join(rep.lines()))
    same = ([s["signature"] for s in m.get("steps", [])] == [s.signature() for s in pipeline.steps]
            and m.get("seed") == seed and (m.get("run") or {}).get("block_rows") == block_rows
            and [i.get("params") for i in m.get("inputs", [])] == [pipeline.source.read_params()]
            and [i.get("name") for i in m.get("inputs", [])] == [pipeline.source.name]
            and m.get("xdata_behaviour") == BEHAVIOUR)
    if not same or driver_steps or not m.get("blocks"):
        return None
    return d, m


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


class _Progress:
    """A rich progress line on stderr (rows, rows/s; with a known input size also the share done and
    the time left); silent when stderr is not a terminal."""

    def __init__(self, enabled: bool | None, label: str, total: int | None = None, unit: str = "bytes") -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.label = label
        self.total = total
        self.unit = unit
        self._p: Any = None
        self._rows = 0

    def __enter__(self) -> "_Progress":
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            cols: list[Any] = [SpinnerColumn(), TextColumn("[bold]{task.description}")]
            if self.total:
                cols += [BarColumn(), TextColumn("{task.percentage:>5.1f}%"), TimeRemainingColumn()]
            cols += [TextColumn("{task.fields[rows]:,} rows"), TextColumn("{task.fields[rate]:,.0f} rows/s"),
                     TimeElapsedColumn()]
            self._p = Progress(*cols, console=Console(stderr=True), transient=False)
            self._p.start()
            self._task = self._p.add_task(self.label, total=self.total or None, rows=0, rate=0.0)
            self._t0 = time.perf_counter()
        return self

    def advance(self, rows: int, position: int | None = None) -> None:
        if self._p is not None:
            self._rows += rows
            rate = self._rows / max(time.perf_counter() - self._t0, 1e-9)
            kw: dict[str, Any] = {"rows": self._rows, "rate": rate}
            if self.total and position is not None:
                kw["completed"] = min(position, self.total)
            self._p.update(self._task, **kw)

    def __exit__(self, *exc: Any) -> None:
        if self._p is not None:
            self._p.stop()
