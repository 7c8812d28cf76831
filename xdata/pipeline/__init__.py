"""Steps, pipelines and executors."""

from .executors import Executor, get_executor, run
from .executors.local import LocalExecutor
from .pipeline import Pipeline
from .step import Context, FilterStep, Identity, MapStep, NoParams, Step, StepResult, merge_meta

__all__ = ["Pipeline", "Step", "MapStep", "FilterStep", "StepResult", "Context", "NoParams", "Identity",
           "merge_meta", "Executor", "LocalExecutor", "get_executor", "run"]
