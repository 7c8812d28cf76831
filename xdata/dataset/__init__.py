"""Versioned, provenance-tagged datasets: writing, verifying, diffing, tracing."""

from .manifest import read_manifest
from .ops import VerifyReport, diff, find_row, info, load_rows, trace, verify
from .writer import DatasetWriter

__all__ = ["DatasetWriter", "read_manifest", "verify", "VerifyReport", "diff", "info", "trace", "find_row",
           "load_rows"]
