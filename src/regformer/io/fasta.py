"""Reading a genome FASTA: open it (indexing if needed), fetch windows as uint8 codes, find long N runs.

Shared by every chain that cuts windows out of a genome (Hi-C, genomic tracks); pyfaidx reads only the
requested slice, so a 250 Mb chromosome is never held in memory.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyfaidx

from regformer.data.encoding import _LUT, INVALID, N_CODE
from regformer.errors import InputError


def open_fasta(fasta_path) -> tuple[pyfaidx.Fasta, dict[str, int]]:
    """Open (and index if needed) a FASTA; return it and its sequence lengths in file order."""
    path = Path(fasta_path)
    index = Path(f"{path}.fai")
    unwritable = path.exists() and not index.exists() and not os.access(path.parent, os.W_OK)
    try:
        if unwritable:
            raise PermissionError(f"cannot write {index}")
        fa = pyfaidx.Fasta(str(fasta_path), as_raw=True, sequence_always_upper=False)
    except (OSError, pyfaidx.FastaIndexingError, ValueError) as exc:
        if path.exists() and not index.exists() and (unwritable or "not be writable" in str(exc)
                                                      or isinstance(exc, PermissionError)):
            raise InputError(fasta_path, f"has no index ({index.name}) and its folder {path.parent} is not writable, "
                             "so it cannot be indexed here",
                             f"index it where it is writable (`samtools faidx {path}` as a user who may write "
                             "there), or copy the FASTA to a writable folder and point the config at the copy") from exc
        raise InputError(fasta_path, f"cannot read the FASTA ({exc})",
                         "give an uncompressed or bgzipped FASTA file") from exc
    except ImportError as exc:  # pyfaidx reads bgzip only through Biopython, which regformer does not require
        raise InputError(fasta_path, f"is block-gzipped and pyfaidx cannot read it here ({exc})",
                         f"decompress it (gunzip -c {fasta_path} > GENOME.fa) and point the config at GENOME.fa, "
                         "or install biopython") from exc
    return fa, {name: len(fa[name]) for name in fa.keys()}


def fetch_codes(fasta: pyfaidx.Fasta, chrom: str, start: int, end: int) -> np.ndarray:
    """Codes of chrom:start-end; positions off the chromosome and non-ACGT letters (IUPAC) become N."""
    length = len(fasta[chrom])
    codes = np.full(end - start, N_CODE, dtype=np.uint8)
    lo, hi = max(start, 0), min(end, length)
    if hi > lo:
        text = fasta[chrom][lo:hi]
        text = text if isinstance(text, str) else text.seq
        raw = _LUT[np.frombuffer(text.encode("ascii", errors="replace"), dtype=np.uint8)]
        raw[raw == INVALID] = N_CODE
        codes[lo - start:hi - start] = raw
    return codes


def n_runs(fa: pyfaidx.Fasta, chrom: str, min_gap: int, chunk: int = 1 << 22) -> list[tuple[int, int]]:
    """Half-open runs of N/n in `chrom` of length >= min_gap, plus any run touching either end (telomeric Ns).

    Reads `chunk` bases at a time as a numpy array, so memory stays O(chunk) for a 250 Mb chromosome.
    """
    length, runs, open_start = len(fa[chrom]), [], None
    for a in range(0, length, chunk):
        b = min(a + chunk, length)
        arr = np.frombuffer(fa[chrom][a:b].encode("ascii"), dtype=np.uint8)
        edges = np.diff(np.concatenate(([0], ((arr | 0x20) == ord("n")).view(np.int8), [0])))
        starts, ends = list(np.flatnonzero(edges == 1) + a), list(np.flatnonzero(edges == -1) + a)
        if open_start is not None:  # a run left open at the previous chunk's end
            if starts and starts[0] == a:
                starts[0] = open_start
            else:
                starts.insert(0, open_start)
                ends.insert(0, a)
            open_start = None
        if ends and ends[-1] == b and b < length:
            open_start = starts.pop()
            ends.pop()
        runs += [(int(s), int(e)) for s, e in zip(starts, ends) if e - s >= min_gap or s == 0 or e == length]
    return runs
