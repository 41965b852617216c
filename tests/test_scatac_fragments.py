"""Fragments as 10x, ArchR, MAESTRO and SnapATAC2 write them ('#' inside barcodes, header lines, 4 or 5 columns,
gzip or bgzip, barcode-sorted), and every bad record refused by line with the file's name, nothing written."""

import gzip
import json
import logging

import numpy as np
import pandas as pd
import pytest
from test_scatac_data import FRAGMENTS, SIZES
from test_scatac_errors import LINES, _qc, _write

from regformer.chains.scatac.fragments import check_fragments, read_chrom_sizes
from regformer.chains.scatac.qc import import_and_qc

HEADER = ["# id=pbsmall\n", "# pipeline_name=cellranger-atac\n", "# reference_path=/refdata/hg19\n"]


def _archr_style(tmp_path, columns: int = 5, sort_by_barcode: bool = False):
    """PBSmall with ArchR / MAESTRO barcodes (sample#barcode), 10x header lines, gzip; 4 or 5 columns."""
    frags = pd.read_csv(FRAGMENTS, sep="\t", header=None, names=["chrom", "start", "end", "barcode", "count"])
    frags["barcode"] = "0w#" + frags["barcode"]
    if sort_by_barcode:
        frags = frags.sort_values(["barcode", "chrom", "start"], kind="stable")
    body = frags.iloc[:, :columns].to_csv(sep="\t", header=False, index=False)
    path = tmp_path / f"archr_{columns}_{'bc' if sort_by_barcode else 'pos'}.tsv.gz"
    path.write_bytes(gzip.compress(("".join(HEADER) + body).encode()))
    return path, frags


@pytest.mark.parametrize("columns,by_barcode", [(5, False), (4, True)])
def test_hash_barcodes_import_like_snapatac2(tmp_path, columns, by_barcode):
    import anndata as ad
    import snapatac2 as snap

    path, frags = _archr_style(tmp_path, columns, by_barcode)
    sizes = read_chrom_sizes(SIZES)
    counts = check_fragments(path, sizes, "barcode" if by_barcode else "position", chunk_size=4000)
    assert counts["n_fragments"] == len(frags) == 29_399 and counts["n_barcodes"] == 150
    assert all(b.startswith("0w#") for b in counts["per_barcode"])
    outs = [tmp_path / name for name in ("cells_qc.h5ad", "qc.json", "qc.png")]
    summary = import_and_qc(path, *outs, SIZES, {"min_fragments": 50, "n_comps": 5,
                                                 "sorted_by": "barcode" if by_barcode else "position"})
    ours = ad.read_h5ad(outs[0])
    (tmp_path / "snap").mkdir()
    theirs = snap.pp.import_fragments(str(_archr_style(tmp_path / "snap", 5, by_barcode)[0]), chrom_sizes=sizes,
                                      file=None, min_num_fragments=0, sorted_by_barcode=by_barcode, chrM=[])
    theirs = theirs[theirs.obs["n_fragment"] >= 50]
    assert sorted(ours.obs_names) == sorted(theirs.obs_names) and summary["n_cells"] == 150
    assert np.array_equal(ours.obs["n_fragment"].to_numpy(), theirs.obs.loc[ours.obs_names, "n_fragment"].to_numpy())
    assert summary["n_dropped_unknown_chrom"] == 0


def _message(tmp_path, lines, name="f.tsv", **settings):
    return _qc(tmp_path, _write(tmp_path / name, lines), **settings)


def test_bad_records_are_named_by_line(tmp_path):
    fields = [line.split("\t") for line in LINES[:40]]
    negative_first = ["\t".join([fields[0][0], "-5", *fields[0][2:]])] + LINES[1:40]
    message = _message(tmp_path, negative_first)
    assert "f.tsv" in message and "fragment 1 " in message and "starts before 0" in message
    negative_mid = LINES[:20] + ["\t".join([fields[20][0], "-5", *fields[20][2:]])] + LINES[21:40]
    message = _message(tmp_path, negative_mid, "g.tsv")
    assert "fragment 21 " in message and "starts before 0" in message and "not sorted" not in message
    swapped = LINES[:20] + ["\t".join([fields[20][0], fields[20][2], fields[20][1], *fields[20][3:]])] + LINES[21:40]
    message = _message(tmp_path, swapped, "h.tsv")
    assert "fragment 21 " in message and "does not end after its start" in message and "not sorted" not in message
    last = LINES[:39] + ["\t".join([fields[39][0], fields[39][2], fields[39][1], *fields[39][3:]])]
    assert "fragment 40 " in _message(tmp_path, last, "i.tsv")  # the last line is checked too
    length = dict(line.split() for line in SIZES.read_text().splitlines())[fields[5][0]]
    beyond = LINES[:5] + ["\t".join([fields[5][0], fields[5][1], str(int(length) + 10), *fields[5][3:]])] + LINES[6:40]
    message = _message(tmp_path, beyond, "j.tsv")
    assert "fragment 6 " in message and "past its chromosome's length" in message and "chrom_sizes" in message


def test_empty_and_header_only_files_name_the_file(tmp_path):
    empty = tmp_path / "empty.tsv.gz"
    empty.write_bytes(b"")
    message = _qc(tmp_path, empty)
    assert "empty.tsv.gz" in message and "empty (0 bytes)" in message
    header_only = tmp_path / "header.tsv.gz"
    header_only.write_bytes(gzip.compress("".join(HEADER).encode()))
    message = _qc(tmp_path, header_only)
    assert "header.tsv.gz" in message and "no fragment" in message


def test_fragments_on_chromosomes_missing_from_chrom_sizes(tmp_path, caplog):
    only_chr5 = _write(tmp_path / "chr5.sizes", [line + "\n" for line in SIZES.read_text().splitlines()
                                                  if line.startswith("chr5\t")])
    n_chr11 = sum(line.startswith("chr11\t") for line in LINES)
    message = _qc(tmp_path, FRAGMENTS, only_chr5)  # most fragments would vanish: an error, not a silent drop
    assert "chr5.sizes" in message and f"{n_chr11:,} fragments" in message and "chr11" in message
    few = LINES + ["chrUn_gl000220\t100\t300\tB.1\t1\n"] * 3  # a few on an unplaced contig: counted, warned
    outs = [tmp_path / "ok" / name for name in ("cells_qc.h5ad", "qc.json", "qc.png")]
    with caplog.at_level(logging.WARNING):
        import_and_qc(_write(tmp_path / "few.tsv", few), *outs, SIZES, {"min_fragments": 50, "n_comps": 5,
                                                                        "sorted_by": "none"})
    summary = json.loads(outs[1].read_text())
    assert summary["n_dropped_unknown_chrom"] == 3 and summary["dropped_unknown_chroms"] == {"chrUn_gl000220": 3}
    assert "chrUn_gl000220" in caplog.text and "dropped" in caplog.text
    kept = import_and_qc(FRAGMENTS, *[tmp_path / "sub" / o.name for o in outs], SIZES,
                         {"min_fragments": 10, "n_comps": 5, "chromosomes": ["chr5"]})
    assert kept["n_dropped_excluded_chrom"] == n_chr11 and kept["n_dropped_unknown_chrom"] == 0  # on purpose: fine
