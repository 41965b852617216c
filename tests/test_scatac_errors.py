"""scATAC bad inputs: each fails with an InputError naming the file and the fix, and writes nothing."""

import gzip

import numpy as np
import pytest
from test_scatac_data import FRAGMENTS, LABELS, SIZES

from regformer.chains.scatac.cells import read_labels
from regformer.chains.scatac.fragments import check_fragments, read_chrom_sizes
from regformer.chains.scatac.qc import import_and_qc
from regformer.errors import InputError

LINES = gzip.decompress(FRAGMENTS.read_bytes()).decode().splitlines(keepends=True)


def _write(path, lines):
    path.write_text("".join(lines))
    return path


def _qc(tmp_path, fragments, sizes=SIZES, **settings):
    outs = [tmp_path / "out" / name for name in ("cells_qc.h5ad", "qc.json", "qc.png")]
    with pytest.raises(InputError) as err:
        import_and_qc(fragments, *outs, sizes, {"min_fragments": 50, **settings})
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())  # nothing half-written
    return str(err.value)


def test_wrong_column_count(tmp_path):
    bad = _write(tmp_path / "f.tsv", [line.rstrip("\n") + "\textra\n" for line in LINES[:50]])
    assert "6 columns, not 4 or 5" in _qc(tmp_path, bad)
    ragged = _write(tmp_path / "g.tsv", LINES[:20] + ["chr11\t1\t2\tB.1\n"] + LINES[20:40])
    message = _qc(tmp_path, ragged)
    assert "g.tsv" in message and "columns" in message


def test_non_integer_coordinates(tmp_path):
    fields = LINES[10].split("\t")
    bad = _write(tmp_path / "f.tsv", LINES[:10] + ["\t".join([fields[0], "12.5", *fields[2:]])] + LINES[11:30])
    message = _qc(tmp_path, bad)
    assert "f.tsv" in message and "column start holds a non-integer value" in message and "Fix:" in message


def test_chromosome_missing_from_chrom_sizes(tmp_path):
    sizes = _write(tmp_path / "sizes.tsv", ["chr1\t1000000\n"])
    message = _qc(tmp_path, FRAGMENTS, sizes)
    assert "no fragment lies on a chromosome of the chromosome sizes" in message and "chr11" in message
    with pytest.raises(InputError, match=r"chromosomes \['chrX'\] are not in the chromosome sizes"):
        read_chrom_sizes(SIZES, ["chr5", "chrX"])


def test_unsorted_file_declared_sorted(tmp_path):
    swapped = LINES[:5] + [LINES[6], LINES[5]] + LINES[7:100]
    if swapped[5].split("\t")[1] == swapped[6].split("\t")[1]:
        pytest.skip("equal starts")
    message = _qc(tmp_path, _write(tmp_path / "f.tsv", swapped))
    assert "not sorted by position" in message and "sorted_by: none" in message
    back = LINES[:100] + [line.replace("chr11", "chr5") for line in LINES[100:110]] + LINES[110:200]
    assert "comes back" in _qc(tmp_path, _write(tmp_path / "g.tsv", back))
    check_fragments(tmp_path / "f.tsv", read_chrom_sizes(SIZES), "none")  # declared unsorted: accepted


def test_truncated_gzip(tmp_path):
    data = FRAGMENTS.read_bytes()
    cut = tmp_path / "cut.tsv.gz"
    cut.write_bytes(data[: len(data) // 2])
    message = _qc(tmp_path, cut)
    assert "cut.tsv.gz" in message and "truncated or corrupt" in message


def test_no_cell_passes_qc_names_the_threshold(tmp_path):
    message = _qc(tmp_path, FRAGMENTS, min_fragments=10_000)
    assert "no cell passes QC" in message and "min_fragments = 10000" in message


def test_labels_matching_no_cell(tmp_path):
    import pandas as pd

    barcodes = pd.Index(["B.1", "M.2"])
    assert read_labels(LABELS, "cell_type_inferred_from_prefix", barcodes).tolist() == ["B_cell", "Monocyte"]
    other = _write(tmp_path / "labels.tsv", ["barcode\tcell_type\n", "AAAC-1\tT\n"])
    with pytest.raises(InputError, match="no barcode of the labels file matches a cell"):
        read_labels(other, "cell_type", barcodes)
    with pytest.raises(InputError, match="no column 'celltype'"):
        read_labels(LABELS, "celltype", barcodes)
