"""The Ray executor gives the same bytes as the local one (skipped when Ray is not installed)."""

import pytest

from steps_for_tests import Coin, Duplicate, SeenOnce, Upper
from xdata.io import TextSource
from xdata.pipeline import Pipeline, run

ray = pytest.importorskip("ray")


def test_ray_matches_local(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("".join(f"line {i % 50} of the corpus\n" for i in range(400)), encoding="utf-8")

    def pipe(with_global: bool):
        steps = [Upper(), Coin(p=0.7), Duplicate(n=2)] + ([SeenOnce()] if with_global else [])
        return Pipeline("r", TextSource(p, "en"), steps)

    for with_global in (False, True):
        local = run(pipe(with_global), tmp_path / f"l{with_global}", seed=5, workers=1, block_rows=150)
        remote = run(pipe(with_global), tmp_path / f"r{with_global}", seed=5, workers=2, batch_size=33,
                     block_rows=150, executor="ray")
        assert remote["content_digest"] == local["content_digest"]
        assert [s["sha256"] for s in remote["shards"]] == [s["sha256"] for s in local["shards"]]
        assert remote["run"]["executor"] == "ray"
