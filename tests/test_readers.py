"""Readers: every format, compressed input, and every bad-input case with its exact error."""

import gzip
import json

import polars as pl
import pytest
import zstandard

from xdata.errors import ConfigError, InputError
from xdata.io import (ConllSource, ConlluSource, FrameSource, HFSource, JsonlSource, ParallelSource, ParquetSource,
                      TextSource, TsvSource, open_source)


def rows(src, batch_size=2):
    out, rej = [], []
    for b in src.batches(batch_size):
        out.append(b.rows)
        rej.append(b.rejects)
    return pl.concat(out), pl.concat(rej)


def write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_text_source_reads_lines_in_order(tmp_path):
    p = write(tmp_path / "mono.sw.txt", "Habari yako\nNi nzuri sana\nأهلاً\n".encode())
    df, rej = rows(TextSource(p, "swh_Latn"))
    assert df["text"].to_list() == ["Habari yako", "Ni nzuri sana", "أهلاً"]
    assert df["lang"].unique().to_list() == ["sw"]
    assert df["src_row"].to_list() == [0, 1, 2]
    assert rej.height == 0


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_compressed_inputs_are_transparent(tmp_path, suffix):
    data = "one\ntwo\nthree\n".encode()
    packed = gzip.compress(data) if suffix == ".gz" else zstandard.ZstdCompressor().compress(data)
    p = write(tmp_path / f"x.txt{suffix}", packed)
    df, _ = rows(TextSource(p, "en"))
    assert df["text"].to_list() == ["one", "two", "three"]


def test_crlf_line_endings_are_line_terminators(tmp_path):
    p = write(tmp_path / "a.txt", b"one\r\ntwo\r\n")
    df, _ = rows(TextSource(p, "en"))
    assert df["text"].to_list() == ["one", "two"]


def test_invalid_utf8_names_file_and_line(tmp_path):
    p = write(tmp_path / "bad.txt", b"fine\nalso fine\nbro\xffken\n")
    with pytest.raises(InputError) as e:
        rows(TextSource(p, "en"))
    assert e.value.path == str(p) and e.value.line == 3
    assert "invalid UTF-8 at byte 3" in str(e.value)
    assert str(e.value).startswith(f"{p}:line 3:")


def test_invalid_utf8_rejected_under_reject_policy(tmp_path):
    p = write(tmp_path / "bad.txt", b"fine\nbro\xffken\nlast\n")
    df, rej = rows(TextSource(p, "en", on_error="reject"))
    assert df["text"].to_list() == ["fine", "last"]
    assert rej["src_row"].to_list() == [1]
    assert rej["reason"][0].startswith("invalid UTF-8")
    assert json.loads(rej["record"][0])["line"] == "bro\\xffken"


def test_empty_line_where_sentence_required(tmp_path):
    p = write(tmp_path / "e.txt", b"one\n   \nthree\n")
    with pytest.raises(InputError) as e:
        rows(TextSource(p, "en"))
    assert e.value.line == 2 and "empty line where a sentence is required" in str(e.value)
    df, rej = rows(TextSource(p, "en", on_error="reject"))
    assert df.height == 2 and rej["reason"].to_list() == ["empty line where a sentence is required"]
    df, rej = rows(TextSource(p, "en", allow_empty=True))
    assert df.height == 3


def test_parallel_files_of_different_lengths(tmp_path):
    s = write(tmp_path / "c.en", b"a\nb\nc\n")
    t = write(tmp_path / "c.sw", b"x\ny\n")
    with pytest.raises(InputError) as e:
        rows(ParallelSource(s, t, "en", "sw"))
    msg = str(e.value)
    assert f"{s} has 3 lines, {t} has 2" in msg
    assert e.value.path == str(s) and e.value.line == 3


def test_parallel_empty_side_is_named(tmp_path):
    s = write(tmp_path / "c.en", b"a\nb\n")
    t = write(tmp_path / "c.sw", b"x\n\n")
    with pytest.raises(InputError) as e:
        rows(ParallelSource(s, t, "en", "sw"))
    assert e.value.path == str(t) and e.value.line == 2
    df, rej = rows(ParallelSource(s, t, "en", "sw", on_error="reject"))
    assert df["src"].to_list() == ["a"] and rej["reason"][0] == "c.sw: empty line where a sentence is required"


def test_tsv_wrong_column_count(tmp_path):
    p = write(tmp_path / "p.tsv", "hello\thabari\nbad line without tab\nx\ty\tz\n".encode())
    with pytest.raises(InputError) as e:
        rows(TsvSource(p, "en", "sw"))
    assert e.value.line == 2 and "expected 2 tab-separated columns, found 1" in str(e.value)
    df, rej = rows(TsvSource(p, "en", "sw", on_error="reject"))
    assert df["tgt"].to_list() == ["habari"]
    assert rej["reason"].to_list() == ["expected 2 tab-separated columns, found 1",
                                       "expected 2 tab-separated columns, found 3"]
    assert rej["src_row"].to_list() == [1, 2]


def test_jsonl_records_and_errors(tmp_path):
    p = write(tmp_path / "r.jsonl", (json.dumps({"lang": "yo", "text": "Ẹ kú àárọ̀"}) + "\n"
                                     + "{not json\n" + json.dumps({"lang": "yo", "text": 5}) + "\n").encode())
    src = JsonlSource(p)
    assert src.kind == "text"
    with pytest.raises(InputError) as e:
        rows(src)
    assert e.value.line == 2 and "invalid JSON" in str(e.value)
    df, rej = rows(JsonlSource(p, on_error="reject"))
    assert df["text"].to_list() == ["Ẹ kú àárọ̀"]
    assert rej["src_row"].to_list() == [1, 2]
    assert "field 'text' must be a string, got int" in rej["reason"][1]


