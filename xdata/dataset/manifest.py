"""Reading the manifest of a dataset version directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import InputError

MANIFEST = "manifest.json"


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of a dataset directory; a directory without one is an unfinished run."""
    d = Path(path)
    if not d.is_dir():
        raise InputError("not a dataset directory (does not exist or is a file)", path=d)
    m = d / MANIFEST
    if not m.exists():
        raise InputError(
            "no manifest.json: this is not a dataset, or its run did not finish (the manifest is written last)",
            path=d,
        )
    try:
        data = json.loads(m.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputError(f"manifest is not valid JSON: {e.msg}", path=m, line=e.lineno) from e
    for key in ("name", "version", "content_digest", "shards"):
        if key not in data:
            raise InputError(f"manifest lacks the key {key!r}", path=m)
    return data
