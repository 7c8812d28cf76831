"""Steps, pipelines and executors."""

from .executor import Executor, LocalExecutor, get_executor, run
from .pipeline import Pipeline
from .step import Context, FilterStep, Identity, MapStep, NoParams, Step, StepResult, merge_meta

__all__ = ["Pipeline", "Step", "MapStep", "FilterStep", "StepResult", "Context", "NoParams", "Identity",
           "merge_meta", "Executor", "LocalExecutor", "get_executor", "run"]
