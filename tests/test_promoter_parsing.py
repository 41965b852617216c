"""Parsing promoter libraries: the real DREAM and Vaishnav files, and every class of bad input."""

import gzip

import numpy as np
import pandas as pd
import pytest
from conftest import DREAM, VAISHNAV

from regformer.data.encoding import decode, encode_fixed_length
from regformer.errors import InputError
from regformer.chains.promoter.files import iter_promoter_chunks


def _all(path, **kw):
    chunks = list(iter_promoter_chunks(path, **kw))
    return [s for c in chunks for s in c.sequences], np.concatenate([c.expression for c in chunks]), chunks


def test_real_dream_file_parses_completely_in_chunks():
    seqs, expr, chunks = _all(DREAM, chunk_size=1000)
    assert len(seqs) == 6370  # SOURCES.md; the last line has no trailing newline
    assert len(chunks) == 7 and chunks[1].first_line == 1001
    assert 0 <= expr.min() and expr.max() <= 17
    assert abs(expr.mean() - 11.2) < 0.1


def test_real_vaishnav_table_parses_named_columns():
    seqs, expr, chunks = _all(VAISHNAV, fmt="table", sequence_column="seq110", expression_column="meanEL")
    assert len(seqs) == 5289 and chunks[0].first_line == 2
    table = pd.read_csv(VAISHNAV)  # the same columns read independently, row for row
    assert seqs == table["seq110"].tolist()
    np.testing.assert_allclose(expr, table["meanEL"].to_numpy(), rtol=1e-6)


def test_trim_keeps_last_bases_and_pads_5prime_with_n():
    codes = encode_fixed_length(["TTTTGGCCAA", "acg"], 6)
    assert decode(codes) == ["GGCCAA", "NNNACG"]
    assert codes.dtype == np.uint8


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_wrong_alphabet_names_line_and_character(tmp_path):
    path = _write(tmp_path, "lib.txt", "ACGT\t1\nACGT\t2\nACRT\t3\n")
    with pytest.raises(InputError, match=r"lib.txt: line 3: sequence has character 'R' at position 3"):
        list(iter_promoter_chunks(path))


def test_lowercase_and_n_are_valid(tmp_path):
    seqs, _, _ = _all(_write(tmp_path, "lib.txt", "acgtn\t1\nNNACG\t2\n"))
    assert seqs == ["acgtn", "NNACG"]


def test_empty_file(tmp_path):
    with pytest.raises(InputError, match="file is empty"):
        list(iter_promoter_chunks(_write(tmp_path, "empty.txt", "")))


def test_missing_column_lists_available_columns(tmp_path):
    path = _write(tmp_path, "t.csv", "seq,expr\nACGT,1\n")
    with pytest.raises(InputError, match=r"column\(s\) \['meanEL'\] not in the header.*'seq', 'expr'"):
        list(iter_promoter_chunks(path, fmt="table", sequence_column="seq", expression_column="meanEL"))


def test_ragged_line_with_extra_field(tmp_path):
    path = _write(tmp_path, "lib.txt", "ACGT\t1\nACGT\t2\t5\n")
    with pytest.raises(InputError, match="ragged line.*line 2"):
        list(iter_promoter_chunks(path))


def test_line_with_missing_expression(tmp_path):
    path = _write(tmp_path, "lib.txt", "ACGT\t1\nACGT\n")
    with pytest.raises(InputError, match="line 2: missing expression"):
        list(iter_promoter_chunks(path))


def test_non_numeric_expression(tmp_path):
    path = _write(tmp_path, "lib.txt", "ACGT\t1\nACGT\thigh\n")
    with pytest.raises(InputError, match="line 2: expression 'high' is not a finite number"):
        list(iter_promoter_chunks(path))


def test_truncated_gzip(tmp_path):
    data = gzip.compress(DREAM.read_bytes())
    path = tmp_path / "lib.txt.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated or corrupt compressed file"):
        list(iter_promoter_chunks(path, chunk_size=500))


def test_gzip_reads_like_plain(tmp_path):
    path = tmp_path / "lib.txt.gz"
    path.write_bytes(gzip.compress(DREAM.read_bytes()))
    assert _all(path)[0] == _all(DREAM)[0]
