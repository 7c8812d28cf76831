"""Hugging Face ``datasets`` objects and directories saved with ``save_to_disk``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator


from ...errors import ConfigError, InputError
from ...records import detect_kind
from .base import OnError, Source, SourceBatch, _coerce_records, _rejects_frame


class HFSource(Source):
    """A Hugging Face ``datasets.Dataset`` (in memory) or one saved with ``save_to_disk``."""

    def __init__(self, dataset: Any, kind: str | None = None, *, name: str | None = None,
                 columns: dict[str, str] | None = None, on_error: OnError = "raise") -> None:
        import datasets

        if isinstance(dataset, (str, Path)):
            self.path: str | None = str(dataset)
            try:
                dataset = datasets.load_from_disk(str(dataset))
            except FileNotFoundError as e:
                raise InputError(f"not a dataset saved with save_to_disk ({e})", path=dataset) from e
            name = name or Path(self.path).name
        else:
            self.path = None
        if isinstance(dataset, datasets.DatasetDict):
            raise ConfigError(f"expected one split, got a DatasetDict with splits {list(dataset)}; pass ds['train']")
        self.ds = dataset
        self.rename = columns or {}
        cols = [self.rename.get(c, c) for c in dataset.column_names]
        self.kind = kind or detect_kind(cols)
        self.name = name or (dataset.info.dataset_name or "hf-dataset")
        self.on_error = on_error
        self._check_policy()

    def digest(self) -> str:
        fp = getattr(self.ds, "_fingerprint", None) or ""
        from ...hashing import digest_value

        return digest_value({"fingerprint": fp, "rows": len(self.ds)}, 64)

    def chunks(self, batch_size: int) -> Iterator[SourceBatch]:
        row = 0
        for start in range(0, len(self.ds), batch_size):
            part = self.ds[start:start + batch_size]
            cols = {self.rename.get(k, k): v for k, v in part.items()}
            n = len(next(iter(cols.values()))) if cols else 0
            recs = [{k: v[i] for k, v in cols.items()} for i in range(n)]
            df, rejects = _coerce_records(recs, self.kind, f"dataset {self.name}", row, self.on_error, self)
            row += n
            yield SourceBatch(df, _rejects_frame(rejects))
