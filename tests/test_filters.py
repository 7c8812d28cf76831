import polars as pl

from xdata.filters import Dedup, LengthRatio, dedup_key
from xdata.io import FrameSource
from xdata.pipeline import Pipeline, run


def pairs(*rows):
    return FrameSource([{"src_lang": "en", "src": a, "tgt_lang": "sw", "tgt": b} for a, b in rows])


def test_length_ratio_scores_and_reasons(tmp_path):
    src = pairs(("Good morning.", "Habari za asubuhi."), ("Thank you.", "Asante sana kwa msaada wako mkubwa sana leo."))
    m = run(Pipeline("lr", src, [LengthRatio(max_ratio=2.5)]), tmp_path / "o", workers=1)
    out = pl.read_parquet(tmp_path / "o" / "data")
    rej = pl.read_parquet(tmp_path / "o" / "rejects")
    assert out["src"].to_list() == ["Good morning."] and abs(out["len_ratio"][0] - 18 / 13) < 1e-9
    assert rej["reason"][0] == "length ratio 4.40 above 2.5"
    assert m["accounting"][1]["rejected"] == 1


def test_dedup_exact_and_normalized_across_batches(tmp_path):
    rows = [("Water is life.", "Maji ni uhai."), ("Water is life!", "maji ni UHAI"), ("Water is life.", "Maji ni uhai.")]
    m1 = run(Pipeline("d", pairs(*rows), [Dedup()]), tmp_path / "a", workers=1, batch_size=1, block_rows=1)
    m2 = run(Pipeline("d", pairs(*rows), [Dedup(normalized=True)]), tmp_path / "b", workers=1, batch_size=1)
    assert m1["rows"] == 2 and m2["rows"] == 1
    rej = pl.read_parquet(tmp_path / "b" / "rejects")
    assert rej["reason"].to_list() == ["normalized duplicate of an earlier row"] * 2
    assert dedup_key("Ｗater, IS life!", True) == "water is life"
