"""Readers and writers for every input and output format."""

from .files import open_binary
from .readers import (ConllSource, ConlluSource, DatasetSource, FrameSource, HFSource, JsonlSource,
                      ParallelSource, ParquetSource, Source, SourceBatch, TextSource, TsvSource, open_source)

__all__ = ["open_binary", "Source", "SourceBatch", "TextSource", "ParallelSource", "TsvSource", "JsonlSource",
           "ParquetSource", "DatasetSource", "ConllSource", "ConlluSource", "HFSource", "FrameSource", "open_source"]