def test_parquet_source_detects_kind(tmp_path):
    p = tmp_path / "t.parquet"
    pl.DataFrame({"lang": ["zu", "zu"], "tokens": [["Sawubona", "baba"], ["Ngiyabonga"]],
                  "tags": [["O", "B-PER"], ["O"]]}).write_parquet(p)
    src = ParquetSource(p)
    assert src.kind == "tagged"
    df, _ = rows(src)
    assert df["tokens"].to_list() == [["Sawubona", "baba"], ["Ngiyabonga"]]


def test_parquet_tagged_length_mismatch(tmp_path):
    p = tmp_path / "t.parquet"
    pl.DataFrame({"lang": ["zu"], "tokens": [["a", "b"]], "tags": [["O"]]}).write_parquet(p)
    with pytest.raises(InputError) as e:
        rows(ParquetSource(p))
    assert e.value.line == 1 and "2 tokens but 1 tags" in str(e.value)


CONLLU = """# sent_id = s1
# text = The cat sleeps.
1\tThe\tthe\tDET\t_\t_\t2\tdet\t_\t_
2\tcat\tcat\tNOUN\t_\t_\t3\tnsubj\t_\t_
3\tsleeps\tsleep\tVERB\t_\t_\t0\troot\t_\tSpaceAfter=No
4\t.\t.\tPUNCT\t_\t_\t3\tpunct\t_\t_

# sent_id = s2
1-2\tdel\t_\t_\t_\t_\t_\t_\t_\t_
1\tde\tde\tADP\t_\t_\t2\tcase\t_\t_
2\tel\tel\tDET\t_\t_\t0\troot\t_\t_

"""


def test_conllu_source_skips_multiword_ranges(tmp_path):
    p = write(tmp_path / "x.conllu", CONLLU.encode())
    df, _ = rows(ConlluSource(p, "en"))
    assert df["tokens"].to_list() == [["The", "cat", "sleeps", "."], ["de", "el"]]
    assert df["tags"].to_list() == [["DET", "NOUN", "VERB", "PUNCT"], ["ADP", "DET"]]
    df, _ = rows(ConlluSource(p, "en", field="misc:SpaceAfter"))
    assert df["tags"][0].to_list() == ["_", "_", "No", "_"]


def test_malformed_conllu_names_line(tmp_path):
    bad = CONLLU.replace("2\tcat\tcat\tNOUN\t_\t_\t3\tnsubj\t_\t_", "2\tcat\tcat\tNOUN\t_\t3\tnsubj\t_\t_")
    p = write(tmp_path / "bad.conllu", bad.encode())
    with pytest.raises(InputError) as e:
        rows(ConlluSource(p, "en"))
    assert e.value.line == 4 and "expected 10 tab-separated CoNLL-U columns, found 9" in str(e.value)


def test_conll_columns(tmp_path):
    p = write(tmp_path / "ner.txt", b"Juma B-PER\nalikwenda O\nNairobi B-LOC\n\nAsante O\n")
    df, _ = rows(ConllSource(p, "sw"))
    assert df["tokens"].to_list() == [["Juma", "alikwenda", "Nairobi"], ["Asante"]]
    assert df["tags"].to_list() == [["B-PER", "O", "B-LOC"], ["O"]]


def test_conll_wrong_column_count_names_line(tmp_path):
    p = write(tmp_path / "ner.txt", b"Juma B-PER\nalikwenda\nNairobi B-LOC\n\nAsante O\n")
    with pytest.raises(InputError) as e:
        rows(ConllSource(p, "sw"))
    assert e.value.line == 2 and "expected 2 columns (token and tag), found 1" in str(e.value)
    df, rej = rows(ConllSource(p, "sw", on_error="reject"))
    assert df["tokens"].to_list() == [["Asante"]]
    assert rej["src_row"].to_list() == [0] and rej["reason"][0].startswith("line 2:")


def test_hf_datasets_in_memory_and_on_disk(tmp_path):
    import datasets

    ds = datasets.Dataset.from_dict({"src_lang": ["en", "en"], "src": ["Hello", "Bye"], "tgt_lang": ["sw", "sw"],
                                     "tgt": ["Habari", "Kwaheri"]})
    df, _ = rows(HFSource(ds, name="greet"))
    assert df["tgt"].to_list() == ["Habari", "Kwaheri"]
    ds.save_to_disk(str(tmp_path / "saved"))
    src = open_source(tmp_path / "saved")
    assert isinstance(src, HFSource) and src.kind == "pair"
    assert rows(src)[0]["src"].to_list() == ["Hello", "Bye"]


def test_open_source_dispatch_and_errors(tmp_path):
    p = write(tmp_path / "a.tsv", b"a\tb\n")
    assert isinstance(open_source(p, lang="en", tgt_lang="sw"), TsvSource)
    with pytest.raises(ConfigError, match="unknown input format 'xml'"):
        open_source(p, fmt="xml", lang="en")
    with pytest.raises(InputError, match="file not found"):
        TextSource(tmp_path / "nope.txt", "en")
    with pytest.raises(ConfigError, match="on_error must be"):
        TextSource(p, "en", on_error="ignore")


def test_frame_source_validates(tmp_path):
    src = FrameSource([{"lang": "en", "text": "x"}, {"lang": "en", "text": ""}], on_error="reject")
    df, rej = rows(src)
    assert df.height == 1 and "empty" in rej["reason"][0]
