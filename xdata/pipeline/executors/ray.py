"""The Ray executor: the same blocks and steps as the local executor, run on a Ray cluster.

Each block of input rows goes to an actor of a pool; an actor holds one
:class:`~xdata.pipeline.executors.base.BatchRunner`, so a model or lexicon step loads its
resources once per actor (``setup()``), never per batch. Results come back in input order,
shards are written per block exactly as locally, so the output bytes are the same as with
``--executor local``. Ray is imported only when this executor is used (extra ``ray``).

Connects to a running cluster when ``RAY_ADDRESS`` is set, else starts a local one.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Generator, Iterator

from ...errors import MissingDependency
from ...workers import WorkerDied, in_order
from .base import BatchRunner, BlockOutput, Executor


class RayExecutor(Executor):
    """Runs blocks on a pool of Ray actors (``workers`` actors, one CPU each)."""

    def map_blocks(self, runner: BatchRunner, chunks: Iterator[tuple[int, Any]],
                   workers: int) -> Generator[BlockOutput, None, None]:
        try:
            import ray
        except ImportError as e:
            raise MissingDependency("ray", "ray", "the Ray executor") from e
        import cloudpickle

        started = False
        if not ray.is_initialized():
            address = os.environ.get("RAY_ADDRESS")
            # A local cluster sees the driver's import path, so steps defined in modules beside a
            # recipe or test import in the actors as they do here.
            env = None if address else {"env_vars": {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}}
            ray.init(address=address, num_cpus=None if address else workers, runtime_env=env,
                     include_dashboard=False, log_to_driver=False, configure_logging=False)
            started = True
        try:
            payload = cloudpickle.dumps(runner)

            @ray.remote(num_cpus=1)
            class _Worker:
                def __init__(self, blob: bytes) -> None:
                    import cloudpickle as cp

                    self.runner = cp.loads(blob)

                def run(self, index: int, chunk: Any) -> BlockOutput:
                    return self.runner.run_block(index, chunk)

            actors = [_Worker.remote(payload) for _ in range(workers)]  # type: ignore[attr-defined]  # ray.remote adds it

            def submit(i: int, chunk: Any) -> Any:
                ref = actors[i % workers].run.remote(i, chunk)

                def wait() -> BlockOutput:
                    try:
                        while True:  # woken regularly so that a Ctrl-C is seen at once (see workers.wait_result)
                            try:
                                return ray.get(ref, timeout=0.25)
                            except ray.exceptions.GetTimeoutError:
                                continue
                    except ray.exceptions.RayActorError as e:  # the actor's process died
                        raise WorkerDied(f"a Ray worker died while running block {i} ({str(e).splitlines()[0]}); "
                                         "the run stopped and wrote nothing") from None
                    except ray.exceptions.RayTaskError as e:  # an error in the step: raise it as itself
                        raise e.as_instanceof_cause() from None

                return wait

            try:
                yield from in_order(submit, chunks, workers)
            finally:
                for a in actors:
                    ray.kill(a)
        finally:
            if started:
                ray.shutdown()
