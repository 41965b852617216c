"""Errors that name the real cause: a held-out chromosome shorter than the window, a FASTA that cannot be indexed
where it lies, a DREAM file with a header row."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import DATA, DREAM

from regformer.chains.promoter.files import iter_promoter_chunks
from regformer.data.genome_windows import resolve_chromosomes
from regformer.errors import InputError

FASTA = DATA / "tracks" / "sacCer3_R64_chrII.fa"


def test_held_out_chromosome_shorter_than_the_window_is_named_with_its_length():
    sizes = {"chrI": 230_218, "chrII": 813_184, "chrX": 745_751}
    with pytest.raises(InputError, match=r"chrI \(230,218 bp\) is shorter than seq_length \(524,288 bp\)"):
        resolve_chromosomes("genome.fa", sizes, None, {"val": ["chrI"], "test": ["chrX"]}, 524_288)
    with pytest.raises(InputError, match="shorter than seq_length"):  # listed explicitly: the same message
        resolve_chromosomes("genome.fa", sizes, ["chrI", "chrII", "chrX"], {"val": ["chrI"]}, 524_288)
    assert resolve_chromosomes("genome.fa", sizes, None, {"val": ["chrX"]}, 524_288) == ["chrII", "chrX"]


def test_fasta_without_index_in_a_read_only_folder_says_to_index_it_where_writable():
    folder = Path(tempfile.mkdtemp(prefix="regformer_ro_"))
    try:
        shutil.copy(FASTA, folder / "genome.fa")
        os.chmod(folder / "genome.fa", 0o644)
        os.chmod(folder, 0o555)
        code = ("from regformer.io.fasta import open_fasta\n"
                f"open_fasta({str(folder / 'genome.fa')!r})\n")
        cmd = [sys.executable, "-c", code]
        if os.geteuid() == 0:  # root may write anywhere: run as nobody (setpriv is util-linux, in every Debian)
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode != 0
        message = result.stderr.strip().splitlines()[-1]
        assert "has no index (genome.fa.fai)" in message and "not writable" in message, result.stderr[-2000:]
        assert "samtools faidx" in message and "copy the FASTA" in message and "rebuild=False" not in message
    finally:
        os.chmod(folder, 0o755)
        shutil.rmtree(folder)


def test_dream_file_with_a_header_row_is_reported_as_a_header(tmp_path):
    lines = DREAM.read_text().splitlines()[:20]
    path = tmp_path / "with_header.txt"
    path.write_text("\n".join(["sequence\texpression", *lines]) + "\n")
    with pytest.raises(InputError, match=r"line 1 looks like a header row \('sequence', 'expression'\)") as err:
        list(iter_promoter_chunks(path, "dream"))
    assert "IUPAC" not in str(err.value) and "format: table" in str(err.value)
    path.write_text("\n".join(lines) + "\n")  # without it, the file reads
    assert sum(len(c.sequences) for c in iter_promoter_chunks(path, "dream")) == 20
