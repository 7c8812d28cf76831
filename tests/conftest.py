"""Shared fixtures: a private xdata cache, and the toy Marian model built once per test run."""

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Translation caches and CTranslate2 conversions go to a temporary directory, never to the
    user's ~/.cache (worker processes inherit the variable)."""
    old = os.environ.get("XDATA_CACHE_DIR")
    os.environ["XDATA_CACHE_DIR"] = str(tmp_path_factory.mktemp("xdata-cache"))
    yield
    if old is None:
        os.environ.pop("XDATA_CACHE_DIR", None)
    else:
        os.environ["XDATA_CACHE_DIR"] = old


def _shared_build(tmp_path_factory, name: str, build) -> Path:
    """Build once for all pytest-xdist workers (a file lock in the run's shared temp root)."""
    from filelock import FileLock

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # workers' temp dirs sit inside the run's own
        root = root.parent
    out = root / name
    with FileLock(str(root / f"{name}.lock")):
        if not (out / "config.json").exists():
            build(out)
    return out


@pytest.fixture(scope="session")
def toy_marian(tmp_path_factory) -> Path:
    """A real MarianMTModel (2+2 layers, d_model 64) trained briefly on the toy language pair."""
    from xdata.backtranslate.toy import build_toy_marian

    return _shared_build(tmp_path_factory, "toy-marian", lambda p: build_toy_marian(p, train_steps=300))
